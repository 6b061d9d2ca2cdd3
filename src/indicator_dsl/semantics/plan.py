"""The executable shape of a ruleset, shared by the compiled and interpreted backends.

A `TablePlan` is plain data (names, maxima, weights, which indicator is judged by whom).
Everything a score is made of is computed by the helpers of `arithmetic.py` (points,
bounds, proration, weights, bonus cap, rounding) and graded by `grading.grade`, which
both backends call: the compiled plan from straight-line generated code, the reference
interpreter from `evaluate/scoring.py`. So the backends differ only in how they evaluate
expressions and walk the clauses, which is what the compiled == interpreted property
tests compare, traces included.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal, Protocol

from ..syntax.nodes import Quota, QuotaDirection, QuotaMinimum, QuotaRounding, Ties
from ..syntax.source import Span

JUDGED = object()  # marks an applicable judged indicator in the indicator vector
RuleAction = Literal["exempt", "assign", "cap", "force"]


@dataclass(frozen=True, slots=True)
class IndicatorInfo:
    """One indicator. `judged_by` and `reason_required` belong to its `judged` clause, or to
    its `adjust` clause (then `adjust` is the bound N and `adjust_clause` the clause's number)."""

    name: str
    label: str | None
    dimension: int
    max: Decimal
    uncapped: bool
    judged: bool
    judged_by: str | None
    reason_required: bool
    origin: Span
    how: str
    units: tuple[str, ...] = ()  # coverage units: "deduct#1", "bands#1/band 2", ...
    adjust: Decimal | None = None
    adjust_clause: int = -1
    standard: str | None = None  # the 评分标准 text a branch secretary reads

    @property
    def from_sheets(self) -> bool:
        """Whether the sheets carry a value for it: a judged score or an adjustment."""
        return self.judged or self.adjust is not None


@dataclass(frozen=True, slots=True)
class DimensionInfo:
    name: str
    label: str | None
    max: Decimal
    weight: Decimal | None
    indicators: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class SourceInfo:
    name: str
    label: str | None
    weight: Decimal
    is_table: bool
    at: str = ""  # file:line of the source, for the trace of its exclusion
    corrects: bool = False  # `may correct`: its sheet may correct computed indicators


@dataclass(frozen=True, slots=True)
class RelativeInfo:
    """A population-relative rule as the population stage runs it: `key` is the grading value
    it ranks by (`total`, `superior`, `table.activities`)."""

    name: str
    label: str | None
    kind: str  # "award" | "deduct"
    points: Decimal
    test: str  # "top" | "below"
    bound: Decimal  # the share for `top`, the margin for `below mean by`
    key: str
    within: str | None
    at: str = ""  # file:line, for its trace entry


@dataclass(frozen=True, slots=True)
class GradeInfo:
    name: str
    label: str | None
    otherwise: bool


@dataclass(frozen=True, slots=True)
class RuleInfo:
    """An exempt, assign or veto: its label, what it does, and where it is written."""

    name: str | None
    label: str | None
    action: RuleAction
    grade: str | None
    span: Span


@dataclass(frozen=True, slots=True)
class QuotaInfo:
    grades: tuple[str, ...]  # one grade, or adjacent grades counted together
    direction: QuotaDirection
    share: Decimal
    within: str | None
    ties: Ties
    has_where: bool
    span: Span
    rounding: QuotaRounding | None = None  # None: floor for `at most`, ceil for `at least`
    minimum: QuotaMinimum | None = None
    replaces: bool = False  # a catalog quota that sets aside the routed rulesets' quotas on its grade
    hard: bool = False  # an adjustment by people that breaks it is refused

    @staticmethod
    def of(quota: Quota) -> QuotaInfo:
        """The quota as the population stage reads it (an unstated `ties` is E307, never run)."""
        return QuotaInfo(
            quota.grades,
            quota.direction,
            quota.share.value,
            quota.within,
            quota.ties or "demote",
            quota.where is not None,
            quota.span,
            quota.rounding,
            quota.minimum,
            quota.replaces,
            quota.hard,
        )


@dataclass(frozen=True, slots=True)
class OutcomeInfo:
    name: str
    label: str | None


@dataclass(frozen=True, slots=True)
class TablePlan:
    name: str
    label: str | None
    version: str | None
    sha256: str
    record_type: str
    period: tuple[datetime.date, datetime.date] | None
    total: Decimal
    scale: Decimal  # rescale target, else total
    scale_at: str  # file:line of `rescale to` (else of `total`): where a proration comes from
    precision: int
    weighted: bool
    indicators: tuple[IndicatorInfo, ...]
    dimensions: tuple[DimensionInfo, ...]
    sources: tuple[SourceInfo, ...]  # without `assess`: one table source named `table`
    has_assess: bool
    bonus_max: Decimal | None
    bonus_items: tuple[tuple[str, str | None], ...]
    penalty_max: Decimal | None  # a `penalty` block: deducted from the total after the bonus
    penalty_items: tuple[tuple[str, str | None], ...]
    penalty_at: str  # file:line of the `penalty` block, for its trace entries
    grades: tuple[GradeInfo, ...]
    exempts: tuple[RuleInfo, ...]
    assigns: tuple[RuleInfo, ...]
    vetoes: tuple[RuleInfo, ...]
    quotas: tuple[QuotaInfo, ...]
    outcomes: tuple[OutcomeInfo, ...]
    grading_keys: frozenset[str]  # which `g[...]` values grading expressions read
    bonus_at: tuple[str, ...] = ()  # file:line of each bonus item, for its trace entry
    as_of: datetime.date | None = None  # an in-year evaluation: the day it is as of
    period_given: bool = False  # the period is the evaluation's parameter, not the declared one
    relatives: tuple[RelativeInfo, ...] = ()  # population-relative rules, run after the first pass


Trace = list[Any]
GradingValues = dict[str, Any]


class Backend(Protocol):
    """What an `Engine` asks of a compiled or interpreted ruleset. Each call evaluates under
    the backend's own exact context, whatever decimal context the caller has set."""

    conditions: Any  # its `grading.Conditions`: a record is graded again after relative points

    def score(self, plan: TablePlan, record: Any, sheets: Any, *, trace: bool = False) -> Any: ...

    def quota_where(self, index: int, record: Any, grading: GradingValues) -> bool: ...

    def outcomes(self, record: Any, grading: GradingValues) -> dict[str, Any]: ...

    def where(self, error: BaseException) -> Span | None:
        """The `.ind` clause whose evaluation raised `error` (the last one it evaluated)."""
        ...
