"""The reference interpreter: the same semantics as the compiled plans, by walking the AST.

Deliberately plain: one evaluation rule per node, no caching beyond lets. The property
tests run both backends on generated records and require equal results, so a bug in
code generation shows up as a disagreement with this file.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from ..check.resolver import ResolvedRuleset
from ..codegen.expressions import NameSpace
from ..semantics import arithmetic as rt
from ..semantics.plan import JUDGED, GradingValues, TablePlan, Trace
from ..semantics.trace import ClauseTrace
from ..syntax import nodes as n
from .scoring import score_record

Env = dict[str, Any]
_TYPES = " types"  # the env entry holding aggregate variables' static types; no name has a space


class Interpreter:
    def __init__(self, names: NameSpace) -> None:
        self.names = names

    def eval(self, e: n.Expr, record: Any, env: Env, lets: dict[str, n.Let], g: GradingValues | None) -> Any:
        method: Callable[..., Any] = getattr(self, f"_{type(e).__name__}")
        return method(e, record, env, lets, g)

    def _Number(self, e: n.Number, *_: Any) -> Any:
        return int(e.value) if "." not in e.text and "%" not in e.text else e.value

    def _String(self, e: n.String, *_: Any) -> Any:
        return e.value

    def _DateLit(self, e: n.DateLit, *_: Any) -> Any:
        return e.value

    def _Bool(self, e: n.Bool, *_: Any) -> Any:
        return e.value

    def _NoneLit(self, e: n.NoneLit, *_: Any) -> Any:
        return None

    def _ListLit(self, e: n.ListLit, record: Any, env: Env, lets: dict[str, n.Let], g: GradingValues | None) -> Any:
        return tuple(self.eval(item, record, env, lets, g) for item in e.items)

    def _PeriodRef(self, e: n.PeriodRef, *_: Any) -> Any:
        assert self.names.period is not None
        return self.names.period[0] if e.part == "start" else self.names.period[1]

    def _Name(self, e: n.Name, record: Any, env: Env, lets: dict[str, n.Let], g: GradingValues | None) -> Any:
        name = e.name
        if name in env:
            return env[name]
        if name in lets:
            let = lets[name]
            return self.eval(let.expr, record, {}, self.names.scope_of(let, lets), g)
        if g is not None:
            if (
                name in ("total", "bonus", "grade")
                or name in self.names.table_sources
                or name in self.names.value_sources
            ):
                return g[name]
            if name in self.names.grades:
                return name
        if self.names.field_type(self.names.root, name) is not None:
            return self.names.fields.read(record, self.names.root, name)
        assert g is not None
        return g[f"{self.names.table_sources[0]}.{name}"]

    def _Attribute(self, e: n.Attribute, record: Any, env: Env, lets: dict[str, n.Let], g: GradingValues | None) -> Any:
        if (
            g is not None
            and isinstance(e.obj, n.Name)
            and e.obj.name in self.names.table_sources
            and e.obj.name not in env
        ):
            return g[f"{e.obj.name}.{e.name}"]
        obj = self.eval(e.obj, record, env, lets, g)
        obj_type = self.names.static_type(e.obj, env.get(_TYPES, {}))
        assert obj_type is not None and obj_type.record is not None
        return self.names.fields.read(obj, obj_type.record, e.name)

    def _Unary(self, e: n.Unary, record: Any, env: Env, lets: dict[str, n.Let], g: GradingValues | None) -> Any:
        value = self.eval(e.operand, record, env, lets, g)
        return (not value) if e.op == "not" else -value

    def _IsNone(self, e: n.IsNone, record: Any, env: Env, lets: dict[str, n.Let], g: GradingValues | None) -> Any:
        value = self.eval(e.operand, record, env, lets, g)
        return (value is not None) if e.negated else (value is None)

    def _IfExpr(self, e: n.IfExpr, record: Any, env: Env, lets: dict[str, n.Let], g: GradingValues | None) -> Any:
        branch = e.then if self.eval(e.cond, record, env, lets, g) else e.else_
        return self.eval(branch, record, env, lets, g)

    def _Binary(self, e: n.Binary, record: Any, env: Env, lets: dict[str, n.Let], g: GradingValues | None) -> Any:
        op = e.op
        left = self.eval(e.left, record, env, lets, g)
        if op == "and":
            return bool(left) and bool(self.eval(e.right, record, env, lets, g))
        if op == "or":
            return bool(left) or bool(self.eval(e.right, record, env, lets, g))
        if op == "??":
            return left if left is not None else self.eval(e.right, record, env, lets, g)
        right = self.eval(e.right, record, env, lets, g)
        if op == "/":
            return rt.div(left, right, e.span)
        operations: dict[str, Callable[[Any, Any], Any]] = {
            "+": lambda a, b: a + b,
            "-": lambda a, b: a - b,
            "*": lambda a, b: a * b,
            "==": lambda a, b: a == b,
            "!=": lambda a, b: a != b,
            "<": lambda a, b: a < b,
            "<=": lambda a, b: a <= b,
            ">": lambda a, b: a > b,
            ">=": lambda a, b: a >= b,
            "in": lambda a, b: a in b,
            "not in": lambda a, b: a not in b,
        }
        return operations[op](left, right)

    def _Call(self, e: n.Call, record: Any, env: Env, lets: dict[str, n.Let], g: GradingValues | None) -> Any:
        args = [self.eval(a, record, env, lets, g) for a in e.args]
        func = e.func
        if func == "in_period":
            assert self.names.period is not None
            return self.names.period[0] <= args[0] <= self.names.period[1]
        table: dict[str, Callable[..., Any]] = {
            "floor": rt.floor,
            "ceil": rt.ceil,
            "abs": abs,
            "round": rt.round_fn,
            "min": min,
            "max": max,
            "clamp": rt.clamp,
            "len": len,
            "days_between": rt.days_between,
            "months_between": rt.months_between,
            "quarter": rt.quarter,
            "year": lambda d: d.year,
            "month": lambda d: d.month,
        }
        return table[func](*args)

    def _Aggregate(self, e: n.Aggregate, record: Any, env: Env, lets: dict[str, n.Let], g: GradingValues | None) -> Any:
        items = self.eval(e.source, record, env, lets, g)
        source_type = self.names.static_type(e.source, env.get(_TYPES, {}))
        types = {**env.get(_TYPES, {}), e.var: source_type.item if source_type and source_type.kind == "list" else None}
        selected = []
        for item in items:
            inner = {**env, e.var: item, _TYPES: types}
            if e.func == "all" or e.where is None or self.eval(e.where, record, inner, lets, g):
                selected.append(inner)
        func = e.func
        if func == "all":
            if e.where is None:
                return all(inner[e.var] for inner in selected)
            return all(self.eval(e.where, record, inner, lets, g) for inner in selected)
        if func == "count":
            return len(selected)
        if func == "any":
            return bool(selected)
        if func in ("months_with", "quarters_with"):
            assert e.by is not None and self.names.period is not None
            dates = [self.eval(e.by, record, inner, lets, g) for inner in selected]
            counter = rt.months_with if func == "months_with" else rt.quarters_with
            return counter(dates, *self.names.period)
        values = [inner[e.var] if e.value is None else self.eval(e.value, record, inner, lets, g) for inner in selected]
        if func == "sum":
            return sum(values)
        if func == "distinct":
            return len(set(values))
        reducer = {"min": rt.minimum, "max": rt.maximum, "avg": rt.average}[func]
        return reducer(values, e.span)


class InterpretedBackend:
    """The `Backend` protocol over the interpreter; see `plan.Backend`."""

    def __init__(self, ruleset: ResolvedRuleset, names: NameSpace) -> None:
        self.r = ruleset
        self.names = names
        self.i = Interpreter(names)
        self.lets = dict(ruleset.lets)
        self.conditions: dict[str, list[n.Expr]] = {
            "exempt": [e.when for e in ruleset.exempts],
            "grade": [r.when for r in (ruleset.grades.rules if ruleset.grades else ()) if r.when is not None],
            "assign": [a.when for a in ruleset.assigns],
            "veto": [v.when for v in ruleset.vetoes],
            "quota": [q.where for q in ruleset.quotas if q.where is not None],
        }
        self.value_sources = [s.value for s in (ruleset.assess.sources if ruleset.assess else ())]

    def score(self, plan: TablePlan, record: Any, sheets: Any, *, trace: bool = False) -> Any:
        return score_record(plan, self, record, sheets, trace=trace)

    def indicators(self, record: Any, trace: Trace | None) -> list[Any]:
        out: list[Any] = []
        for index, table_ind in enumerate(self.r.indicators()):
            dim = next(d for d in self.r.dimensions if d.name == table_ind.dimension)
            lets = self.names.scope_for(dim.lets, table_ind.node.lets)
            out.append(self.indicator(index, table_ind.node, record, lets, trace))
        return out

    def indicator(self, index: int, ind: n.Indicator, record: Any, lets: dict[str, n.Let], trace: Trace | None) -> Any:
        if ind.applies is not None and not self.i.eval(ind.applies, record, {}, lets, None):
            if trace is not None:
                trace.append(ClauseTrace(index, -1, "applies", False, [], None, "not applicable"))
            return None
        if any(isinstance(c, n.Judged) for c in ind.clauses):
            return JUDGED
        kinds = {c.kind for c in ind.clauses if isinstance(c, n.Points)}
        score: Any = ind.max.value if kinds == {"deduct"} else Decimal(0)
        for number, clause in enumerate(ind.clauses):
            if isinstance(clause, n.Points):
                if clause.when is not None and not self.i.eval(clause.when, record, {}, lets, None):
                    continue
                points = self.points(clause, record, lets)
                score = score - points if clause.kind == "deduct" else score + points
            elif isinstance(clause, n.ScoreFormula):
                score = self.i.eval(clause.expr, record, {}, lets, None)
            elif isinstance(clause, n.Bands):
                score = self.band(clause, record, lets)
            if trace is not None:
                trace.append(ClauseTrace(index, number, type(clause).__name__.lower(), True, [], score, None))
        if score < 0:
            return Decimal(0)
        if not ind.uncapped and score > ind.max.value:
            return ind.max.value
        return Decimal(score)

    def points(self, clause: n.Points, record: Any, lets: dict[str, n.Let]) -> Any:
        amount = self.i.eval(clause.amount, record, {}, lets, None)
        if clause.per is None:
            return amount
        per = self.i.eval(clause.per, record, {}, lets, None)
        points = amount * max(per, 0)
        if clause.up_to is not None:
            points = min(points, self.i.eval(clause.up_to, record, {}, lets, None))
        return points

    def band(self, bands: n.Bands, record: Any, lets: dict[str, n.Let]) -> Any:
        subject = None if bands.subject is None else self.i.eval(bands.subject, record, {}, lets, None)
        for entry in bands.entries:
            if entry.kind == "else":
                return entry.score.value
            assert entry.test is not None
            test = self.i.eval(entry.test, record, {}, lets, None)
            compare: dict[str, Callable[[Any, Any], bool]] = {
                ">=": lambda a, b: a >= b,
                ">": lambda a, b: a > b,
                "<=": lambda a, b: a <= b,
                "<": lambda a, b: a < b,
                "==": lambda a, b: a == b,
                "!=": lambda a, b: a != b,
            }
            if entry.kind == "when":
                matched = bool(test)
            elif entry.kind == "equal":
                matched = subject == test
            else:
                matched = compare[entry.op or "=="](subject, test)
            if matched:
                return entry.score.value
        raise rt.EvalError("missing_value", "no band matches", bands.span)

    def source_value(self, index: int, record: Any) -> Decimal | int:
        expr = self.value_sources[index]
        assert expr is not None
        result: Decimal | int = self.i.eval(expr, record, {}, self.lets, None)
        return result

    def bonus_item(self, index: int, record: Any, trace: Trace | None) -> Decimal | int:
        assert self.r.bonus is not None
        clause = self.r.bonus.items[index].clause
        if clause.when is not None and not self.i.eval(clause.when, record, {}, self.lets, None):
            return 0
        result: Decimal | int = self.points(clause, record, self.lets)
        return result

    def condition(self, kind: str, index: int, record: Any, grading: GradingValues) -> bool:
        return bool(self.i.eval(self.conditions[kind][index], record, {}, self.lets, grading))

    def outcomes(self, record: Any, grading: GradingValues) -> dict[str, Any]:
        return {o.name: self.i.eval(o.expr, record, {}, self.lets, grading) for o in self.r.outcomes}
