"""The reference interpreter: the same semantics as the compiled plans, by walking the AST.

Deliberately plain: one evaluation rule per node, no caching beyond lets. The property
tests run both backends on generated records and require equal results, so a bug in
code generation shows up as a disagreement with this file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ..check.names import LetScope, Names
from ..check.resolver import ResolvedRuleset
from ..semantics import arithmetic as rt
from ..semantics.builtins import AGGREGATES, FUNCTIONS, OPERATORS, coalesce
from ..semantics.plan import JUDGED, GradingValues, TablePlan, Trace
from ..semantics.trace import ClauseTrace
from ..syntax import nodes as n
from .scoring import score_record

Env = dict[str, Any]
_TYPES = " types"  # the env entry holding aggregate variables' static types; no name has a space


@dataclass(frozen=True, slots=True)
class _Failed:
    error: Exception


class Interpreter:
    """Evaluates expressions; `lets` is the scope of lets visible, `g` the grading values
    where grading names exist (None elsewhere). A let's value is kept for the record it was
    computed for, so each let is evaluated at most once per record, as in compiled plans."""

    def __init__(self, names: Names) -> None:
        self.names = names
        self._lets_of: Any = None  # the record whose let values `_let_values` holds
        self._let_values: dict[int, Any] = {}

    def eval(self, e: n.Expr, record: Any, env: Env, lets: LetScope, g: GradingValues | None) -> Any:
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

    def _ListLit(self, e: n.ListLit, record: Any, env: Env, lets: LetScope, g: GradingValues | None) -> Any:
        return tuple(self.eval(item, record, env, lets, g) for item in e.items)

    def _PeriodRef(self, e: n.PeriodRef, *_: Any) -> Any:
        assert self.names.period is not None  # without a period the checker reports E216
        return self.names.period[0] if e.part == "start" else self.names.period[1]

    def _Name(self, e: n.Name, record: Any, env: Env, lets: LetScope, g: GradingValues | None) -> Any:
        if e.name in env:
            return env[e.name]
        meaning = self.names.meaning(e.name, lets, grading=g is not None)
        if meaning.let is not None:
            return self.let_value(meaning.let, record, lets)
        if meaning.kind == "grading":
            assert g is not None
            return g[meaning.key]
        if meaning.kind == "grade":
            return meaning.key
        return self.names.fields.read(record, self.names.root, e.name)

    def let_value(self, let: n.Let, record: Any, lets: LetScope) -> Any:
        """A let reads record fields and other lets, never scores, so its value depends only on
        the record. The lets it reads are evaluated first, in order (so a chain of hundreds of
        lets never recurses hundreds deep); one that fails keeps its error, raised only if it
        is used, as lazy evaluation would."""
        if self._lets_of is not record:
            self._lets_of, self._let_values = record, {}
        values = self._let_values
        if id(let) not in values:
            for each in self.names.let_order(let, lets):
                if id(each) not in values:
                    try:
                        values[id(each)] = self.eval(each.expr, record, {}, self.names.scope_of(each, lets), None)
                    except Exception as error:  # kept, and raised where the let is used
                        values[id(each)] = _Failed(error)
        value = values[id(let)]
        if isinstance(value, _Failed):
            raise value.error
        return value

    def _Attribute(self, e: n.Attribute, record: Any, env: Env, lets: LetScope, g: GradingValues | None) -> Any:
        key = self.names.source_part(e, env, grading=g is not None)
        if key is not None:
            assert g is not None
            return g[key]
        obj = self.eval(e.obj, record, env, lets, g)
        return self.names.fields.read(obj, self.names.record_of(e.obj, env.get(_TYPES, {})), e.name)

    def _Unary(self, e: n.Unary, record: Any, env: Env, lets: LetScope, g: GradingValues | None) -> Any:
        value = self.eval(e.operand, record, env, lets, g)
        return (not value) if e.op == "not" else -value

    def _IsNone(self, e: n.IsNone, record: Any, env: Env, lets: LetScope, g: GradingValues | None) -> Any:
        value = self.eval(e.operand, record, env, lets, g)
        return (value is not None) if e.negated else (value is None)

    def _IfExpr(self, e: n.IfExpr, record: Any, env: Env, lets: LetScope, g: GradingValues | None) -> Any:
        branch = e.then if self.eval(e.cond, record, env, lets, g) else e.else_
        return self.eval(branch, record, env, lets, g)

    def _Binary(self, e: n.Binary, record: Any, env: Env, lets: LetScope, g: GradingValues | None) -> Any:
        op = e.op
        left = self.eval(e.left, record, env, lets, g)
        if op == "and":
            return bool(left) and bool(self.eval(e.right, record, env, lets, g))
        if op == "or":
            return bool(left) or bool(self.eval(e.right, record, env, lets, g))
        if op == "??":
            return coalesce(left, lambda: self.eval(e.right, record, env, lets, g))
        right = self.eval(e.right, record, env, lets, g)
        if op == "/":
            return rt.div(left, right, e.span)
        return OPERATORS[op].implementation(left, right)

    def _Call(self, e: n.Call, record: Any, env: Env, lets: LetScope, g: GradingValues | None) -> Any:
        function = FUNCTIONS[e.func]
        args = [self.eval(a, record, env, lets, g) for a in e.args]
        if function.reads_period:
            assert self.names.period is not None  # without a period the checker reports E216
            args += self.names.period
        return function.implementation(*args)

    def _Aggregate(self, e: n.Aggregate, record: Any, env: Env, lets: LetScope, g: GradingValues | None) -> Any:
        aggregate = AGGREGATES[e.func]
        items = self.eval(e.source, record, env, lets, g)
        types = {**env.get(_TYPES, {}), e.var: self.names.item_type(e.source, env.get(_TYPES, {}))}

        def values() -> Iterator[Any]:  # lazily, in order: `any` and `all` stop at their answer
            for item in items:
                inner = {**env, e.var: item, _TYPES: types}
                if e.func == "all":
                    yield item if e.where is None else self.eval(e.where, record, inner, lets, g)
                elif e.where is None or self.eval(e.where, record, inner, lets, g):
                    value = e.by if aggregate.needs_by else e.value
                    yield item if value is None else self.eval(value, record, inner, lets, g)

        extra: list[Any] = [e.span] if aggregate.fails_empty else []
        if aggregate.reads_period:
            assert self.names.period is not None  # without a period the checker reports E216
            extra += self.names.period
        return aggregate.implementation(values(), *extra)


class InterpretedBackend:
    """The `Backend` protocol over the interpreter; see `plan.Backend`."""

    def __init__(self, ruleset: ResolvedRuleset, names: Names) -> None:
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

    def indicator(self, index: int, ind: n.Indicator, record: Any, lets: LetScope, trace: Trace | None) -> Any:
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

    def points(self, clause: n.Points, record: Any, lets: LetScope) -> Any:
        amount = self.i.eval(clause.amount, record, {}, lets, None)
        if clause.per is None:
            return amount
        per = self.i.eval(clause.per, record, {}, lets, None)
        points = amount * max(per, 0)
        if clause.up_to is not None:
            points = min(points, self.i.eval(clause.up_to, record, {}, lets, None))
        return points

    def band(self, bands: n.Bands, record: Any, lets: LetScope) -> Any:
        subject = None if bands.subject is None else self.i.eval(bands.subject, record, {}, lets, None)
        for entry in bands.entries:
            if entry.kind == "else":
                return entry.score.value
            assert entry.test is not None
            test = self.i.eval(entry.test, record, {}, lets, None)
            if entry.kind == "when":
                matched = bool(test)
            elif entry.kind == "equal":
                matched = subject == test
            else:
                matched = OPERATORS[entry.op or "=="].implementation(subject, test)
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
