"""Well-formedness of a resolved ruleset: names, types, score arithmetic, grading.

The checker only rejects; it never changes what a ruleset computes (CEL's contract),
so the evaluator keeps the same rules dynamically. Each rule of the spec that a
ruleset can break has its own diagnostic code. Every expression it types is also
handed to the range analysis (`check/ranges.py`, W505); the lints of fixed amounts
against `max` are in `check/amounts.py`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal

from ..syntax import nodes as n
from ..syntax.diagnostics import Diagnostic, Related
from ..syntax.source import Spanned
from .amounts import max_zero_points, suspicious_points
from .bands import check_bands
from .lets import declare_lets
from .quotas import quota_ladder, quota_shape
from .ranges import RangeChecker
from .relatives import check_relatives
from .resolved import UNBOUNDED, ResolvedRuleset, TableDimension, TableIndicator, exact_sum, figure
from .scope import missing_inputs
from .typecheck import ExprChecker, Scope, did_you_mean
from .types import DECIMAL, Type

HUNDRED_PERCENT = Decimal(1)


def _total_hint(dimension_sum: Decimal, total: Decimal, bonus: n.Bonus | None) -> str:
    """E301's fix: the dimensions' sum as `total`; a bonus counted in `total` is named, since a
    rescale would then inflate every score; a rescale is offered only for a table scored out of
    another figure on purpose."""
    if bonus is not None and dimension_sum + bonus.max.value == total:
        return (
            f"the bonus (max {figure(bonus.max.value)}) sits outside `total` and is added on top: "
            f"write `total {figure(dimension_sum)}`"
        )
    scale = figure(total)
    return (
        f"write `total {figure(dimension_sum)}`; only if the table is meant to be out of {scale}, `rescale to {scale}`"
    )


def _percent(value: Decimal) -> str:
    return figure(UNBOUNDED.multiply(value, Decimal(100))) + "%"


class RulesetChecker:
    def __init__(self, ruleset: ResolvedRuleset, report: Callable[[Diagnostic], None]) -> None:
        self.r = ruleset
        self.report = report
        self.exprs = ExprChecker(
            ruleset.types, report, period=ruleset.period is not None or ruleset.incomplete, grades=ruleset.grade_names
        )
        self.ranges = RangeChecker(ruleset.types, ruleset.record.type_name if ruleset.record else None, report)
        self.grades = ruleset.grade_names
        self.sources = ruleset.table_sources
        self.let_depth: dict[int, int] = {}  # per let: the longest chain of lets it reads through, itself included

    def error(
        self,
        code: str,
        message: str,
        span_of: Spanned,
        hint: str | None = None,
        related: tuple[Related, ...] = (),
    ) -> None:
        span = span_of.span
        self.report(Diagnostic(code, message, span, hint=hint, related=related))

    def check_condition(self, expr: n.Expr, scope: Scope, what: str) -> None:
        """Type a condition, then report the comparisons in it the declared ranges settle (W505)."""
        self.exprs.check_condition(expr, scope, what)
        self.ranges.visit(expr, scope)

    def check_number(self, expr: n.Expr, scope: Scope, what: str) -> None:
        self.exprs.check_number(expr, scope, what)
        self.ranges.visit(expr, scope)

    # ---------------------------------------------------------------- entry

    def run(self) -> None:
        fields = self.header()
        base = Scope(fields=fields, lets=dict(self.r.lets))
        self.declare_lets(self.r.lets.values(), base)
        self.table(base)
        grading = self.grading_scope(base)
        self.assessment(base)
        self.bonus(self.r.bonus, base)
        self.bonus(self.r.penalty, base)
        self.grading(grading)
        self.unused_lets(self.r.lets.values())

    def header(self) -> dict[str, Type]:
        # When an import or the base failed (`r.incomplete`, already reported), a missing record type
        # or total is a consequence, not a second problem; and with no known record type every field
        # name would be "unknown", so the expression checker stays quiet about unknown names.
        r = self.r
        fields: dict[str, Type] = {}
        if r.record is None:
            if not r.incomplete:
                self.error(
                    "E214",
                    f"ruleset `{r.name}` does not say which record it scores",
                    r.node,
                    hint="add `record TYPE` after the ruleset line",
                )
            self.exprs.fields_unknown = True
        elif r.record.type_name not in r.types:
            if not r.incomplete:
                self.error(
                    "E214",
                    f"unknown record type `{r.record.type_name}`",
                    r.record,
                    hint=did_you_mean(r.record.type_name, r.types) or "import the schema that declares it",
                )
            self.exprs.fields_unknown = True
        else:
            fields = self.exprs.fields_of(r.record.type_name)
        if r.total is None and not r.incomplete:
            self.error("E309", f"ruleset `{r.name}` has no `total`", r.node, hint="add `total 100` (the full score)")
        if r.precision is not None and not 0 <= r.precision.places <= 6:
            self.error("E309", f"precision must be between 0 and 6 places, not {r.precision.places}", r.precision)
        if r.period is not None and r.period.start > r.period.end:
            self.error("E309", f"the period starts ({r.period.start}) after it ends ({r.period.end})", r.period)
        if "sheets" in fields:
            self.error(
                "E309",
                "a record field may not be called `sheets`; the name is reserved for assessors' sheets",
                r.record or r.node,
            )
        return fields

    # ---------------------------------------------------------------- table

    def table(self, base: Scope) -> None:
        weighted = [d for d in self.r.dimensions if d.weight is not None]
        dimension_maxes: list[Decimal] = []
        for dim in self.r.dimensions:
            scope = Scope(fields=base.fields, lets={**base.lets, **{x.name: x for x in dim.lets}})
            self.declare_lets(dim.lets, scope)
            for ind in dim.indicators:
                self.indicator(ind, scope)
            parts_sum = exact_sum(ind.node.max.value for ind in dim.indicators)
            if dim.declared_max is not None and dim.declared_max.value != parts_sum:
                listing = " + ".join(figure(i.node.max.value) for i in dim.indicators) or "nothing"
                self.error(
                    "E300",
                    f"dimension `{dim.name}` declares max {figure(dim.declared_max.value)}, "
                    f"but its indicators add up to {figure(parts_sum)} ({listing})",
                    dim.declared_max,
                    hint=f"write `max {figure(parts_sum)}` or change the indicators",
                )
            dimension_maxes.append(dim.max)
            self.unused_lets(dim.lets)
        dimension_sum = exact_sum(dimension_maxes)
        if weighted:
            self.dimension_weights(weighted)
        elif self.r.total is not None and self.r.rescale is None and self.r.total.value.value != dimension_sum:
            self.total_mismatch(dimension_sum)

    def total_mismatch(self, dimension_sum: Decimal) -> None:
        r = self.r
        assert r.total is not None
        total = figure(r.total.value.value)
        listing = " + ".join(figure(d.max) for d in r.dimensions) or "nothing"
        if r.total.span.path == r.source.path:
            self.error(
                "E301",
                f"total is {total}, but the dimensions add up to {figure(dimension_sum)} ({listing})",
                r.total,
                hint=_total_hint(dimension_sum, r.total.value.value, r.bonus),
            )
            return
        # The total comes from the base: the extension's changes broke the sum, so say it in the
        # extension (not on the base's `total` line, which is right for the base), once.
        base = r.base
        if (
            base is not None
            and base.rescale is None
            and base.total is r.total
            and all(d.weight is None for d in base.dimensions)
            and exact_sum(d.max for d in base.dimensions) != r.total.value.value
        ):
            return  # the base has the same problem and reports it itself
        self.error(
            "E301",
            f"`{r.name}` keeps the base's total {total}, but after its changes the dimensions "
            f"add up to {figure(dimension_sum)} ({listing})",
            r.node,
            hint=f"add `rescale to {total}` to the extension",
        )

    def dimension_weights(self, weighted: list[TableDimension]) -> None:
        missing = [d for d in self.r.dimensions if d.weight is None]
        for dim in missing:
            self.error(
                "E303",
                f"dimension `{dim.name}` has no weight, but other dimensions do",
                dim,
                hint="give every dimension a `weight`, or none",
            )
        total = exact_sum(d.weight.value for d in weighted if d.weight)
        if not missing and total != HUNDRED_PERCENT:
            first = weighted[0].weight
            self.error("E303", f"dimension weights add up to {_percent(total)}, not 100%", first or weighted[0])

    def indicator(self, table_ind: TableIndicator, dim_scope: Scope) -> None:
        ind = table_ind.node
        scope = Scope(fields=dim_scope.fields, lets={**dim_scope.lets, **{x.name: x for x in ind.lets}})
        self.declare_lets(ind.lets, scope)
        if ind.applies is not None:
            self.check_condition(ind.applies, scope, "`applies when`")
        if ind.max.value < 0:
            self.error("E311", f"indicator `{ind.name}` has a negative max", ind.max)
        max_zero_points(ind, self.report)
        scoring = [c for c in ind.clauses if not isinstance(c, n.Adjust)]
        if not scoring:
            self.error(
                "E305",
                f"indicator `{ind.name}` has no scoring rule",
                ind,
                hint="add `deduct`, `award`, `bands`, `score` or `judged`"
                + ("; `adjust` only adjusts a computed score" if ind.clauses else ""),
            )
        styles = {_style(c) for c in scoring}
        singles = [c for c in scoring if isinstance(c, (n.Bands, n.ScoreFormula, n.Judged))]
        if len(styles) > 1 or len(singles) > 1:
            names = ", ".join(sorted(styles))
            self.error(
                "E304",
                f"indicator `{ind.name}` mixes scoring styles ({names})",
                scoring[1] if len(scoring) > 1 else ind,
                hint="one indicator uses one style: deduct, award, bands, score or judged"
                + ("; an assessor's adjustment of a computed score is `adjust up to N`" if "judged" in styles else ""),
            )
        self.adjustment(ind, [c for c in ind.clauses if isinstance(c, n.Adjust)], styles)
        for clause in ind.clauses:
            self.clause(clause, scope, ind)
        if len(styles) == 1 and ind.max.value != 0:  # with max 0, E311 already said it
            suspicious_points(ind, self.report)
        self.unused_lets(ind.lets)

    def clause(self, clause: n.Clause, scope: Scope, ind: n.Indicator) -> None:
        if isinstance(clause, n.Points):
            self.points(clause, scope)
        elif isinstance(clause, n.ScoreFormula):
            self.check_number(clause.expr, scope, "a score")
        elif isinstance(clause, (n.Judged, n.Adjust)):
            if clause.by is not None and clause.by not in self.sources:
                values = [s.name for s in self.r.assess.sources] if self.r.assess else []
                if clause.by in values:
                    self.error(
                        "E310",
                        f"`{clause.by}` is a computed source (`= ...`); it has no sheet to judge from",
                        clause,
                        hint="judge by a source without `=`",
                    )
                else:
                    self.error(
                        "E310",
                        f"unknown assessment source `{clause.by}`",
                        clause,
                        hint=did_you_mean(clause.by, self.sources),
                    )
        else:
            check_bands(self.exprs, clause, scope)
            self.ranges.bands(clause, scope)

    def adjustment(self, ind: n.Indicator, adjusts: list[n.Adjust], styles: set[str]) -> None:
        """At most one `adjust` per indicator, on a computed score (E304)."""
        if len(adjusts) > 1:
            self.error("E304", f"indicator `{ind.name}` says `adjust` twice", adjusts[1], hint="keep one")
        if adjusts and "judged" in styles:
            self.error(
                "E304",
                f"indicator `{ind.name}` is judged; `adjust` adjusts a computed score",
                adjusts[0],
                hint="remove `adjust`: the judged score is already the assessor's",
            )

    def points(self, clause: n.Points, scope: Scope) -> None:
        self.check_number(clause.amount, scope, "the points")
        if isinstance(clause.amount, n.Number) and clause.amount.value < 0:
            self.error(
                "E311",
                f"points must not be negative; `{clause.kind} {clause.amount.text}`",
                clause.amount,
                hint="use `deduct` to take points away",
            )
        if clause.per is not None:
            self.check_number(clause.per, scope, "the count after `per`")
        if clause.up_to is not None:
            self.check_number(clause.up_to, scope, "the cap after `up to`")
        if clause.when is not None:
            self.check_condition(clause.when, scope, "`when`")

    # ---------------------------------------------------------------- assess, bonus

    def assessment(self, base: Scope) -> None:
        assess = self.r.assess
        if assess is None:
            return
        self.declared_once("source", assess.sources)
        for source in assess.sources:
            if source.value is not None and source.corrects:
                self.error(
                    "E315",
                    f"source `{source.name}` is computed (`= ...`): it has no sheet, so it corrects nothing",
                    source,
                    hint="write `may correct` on a table source (one without `= ...`), e.g. the superior's",
                )
            if source.value is not None:
                inputs = missing_inputs(source.value, lambda name: None if name in base.lets else base.fields.get(name))
                self.value_source(source.value, base.narrow(inputs), f"source `{source.name}`")
        total = exact_sum(s.weight.value for s in assess.sources)
        if total != HUNDRED_PERCENT:
            listing = " + ".join(s.weight.text for s in assess.sources)
            self.error("E302", f"assessment weights add up to {_percent(total)} ({listing}), not 100%", assess)
        if not self.sources:
            self.error(
                "E302", "every source is computed (`= ...`); at least one must score the indicator table", assess
            )

    def value_source(self, expr: n.Expr, scope: Scope, what: str) -> None:
        """A value source is a number, or none (then it is missing: `when missing` says what happens)."""
        t = self.exprs.check(expr, scope)
        if not t.numeric and t.kind not in ("error", "none"):
            self.error("E215", f"{what} must be a number, but it is {t}", expr)
        self.ranges.visit(expr, scope)

    def bonus(self, bonus: n.Bonus | None, base: Scope) -> None:
        """A `bonus` block's items award; a `penalty` block's items deduct (E312)."""
        if bonus is None:
            return
        if bonus.max.value < 0:
            self.error("E311", f"a {bonus.kind} cap must not be negative, not {bonus.max.text}", bonus.max)
        verb = "award" if bonus.kind == "bonus" else "deduct"
        seen: set[str] = set()
        for item in bonus.items:
            if item.name in seen:
                self.error("E104", f"{bonus.kind} item `{item.name}` is declared twice", item)
            seen.add(item.name)
            if item.clause.kind != verb:
                hint = f"write `{verb} N when ...`"
                if bonus.kind == "bonus":
                    hint += "; a deduction from the total belongs in a `penalty` block"
                self.error("E312", f"{bonus.kind} item `{item.name}` must `{verb}` points", item.clause, hint=hint)
            self.points(item.clause, base)

    # ---------------------------------------------------------------- grading

    def grading_scope(self, base: Scope) -> Scope:
        parts = frozenset(d.name for d in self.r.dimensions) | frozenset(i.node.name for i in self.r.indicators())
        values: dict[str, Type] = {"total": DECIMAL, "bonus": DECIMAL, "penalty": DECIMAL}
        for name in self.sources:
            values[name] = Type("source", record=name)
        if self.r.assess:
            for source in self.r.assess.sources:
                if source.value is not None:
                    values[source.name] = DECIMAL.maybe() if source.missing == "exclude" else DECIMAL
        return Scope(
            fields=base.fields, lets=base.lets, values=values, parts=parts, table_sources=frozenset(self.sources)
        )

    def declared_once(self, what: str, items: Sequence[n.Source] | Sequence[n.GradeRule]) -> None:
        seen: dict[str, Spanned] = {}
        for item in items:
            if item.name in seen:
                self.error(
                    "E104",
                    f"{what} `{item.name}` is declared twice",
                    item,
                    related=(Related(seen[item.name].span, "first declared here"),),
                )
            seen.setdefault(item.name, item)

    def grade_ref(self, name: str, where: Spanned) -> None:
        if self.r.grades is None:
            self.error("E211", f"unknown grade `{name}`: this ruleset has no `grades` block", where)
        elif name not in self.grades:
            self.error("E211", f"unknown grade `{name}`", where, hint=did_you_mean(name, self.grades))

    def grading(self, scope: Scope) -> None:
        self.grade_rules(scope)
        for veto in self.r.vetoes:
            self.check_condition(veto.when, scope, "veto")
            self.grade_ref(veto.grade, veto)
        for exempt in self.r.exempts:
            self.check_condition(exempt.when, scope, "exempt")
        for assign in self.r.assigns:
            self.check_condition(assign.when, scope, "assign")
            self.grade_ref(assign.grade, assign)
        for quota in self.r.quotas:
            self.quota(quota, scope)
        check_relatives(self.r.relatives, scope, self.report, self.r.incomplete)
        grade_type = Type("grade", members=tuple(self.grades))
        outcome_values = {**scope.values, "grade": grade_type.maybe(), **{g: grade_type for g in self.grades}}
        outcome_scope = Scope(
            fields=scope.fields,
            lets=scope.lets,
            values=outcome_values,
            parts=scope.parts,
            table_sources=scope.table_sources,
        )
        for outcome in self.r.outcomes:
            self.exprs.check(outcome.expr, outcome_scope)
            self.ranges.visit(outcome.expr, outcome_scope)

    def grade_rules(self, scope: Scope) -> None:
        grades = self.r.grades
        if grades is None:
            return
        otherwise = [rule for rule in grades.rules if rule.when is None]
        self.declared_once("grade", grades.rules)
        for rule in grades.rules:
            if rule.when is not None:
                self.check_condition(rule.when, scope, "grade")
        if len(otherwise) != 1:
            where = otherwise[1] if len(otherwise) > 1 else grades
            self.error(
                "E306",
                f"grades need exactly one `otherwise`, found {len(otherwise)}",
                where,
                hint='end the block with `NAME "label" otherwise`',
            )
        elif grades.rules[-1].when is not None:
            self.error(
                "E306",
                f"`{otherwise[0].name} otherwise` must be the last grade; the grades after it can never apply",
                otherwise[0],
            )

    def quota(self, quota: n.Quota, scope: Scope) -> None:
        for grade in quota.grades:
            self.grade_ref(grade, quota)
        if quota.ties is None:
            self.error(
                "E307",
                f"quota on `{', '.join(quota.grades)}` must say how ties are treated",
                quota,
                hint="add `ties demote` (fewer may pass) or `ties admit` (more may pass)",
            )
        for found in [*quota_shape(quota, in_catalog=False), *quota_ladder(quota, self.grades)]:
            self.report(found)
        if quota.within is not None and quota.within not in scope.fields and not self.r.incomplete:
            self.error(
                "E201",
                f"quota groups by `{quota.within}`, which is not a field of the record",
                quota,
                hint=did_you_mean(quota.within, scope.fields),
            )
        if quota.where is not None:
            self.check_condition(quota.where, scope, "quota `where`")

    def declare_lets(self, lets: Iterable[n.Let], scope: Scope) -> None:
        declare_lets(lets, scope, self.exprs, self.let_depth, self.report)
        for let in lets:
            self.ranges.visit(let.expr, scope)

    def unused_lets(self, lets: Iterable[n.Let]) -> None:
        for let in lets:
            if id(let) not in self.exprs.used_lets:
                self.report(Diagnostic("W501", f"`let {let.name}` is never used", let.span, hint="remove it"))


def _style(clause: n.Clause) -> str:
    if isinstance(clause, n.Points):
        return clause.kind
    return {n.Bands: "bands", n.ScoreFormula: "score", n.Judged: "judged"}[type(clause)]
