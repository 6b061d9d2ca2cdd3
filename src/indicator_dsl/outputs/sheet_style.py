"""What every workbook this package writes shares: XlsxWriter opened with the package's
styles, and a sheet that writes a frozen header row, numbers exactly, dates as dates, and
sets each column's width to fit its widest cell (CJK characters count double).

A number is written as a number when a binary double holds it exactly as its decimal text
(`87.35` reads back as `87.35`), and as text otherwise, so no digit is ever lost; a decimal
shows the places it has (a total of `87.50` keeps its two places through the cell's format).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from ..syntax.cells import display_width

MAX_WIDTH = 60  # characters: a longer cell wraps rather than widening its column further
DATE_FORMAT = "yyyy-mm-dd"


@dataclass(frozen=True, slots=True)
class Styles:
    header: Any
    date: Any
    text: Any
    places: dict[int, Any]  # a number format per count of decimal places


def open_workbook(path: Path) -> tuple[Any, Styles]:
    """An XlsxWriter workbook writing to `path` row by row (constant memory), with the styles."""
    try:
        import xlsxwriter
    except ImportError:
        raise ValueError("writing .xlsx needs the office extra: pip install 'indicator-dsl[office]'") from None
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_numbers": False})
    header = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True, "valign": "top"})
    places = {p: book.add_format({"num_format": "0" if p == 0 else "0." + "0" * p}) for p in range(0, 11)}
    styles = Styles(header, book.add_format({"num_format": DATE_FORMAT}), book.add_format({"text_wrap": False}), places)
    return book, styles


def number_cell(value: Any) -> tuple[float | None, int, str]:
    """How a number is written: (the double, its decimal places) when the double holds it
    exactly, else (None, 0, its text)."""
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except InvalidOperation:
        return None, 0, str(value)
    if not number.is_finite():
        return None, 0, str(value)
    as_float = float(number)
    places = max(0, -int(number.as_tuple().exponent))
    if Decimal(repr(as_float)) != number or places > 10:
        return None, 0, format(number, "f")
    return as_float, places, ""


class Sheet:
    """A worksheet written row by row: header in row 0 (frozen, filtered), widths kept per column."""

    def __init__(self, worksheet: Any, styles: Styles, headers: list[str], *, autofilter: bool = True) -> None:
        self.worksheet = worksheet
        self.styles = styles
        self.widths = [display_width(h) for h in headers]
        self.last_row = 0
        for col, header in enumerate(headers):
            worksheet.write_string(0, col, header, styles.header)
        worksheet.freeze_panes(1, 0)
        self.autofilter = autofilter and bool(headers)

    def _seen(self, row: int, col: int, text: str) -> None:
        self.last_row = max(self.last_row, row)
        while len(self.widths) <= col:
            self.widths.append(0)
        self.widths[col] = max(self.widths[col], display_width(text))

    def text(self, row: int, col: int, value: str) -> None:
        self.worksheet.write_string(row, col, value)
        self._seen(row, col, value)

    def number(self, row: int, col: int, value: Any) -> None:
        as_float, places, text = number_cell(value)
        if as_float is None:
            self.text(row, col, text)
            return
        self.worksheet.write_number(row, col, as_float, self.styles.places[places])
        self._seen(row, col, format(Decimal(repr(as_float)), "f"))

    def date(self, row: int, col: int, value: datetime.date) -> None:
        self.worksheet.write_datetime(row, col, datetime.datetime.combine(value, datetime.time()), self.styles.date)
        self._seen(row, col, "0000-00-00")

    def validate(self, first_row: int, col: int, last_row: int, rule: dict[str, Any]) -> None:
        self.worksheet.data_validation(first_row, col, last_row, col, rule)

    def finish(self) -> None:
        """Column widths that fit the widest cell (two spaces of margin), and the header's filter."""
        for col, width in enumerate(self.widths):
            self.worksheet.set_column(col, col, min(MAX_WIDTH, width + 2))
        if self.autofilter:
            self.worksheet.autofilter(0, 0, self.last_row, max(0, len(self.widths) - 1))
