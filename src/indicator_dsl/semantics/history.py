"""`history(N).part`: what a record's results of N years back say, for both backends.

The evaluation puts a record's past under `HISTORY_KEY` of the validated record (one entry per
year back, None where the record is absent from that year's results); `history_value` reads
it, and the interpreter and generated code both call it.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

HISTORY_KEY = "@history"  # no field name has an @
# The parts `history(N)` has and their types (the checker types `grade` as the ruleset's grades).
HISTORY_PARTS = {"found": "bool", "grade": "grade", "total": "decimal", "rectified": "bool", "exempt": "bool"}
HISTORY_RUNTIME = "_history"


@dataclass(frozen=True, slots=True)
class Past:
    """A record's result of one earlier year."""

    grade: str | None
    total: Decimal | None
    rectified: bool | None  # from the rectification items of that year's branch, if it has any
    exempt: bool


def history_value(record: Any, back: int, part: str) -> Any:
    """`history(back).part` of a record: `found` is whether the record has a result that year;
    the other parts are none where it has not (or the part is none in that result)."""
    years = record.get(HISTORY_KEY, ()) if isinstance(record, dict) else ()
    past = years[back - 1] if back <= len(years) else None
    if part == "found":
        return past is not None
    return None if past is None else getattr(past, part)
