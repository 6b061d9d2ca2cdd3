"""Trace records: what each clause read, whether it fired, and what it added or took.

Kept as small slotted tuples while evaluating (a traced run must stay within 3x of an
untraced one); `results.py` turns them into labelled, positioned JSON on request. Both
backends write the same entries: the property tests compare traces, not just figures.
"""

from __future__ import annotations

from typing import Any, Literal, NamedTuple

ClauseKind = Literal[
    "deduct",
    "award",
    "bands",
    "score",
    "judged",
    "adjust",
    "correct",
    "applies",
    "clamp",
    "prorate",
    "penalty",
    "bonus",
    "missing",
    "relative",
]
StepKind = Literal["exempt", "rules", "assign", "veto", "quota", "adjustment"]


class ClauseTrace(NamedTuple):
    """One step. A `penalty` entry has indicator -1 and the item's number as `clause` (its
    name as `note`), or clause -1 when the cap or the floor at 0 moved the total; a `bonus`
    entry has indicator -1, the item's number as `clause` and its name as `note`."""

    indicator: int  # index into the plan's indicators; -1 for a table-level step (proration, penalty, bonus)
    clause: int  # index of the clause in the indicator; -1 for applicability and clamps
    kind: ClauseKind
    fired: bool
    reads: list[tuple[str, Any]]
    effect: Any
    note: str | None


def adjust_trace(
    indicator: int, clause: int, by: str, adjustment: Any, reason: str | None, score: Any, source: str
) -> ClauseTrace:
    """An `adjust` clause for one table source: the sheet's adjustment (and reason), the score after it."""
    reads: list[tuple[str, Any]] = [(f"sheets.{by}", adjustment)]
    if reason is not None:
        reads.append((f"sheets.{by} reason", reason))
    return ClauseTrace(indicator, clause, "adjust", True, reads, score, source)


def adjusted_clamp(why: str, source: str) -> str:
    """The note of a clamp after one table source's adjustment."""
    return f"{why} ({source})"


class GradeStep(NamedTuple):
    step: StepKind
    before: str | None
    after: str | None
    reason: str
