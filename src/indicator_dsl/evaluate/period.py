"""The period as a parameter of the evaluation (`ind eval --period 2026 --as-of 2026-06-30`).

A ruleset's `period A to B` is its default. An evaluation may name another period (a year, or
first and last day) and an as-of day for an in-year run; `bind` gives the resolved ruleset
those dates before it is planned, so both backends read them as they read a declared period
(semantics/calendar.py says what an as-of day does to the calendar counts).
"""

from __future__ import annotations

import dataclasses
import datetime
from dataclasses import dataclass

from ..check.resolved import ResolvedRuleset
from ..semantics.calendar import year_period
from ..syntax import nodes as n

Date = datetime.date


class PeriodError(ValueError):
    """A period or as-of day the evaluation cannot use (the message says why)."""


@dataclass(frozen=True, slots=True)
class Timing:
    """The period an evaluation is for (None: each ruleset's own) and the day it is as of
    (None: the period is over)."""

    period: tuple[Date, Date] | None = None
    as_of: Date | None = None

    @property
    def key(self) -> str:
        """Part of a compiled plan's cache key: plans of different timings differ."""
        period = "" if self.period is None else f"{self.period[0]}..{self.period[1]}"
        return f"{period}@{self.as_of or ''}"


NO_TIMING = Timing()


def period_of(value: int | str | tuple[Date, Date] | None) -> tuple[Date, Date] | None:
    """A period from a year (`2026`, `"2026"`), `"2026-01-01..2026-06-30"` or two dates."""
    if value is None or isinstance(value, tuple):
        period = value
    elif isinstance(value, int) or (isinstance(value, str) and value.strip().isdigit()):
        year = int(value)
        if not 1 <= year <= 9999:
            raise PeriodError(f"a period year is 1 to 9999, not {year}")
        period = year_period(year)
    else:
        start, sep, end = value.partition("..")
        try:
            period = (Date.fromisoformat(start.strip()), Date.fromisoformat(end.strip())) if sep else None
        except ValueError:
            period = None
        if period is None:
            raise PeriodError(f"a period is a year (2026) or FIRST..LAST (2026-01-01..2026-12-31), not {value!r}")
    if period is not None and period[0] > period[1]:
        raise PeriodError(f"the period starts ({period[0]}) after it ends ({period[1]})")
    return period


def date_of(value: str | Date | None, what: str) -> Date | None:
    if value is None or isinstance(value, Date):
        return value
    try:
        return Date.fromisoformat(value.strip())
    except ValueError:
        raise PeriodError(f"{what} is a date (2026-06-30), not {value!r}") from None


def bind(resolved: ResolvedRuleset, timing: Timing) -> ResolvedRuleset:
    """The ruleset evaluated for `timing`: its period replaced, its as-of day set."""
    if timing == NO_TIMING:
        return resolved
    declared = resolved.period
    if timing.period is not None:
        span = declared.span if declared is not None else resolved.node.span
        declared = n.PeriodDecl(start=timing.period[0], end=timing.period[1], span=span)
    if timing.as_of is not None:
        if declared is None:
            raise PeriodError(f"ruleset {resolved.name} has no period: an as-of day needs one (--period)")
        if timing.as_of < declared.start:
            raise PeriodError(f"as of {timing.as_of} is before the period starts ({declared.start})")
    return dataclasses.replace(resolved, period=declared, as_of=timing.as_of, period_given=timing.period is not None)
