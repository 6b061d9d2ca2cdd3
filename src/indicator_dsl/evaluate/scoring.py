"""One record through one plan: indicator scores per source, tables, total, grade.

The order of spec 6.1: exempt → grade rules → assign → vetoes (forces, then caps).
Quotas and outcomes need the whole batch and run in `population.py`. Arithmetic is
exact; values that grades compare are rounded half-up to the ruleset's precision first,
so a branch shown as 90.00 is never graded as below 90.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ..semantics.arithmetic import EXACT, RUNTIME_FAILURES, ZERO, EvalError
from ..semantics.plan import JUDGED, ExpressionBackend, GradingValues, TablePlan, Trace
from ..semantics.records import FieldProblem, failure_problem
from ..semantics.sheets import JudgedScores, read_sheets
from ..semantics.trace import ClauseTrace, GradeStep


@dataclass(slots=True)
class SourceScores:
    indicators: list[Decimal | None]
    dimensions: list[Decimal]
    table: Decimal


@dataclass(slots=True)
class Scored:
    """Exact figures of one record; rounding happens only when values are shown or compared."""

    tables: dict[str, SourceScores] = field(default_factory=dict)
    values: dict[str, Decimal] = field(default_factory=dict)
    bonus: Decimal = ZERO
    total: Decimal = ZERO
    grading: GradingValues = field(default_factory=dict)
    judged: JudgedScores = field(default_factory=dict)
    exempt: str | None = None
    grade_by_rules: str | None = None
    grade_after_veto: str | None = None
    grade: str | None = None
    pinned: bool = False  # graded by `assign` or `force`: counted by quotas, never moved
    vetoes: list[str] = field(default_factory=list)
    steps: list[GradeStep] = field(default_factory=list)
    trace: Trace | None = None


def quantizer(precision: int) -> Decimal:
    return Decimal(1).scaleb(-precision)


def rounded(value: Decimal | int, q: Decimal) -> Decimal:
    return Decimal(value).quantize(q, rounding=ROUND_HALF_UP, context=EXACT)


def score_record(
    plan: TablePlan, backend: ExpressionBackend, record: Any, sheets: Any, *, trace: bool = False
) -> Scored | list[FieldProblem]:
    """Score one validated record; problems come back as a list instead of a score."""
    steps: Trace | None = [] if trace else None
    try:
        base = backend.indicators(record, steps)
        applicable = [v is not None for v in base]
        judged, problems = read_sheets(plan, sheets, applicable)
        if problems:
            return problems
        scored = Scored(judged=judged, trace=steps)
        _tables(plan, base, judged, scored)
        _combine(plan, backend, record, scored)
        _grade(plan, backend, record, scored)
    except RUNTIME_FAILURES as error:
        return [failure_problem(error)]
    return scored


def _tables(plan: TablePlan, base: list[Any], judged: JudgedScores, scored: Scored) -> None:
    judged_indices = [i for i, v in enumerate(base) if v is JUDGED]
    for source in plan.sources:
        if not source.is_table:
            continue
        scores: list[Any] = list(base)
        for i in judged_indices:
            by = plan.indicators[i].judged_by or source.name
            scores[i] = judged[by][i][0]
            if scored.trace is not None:
                scored.trace.append(
                    ClauseTrace(i, 0, "judged", True, [(f"sheets.{by}", scores[i])], scores[i], source.name)
                )
        dims: list[Decimal] = []
        table = ZERO
        applicable_total = ZERO
        for dim in plan.dimensions:
            points = ZERO
            applicable_max = ZERO
            for i in dim.indicators:
                value = scores[i]
                if value is not None:
                    points += value
                    applicable_max += plan.indicators[i].max
            dims.append(points)
            if plan.weighted:
                if applicable_max == 0:
                    raise EvalError(
                        "arithmetic", f"no indicator of dimension `{dim.name}` applies; its weight cannot be shared"
                    )
                assert dim.weight is not None
                table += EXACT.divide(dim.weight * points, applicable_max)
            else:
                table += points
                applicable_total += applicable_max
        if plan.weighted:
            table = table * plan.total
        elif applicable_total != plan.scale:
            if applicable_total == 0:
                raise EvalError("arithmetic", "no indicator applies to this record")
            raw, table = table, EXACT.divide(table * plan.scale, applicable_total)
            if scored.trace is not None:
                reads = [("raw", raw), ("applicable max", applicable_total), ("scale", plan.scale)]
                scored.trace.append(ClauseTrace(-1, -1, "prorate", True, reads, table, source.name))
        scored.tables[source.name] = SourceScores(scores, dims, table)


def _combine(plan: TablePlan, backend: ExpressionBackend, record: Any, scored: Scored) -> None:
    combined = ZERO
    for index, source in enumerate(plan.sources):
        if source.is_table:
            value = scored.tables[source.name].table
        else:
            value = Decimal(backend.source_value(index, record))
            scored.values[source.name] = value
        combined += source.weight * value if plan.has_assess else value
    if plan.bonus_max is not None:
        bonus = sum((Decimal(backend.bonus_item(i, record, scored.trace)) for i in range(len(plan.bonus_items))), ZERO)
        scored.bonus = min(bonus, plan.bonus_max)
    scored.total = combined + scored.bonus


def grading_values(plan: TablePlan, scored: Scored) -> GradingValues:
    """The rounded values grading expressions read, only those the ruleset names."""
    q = quantizer(plan.precision)
    g: GradingValues = {}
    for key in plan.grading_keys:
        if key == "total":
            g[key] = rounded(scored.total, q)
        elif key == "bonus":
            g[key] = rounded(scored.bonus, q)
        elif key == "grade":
            g[key] = scored.grade
        elif "." in key:
            source, part = key.split(".", 1)
            g[key] = _part_value(plan, scored.tables[source], part, q)
        elif key in scored.tables:
            g[key] = rounded(scored.tables[key].table, q)
        elif key in scored.values:
            g[key] = rounded(scored.values[key], q)
    return g


def _part_value(plan: TablePlan, source: Any, part: str, q: Decimal) -> Decimal | None:
    for d, dim in enumerate(plan.dimensions):
        if dim.name == part:
            return rounded(source.dimensions[d], q)
    for i, ind in enumerate(plan.indicators):
        if ind.name == part:
            value = source.indicators[i]
            return None if value is None else rounded(value, q)
    raise EvalError("missing_value", f"unknown part `{part}`")


def rank(plan: TablePlan, grade: str) -> int:
    return next(i for i, g in enumerate(plan.grades) if g.name == grade)


def _grade(plan: TablePlan, backend: ExpressionBackend, record: Any, scored: Scored) -> None:
    g = scored.grading = grading_values(plan, scored)
    for i, rule in enumerate(plan.exempts):
        if backend.condition("exempt", i, record, g):
            scored.exempt = rule.label or rule.name or "exempt"
            scored.steps.append(GradeStep("exempt", None, None, scored.exempt))
            return
    if not plan.grades:
        return
    grade = None
    for index, info in enumerate(plan.grades):  # `otherwise` is last, so `index` counts the `when` rules
        if info.otherwise or backend.condition("grade", index, record, g):
            grade = info.name
            break
    scored.grade_by_rules = grade
    scored.steps.append(GradeStep("rules", None, grade, _label(plan, grade)))
    for i, rule in enumerate(plan.assigns):
        if backend.condition("assign", i, record, g):
            scored.steps.append(GradeStep("assign", grade, rule.grade, rule.label or rule.name or ""))
            grade, scored.pinned = rule.grade, True
            break
    fired = [i for i in range(len(plan.vetoes)) if backend.condition("veto", i, record, g)]
    if fired:
        grade, pinned, scored.vetoes = apply_vetoes(plan, fired, grade, scored.pinned, scored.steps)
        scored.pinned = pinned
    scored.grade_after_veto = scored.grade = grade


def apply_vetoes(
    plan: TablePlan, fired: list[int], grade: str | None, pinned: bool, steps: list[GradeStep]
) -> tuple[str | None, bool, list[str]]:
    """All vetoes that fired apply: forces first (the lowest forced grade wins), then caps
    (the lowest cap wins), so a cap always has the last word. Returns grade, pinned, names."""
    rules = [plan.vetoes[i] for i in fired]
    forced = [rule for rule in rules if rule.action == "force"]
    caps = [rule for rule in rules if rule.action == "cap"]
    if forced:
        lowest = max(forced, key=lambda rule: rank(plan, rule.grade or ""))
        steps.append(GradeStep("veto", grade, lowest.grade, lowest.label or lowest.name or ""))
        grade, pinned = lowest.grade, True
    if caps and grade is not None:
        cap = max(caps, key=lambda rule: rank(plan, rule.grade or ""))
        if rank(plan, grade) < rank(plan, cap.grade or ""):
            reasons = "; ".join(rule.label or rule.name or "" for rule in caps if rule.grade == cap.grade)
            steps.append(GradeStep("veto", grade, cap.grade, reasons))
            grade = cap.grade
    return grade, pinned, [rule.name or "" for rule in rules]


def _label(plan: TablePlan, grade: str | None) -> str:
    for info in plan.grades:
        if info.name == grade:
            return info.label or info.name
    return ""
