"""Records and judged scores read from a filled workbook (`.xlsx`), laid out as
`workbook_layout` says; read with python-calamine (`pip install indicator-dsl[office]`).

Each cell is read by its column's kind: numbers exactly (a number cell holds a binary double,
read back as the shortest decimal that is that double: `0.91`, never `0.9100000000000000310…`;
a decimal typed as text is read as written), dates from date cells or `YYYY-MM-DD` text, yes/no
as 是/否, choices checked against the schema's. A cell that cannot be read is an error naming
the sheet, the cell and what is wrong (`党员名册!C12: 不是有效日期 (not a date)`); every
problem of a record is reported together, as an `InputError` in the record's place, and the
other records are read and scored. A row of a list or score sheet whose id is in no record row
is an error of its own, in the order of the records sheet's end.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from .inputs import InputError
from .workbook_layout import FALSE_WORDS, LIST_SEPARATOR, REASONS, TRUE_WORDS, Column, SheetLayout, WorkbookLayout


class CellError(ValueError):
    """What is wrong with one cell, in the reader's words."""


def column_letter(index: int) -> str:
    """`A` for 0, `Z` for 25, `AA` for 26: a column as a spreadsheet names it."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value).strip()


def _decimal(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise CellError("不是数字 (not a number)")
    if isinstance(value, float):  # the shortest text that is this double: what was typed (7, not 7.0)
        return Decimal(int(value)) if value.is_integer() else Decimal(repr(value))
    if isinstance(value, int):
        return Decimal(value)
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise CellError("不是数字 (not a number)") from None
    if not number.is_finite():
        raise CellError("不是数字 (not a number)")
    return number


def _scalar(kind: str, value: Any, column: Column) -> Any:
    if kind in ("text", "reason"):
        return _text(value)
    if kind == "int":
        number = _decimal(value)
        if number != number.to_integral_value():
            raise CellError("不是整数 (not a whole number)")
        result: Any = int(number)
    elif kind in ("decimal", "score", "adjust"):
        result = _decimal(value)
    elif kind == "date":
        if isinstance(value, datetime.datetime):
            return value.date().isoformat()
        if isinstance(value, datetime.date):
            return value.isoformat()
        try:
            return datetime.date.fromisoformat(str(value).strip()).isoformat()
        except ValueError:
            raise CellError("不是有效日期 (not a date, YYYY-MM-DD)") from None
    elif kind == "bool":
        if isinstance(value, bool):
            return value
        text = _text(value)
        if text in TRUE_WORDS or text in FALSE_WORDS:
            return text in TRUE_WORDS
        raise CellError("应填“是”或“否” (yes or no)")
    elif kind == "enum":
        text = _text(value)
        if text in column.members:
            return column.values[column.members.index(text)] if column.values else text
        if text in column.values:  # a name where its label is expected
            return text
        shown = "、".join(column.members[:8]) + ("…" if len(column.members) > 8 else "")
        raise CellError(f"“{text}”不是可选值之一: {shown}")
    else:
        raise AssertionError(kind)
    in_range = column.low is None or column.high is None or column.low <= result <= column.high
    if kind in ("decimal", "int") and not in_range:  # a judged score's range is its ruleset's: checked there
        raise CellError(f"超出范围 {column.low}..{column.high} (out of range)")
    return result


def cell_value(value: Any, column: Column) -> Any:
    """The value of a non-empty cell for `column`, or CellError."""
    if column.kind == "list":
        parts = [p.strip() for p in _text(value).replace(";", LIST_SEPARATOR).split(LIST_SEPARATOR)]
        return [_scalar(column.item, p, column) for p in parts if p]
    if column.kind == "json":
        try:
            return json.loads(_text(value), parse_float=Decimal)
        except ValueError:
            raise CellError("不是有效的 JSON (not JSON)") from None
    return _scalar(column.kind, value, column)


def _put(target: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    for key in path[:-1]:
        target = target.setdefault(key, {})
    target[path[-1]] = value


@dataclass(slots=True)
class _Entry:
    """What the sheets say of one record: its fields, lists, scores, and the problems found."""

    where: str
    record: dict[str, Any] = field(default_factory=dict)
    problems: list[tuple[str, str]] = field(default_factory=list)


def _rows(workbook: Any, sheet: SheetLayout) -> tuple[list[int], list[tuple[int, list[Any]]]]:
    """Where each of the sheet's columns stands (its index among the sheet's cells; -1 when it is
    absent), and each non-empty data row: its number and the value under each column (None when
    the cell is empty)."""
    if sheet.title not in workbook.sheet_names:
        return [], []
    rows = workbook.get_sheet_by_name(sheet.title).to_python(skip_empty_area=False)
    if not rows:
        return [], []
    known = {c.header: i for i, c in enumerate(sheet.columns)}
    positions = [-1] * len(sheet.columns)
    for index, header in enumerate(rows[0]):
        text = _text(header) if header not in ("", None) else ""
        if text and text not in known:
            raise ValueError(f"{sheet.title}!{column_letter(index)}1: 未知的列“{text}” (unknown column)")
        if text:
            positions[known[text]] = index
    absent = [c.header for c, at in zip(sheet.columns, positions, strict=True) if c.required and at < 0]
    if absent:
        raise ValueError(f"{sheet.title}: 缺少必填列 (missing columns): {'、'.join(absent)}")
    out = []
    for number, row in enumerate(rows[1:], start=2):
        values = [row[at] if 0 <= at < len(row) and row[at] not in ("", None) else None for at in positions]
        if any(v is not None for v in values):
            out.append((number, values))
    return positions, out


def _read_row(
    cells: list[Any], positions: list[int], columns: tuple[Column, ...], sheet: str, number: int
) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """A row as an object and its problems (cell name, message); a required column left empty is one."""
    values: dict[str, Any] = {}
    problems: list[tuple[str, str]] = []
    for column, raw, at in zip(columns, cells, positions, strict=True):
        if raw is None:
            if column.kind == "list":  # an empty list cell: no items
                _put(values, column.path, [])
            elif column.required:
                problems.append((f"{sheet}!{column_letter(at)}{number}", "必填 (required)"))
            continue
        try:
            _put(values, column.path, cell_value(raw, column))
        except CellError as error:
            problems.append((f"{sheet}!{column_letter(at)}{number}", str(error)))
    return values, problems


def read_workbook(path: Path, layout: WorkbookLayout) -> Iterator[dict[str, Any] | InputError]:
    """The records of a filled workbook, in the order of the records sheet, each with its
    `sheets`; a record with unreadable cells is an InputError naming them. Raises ValueError
    for a workbook that cannot be read, or a sheet with an unknown or missing column."""
    try:
        from python_calamine import CalamineWorkbook
    except ImportError:
        raise ValueError("reading .xlsx needs the office extra: pip install 'indicator-dsl[office]'") from None
    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except Exception as error:  # calamine raises its own errors for files that are not workbooks
        raise ValueError(f"{path}: not a readable .xlsx workbook: {error}") from None
    entries: dict[str, _Entry] = {}
    order: list[_Entry] = []
    id_path = (layout.id_field,)
    for sheet in layout.sheets:
        positions, rows = _rows(workbook, sheet)
        for number, cells in rows:
            values, problems = _read_row(cells, positions, sheet.columns, sheet.title, number)
            key = str(values.get(layout.id_field, "")) if layout.id_field else str(number)
            where = f"{sheet.title}!A{number}"
            if sheet.kind == "records":
                if key in entries and key:
                    order.append(_Entry(where, problems=[(where, f"编号 {key} 重复 (duplicate id)")]))
                    continue
                entry = entries[key] = _Entry(where, values)
                order.append(entry)
                entry.problems.extend(problems)
                continue
            entry = entries.get(key) or entries.setdefault(key, _orphan(where, key, sheet, order))
            entry.problems.extend(problems)
            values.pop(id_path[0], None)
            if sheet.kind == "list":
                assert sheet.field is not None
                entry.record.setdefault(sheet.field, []).append(values)
            elif sheet.kind == "corrections":
                if not problems:
                    source, indicator = values.pop("source"), values.pop("indicator")
                    entry.record.setdefault("sheets", {}).setdefault(source, {})[indicator] = values
            else:
                assert sheet.field is not None
                scores = _sheet_entries(values, sheet.columns)
                if scores:
                    entry.record.setdefault("sheets", {}).setdefault(sheet.field, {}).update(scores)
    for sheet in layout.sheets:  # a list sheet with no row for a record: the record's list is empty
        if sheet.kind == "list" and sheet.title in workbook.sheet_names:
            for entry in order:
                if entry.record and sheet.field is not None:
                    entry.record.setdefault(sheet.field, [])
    for entry in order:
        if entry.problems:
            where, message = entry.problems[0]
            rest = "; ".join(f"{w}: {m}" for w, m in entry.problems[1:])
            record_id = entry.record.get(layout.id_field) if layout.id_field else None
            text = message + (f"; {rest}" if rest else "")
            yield InputError(where, text, None if record_id is None else str(record_id))
        else:
            yield entry.record


def _orphan(where: str, key: str, sheet: SheetLayout, order: list[_Entry]) -> _Entry:
    """An id in a list or score sheet that no record row has: an error of its own."""
    entry = _Entry(where, problems=[(where, f"编号“{key}”不在记录表中 (no record with this id)")])
    order.append(entry)
    return entry


def _sheet_entries(values: dict[str, Any], columns: tuple[Column, ...]) -> dict[str, Any]:
    """A score sheet's row as sheet entries: the number, or {score|adjust, reason} where a reason is given."""
    reasons = values.get(REASONS, {})
    entries: dict[str, Any] = {}
    for column in columns:
        name = column.path[-1]
        if column.kind not in ("score", "adjust") or (name not in values and name not in reasons):
            continue
        entries[name] = {column.kind: values.get(name), "reason": reasons[name]} if name in reasons else values[name]
    return entries
