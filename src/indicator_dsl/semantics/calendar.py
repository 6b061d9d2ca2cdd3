"""The assessment period and the calendar built-ins that read it, including in-year (as-of) runs.

Every built-in that reads the period gets three dates after its other arguments: the period's
`start` and `end`, and `due`, the day the evaluation is as of (`--as-of`; the period's end
when the period is over). Up to `due` a period is known; after it, nothing has happened yet:

- `in_period(d)` is true for `start <= d <= min(end, due)`;
- `months_with(...)` / `quarters_with(...)` count the months (quarters) with a match among
  those already due (ended on or before `due`), plus every month (quarter) of the period not
  yet due: a month that is not over cannot have been missed, so a requirement written
  `12 - months_with(...)` counts only the months already due (docs/decisions.md);
- `longest_gap(...)` / `longest_gap_months(...)` measure gaps up to `min(end, due)`.

With `due >= end` all of them are the plain full-period counts.
"""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .arithmetic import days_between, months_between

Date = datetime.date


@dataclass(frozen=True, slots=True)
class Cut:
    """Where a calendar count stops: matches on `start..last` count, and `open` more units
    (months or quarters of the period after `last`) are not yet due."""

    last: Date
    open: int
    due: int  # units of the period already due


def _unit_index(day: Date, months: int) -> int:
    return (day.year * 12 + day.month - 1) // months


def _unit_end(index: int, months: int) -> Date:
    """The last day of unit `index` (a month when `months` is 1, a quarter when 3)."""
    first_of_next = (index + 1) * months
    year, month = divmod(first_of_next, 12)
    return Date(year, month + 1, 1) - datetime.timedelta(days=1)


def cut(start: Date, end: Date, due: Date, months: int) -> Cut:
    """The units (of `months` months) of the period `start..end` already due by `due`."""
    first, last = _unit_index(start, months), _unit_index(end, months)
    if due >= end:
        return Cut(end, 0, last - first + 1)
    index = _unit_index(due, months)
    if _unit_end(index, months) > due:  # the unit `due` falls in is not over yet
        index -= 1
    if index < first:
        return Cut(start - datetime.timedelta(days=1), last - first + 1, 0)
    return Cut(_unit_end(index, months), last - index, index - first + 1)


def in_period(day: Date, start: Date, end: Date, due: Date) -> bool:
    return start <= day <= end and day <= due


def _counted(dates: Iterable[Date | None], start: Date, end: Date, due: Date, months: int) -> int:
    c = cut(start, end, due, months)
    return len({_unit_index(d, months) for d in dates if d is not None and start <= d <= c.last}) + c.open


def months_with(dates: Iterable[Date | None], start: Date, end: Date, due: Date) -> int:
    return _counted(dates, start, end, due, 1)


def quarters_with(dates: Iterable[Date | None], start: Date, end: Date, due: Date) -> int:
    return _counted(dates, start, end, due, 3)


def gaps(dates: Iterable[Date | None], start: Date, end: Date, due: Date, between: Callable[..., int]) -> int:
    """The longest stretch without an event: `between` consecutive days of the period's start,
    the dated events inside the known period in order, and its last known day (the whole
    period if none)."""
    known = min(end, due)
    days = sorted({d for d in dates if d is not None and start <= d <= known})
    marks = [start, *days, known]
    return max(between(a, b) for a, b in itertools.pairwise(marks))


def longest_gap_days(dates: Iterable[Date | None], start: Date, end: Date, due: Date) -> int:
    """`longest_gap(...)`: the longest gap in days (see `gaps`)."""
    return gaps(dates, start, end, due, days_between)


def longest_gap_months(dates: Iterable[Date | None], start: Date, end: Date, due: Date) -> int:
    """`longest_gap_months(...)`: the longest gap in whole months, counted as `months_between` counts."""
    return gaps(dates, start, end, due, months_between)


def year_period(year: int) -> tuple[Date, Date]:
    """The calendar year `year` as a period."""
    return Date(year, 1, 1), Date(year, 12, 31)
