"""Calendar keys of dates as polars expressions, for `months_with` and `quarters_with`.

A key is equal for two days exactly when they fall in the same month (or quarter) of the
period. Within one calendar year the month is computed from the day number instead of
`dt.month` (which took 10 ns a day, most of counting the months of ten million meetings):
January and February by comparison, March to December by the civil-calendar formula
`(5 d + 2) // 153` over the days since 1 March, exact for those ten months of every year
(a leap day falls before 1 March). `tests/test_columnar_dates.py` holds it equal to
`dt.month` on every day of leap and common years.
"""

from __future__ import annotations

import datetime

import polars as pl

EPOCH = datetime.date(1970, 1, 1)  # a polars Date is the number of days since this day


def _day_number(day: datetime.date) -> pl.Expr:
    return pl.lit((day - EPOCH).days, dtype=pl.Int32)


def month_index(day: pl.Expr, year: int) -> pl.Expr:
    """The month (0 for January to 11) of a Date `day` that lies in `year`."""
    number = day.to_physical()
    february, march = _day_number(datetime.date(year, 2, 1)), _day_number(datetime.date(year, 3, 1))
    later = (pl.lit(5, dtype=pl.Int32) * (number - march) + 2) // 153 + 2
    return pl.when(number < february).then(pl.lit(0, dtype=pl.Int32)).when(number < march).then(1).otherwise(later)


def calendar_key(day: pl.Expr, start: datetime.date, end: datetime.date, months: int) -> pl.Expr:
    """The period of `months` months (1: the month, 3: the quarter) of a Date `day` in
    [`start`, `end`], as an integer."""
    if start.year == end.year:
        return month_index(day, start.year) // months
    return day.dt.year().cast(pl.Int32) * 12 + (day.dt.month().cast(pl.Int32) - 1) // months
