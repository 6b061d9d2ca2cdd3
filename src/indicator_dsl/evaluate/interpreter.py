"""The reference interpreter: the same semantics as the compiled plans, by walking the AST.

Deliberately plain: one evaluation rule per node, nothing cached (a let is evaluated
where it is used). `InterpretedBackend` walks an indicator's clauses as the generated
code does, with the same helpers and trace entries; `scoring.py` does the rest of the
record. The property tests run both backends on generated records and require equal
results, traces included, so a bug in code generation shows up as a disagreement here.
"""

from __future__ import annotations

import decimal
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from ..check.resolver import ResolvedRuleset
from ..check.typecheck import path_of
from ..codegen.expressions import NameSpace
from ..semantics import arithmetic as rt
from ..semantics.arithmetic import EXACT, bounded, points, signed, start
from ..semantics.grading import Condition, Conditions
from ..semantics.plan import JUDGED, GradingValues, TablePlan, Trace
from ..semantics.trace import ClauseTrace
from ..syntax import nodes as n
from ..syntax.source import Span
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


class RecordingInterpreter(Interpreter):
    """The interpreter that also records what a traced clause reads, as traced generated code
    does: each record field, let, attribute path and aggregate the clause itself reads (not
    those inside an aggregate or a let's body), with its value, in evaluation order."""

    def __init__(self, names: NameSpace) -> None:
        super().__init__(names)
        self.reads: Trace | None = None  # where reads go; None: not recording
        self.quiet = 0  # > 0 inside an aggregate, a let's body or an attribute's object

    def eval(self, e: n.Expr, record: Any, env: Env, lets: dict[str, n.Let], g: GradingValues | None) -> Any:
        if self.reads is None or self.quiet:
            return super().eval(e, record, env, lets, g)
        label = self._read_label(e, env, lets)
        if label is None:
            return super().eval(e, record, env, lets, g)
        self.quiet += 1
        try:
            value = super().eval(e, record, env, lets, g)
        finally:
            self.quiet -= 1
        self.reads.append((label, value))
        return value

    def _read_label(self, e: n.Expr, env: Env, lets: dict[str, n.Let]) -> str | None:
        if isinstance(e, n.Aggregate):
            return f"{e.func}(...)"
        if isinstance(e, n.Attribute):
            return path_of(e) or e.name
        if isinstance(e, n.Name) and e.name not in env and (e.name in lets or self._is_field(e.name)):
            return e.name
        return None

    def _is_field(self, name: str) -> bool:
        return self.names.field_type(self.names.root, name) is not None


class InterpretedBackend:
    """The `Backend` protocol over the interpreter; see `plan.Backend`. Every call runs under
    the exact context, and `at` follows the clause being evaluated (for error messages)."""

    def __init__(self, ruleset: ResolvedRuleset, names: NameSpace) -> None:
        self.r = ruleset
        self.names = names
        self.i = RecordingInterpreter(names)
        self.lets = dict(ruleset.lets)
        self.at: Span | None = None
        rules = ruleset.grades.rules if ruleset.grades else ()
        self.conditions = Conditions(
            exempts=[self._condition(e.when, e.span) for e in ruleset.exempts],
            grades=[self._condition(rule.when, rule.span) for rule in rules if rule.when is not None],
            assigns=[self._condition(a.when, a.span) for a in ruleset.assigns],
            vetoes=[self._condition(v.when, v.span) for v in ruleset.vetoes],
        )
        self.quotas = [self._condition(q.where, q.span) for q in ruleset.quotas if q.where is not None]
        self.value_sources = [(s.value, s.span) for s in (ruleset.assess.sources if ruleset.assess else ())]

    def _condition(self, expr: n.Expr, span: Span) -> Condition:
        def holds(record: Any, grading: GradingValues) -> Any:
            self.at = span
            return self.i.eval(expr, record, {}, self.lets, grading)

        return holds

    def score(self, plan: TablePlan, record: Any, sheets: Any, *, trace: bool = False) -> Any:
        with decimal.localcontext(EXACT):
            return score_record(plan, self, record, sheets, trace=trace)

    def where(self, error: BaseException) -> Span | None:
        return self.at

    def indicators(self, record: Any, trace: Trace | None) -> list[Any]:
        out: list[Any] = []
        for index, table_ind in enumerate(self.r.indicators()):
            dim = next(d for d in self.r.dimensions if d.name == table_ind.dimension)
            lets = self.names.scope_for(dim.lets, table_ind.node.lets)
            out.append(self.indicator(index, table_ind.node, record, lets, trace))
        self.i.reads = None
        return out

    def _eval(self, e: n.Expr, record: Any, lets: dict[str, n.Let]) -> Any:
        return self.i.eval(e, record, {}, lets, None)

    def indicator(self, index: int, ind: n.Indicator, record: Any, lets: dict[str, n.Let], trace: Trace | None) -> Any:
        """One indicator as the generated code computes it, clause by clause, traced alike."""
        if ind.applies is not None:
            self.at, self.i.reads = ind.applies.span, [] if trace is not None else None
            if not self._eval(ind.applies, record, lets):
                if trace is not None:
                    trace.append(ClauseTrace(index, -1, "applies", False, self.i.reads or [], None, "not applicable"))
                return None
        if any(isinstance(c, n.Judged) for c in ind.clauses):
            return JUDGED
        score: Any = start([c.kind for c in ind.clauses if isinstance(c, n.Points)], ind.max.value)
        for number, clause in enumerate(ind.clauses):
            reads: Trace | None = [] if trace is not None else None
            self.at, self.i.reads = clause.span, reads
            if isinstance(clause, n.Points):
                if clause.when is not None and not self._eval(clause.when, record, lets):
                    if trace is not None:
                        trace.append(ClauseTrace(index, number, clause.kind, False, reads or [], 0, None))
                    continue
                effect = signed(clause.kind, self.points(clause, record, lets))
                score = score + effect
                if trace is not None:
                    trace.append(ClauseTrace(index, number, clause.kind, True, reads or [], effect, None))
            elif isinstance(clause, n.ScoreFormula):
                score = Decimal(self._eval(clause.expr, record, lets))
                if trace is not None:
                    trace.append(ClauseTrace(index, number, "score", True, reads or [], score, None))
            elif isinstance(clause, n.Bands):
                score, band = self.band(clause, record, lets)
                if trace is not None:
                    trace.append(ClauseTrace(index, number, "bands", True, reads or [], score, f"band {band}"))
        self.at, self.i.reads = None, None
        score, why = bounded(score, ind.max.value, ind.uncapped)
        if why is not None and trace is not None:
            trace.append(ClauseTrace(index, -1, "clamp", True, [], score, why))
        return score

    def points(self, clause: n.Points, record: Any, lets: dict[str, n.Let]) -> Any:
        amount = self._eval(clause.amount, record, lets)
        if clause.per is None:
            return amount
        per = self._eval(clause.per, record, lets)
        up_to = None if clause.up_to is None else self._eval(clause.up_to, record, lets)
        return points(amount, per, up_to)

    def band(self, bands: n.Bands, record: Any, lets: dict[str, n.Let]) -> tuple[Decimal, int]:
        """The score of the first band that holds, and its number (from 1). A subject band's
        bound is not a read of the clause (generated code does not record it either)."""
        subject = None if bands.subject is None else self._eval(bands.subject, record, lets)
        for position, entry in enumerate(bands.entries, start=1):
            if entry.kind == "else":
                return entry.score.value, position
            assert entry.test is not None
            if entry.kind == "when":
                matched = bool(self._eval(entry.test, record, lets))
            else:
                reads, self.i.reads = self.i.reads, None
                test = self._eval(entry.test, record, lets)
                self.i.reads = reads
                matched = subject == test if entry.kind == "equal" else _COMPARE[entry.op or "=="](subject, test)
            if matched:
                return entry.score.value, position
        rt.no_band(bands.span)

    def source_value(self, index: int, record: Any) -> Decimal | int:
        expr, self.at = self.value_sources[index]
        assert expr is not None
        result: Decimal | int = self._eval(expr, record, self.lets)
        return result

    def bonus_item(self, index: int, record: Any) -> Decimal | int:
        assert self.r.bonus is not None
        item = self.r.bonus.items[index]
        clause, self.at = item.clause, item.span
        if clause.when is not None and not self._eval(clause.when, record, self.lets):
            return 0
        result: Decimal | int = self.points(clause, record, self.lets)
        return result

    def quota_where(self, index: int, record: Any, grading: GradingValues) -> bool:
        with decimal.localcontext(EXACT):
            return bool(self.quotas[index](record, grading))

    def outcomes(self, record: Any, grading: GradingValues) -> dict[str, Any]:
        out: dict[str, Any] = {}
        with decimal.localcontext(EXACT):
            for outcome in self.r.outcomes:
                self.at = outcome.span
                out[outcome.name] = self.i.eval(outcome.expr, record, {}, self.lets, grading)
        return out


_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    ">=": lambda a, b: a >= b,
    ">": lambda a, b: a > b,
    "<=": lambda a, b: a <= b,
    "<": lambda a, b: a < b,
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
}
