"""Rules in Chinese words, generated from the ruleset itself: what an indicator table (`tables.py`)
prints beside (or, where the author wrote none, instead of) the 评分标准 sentence.

Fields are named by their schema labels in corner brackets (「召开日期」), figures as written
(`95%`, `0.5`), shared `let` values spelled out where they are used, and each clause in one
sentence: `每缺1项扣0.5分` style deductions per occurrence, caps, bands, awards, judged scores,
vetoes, exemptions, grade rules, quotas, assessment sources and their weights. The text is a
faithful reading of the rules, not a paraphrase an author would polish: it changes whenever a
rule changes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ..check.resolved import ResolvedRuleset, figure
from ..syntax import nodes as n

_COMPARE = {"==": "为", "!=": "不为", ">=": "≥", "<=": "≤", ">": ">", "<": "<", "+": "+", "-": "-", "*": "×", "/": "÷"}
_AGGREGATE = {
    "count": "{where}的个数",
    "any": "有{where}",
    "all": "全部{where}",
    "sum": "{where}的{value}之和",
    "min": "{where}的{value}最小值",
    "max": "{where}的{value}最大值",
    "avg": "{where}的{value}平均值",
    "distinct": "{where}中不同{value}的个数",
    "months_with": "有{where}的月份数(按{by})",
    "quarters_with": "有{where}的季度数(按{by})",
}
_CALLS = {
    "in_period": "{0}在考核期内",
    "len": "{0}的数量",
    "days_between": "{0}至{1}的天数",
    "months_between": "{0}至{1}的月数",
    "year": "{0}的年份",
    "month": "{0}的月份",
    "quarter": "{0}的季度",
    "rating": "按{1}折算的{0}测评得分",
}
_PERIOD = {"start": "考核期初", "end": "考核期末"}
_NEGATED = {"==": "!=", "!=": "==", ">=": "<", "<": ">=", "<=": ">", ">": "<=", "in": "not in", "not in": "in"}


@dataclass(slots=True)
class Describer:
    """Chinese text of a ruleset's expressions and clauses, fields named by their labels."""

    ruleset: ResolvedRuleset
    lets: dict[str, n.Let] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.lets = dict(self.ruleset.lets)
        for dimension in self.ruleset.dimensions:
            self.lets.update({let.name: let for let in dimension.lets})

    @property
    def root(self) -> str:
        return self.ruleset.record.type_name if self.ruleset.record else ""

    def _field(self, type_name: str | None, name: str) -> n.FieldDecl | None:
        decl = self.ruleset.types.get(type_name or "")
        return next((f for f in decl.fields if f.name == name), None) if decl else None

    def _type_of(self, expr: n.Expr, scope: Mapping[str, str | None]) -> str | None:
        """The record type an expression's value has (None when it is not a record or a list of one)."""
        if isinstance(expr, n.Name):
            if expr.name in scope:
                return scope[expr.name]
            fld = self._field(self.root, expr.name)
        elif isinstance(expr, n.Attribute):
            fld = self._field(self._type_of(expr.obj, scope), expr.name)
        else:
            return None
        if fld is None:
            return None
        ref = fld.type
        while isinstance(ref, n.OptionalType | n.ListType):
            ref = ref.inner if isinstance(ref, n.OptionalType) else ref.item
        return ref.name if isinstance(ref, n.NamedType) and ref.name in self.ruleset.types else None

    def _bool_field(self, expr: n.Expr, scope: Mapping[str, str | None]) -> bool:
        if isinstance(expr, n.Name) and expr.name not in scope:
            fld = self._field(self.root, expr.name)
        elif isinstance(expr, n.Attribute):
            fld = self._field(self._type_of(expr.obj, scope), expr.name)
        else:
            return False
        return fld is not None and isinstance(fld.type, n.NamedType) and fld.type.name == "bool"

    def expr(self, e: n.Expr, scope: Mapping[str, str | None] | None = None, local: Mapping[str, n.Let] = {}) -> str:
        scope = scope or {}

        def text(x: n.Expr) -> str:
            return self.expr(x, scope, local)

        if isinstance(e, n.Number):
            return e.text
        if isinstance(e, n.String):
            return f"“{e.value}”"
        if isinstance(e, n.Bool):
            return "是" if e.value else "否"
        if isinstance(e, n.NoneLit):
            return "空"
        if isinstance(e, n.DateLit):
            return e.value.isoformat()
        if isinstance(e, n.ListLit):
            return "、".join(text(i) for i in e.items)
        if isinstance(e, n.PeriodRef):
            return _PERIOD.get(e.part, e.part)
        if isinstance(e, n.Name):
            if e.name in scope:
                return "该项"
            let = local.get(e.name) or self.lets.get(e.name)
            if let is not None:
                inner = text(let.expr)
                return inner if isinstance(let.expr, n.Name | n.Number | n.Call | n.Aggregate) else f"({inner})"
            fld = self._field(self.root, e.name)
            return f"「{fld.label or fld.name}」" if fld else self._grading_name(e.name)
        if isinstance(e, n.Attribute):
            fld = self._field(self._type_of(e.obj, scope), e.name)
            label = f"「{fld.label or fld.name}」" if fld else e.name
            if isinstance(e.obj, n.Name) and e.obj.name in scope:
                return label
            return f"{text(e.obj)}·{label}"
        if isinstance(e, n.Unary):
            if e.op != "not":
                return f"-{text(e.operand)}"
            if self._bool_field(e.operand, scope):
                return f"{text(e.operand)}为否"
            let = local.get(e.operand.name) or self.lets.get(e.operand.name) if isinstance(e.operand, n.Name) else None
            if let is not None:
                return text(n.Unary(op="not", operand=let.expr))
            if isinstance(e.operand, n.Binary) and e.operand.op in _NEGATED:
                return text(n.Binary(op=_NEGATED[e.operand.op], left=e.operand.left, right=e.operand.right))
            if isinstance(e.operand, n.Aggregate) and e.operand.func == "any":
                return "没" + text(e.operand)
            return f"非({text(e.operand)})"
        if isinstance(e, n.IsNone):
            return f"{text(e.operand)}{'不为空' if e.negated else '为空'}"
        if isinstance(e, n.Binary):
            return self._binary(e, scope, local)
        if isinstance(e, n.IfExpr):
            return f"若{text(e.cond)}则{text(e.then)},否则{text(e.else_)}"
        if isinstance(e, n.Call):
            args = [text(a) for a in e.args]
            template = _CALLS.get(e.func)
            return template.format(*args) if template else f"{e.func}({'，'.join(args)})"
        if isinstance(e, n.Aggregate):
            return self._aggregate(e, scope, local)
        return "?"

    def _binary(self, e: n.Binary, scope: Mapping[str, str | None], local: Mapping[str, n.Let]) -> str:

        def text(x: n.Expr) -> str:
            return self.expr(x, scope, local)

        if e.op in ("and", "or"):
            joined = "且" if e.op == "and" else "或"
            return f"{self.cond(e.left, scope, local)}{joined}{self.cond(e.right, scope, local)}"
        if e.op in ("in", "not in"):
            if isinstance(e.right, n.ListLit):
                options = "或".join(text(i) for i in e.right.items)
                return f"{text(e.left)}{'为' if e.op == 'in' else '不为'}{options}"
            return f"{text(e.right)}{'包含' if e.op == 'in' else '不包含'}{text(e.left)}"
        if e.op == "??":
            return f"{text(e.left)}(为空时取{text(e.right)})"
        if e.op == "==" and isinstance(e.right, n.Bool):
            return f"{text(e.left)}为{'是' if e.right.value else '否'}"
        return f"{text(e.left)}{_COMPARE.get(e.op, e.op)}{text(e.right)}"

    def cond(self, e: n.Expr, scope: Mapping[str, str | None] | None = None, local: Mapping[str, n.Let] = {}) -> str:
        """A condition: a yes/no field alone reads `「X」为是`."""
        said = self.expr(e, scope, local)
        return said + "为是" if self._bool_field(e, scope or {}) else said

    def _grading_name(self, name: str) -> str:
        """A value of grading (total, a source, a dimension, an indicator) by its label."""
        if name == "total":
            return "总分"
        if name == "grade":
            return "等次"
        if self.ruleset.grades is not None:
            grade = next((g for g in self.ruleset.grades.rules if g.name == name), None)
            if grade is not None:
                return f"“{grade.label or grade.name}”"
        sources = self.ruleset.assess.sources if self.ruleset.assess else ()
        named = {s.name: s.label for s in sources}
        named |= {d.name: d.label for d in self.ruleset.dimensions}
        named |= {i.node.name: i.node.label for i in self.ruleset.indicators()}
        label = named.get(name)
        return f"「{label}」" if label else name

    def _aggregate(self, e: n.Aggregate, scope: Mapping[str, str | None], local: Mapping[str, n.Let]) -> str:
        inner = {**scope, e.var: self._type_of(e.source, scope)}
        source = self.expr(e.source, scope, local)
        where = f"{source}中{self.cond(e.where, inner, local)}的项" if e.where is not None else f"{source}中的项"
        value = self.expr(e.value, inner, local) if e.value is not None else ""
        by = self.expr(e.by, inner, local) if e.by is not None else ""
        template = _AGGREGATE.get(e.func, e.func + "({where})")
        return template.format(where=where, value=value, by=by)

    # ------------------------------------------------------------------ clauses

    def points(self, clause: n.Points, local: Mapping[str, n.Let] = {}) -> str:
        verb = "扣" if clause.kind == "deduct" else "得"
        amount = self.expr(clause.amount, local=local)
        parts = []
        if clause.when is not None:
            parts.append(f"{self.cond(clause.when, local=local)}的")
        if clause.per is not None:
            parts.append(f"按{self.expr(clause.per, local=local)},每1个{verb}{amount}分")
        else:
            parts.append(f"{verb}{amount}分")
        if clause.up_to is not None:
            parts.append(f"最多{verb}{self.expr(clause.up_to, local=local)}分")
        return ",".join(parts) + "。"

    def bands(self, clause: n.Bands, local: Mapping[str, n.Let] = {}) -> str:
        steps = []
        for entry in clause.entries:
            score = f"{entry.score.text}分"
            if entry.kind == "else":
                steps.append(f"其他{score}")
            elif entry.kind == "equal" and entry.test is not None:
                steps.append(f"{self.expr(entry.test, local=local)}{score}")
            elif entry.kind == "compare" and entry.test is not None:
                steps.append(f"{_COMPARE.get(entry.op or '', entry.op)}{self.expr(entry.test, local=local)}得{score}")
            elif entry.test is not None:
                steps.append(f"{self.cond(entry.test, local=local)}的得{score}")
        subject = f"按{self.expr(clause.subject, local=local)}计分:" if clause.subject is not None else "分档计分:"
        return subject + ";".join(steps) + "。"

    def clause(self, clause: n.Clause, indicator: n.Indicator, sources: Mapping[str, str]) -> str:
        local = {let.name: let for let in indicator.lets}
        if isinstance(clause, n.Points):
            return self.points(clause, local)
        if isinstance(clause, n.Bands):
            return self.bands(clause, local)
        if isinstance(clause, n.ScoreFormula):
            return f"得分 = {self.expr(clause.expr, local=local)}。"
        if isinstance(clause, n.Judged):
            by = sources.get(clause.by, clause.by) if clause.by else "各评价主体"
            reason = ",须写明理由" if clause.reason_required else ""
            return f"由{by}评定,0至{figure(indicator.max.value)}分{reason}。"
        if isinstance(clause, n.Adjust):
            by = sources.get(clause.by, clause.by) if clause.by else "各评价主体"
            reason = ",须写明理由" if clause.reason_required else ""
            return f"{by}可加减分,至多±{clause.bound.text}分{reason}。"
        return "?"

    def applies(self, indicator: n.Indicator) -> str | None:
        if indicator.applies is None:
            return None
        return f"适用条件:{self.expr(indicator.applies)};不适用的不考核本项,总分按比例折算。"
