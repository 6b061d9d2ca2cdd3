"""Writing a checked ruleset as Python source: the code generator (it only writes code).

Each ruleset becomes a small Python module: `score` computes every indicator, table and
the total in straight-line code (no AST walking per record), calling the helpers of
`semantics/arithmetic.py` by the names in `RUNTIME_GLOBALS`; one small function per
grading condition, quota `where` and the outcomes follow. Only names the compiler made
appear in the generated code; user text enters only as `repr()` literals or as numbered
constants, never as code. Beside the text, a `GeneratedModule` keeps a line map from each
generated line to the `.ind` clause it evaluates (as Jinja's `debug_info`), so an error
raised while running it names that clause. `evaluate/compiled.py` runs the module.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ..check.resolved import ResolvedRuleset
from ..semantics import arithmetic as runtime
from ..semantics.arithmetic import bounded_inline, signed, start
from ..semantics.builtins import RUNTIME_NAMES
from ..semantics.grading import Scored, SourceScores
from ..semantics.plan import JUDGED, TablePlan
from ..semantics.sheets import corrected
from ..semantics.sources import assessed, missing_source, none_source
from ..semantics.trace import ClauseTrace, adjust_trace, adjusted_clamp
from ..syntax import nodes as n
from ..syntax.source import Span
from .emitter import Emitter
from .expressions import ExprCompiler, NameSpace, let_closures
from .fusion import emit_fused, fusable, indicator_exprs
from .planner import location_key
from .record import RecordFunction


@dataclass(frozen=True, slots=True)
class GeneratedModule:
    """The text of a generated module, the constants it names (`K0`, `K1`, ...), the span
    each of its lines evaluates, and the file name it is compiled under (one per ruleset)."""

    code: str
    constants: tuple[Any, ...]
    spans: tuple[Span | None, ...]
    filename: str


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
        let_closures(out, self.names, lets, dict(self.r.lets), self.fused)
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
        for item in [*(self.r.bonus.items if self.r.bonus else ()), *(self.r.penalty.items if self.r.penalty else ())]:
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
            out.span = ind.applies.span
            if self.traced:
                out.line("A = []")  # the values the `applies when` condition reads, for the trace
            out.line(f"if {ec.compile(ind.applies, reads='A')}:" if self.traced else f"if {ec.compile(ind.applies)}:")
            out.depth += 1
        if judged:
            out.line(f"{var} = _JUDGED")
        else:
            self.score_clauses(index, ind, var, ec)
        if ind.applies is not None:
            out.span = ind.applies.span
            out.depth -= 1
            out.line("else:")
            out.depth += 1
            out.line(f"{var} = None")
            if self.traced:
                out.line(f"T.append(_CT({index}, -1, 'applies', False, A, None, 'not applicable'))")
            out.depth -= 1
        out.span = None
        return var

    def score_clauses(self, index: int, ind: n.Indicator, var: str, ec: ExprCompiler) -> None:
        out = self.out
        maximum = self.names.const(ind.max.value)
        kinds = [c.kind for c in ind.clauses if isinstance(c, n.Points)]
        if kinds:
            out.line(f"{var} = {self.names.const(start(kinds, ind.max.value))}")
        for number, clause in enumerate(ind.clauses):
            out.span = clause.span
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
        out.span = None
        if self.traced:
            out.line(f"{var}, why = _bounded({var}, {maximum}, {ind.uncapped})")
            out.line(f"if why is not None: T.append(_CT({index}, -1, 'clamp', True, [], {var}, why))")
        else:
            out.line(f"{var} = {bounded_inline(var, maximum, ind.uncapped)}")

    def points(self, index: int, number: int, clause: n.Points, var: str, ec: ExprCompiler, reads: str | None) -> None:
        out = self.out
        if clause.when is not None:
            out.line(f"if {ec.compile(clause.when, reads=reads)}:")
            out.depth += 1
        if clause.per is None and isinstance(clause.amount, n.Number):  # known now: `signed` of a literal
            out.line(f"e = {self.names.const(signed(clause.kind, _literal(clause.amount)))}")
        else:
            out.line(f"e = _signed({clause.kind!r}, {self.points_moved(clause, ec, reads)})")
        out.line(f"{var} = {var} + e")
        if reads:
            out.line(f"T.append(_CT({index}, {number}, {clause.kind!r}, True, {reads}, e, None))")
        if clause.when is not None:
            out.depth -= 1
            if reads:
                out.line("else:")
                out.line(f"    T.append(_CT({index}, {number}, {clause.kind!r}, False, {reads}, 0, None))")

    def points_moved(self, clause: n.Points, ec: ExprCompiler, reads: str | None) -> str:
        """What a clause moves: `_points(kind, amount, per, up_to, span)`, which counts and
        refuses a negative amount or cap; a literal amount alone (never negative: E311) as is."""
        amount = ec.compile(clause.amount, reads=reads)
        if clause.per is None and isinstance(clause.amount, n.Number):
            return amount
        args = [repr(clause.kind), amount]
        if clause.per is not None:
            args.append(ec.compile(clause.per, reads=reads))
            if clause.up_to is not None:
                args.append(ec.compile(clause.up_to, reads=reads))
        return f"_points({', '.join(args)}, span={self.names.span(clause.span)})"

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
        out.line(f"    _no_band({self.names.span(bands.span)})")

    # ---------------------------------------------------------------- grading functions

    def grading_function(self, name: str, expr: n.Expr, span: Span) -> None:
        """`def name(r, g)` returning one grading expression, with closures for the lets it reads."""
        lets = dict(self.r.lets)
        ec = ExprCompiler(self.names, lets, traced=False, grading=True)
        self.out.line(f"def {name}(r, g):")
        self.out.depth += 1
        let_closures(self.out, self.names, self.names.lets_reached([expr], lets), lets)
        self.out.span = span
        self.out.line(f"return {ec.compile(expr)}")
        self.out.span = None
        self.out.depth -= 1

    def outcomes_function(self) -> None:
        """`def outcomes(r, g)`: every outcome by name, each line mapped to its outcome."""
        lets = dict(self.r.lets)
        ec = ExprCompiler(self.names, lets, traced=False, grading=True)
        self.out.line("def outcomes(r, g):")
        self.out.depth += 1
        let_closures(self.out, self.names, self.names.lets_reached([o.expr for o in self.r.outcomes], lets), lets)
        self.out.line("o = {}")
        for outcome in self.r.outcomes:
            self.out.span = outcome.span
            self.out.line(f"o[{outcome.name!r}] = {ec.compile(outcome.expr)}")
        self.out.span = None
        self.out.line("return o")
        self.out.depth -= 1

    def module(self) -> GeneratedModule:
        """`score` (every figure of a record), then the grading conditions in ruleset order,
        quota `where` conditions and outcomes, which read the rounded grading values."""
        r = self.r
        RecordFunction(self).emit()
        rules = r.grades.rules if r.grades else ()
        groups: list[tuple[str, list[tuple[n.Expr, Span]]]] = [
            ("exempt", [(e.when, e.span) for e in r.exempts]),
            ("grade", [(rule.when, rule.span) for rule in rules if rule.when is not None]),
            ("assign", [(a.when, a.span) for a in r.assigns]),
            ("veto", [(v.when, v.span) for v in r.vetoes]),
            ("quota", [(q.where, q.span) for q in r.quotas if q.where is not None]),
        ]
        for kind, conditions in groups:
            for i, (expr, span) in enumerate(conditions):
                self.grading_function(f"cond_{kind}_{i}", expr, span)
        self.outcomes_function()
        where = f"{self.plan.sha256[:12]} {location_key(r)}"
        filename = f"<generated {r.name} {where}{' traced' if self.traced else ''}>"
        return GeneratedModule(
            "\n".join(self.out.lines) + "\n", tuple(self.names.constants), tuple(self.out.spans), filename
        )


def generate(ruleset: ResolvedRuleset, names: NameSpace, plan: TablePlan, *, traced: bool) -> GeneratedModule:
    """The module for one ruleset; `traced` adds clause-by-clause recording."""
    return RulesetCompiler(ruleset, names, plan, traced=traced).module()


def _literal(number: n.Number) -> Decimal | int:
    """A number literal's value as generated code writes it (`ExprCompiler._Number`): an int
    when written without a point or a percent sign."""
    return int(number.value) if "." not in number.text and "%" not in number.text else number.value


def _decimal(value: Decimal | int) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(value)


def _record_read(reads: list[tuple[str, Any]], label: str, value: Any) -> Any:
    reads.append((label, value))
    return value


# The vocabulary of generated code: every name it uses that it does not define. Scoring
# helpers come from `semantics/arithmetic.py`, the same ones the interpreter calls.
RUNTIME_GLOBALS: dict[str, Any] = {
    "_U": object(),  # a let not yet computed for this record
    "_JUDGED": JUDGED,
    "_CT": ClauseTrace,
    "_Z": runtime.ZERO,
    "_Dec": Decimal,
    "_D": _decimal,
    "_rd": _record_read,  # records a value read by a traced clause
    "_points": runtime.points,
    "_signed": runtime.signed,
    "_bounded": runtime.bounded,
    "_prorate": runtime.prorate,
    "_share": runtime.weighted_share,
    "_capped": runtime.capped_bonus,
    "_adjust_trace": adjust_trace,
    "_aclamp": adjusted_clamp,
    "_corrected": corrected,
    "_deducted": runtime.deducted,
    "_missing_source": missing_source,
    "_none_source": none_source,
    "_assessed": assessed,
    "_no_band": runtime.no_band,
    "_SS": SourceScores,
    "_Scored": Scored,
    # built-in functions, aggregates and operators: one table, read by the interpreter too
    **RUNTIME_NAMES,
}
