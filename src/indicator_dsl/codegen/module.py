"""Compiling a checked ruleset to Python source, once, cached by content hash.

Each ruleset becomes a small Python module: one function computes every indicator
of the table in straight-line code (no AST walking per record), and one small function
per grading expression. Only names the compiler made appear in the generated code;
user text enters only as `repr()` literals or as constants, never as code. The
generated source is kept (`Plan.source_code`) so `ind eval --explain` can show it, and
a plan pickles as that source plus its constants, so worker processes rebuild it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ..check.resolver import ResolvedRuleset
from ..evaluate.scoring import Scored, SourceScores, apply_vetoes, quantizer
from ..semantics import arithmetic as runtime
from ..semantics.plan import JUDGED, GradingValues, TablePlan, Trace
from ..semantics.records import FieldProblem, failure_problem
from ..semantics.sheets import SheetProblems, SheetReader, judged_value
from ..semantics.trace import ClauseTrace, GradeStep
from ..syntax import nodes as n
from .expressions import ExprCompiler, NameSpace
from .fusion import emit_fused, fusable, indicator_exprs
from .record import RecordFunction


@dataclass(slots=True)
class Emitter:
    lines: list[str] = field(default_factory=list)
    depth: int = 0

    def line(self, text: str) -> None:
        self.lines.append("    " * self.depth + text)


class RulesetCompiler:
    """Writes the module for one ruleset; `traced` adds clause-by-clause recording."""

    def __init__(self, ruleset: ResolvedRuleset, names: NameSpace, plan: TablePlan, *, traced: bool) -> None:
        self.r = ruleset
        self.plan = plan
        self.fused: dict[int, str] = {}
        self.names = names
        self.traced = traced
        self.out = Emitter()

    # ---------------------------------------------------------------- indicators

    def indicator_body(self) -> list[str]:
        """Straight-line code computing every indicator into `s0`, `s1`, ...; their names."""
        out = self.out
        lets = list(self.r.lets.values()) + [x for d in self.r.dimensions for x in d.lets]
        lets += [x for i in self.r.indicators() for x in i.node.lets]
        self.fused = emit_fused(out, self.names, self.fusable_aggregates(lets))
        for let in lets:
            out.line(f"{self.names.let_var(let)} = _U")
        slots: list[str] = []
        for index, table_ind in enumerate(self.r.indicators()):
            dim = next(d for d in self.r.dimensions if d.name == table_ind.dimension)
            scope = self.names.scope_for(dim.lets, table_ind.node.lets)
            slots.append(self.indicator(index, table_ind.node, scope))
        return slots

    def fusable_aggregates(self, lets: list[n.Let]) -> list[tuple[n.Aggregate, dict[str, n.Let]]]:
        found: list[tuple[n.Aggregate, dict[str, n.Let]]] = []
        for table_ind in self.r.indicators():
            dim = next(d for d in self.r.dimensions if d.name == table_ind.dimension)
            scope = self.names.scope_for(dim.lets, table_ind.node.lets)
            for expr in indicator_exprs(table_ind.node):
                found += [(aggregate, scope) for aggregate in fusable(expr, scope)]
        for let in lets:
            scope = self.names.scope_of(let, dict(self.r.lets))
            found += [(aggregate, scope) for aggregate in fusable(let.expr, scope)]
        ruleset_lets = dict(self.r.lets)
        extra: list[n.Expr | None] = []
        extra += [s.value for s in (self.r.assess.sources if self.r.assess else ())]
        for item in self.r.bonus.items if self.r.bonus else ():
            extra += [item.clause.amount, item.clause.per, item.clause.up_to, item.clause.when]
        for candidate in extra:
            if candidate is not None:
                found += [(aggregate, ruleset_lets) for aggregate in fusable(candidate, ruleset_lets)]
        return found

    def indicator(self, index: int, ind: n.Indicator, scope: dict[str, n.Let]) -> str:
        out = self.out
        var = f"s{index}"
        ec = ExprCompiler(self.names, scope, traced=self.traced, fused=self.fused)
        judged = any(isinstance(c, n.Judged) for c in ind.clauses)
        if ind.applies is not None:
            if self.traced:
                out.line("A = []")  # the values the `applies when` condition reads, for the trace
            out.line(f"if {ec.compile(ind.applies, reads='A')}:" if self.traced else f"if {ec.compile(ind.applies)}:")
            out.depth += 1
        if judged:
            out.line(f"{var} = _JUDGED")
        else:
            self.score_clauses(index, ind, var, ec)
        if ind.applies is not None:
            out.depth -= 1
            out.line("else:")
            out.depth += 1
            out.line(f"{var} = None")
            if self.traced:
                out.line(f"T.append(_CT({index}, -1, 'applies', False, A, None, 'not applicable'))")
            out.depth -= 1
        return var

    def score_clauses(self, index: int, ind: n.Indicator, var: str, ec: ExprCompiler) -> None:
        out = self.out
        maximum = self.names.const(ind.max.value)
        kinds = {c.kind for c in ind.clauses if isinstance(c, n.Points)}
        if kinds == {"deduct"}:
            out.line(f"{var} = {maximum}")
        elif kinds:
            out.line(f"{var} = _Z")
        for number, clause in enumerate(ind.clauses):
            reads = f"R{number}" if self.traced else None
            if reads:
                out.line(f"{reads} = []")
            if isinstance(clause, n.Points):
                self.points(index, number, clause, var, ec, reads)
            elif isinstance(clause, n.ScoreFormula):
                out.line(f"{var} = _D({ec.compile(clause.expr, reads=reads)})")
                if reads:
                    out.line(f"T.append(_CT({index}, {number}, 'score', True, {reads}, {var}, None))")
            elif isinstance(clause, n.Bands):
                self.bands(index, number, clause, var, ec, reads)
        low = "_Z"
        if ind.uncapped:
            out.line(
                f"if {var} < {low}: {var} = {low}"
                + (f"; T.append(_CT({index}, -1, 'clamp', True, [], {var}, 'raised to 0'))" if self.traced else "")
            )
        else:
            clamp_note = f"; T.append(_CT({index}, -1, 'clamp', True, [], {{v}}, {{why}}))" if self.traced else ""
            out.line(f"if {var} < 0: {var} = _Z" + clamp_note.format(v=var, why="'raised to 0 (扣完为止)'"))
            out.line(f"elif {var} > {maximum}: {var} = {maximum}" + clamp_note.format(v=var, why="'lowered to max'"))

    def points(self, index: int, number: int, clause: n.Points, var: str, ec: ExprCompiler, reads: str | None) -> None:
        out = self.out
        sign = "-" if clause.kind == "deduct" else "+"
        amount = ec.compile(clause.amount, reads=reads)
        if clause.per is not None:
            per = ec.compile(clause.per, reads=reads)
            points = f"{amount} * _max0({per})"
            if clause.up_to is not None:
                points = f"min({points}, {ec.compile(clause.up_to, reads=reads)})"
        else:
            points = amount
        if clause.when is not None:
            out.line(f"if {ec.compile(clause.when, reads=reads)}:")
            out.depth += 1
        out.line(f"p = {points}")
        out.line(f"{var} = {var} {sign} p")
        if reads:
            out.line(f"T.append(_CT({index}, {number}, {clause.kind!r}, True, {reads}, {sign}p, None))")
        if clause.when is not None:
            out.depth -= 1
            if reads:
                out.line("else:")
                out.line(f"    T.append(_CT({index}, {number}, {clause.kind!r}, False, {reads}, 0, None))")

    def bands(self, index: int, number: int, bands: n.Bands, var: str, ec: ExprCompiler, reads: str | None) -> None:
        out = self.out
        subject = None
        if bands.subject is not None:
            subject = f"b{index}"
            out.line(f"{subject} = {ec.compile(bands.subject, reads=reads)}")
        first = True
        for position, entry in enumerate(bands.entries):
            score = self.names.const(entry.score.value)
            if entry.kind == "else":
                test = "True"
            elif entry.kind == "when":
                assert entry.test is not None
                test = ec.compile(entry.test, reads=reads)
            else:
                assert entry.test is not None
                op = "==" if entry.kind == "equal" else entry.op
                test = f"{subject} {op} {ec.compile(entry.test)}"
            out.line(f"{'if' if first else 'elif'} {test}:")
            out.line(f"    {var} = {score}")
            if reads:
                out.line(
                    f"    T.append(_CT({index}, {number}, 'bands', True, {reads}, {var}, {f'band {position + 1}'!r}))"
                )
            first = False
        out.line("else:")
        out.line(f"    raise _EvalError('missing_value', 'no band matches', {self.names.span(bands.span)})")

    # ---------------------------------------------------------------- grading functions

    def simple_function(self, name: str, params: str, expr: n.Expr, scope: dict[str, n.Let], grading: bool) -> None:
        ec = ExprCompiler(self.names, scope, traced=False, grading=grading)
        body = ec.compile(expr)
        self.out.line(f"def {name}({params}):")
        self.out.line(f"    return {body}")

    def module(self) -> str:
        """`score` (the whole per-record path), then what quotas and outcomes need later:
        quota `where` conditions and outcomes, which read the final grade."""
        r = self.r
        lets = dict(r.lets)
        RecordFunction(self).emit()
        for i, quota in enumerate(q for q in r.quotas if q.where is not None):
            assert quota.where is not None
            self.simple_function(f"cond_quota_{i}", "r, g", quota.where, lets, grading=True)
        ec = ExprCompiler(self.names, lets, traced=False, grading=True)
        entries = ", ".join(f"{o.name!r}: {ec.compile(o.expr)}" for o in r.outcomes)
        self.out.line(f"def outcomes(r, g):\n    return {{{entries}}}")
        return "\n".join(self.out.lines) + "\n"


def _max0(value: Decimal | int) -> Decimal | int:
    return value if value > 0 else 0


def _decimal(value: Decimal | int) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(value)


def _prorate(table: Decimal, scale: Decimal, applicable: Decimal) -> Decimal:
    if applicable == 0:
        raise runtime.EvalError("arithmetic", "no indicator applies to this record")
    return runtime.EXACT.divide(table * scale, applicable)


def _share(weight: Decimal, points: Decimal, applicable: Decimal, dimension: str) -> Decimal:
    if applicable == 0:
        raise runtime.EvalError(
            "arithmetic", f"no indicator of dimension `{dimension}` applies; its weight cannot be shared"
        )
    return runtime.EXACT.divide(weight * points, applicable)


RUNTIME_GLOBALS: dict[str, Any] = {
    "_U": object(),
    "_JUDGED": JUDGED,
    "_CT": ClauseTrace,
    "_EvalError": runtime.EvalError,
    "_Z": runtime.ZERO,
    "_D": _decimal,
    "_prorate": _prorate,
    "_share": _share,
    "_SS": SourceScores,
    "_Scored": Scored,
    "_Step": GradeStep,
    "_max0": _max0,
    "_div": runtime.div,
    "_floor": runtime.floor,
    "_ceil": runtime.ceil,
    "_round": runtime.round_fn,
    "_clamp": runtime.clamp,
    "_min": runtime.minimum,
    "_max": runtime.maximum,
    "_avg": runtime.average,
    "_months_with": runtime.months_with,
    "_quarters_with": runtime.quarters_with,
    "_days": runtime.days_between,
    "_months": runtime.months_between,
    "_quarter": runtime.quarter,
    "_rd": None,  # set below: records a value read by a traced clause
}


def _record_read(reads: list[tuple[str, Any]], label: str, value: Any) -> Any:
    reads.append((label, value))
    return value


RUNTIME_GLOBALS["_rd"] = _record_read


def generated_functions(code: str, constants: tuple[Any, ...], extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Run generated module text with the runtime helpers and constants it names."""
    namespace: dict[str, Any] = dict(RUNTIME_GLOBALS)
    namespace.update({f"K{i}": value for i, value in enumerate(constants)})
    namespace.update(extra or {})
    exec(compile(code, "<indicator plan>", "exec"), namespace)
    return namespace


def _rebuild(code: str, constants: tuple[Any, ...], plan: TablePlan) -> CompiledBackend:
    return CompiledBackend(code, constants, plan)


class CompiledBackend:
    """The functions of one generated module; `score` is the whole per-record path."""

    def __init__(self, code: str, constants: tuple[Any, ...], plan: TablePlan) -> None:
        self.code = code
        self.constants = constants
        self.plan = plan
        self.fused: dict[int, str] = {}
        namespace = generated_functions(
            code,
            constants,
            {
                "Q": quantizer(plan.precision),
                "_sheets": SheetReader(plan),
                "_jv": judged_value,
                "_vetoes": lambda fired, grade, pinned, steps: apply_vetoes(plan, fired, grade, pinned, steps),
            },
        )
        self._score: Callable[[Any, Any, Trace | None], Scored] = namespace["score"]
        self._quota_where = [namespace[f"cond_quota_{i}"] for i in range(sum(q.has_where for q in plan.quotas))]
        self._outcomes: Callable[[Any, GradingValues], dict[str, Any]] = namespace["outcomes"]

    def __reduce__(self) -> tuple[Callable[..., CompiledBackend], tuple[str, tuple[Any, ...], TablePlan]]:
        return _rebuild, (self.code, self.constants, self.plan)

    def score(self, plan: TablePlan, record: Any, sheets: Any, *, trace: bool = False) -> Scored | list[FieldProblem]:
        try:
            return self._score(record, sheets, [] if trace else None)
        except SheetProblems as problems:
            return problems.problems
        except runtime.RUNTIME_FAILURES as error:
            return [failure_problem(error)]

    def condition(self, kind: str, index: int, record: Any, grading: GradingValues) -> bool:
        """Only quota `where` conditions are asked for later; the rest are inside `score`."""
        return bool(self._quota_where[index](record, grading))

    def outcomes(self, record: Any, grading: GradingValues) -> dict[str, Any]:
        return self._outcomes(record, grading)


def compile_ruleset(ruleset: ResolvedRuleset, names: NameSpace, plan: TablePlan, *, traced: bool) -> CompiledBackend:
    code = RulesetCompiler(ruleset, names, plan, traced=traced).module()
    return CompiledBackend(code, tuple(names.constants), plan)
