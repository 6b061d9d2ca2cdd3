"""The executable shape of a ruleset, shared by the compiled and interpreted backends.

A `TablePlan` is plain data (names, maxima, weights, which indicator is judged by whom);
a backend supplies the functions that evaluate expressions. `scoring.py` combines the
two into scores and grades, so the backends differ only in how expressions and
clauses are evaluated, which is what the compiled == interpreted tests compare.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from ..syntax.source import Span

JUDGED = object()  # marks an applicable judged indicator in the indicator vector


@dataclass(frozen=True, slots=True)
class IndicatorInfo:
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
    action: str  # "exempt", "assign", "cap", "force"
    grade: str | None
    span: Span


@dataclass(frozen=True, slots=True)
class QuotaInfo:
    grade: str
    direction: str
    share: Decimal
    within: str | None
    ties: str
    has_where: bool
    span: Span


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
    grades: tuple[GradeInfo, ...]
    exempts: tuple[RuleInfo, ...]
    assigns: tuple[RuleInfo, ...]
    vetoes: tuple[RuleInfo, ...]
    quotas: tuple[QuotaInfo, ...]
    outcomes: tuple[OutcomeInfo, ...]
    grading_keys: frozenset[str]  # which `g[...]` values grading expressions read


Trace = list[Any]
GradingValues = dict[str, Any]


class Backend(Protocol):
    """What an `Engine` asks of a compiled or interpreted ruleset."""

    def score(self, plan: TablePlan, record: Any, sheets: Any, *, trace: bool = False) -> Any: ...

    def condition(self, kind: str, index: int, record: Any, grading: GradingValues) -> bool: ...

    def outcomes(self, record: Any, grading: GradingValues) -> dict[str, Any]: ...


class ExpressionBackend(Backend, Protocol):
    """The finer-grained questions `scoring.score_record` asks of the reference interpreter."""

    def indicators(self, record: Any, trace: Trace | None) -> list[Any]: ...

    def source_value(self, index: int, record: Any) -> Decimal | int: ...

    def bonus_item(self, index: int, record: Any, trace: Trace | None) -> Decimal | int: ...
