"""Calendar keys of the columnar plan (`codegen/columnar_dates.py`): within one year the month
comes from the day number, and it is polars' `dt.month` on every day of common and leap
years, centuries included; quarters and periods across years keep their keys distinct."""

from __future__ import annotations

import datetime

import pytest

pl = pytest.importorskip("polars", reason="the columnar backend needs polars: pip install -e '.[columnar]'")

from indicator_dsl.codegen.columnar_dates import calendar_key, month_index  # noqa: E402


def _year(year: int) -> pl.DataFrame:
    first = datetime.date(year, 1, 1)
    days = [first + datetime.timedelta(days=i) for i in range((datetime.date(year + 1, 1, 1) - first).days)]
    return pl.DataFrame({"day": days}, schema={"day": pl.Date})


@pytest.mark.parametrize("year", [1900, 1999, 2000, 2023, 2024, 2100, 2400])
def test_the_month_of_every_day_of_a_year_is_polars_month(year: int) -> None:
    frame = _year(year).with_columns(month_index(pl.col("day"), year).alias("index"))
    assert frame.height == (366 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 365)
    assert frame["index"].to_list() == [d.month - 1 for d in frame["day"]]


def test_quarters_within_a_year_and_months_across_years() -> None:
    year = _year(2024)
    quarters = year.select(calendar_key(pl.col("day"), datetime.date(2024, 1, 1), datetime.date(2024, 12, 31), 3))
    assert quarters.to_series().to_list() == [(d.month - 1) // 3 for d in year["day"]]
    both = pl.concat([_year(2023), year])
    keys = both.select(calendar_key(pl.col("day"), datetime.date(2023, 1, 1), datetime.date(2024, 12, 31), 1))
    assert keys.to_series().n_unique() == 24  # January 2023 and January 2024 differ
