"""Grading one record: the rounded values grades read, then exempt → rules → assign → vetoes.

The order of spec 6.1. Both backends call `grade` with their own conditions (generated
functions or interpreted expressions) and nothing else differs: the values grading
expressions compare are the figures rounded half-up to the ruleset's precision (so a
branch shown as 90.00 is never graded below 90), every step a grade takes is recorded
as a `GradeStep`, and vetoes apply forces first, then caps. Quotas need the whole batch
and run in `evaluate/population.py`, with the sizes, reasons and steps written here.
"""

from __future__ import annotations

import decimal
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NoReturn

from ..syntax.layout import quota_size_text
from ..syntax.nodes import Ties
from .arithmetic import EXACT, ZERO, EvalError, quantum, reporter
from .plan import GradingValues, QuotaInfo, RuleInfo, TablePlan, Trace
from .sheets import Applied, JudgedScores
from .sources import Excluded
from .trace import GradeStep

Condition = Callable[[Any, GradingValues], Any]  # (record, grading values) -> truthy


@dataclass(slots=True)
class SourceScores:
    indicators: list[Decimal | None]
    dimensions: list[Decimal]
    table: Decimal


@dataclass(slots=True)
class Scored:
    """Exact figures of one record; rounding happens only when values are shown or compared."""

    tables: dict[str, SourceScores] = field(default_factory=dict)
    values: dict[str, Decimal | None] = field(default_factory=dict)  # None: excluded (`when missing exclude`)
    excluded: Excluded | None = None
    bonus: Decimal = ZERO
    penalty: Decimal = ZERO
    total: Decimal = ZERO
    grading: GradingValues = field(default_factory=dict)
    judged: JudgedScores = field(default_factory=dict)
    corrections: Applied = field(default_factory=dict)  # by table source: the computed scores corrected
    exempt: str | None = None
    grade_by_rules: str | None = None
    grade_after_veto: str | None = None
    grade: str | None = None
    pinned: bool = False  # graded by `assign` or `force`: counted by quotas, never moved
    vetoes: list[str] = field(default_factory=list)
    steps: list[GradeStep] = field(default_factory=list)
    trace: Trace | None = None


ValueReader = Callable[[Scored, Callable[[Decimal], Decimal]], Any]


@dataclass(frozen=True, slots=True)
class Conditions:
    """A backend's grading conditions, in ruleset order; `grades` has one per `when` rule;
    `readers`, what `grading_values` reads of a scored record (`value_readers(plan)`)."""

    exempts: Sequence[Condition]
    grades: Sequence[Condition]
    assigns: Sequence[Condition]
    vetoes: Sequence[Condition]
    readers: Sequence[tuple[str, ValueReader]] = ()


def value_readers(plan: TablePlan) -> tuple[tuple[str, ValueReader], ...]:
    """For each value grading expressions read (`plan.grading_keys`), how it is read from a
    scored record and rounded (`shown`): found once per ruleset, not per record."""
    readers: list[tuple[str, ValueReader]] = []
    for key in sorted(plan.grading_keys):
        reader = _reader(plan, key)
        if reader is not None:
            readers.append((key, reader))
    return tuple(readers)


def _reader(plan: TablePlan, key: str) -> ValueReader | None:
    if key == "total":
        return lambda scored, shown: shown(scored.total)
    if key == "bonus":
        return lambda scored, shown: shown(Decimal(scored.bonus))
    if key == "penalty":
        return lambda scored, shown: shown(Decimal(scored.penalty))
    if key == "grade":
        return lambda scored, shown: scored.grade
    if "." in key:
        source, part = key.split(".", 1)
        for d, dim in enumerate(plan.dimensions):
            if dim.name == part:
                return lambda scored, shown: shown(scored.tables[source].dimensions[d])
        for i, ind in enumerate(plan.indicators):
            if ind.name == part:
                return lambda scored, shown: _shown_or_none(scored.tables[source].indicators[i], shown)
        return lambda scored, shown: _unknown_part(part)
    if any(s.name == key and s.is_table for s in plan.sources):
        return lambda scored, shown: shown(scored.tables[key].table)
    if any(s.name == key for s in plan.sources):
        return lambda scored, shown: _shown_or_none(scored.values[key], shown)
    return None


def _unknown_part(part: str) -> NoReturn:
    raise EvalError("missing_value", f"unknown part `{part}`")


def _shown_or_none(value: Decimal | int | None, shown: Callable[[Decimal], Decimal]) -> Decimal | None:
    return None if value is None else shown(Decimal(value))


def grading_values(
    plan: TablePlan, scored: Scored, context: decimal.Context, readers: Sequence[tuple[str, ValueReader]] = ()
) -> GradingValues:
    """The rounded values grading expressions read, only those the ruleset names."""
    shown = reporter(quantum(plan.precision), context)  # one C call per value
    return {key: read(scored, shown) for key, read in readers or value_readers(plan)}


def grade(plan: TablePlan, conditions: Conditions, record: Any, scored: Scored, context: decimal.Context) -> None:
    """Grade a scored record in place: exempt, the first grade rule that holds, the first
    `assign` that holds, then every veto that fires."""
    g = scored.grading = grading_values(plan, scored, context, conditions.readers)
    for rule, holds in zip(plan.exempts, conditions.exempts, strict=True):
        if holds(record, g):
            scored.exempt = rule_reason(rule) or "exempt"
            scored.steps.append(GradeStep("exempt", None, None, scored.exempt))
            return
    if not plan.grades:
        return
    grade = None
    # the grades in order, each with its condition; an `otherwise` grade, last, has none
    for info, when in zip(plan.grades, conditions.grades, strict=False):
        if when(record, g):
            grade = info.name
            break
    else:
        if len(plan.grades) > len(conditions.grades):
            grade = plan.grades[-1].name
    scored.grade_by_rules = grade
    scored.steps.append(GradeStep("rules", None, grade, grade_label(plan, grade)))
    for rule, holds in zip(plan.assigns, conditions.assigns, strict=True):
        if holds(record, g):
            scored.steps.append(GradeStep("assign", grade, rule.grade, rule_reason(rule)))
            grade, scored.pinned = rule.grade, True
            break
    if conditions.vetoes:
        fired = [i for i, holds in enumerate(conditions.vetoes) if holds(record, g)]
        if fired:
            grade, scored.pinned, scored.vetoes = apply_vetoes(plan, fired, grade, scored.pinned, scored.steps)
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
        steps.append(GradeStep("veto", grade, lowest.grade, rule_reason(lowest)))
        grade, pinned = lowest.grade, True
    if caps and grade is not None:
        cap = max(caps, key=lambda rule: rank(plan, rule.grade or ""))
        if rank(plan, grade) < rank(plan, cap.grade or ""):
            reasons = "; ".join(rule_reason(rule) for rule in caps if rule.grade == cap.grade)
            steps.append(GradeStep("veto", grade, cap.grade, reasons))
            grade = cap.grade
    return grade, pinned, [rule.name or "" for rule in rules]


def rank(plan: TablePlan, grade: str) -> int:
    return next(i for i, g in enumerate(plan.grades) if g.name == grade)


def rule_reason(rule: RuleInfo) -> str:
    """How a step names the rule that made it: its label, else its name."""
    return rule.label or rule.name or ""


def grade_label(plan: TablePlan, grade: str | None) -> str:
    for info in plan.grades:
        if info.name == grade:
            return info.label or info.name
    return ""


# ---------------------------------------------------------------- quotas (spec 6.2)


def quota_size(quota: QuotaInfo, members: int) -> int:
    """k for a group of n = `members` graded records: n × share rounded by the quota's
    `rounding` (by default floor for `at most`, ceil for `at least`), exactly; then raised to
    the `at least P places when N or more` floor when the group has N or more (the checker
    keeps P <= N)."""
    exact = EXACT.multiply(Decimal(members), quota.share)
    rounding = quota.rounding or ("floor" if quota.direction == "at most" else "ceil")
    if rounding == "floor":
        k = math.floor(exact)
    elif rounding == "ceil":
        k = math.ceil(exact)
    else:
        k = int(exact.quantize(Decimal(1), rounding=decimal.ROUND_HALF_UP))
    if quota.minimum is not None and members >= quota.minimum.members:
        k = max(k, quota.minimum.places)
    return k


def at_least_candidates(quota: QuotaInfo, grades: Sequence[str]) -> list[str]:
    """The grades an `at least` quota draws from: those above its highest grade on the ladder
    `grades` (its candidates move down into that grade, `at_least_moves`)."""
    return list(grades[: min(grades.index(g) for g in quota.grades)])


def at_least_moves(totals: Sequence[Decimal], need: int, ties: Ties) -> int:
    """How many of the candidates of an `at least` quota move down into its grade: `totals`
    are theirs in ascending order, `need` = k minus the records already in the grade.

    The `need` lowest move. A tie across the line (the last to move has the total of the
    first to stay) is settled by the rule: `demote` moves every record tied there too (more
    than the share), `admit` leaves them all where they are (fewer)."""
    if need <= 0 or not totals:
        return 0
    if need >= len(totals):
        return len(totals)
    line = totals[need]  # the total of the first candidate that stays
    if totals[need - 1] < line:
        return need
    if ties == "demote":
        return sum(1 for t in totals if t <= line)
    return sum(1 for t in totals if t < line)


def quota_text(quota: QuotaInfo) -> str:
    """A quota as its ruleset line reads: `advanced at most 20%`."""
    share = format(EXACT.multiply(quota.share, 100).normalize(EXACT), "f")
    text = f"{', '.join(quota.grades)} {quota.direction} {share}%"
    return text + quota_size_text(quota.rounding, quota.minimum)


def quota_reason(quota: QuotaInfo, group: object) -> str:
    reason = f"quota: {quota_text(quota)}"
    return f"{reason} within {quota.within} = {group}" if quota.within else reason


def quota_step(before: str | None, after: str, reason: str) -> GradeStep:
    return GradeStep("quota", before, after, reason)
