"""A checked ruleset compiled to polars expressions: the columnar backend's compiler.

`compile_columnar()` returns a `ColumnarPlan`: one expression per figure a result shows
(every indicator, dimension and table of every source, value sources, bonus, penalty and
total, each rounded half away from zero to the ruleset's precision exactly as
`arithmetic.reported` rounds it), the grading conditions over those rounded values, the
outcomes, and `fails`: the rows the Python backend must score because it would raise an
error for them (that backend then reports the error, in its own words).

The arithmetic is `semantics/arithmetic.py`'s, written over columns: points (`amount ×
max(per, 0)` at most `up to`), an indicator's start and bounds, proration and dimension
weights, the bonus cap and the penalty. The order of grading (exempt → rules → assign →
vetoes) is not written here: the runner applies `semantics/grading.py` once per distinct
combination of conditions. What this compiler cannot write exactly raises `Unsupported`
naming the construct; `backend="auto"` then keeps the Python backend for the ruleset.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import polars as pl

from ..check.names import Names
from ..check.resolved import ResolvedRuleset
from ..semantics.plan import TablePlan
from ..syntax import nodes as n
from . import columnar_numbers as num
from .columnar_exprs import DECIMAL_PLACES, ColumnarExprs, Unsupported, judged_column
from .columnar_numbers import Num
from .columnar_stages import Value

__all__ = ["ColumnarPlan", "Unsupported", "compile_columnar"]

PLAIN = ("text", "int", "bool", "date")  # field types a quota group shows as the Python backend does


@dataclass
class ColumnarPlan:
    """What the columnar runner evaluates: `figures` are scaled integers at `precision` places
    (column name → expression), `conditions` booleans over them, `outcomes` any value."""

    precision: int
    stages: list[dict[str, pl.Expr]] = field(default_factory=list)  # intermediate columns, in order
    figures: dict[str, pl.Expr] = field(default_factory=dict)
    int_figures: set[str] = field(default_factory=set)
    fails: list[pl.Expr] = field(default_factory=list)
    exempts: list[pl.Expr] = field(default_factory=list)
    grades: list[pl.Expr] = field(default_factory=list)
    assigns: list[pl.Expr] = field(default_factory=list)
    vetoes: list[pl.Expr] = field(default_factory=list)
    outcomes: dict[str, pl.Expr] = field(default_factory=dict)
    reads: set[tuple[str, str]] = field(default_factory=set)  # (record type, field) read by the expressions
    outcome_reads: set[tuple[str, str]] = field(default_factory=set)  # those the outcomes read


def figure_column(*parts: str) -> str:
    """The column of one figure: `table/indicators/election`, `total`, ..."""
    return "/".join(parts)


class ColumnarCompiler:
    def __init__(self, ruleset: ResolvedRuleset, plan: TablePlan, names: Names) -> None:
        self.r = ruleset
        self.plan = plan
        self.names = names
        self.out = ColumnarPlan(plan.precision)
        self.exprs = ColumnarExprs(names, dict(ruleset.lets), self.out.fails, reads=self.out.reads)
        self.num = self.exprs.num
        self.rounded: dict[str, Num] = {}  # grading key -> rounded value

    def refuse_unsupported(self) -> None:
        for table_ind in self.r.indicators():
            for clause in table_ind.node.clauses:
                if isinstance(clause, n.Adjust):
                    raise Unsupported("`adjust` indicators (adjustments in the sheets)", clause.span)
                if isinstance(clause, n.Judged) and clause.reason_required:
                    raise Unsupported("a judged indicator whose score requires a reason", clause.span)
        for quota in self.r.quotas:
            if quota.where is not None:
                raise Unsupported("a quota with `where`", quota.span)
            if quota.within is not None and not self.plain_field(quota.within):
                raise Unsupported(
                    f"a quota within `{quota.within}`, which is not text, an enum, int, bool or date", quota.span
                )
        for relative in self.r.relatives:
            raise Unsupported("a population-relative rule (`relative`)", relative.span)

    def plain_field(self, name: str) -> bool:
        """Whether a record field holds values a group shows as the Python backend does."""
        assert self.r.record is not None
        decl = next(f for f in self.r.types[self.r.record.type_name].fields if f.name == name)
        ref = decl.type.inner if isinstance(decl.type, n.OptionalType) else decl.type
        return isinstance(ref, n.EnumType) or (isinstance(ref, n.NamedType) and ref.name in PLAIN)

    # ---------------------------------------------------------------- figures
    def show(self, name: str, value: Num, key: str | None = None) -> None:
        """A figure's column: Int64 where `value`'s bound proves its rounded value fits (the
        columns after the query, the results and the quota ranks, are then 64-bit), else Int128."""
        figure = self.num.rounded(value, self.plan.precision)
        bound = value.nb * 10 ** max(self.plan.precision - value.scale, 0) + 1  # |value| <= nb / 10**scale
        self.out.figures[name] = figure.cast(pl.Int64) if bound < num.INT64_LIMIT else figure
        if key is not None:
            self.rounded[key] = Num(pl.col(name), self.plan.precision, None, False, num.INT_BOUND)

    def judged(self, source: str, name: str) -> Num:
        """A judged score of a plain sheet, conformed by `evaluate/tables.py` (else the row is Python's)."""
        return Num(
            pl.col(judged_column(source, name)).to_physical(), DECIMAL_PLACES, None, False, 10 ** (20 + DECIMAL_PLACES)
        )

    def compile(self) -> ColumnarPlan:
        self.refuse_unsupported()
        computed: list[Num | None] = []
        applicable: list[pl.Expr | None] = []
        for table_ind in self.r.indicators():
            dim = next(d for d in self.r.dimensions if d.name == table_ind.dimension)
            ec = self.exprs.scoped(self.names.scope_for(dim.lets, table_ind.node.lets))
            cond = ec.test(table_ind.node.applies) if table_ind.node.applies is not None else None
            is_judged = any(isinstance(c, n.Judged) for c in table_ind.node.clauses)
            if is_judged and cond is not None:  # the Python backend reads the sheets of these rows
                self.out.fails.append(~cond)
            computed.append(None if is_judged else self.keep(self.indicator(table_ind.node, ec)))
            applicable.append(cond)
        tables: dict[str, Num] = {}
        for source in [s.name for s in self.plan.sources if s.is_table]:
            values = [
                value if value is not None else self.judged(info.judged_by or source, info.name)
                for value, info in zip(computed, self.plan.indicators, strict=True)
            ]
            table, dims = self.table(values, applicable)
            tables[source], dims = self.keep(table), [self.keep(d) for d in dims]
            for i, info in enumerate(self.plan.indicators):
                column = figure_column(source, "indicators", info.name)
                self.show(column, values[i], f"{source}.{info.name}")
                condition = applicable[i]
                if condition is not None:
                    self.out.figures[column] = pl.when(condition).then(self.out.figures[column])
            for d, part in enumerate(self.plan.dimensions):
                self.show(figure_column(source, "dimensions", part.name), dims[d], f"{source}.{part.name}")
            self.show(figure_column(source, "table"), tables[source], source)
        combined = self.keep(self.combine(tables))
        bonus = self.keep(self.bonus())
        self.show("bonus", bonus, "bonus")
        total = self.penalty(self.num.add(combined, bonus))
        self.show("total", total, "total")
        self.out.fails.append(pl.col("total").is_null())  # the figure's column: fails are read after figures
        self.grading()
        self.out.stages = self.exprs.stages.stages
        return self.out

    def keep(self, value: Num) -> Num:
        kept = self.exprs.stages.keep(value)
        assert isinstance(kept, Num)
        return kept

    def indicator(self, ind: n.Indicator, ec: ColumnarExprs) -> Num:
        kinds = [c.kind for c in ind.clauses if isinstance(c, n.Points)]
        score: Num = num.const(Decimal(0))
        if kinds and set(kinds) == {"deduct"}:
            score = num.const(ind.max.value)
        for clause in ind.clauses:
            if isinstance(clause, n.Points):
                moved = self.points_moved(clause, ec)
                if clause.kind == "deduct":
                    moved = self.num.neg(moved)
                if clause.when is not None:
                    moved = self.num.choose([(ec.test(clause.when), moved)], num.const(0))
                score = self.num.add(score, moved)
            elif isinstance(clause, n.ScoreFormula):
                score = ec.number(clause.expr)
                self.out.fails.append(score.n.is_null())
            elif isinstance(clause, n.Bands):
                score = self.bands(clause, ec)
        score = self.keep(score)
        zero, top = num.const(0), num.const(ind.max.value)
        if ind.uncapped:
            return self.num.choose([(self.num.compare(score, zero, "<"), zero)], score)
        return self.num.choose(
            [(self.num.compare(score, zero, "<"), zero), (self.num.compare(score, top, ">"), top)], score
        )

    def points_moved(self, clause: n.Points, ec: ColumnarExprs) -> Num:
        """`arithmetic.points` over columns; a negative amount or cap is the Python backend's error."""
        amount = ec.number(clause.amount)
        zero = num.const(0)
        if not isinstance(clause.amount, n.Number):
            self.fail_when(clause, self.num.compare(amount, zero, "<"))
        if clause.per is None:
            return amount
        per = ec.number(clause.per)
        if not isinstance(clause.per, n.Number):  # read twice below: computed once, in a column
            per = self.keep(per)
        moved = self.num.mul(amount, self.num.choose([(self.num.compare(per, zero, ">"), per)], zero))
        if clause.up_to is None:
            return moved
        cap = ec.number(clause.up_to)
        self.fail_when(clause, self.num.compare(cap, zero, "<"))
        return self.num.choose([(self.num.compare(moved, cap, "<="), moved)], cap)

    def fail_when(self, clause: n.Points, condition: pl.Expr) -> None:
        guard = self.exprs.test(clause.when) if clause.when is not None else pl.lit(True)
        self.out.fails.append(guard & condition.fill_null(True))

    def bands(self, bands: n.Bands, ec: ColumnarExprs) -> Num:
        subject: Value | None = ec.expr(bands.subject) if bands.subject is not None else None
        cases: list[tuple[pl.Expr, Num]] = []
        otherwise: Num | None = None
        for entry in bands.entries:
            score = num.const(entry.score.value)
            if entry.kind == "else":
                otherwise = score
                break
            assert entry.test is not None
            if entry.kind == "when":
                cases.append((ec.test(entry.test), score))
                continue
            op = "==" if entry.kind == "equal" else entry.op or "=="
            test = ec.expr(entry.test)
            if isinstance(subject, Num) and isinstance(test, Num):
                cases.append((self.num.compare(subject, test, op).fill_null(False), score))
            elif not isinstance(subject, Num) and not isinstance(test, Num) and subject is not None and op == "==":
                cases.append((subject.eq_missing(test), score))
            else:
                raise Unsupported("a band comparing values of different kinds", bands.span)
        if otherwise is None:
            matched = pl.any_horizontal([c for c, _ in cases]) if cases else pl.lit(False)
            self.out.fails.append(matched.not_())
        return self.num.choose(cases, otherwise) if cases else (otherwise or num.const(0))

    # ---------------------------------------------------------------- tables
    def table(self, indicators: list[Num], applicable: list[pl.Expr | None]) -> tuple[Num, list[Num]]:
        dims: list[Num] = []
        maxima: list[Num] = []
        position = 0
        zero = num.const(0)
        for dim in self.r.dimensions:
            points: Num = zero
            maximum: Num = zero
            for table_ind in dim.indicators:
                value, cond = indicators[position], applicable[position]
                top = num.const(table_ind.node.max.value)
                if cond is None:
                    points, maximum = self.num.add(points, value), self.num.add(maximum, top)
                else:
                    points = self.num.add(points, self.num.choose([(cond, value)], zero))
                    maximum = self.num.add(maximum, self.num.choose([(cond, top)], zero))
                position += 1
            dims.append(points)
            maxima.append(maximum)
        total = num.const(self.r.total.value.value) if self.r.total else zero
        if any(d.weight is not None for d in self.r.dimensions):
            shares: Num = zero
            for dim, points, maximum in zip(self.r.dimensions, dims, maxima, strict=True):
                weight = num.const(dim.weight.value if dim.weight else Decimal(0))
                shares = self.num.add(shares, self.num.divide(self.num.mul(weight, points), maximum))
            return self.num.mul(shares, total), dims
        scale = num.const(self.plan.scale)
        raw: Num = zero
        for points in dims:
            raw = self.num.add(raw, points)
        applicable_max: Num = zero
        for maximum in maxima:
            applicable_max = self.num.add(applicable_max, maximum)
        prorated = self.num.divide(self.num.mul(raw, scale), applicable_max)
        return self.num.choose([(self.num.compare(applicable_max, scale, "=="), raw)], prorated), dims

    def combine(self, tables: dict[str, Num]) -> Num:
        if self.r.assess is None:
            return next(iter(tables.values()))
        combined: Num = num.const(0)
        for source in self.r.assess.sources:
            weight = num.const(source.weight.value)
            if source.value is None:
                combined = self.num.add(combined, self.num.mul(weight, tables[source.name]))
                continue
            for name in self.names.source_inputs(source.value):
                column = self.names.fields.access(self.names.root, name).key
                self.out.reads.add((self.names.root, name))
                self.out.fails.append(pl.col(column).is_null())
            value = self.exprs.number(source.value)
            self.out.fails.append(value.n.is_null())
            self.show(figure_column(source.name, "value"), value, source.name)
            combined = self.num.add(combined, self.num.mul(weight, value))
        return combined

    def items(self, items: tuple[n.BonusItem, ...]) -> Num:
        moved: Num = num.const(0)
        for item in items:
            amount = self.points_moved(item.clause, self.exprs)
            if item.clause.when is not None:
                amount = self.num.choose([(self.exprs.test(item.clause.when), amount)], num.const(0))
            moved = self.num.add(moved, amount)
        return moved

    def bonus(self) -> Num:
        if self.r.bonus is None or not self.r.bonus.items:
            return num.const(0)
        bonus = self.items(self.r.bonus.items)
        cap = num.const(self.r.bonus.max.value)
        return self.num.choose([(self.num.compare(bonus, cap, ">"), cap)], bonus)

    def penalty(self, before: Num) -> Num:
        """`arithmetic.deducted`: the penalty at its cap, the total never below 0."""
        if self.r.penalty is None:
            return before
        penalty = self.items(self.r.penalty.items)
        cap = num.const(self.r.penalty.max.value)
        penalty = self.num.choose([(self.num.compare(penalty, cap, ">"), cap)], penalty)
        self.show("penalty", penalty, "penalty")
        after = self.num.add(before, penalty, -1)
        zero = num.const(0)
        return self.num.choose([(self.num.compare(after, zero, "<"), zero)], after)

    # ---------------------------------------------------------------- grading
    def grading_value(self, key: str) -> Value:
        if key == "grade":
            return pl.col("grade")
        if key not in self.rounded:
            raise Unsupported(f"the grading value `{key}`")
        return self.rounded[key]

    def grading(self) -> None:
        ec = ColumnarExprs(self.names, dict(self.r.lets), self.out.fails, self.grading_value, reads=self.out.reads)
        self.out.exempts = [ec.test(e.when) for e in self.r.exempts]
        rules = self.r.grades.rules if self.r.grades else ()
        self.out.grades = [ec.test(rule.when) for rule in rules if rule.when is not None]
        self.out.assigns = [ec.test(a.when) for a in self.r.assigns]
        self.out.vetoes = [ec.test(v.when) for v in self.r.vetoes]
        reads = self.out.outcome_reads  # outcomes are computed after the quotas, beside the figures
        ec = ColumnarExprs(self.names, dict(self.r.lets), self.out.fails, self.grading_value, reads=reads)
        for outcome in self.r.outcomes:
            value = ec.expr(outcome.expr)
            if isinstance(value, Num):
                if not value.is_int or value.d is not None:
                    raise Unsupported(f"the decimal outcome `{outcome.name}`", outcome.span)
                value = value.n.cast(pl.Int64)
            self.out.outcomes[outcome.name] = value
        self.out.reads |= reads


def compile_columnar(ruleset: ResolvedRuleset, plan: TablePlan, names: Names) -> ColumnarPlan:
    """The columnar plan of a checked ruleset, or `Unsupported` naming what it cannot write."""
    return ColumnarCompiler(ruleset, plan, names).compile()
