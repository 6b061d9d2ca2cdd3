"""Trace records: what each clause read, whether it fired, and what it added or took.

Kept as small slotted tuples while evaluating (a traced run must stay within 3x of an
untraced one); `results.py` turns them into labelled, positioned JSON on request.
"""

from __future__ import annotations

from typing import Any, NamedTuple


class ClauseTrace(NamedTuple):
    indicator: int  # index into the plan's indicators
    clause: int  # index of the clause in the indicator; -1 for applicability and clamps
    kind: str  # deduct, award, bands, score, judged, applies, clamp
    fired: bool
    reads: list[tuple[str, Any]]
    effect: Any
    note: str | None


class GradeStep(NamedTuple):
    step: str  # exempt, rules, assign, veto, quota
    before: str | None
    after: str | None
    reason: str
