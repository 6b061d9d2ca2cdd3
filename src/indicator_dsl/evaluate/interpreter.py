"""The reference interpreter: the same semantics as the compiled plans, by walking the AST.

Deliberately plain: one evaluation rule per node, built-ins and operators from the one
table in `semantics/builtins.py`, each let evaluated at most once per record (as compiled
plans do). `InterpretedBackend` walks an indicator's clauses as the generated
code does, with the same helpers and trace entries; `scoring.py` does the rest of the
record. The property tests run both backends on generated records and require equal
results, traces included, so a bug in code generation shows up as a disagreement here.
"""

from __future__ import annotations

import decimal
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ..check.names import LetScope, Names
from ..check.resolved import ResolvedRuleset
from ..check.typecheck import path_of
from ..semantics import arithmetic as rt
from ..semantics.arithmetic import EXACT, bounded, points, signed, start
from ..semantics.builtins import AGGREGATES, FUNCTIONS, OPERATORS, coalesce, first_per_key
from ..semantics.grading import Condition, Conditions
from ..semantics.history import history_value
from ..semantics.plan import JUDGED, GradingValues, TablePlan, Trace
from ..semantics.sources import missing_source, none_source
from ..semantics.trace import ClauseTrace
from ..syntax import nodes as n
from ..syntax.source import Span
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

    def _HistoryRef(self, e: n.HistoryRef, record: Any, *_: Any) -> Any:
        return history_value(record, e.back, e.part)

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

        def selected() -> Iterator[dict[str, Any]]:  # lazily, in order: `any` and `all` stop at their answer
            for item in items:
                inner = {**env, e.var: item, _TYPES: types}
                if e.func == "all" or e.where is None or self.eval(e.where, record, inner, lets, g):
                    yield inner

        def values() -> Iterator[Any]:
            scopes: Iterable[dict[str, Any]] = selected()
            if aggregate.keyed and e.by is not None:
                scopes = first_per_key((self.eval(e.by, record, inner, lets, g), inner) for inner in scopes)
            for inner in scopes:
                if e.func == "all":
                    yield inner[e.var] if e.where is None else self.eval(e.where, record, inner, lets, g)
                else:
                    value = e.by if aggregate.needs_by else e.value
                    yield inner[e.var] if value is None else self.eval(value, record, inner, lets, g)

        extra: list[Any] = [e.span] if aggregate.fails_empty else []
        if aggregate.reads_period:
            assert self.names.period is not None  # without a period the checker reports E216
            extra += self.names.period
        return aggregate.implementation(values(), *extra)


class RecordingInterpreter(Interpreter):
    """The interpreter that also records what a traced clause reads, as traced generated code
    does: each record field, let, attribute path and aggregate the clause itself reads (not
    those inside an aggregate or a let's body), with its value, in evaluation order."""

    def __init__(self, names: Names) -> None:
        super().__init__(names)
        self.reads: Trace | None = None  # where reads go; None: not recording
        self.quiet = 0  # > 0 inside an aggregate, a let's body or an attribute's object

    def eval(self, e: n.Expr, record: Any, env: Env, lets: LetScope, g: GradingValues | None) -> Any:
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

    def _read_label(self, e: n.Expr, env: Env, lets: LetScope) -> str | None:
        if isinstance(e, n.Aggregate):
            return f"{e.func}(...)"
        if isinstance(e, n.Attribute):
            return path_of(e) or e.name
        if isinstance(e, n.HistoryRef):
            return path_of(e)
        if isinstance(e, n.Name) and e.name not in env and (e.name in lets or self._is_field(e.name)):
            return e.name
        return None

    def _is_field(self, name: str) -> bool:
        return self.names.field_type(self.names.root, name) is not None


class InterpretedBackend:
    """The `Backend` protocol over the interpreter; see `plan.Backend`. Every call runs under
    the exact context, and `at` follows the clause being evaluated (for error messages)."""

    def __init__(self, ruleset: ResolvedRuleset, names: Names) -> None:
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
        self.value_sources = [
            (s, names.source_inputs(s.value) if s.value is not None else ())
            for s in (ruleset.assess.sources if ruleset.assess else ())
        ]

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

    def _eval(self, e: n.Expr, record: Any, lets: LetScope) -> Any:
        return self.i.eval(e, record, {}, lets, None)

    def indicator(self, index: int, ind: n.Indicator, record: Any, lets: LetScope, trace: Trace | None) -> Any:
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

    def points(self, clause: n.Points, record: Any, lets: LetScope) -> Any:
        amount = self._eval(clause.amount, record, lets)
        if clause.per is None:
            return points(clause.kind, amount, span=clause.span)
        per = self._eval(clause.per, record, lets)
        up_to = None if clause.up_to is None else self._eval(clause.up_to, record, lets)
        return points(clause.kind, amount, per, up_to, clause.span)

    def band(self, bands: n.Bands, record: Any, lets: LetScope) -> tuple[Decimal, int]:
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
                matched = (
                    subject == test
                    if entry.kind == "equal"
                    else OPERATORS[entry.op or "=="].implementation(subject, test)
                )
            if matched:
                return entry.score.value, position
        rt.no_band(bands.span)

    def source_value(self, index: int, record: Any) -> tuple[Decimal | int | None, str | None]:
        source, inputs = self.value_sources[index]
        assert source.value is not None
        self.at = source.span
        read = [(name, self._eval(n.Name(name=name), record, self.lets)) for name in inputs]
        note = missing_source(source.name, source.missing, read)
        if note is not None:
            return None, note
        result: Decimal | int | None = self._eval(source.value, record, self.lets)
        return result, None if result is not None else none_source(source.name, source.missing)

    def bonus_item(self, index: int, record: Any) -> Decimal | int:
        assert self.r.bonus is not None
        item = self.r.bonus.items[index]
        clause, self.at = item.clause, item.span
        if clause.when is not None and not self._eval(clause.when, record, self.lets):
            return 0
        result: Decimal | int = self.points(clause, record, self.lets)
        return result

    def penalty_item(self, index: int, record: Any, reads: Trace | None) -> Decimal | int | None:
        assert self.r.penalty is not None
        item = self.r.penalty.items[index]
        clause, self.at, self.i.reads = item.clause, item.span, reads
        try:
            if clause.when is not None and not self._eval(clause.when, record, self.lets):
                return None
            result: Decimal | int = self.points(clause, record, self.lets)
            return result
        finally:
            self.i.reads = None

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
