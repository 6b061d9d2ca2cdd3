"""Data-entry workbooks: a template to fill (`ind template`), or one filled from records
(`ind convert --to xlsx`), laid out as `evaluate/workbook_layout.py` says and written with
XlsxWriter (`pip install indicator-dsl[office]`).

Every sheet has a frozen header row of the schema's labels and column widths that fit them;
each column validates what is typed (a choice from the schema's list, 是/否, a date, a whole
number, a number in the field's range or in 0..max for a judged score) and shows a note on what
it takes. A `填写说明` sheet explains the sheets and each column. Numbers are written as numbers
when a double holds them exactly (as text otherwise, so no digit is lost); dates as dates.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

from ..evaluate.workbook_layout import LIST_SEPARATOR, REASONS, Column, SheetLayout, WorkbookLayout
from ..evaluate.workbook_read import column_letter
from ..files import publish, temporary
from .sheet_style import Sheet, Styles, open_workbook

SPARE_ROWS = 2000  # rows below the data that still validate what is typed
OPTIONS_SHEET = "选项"
INSTRUCTIONS_SHEET = "填写说明"

_KIND_NOTES = {
    "text": "文字",
    "int": "整数",
    "decimal": "数字",
    "date": "日期,格式 YYYY-MM-DD",
    "bool": "填“是”或“否”",
    "enum": "从下拉列表中选择",
    "list": f"可填多项,用“{LIST_SEPARATOR}”分隔",
    "json": "JSON 文本",
    "score": "评分",
    "adjust": "加减分",
    "reason": "理由(文字)",
}


def column_note(column: Column) -> str:
    """What a column takes, in a sentence: kind, range, choices, whether it is required."""
    note = _KIND_NOTES[column.kind]
    if column.low is not None and column.high is not None:
        note += f",范围 {column.low}~{column.high}"
    if column.members:
        note += ",可选:" + "、".join(column.members)
    return note + (";必填" if column.required else ";可空")


def _get(record: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = record
    for key in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def _date(value: Any) -> datetime.date | None:
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError:
        return None


def _cell(sheet: Sheet, row: int, col: int, column: Column, value: Any) -> None:
    if value is None:
        return
    kind = column.kind
    day = _date(value) if kind == "date" else None
    if kind == "bool" and isinstance(value, bool):
        sheet.text(row, col, "是" if value else "否")
    elif day is not None:
        sheet.date(row, col, day)
    elif kind in ("int", "decimal", "score", "adjust") and not isinstance(value, bool):
        sheet.number(row, col, value)
    elif kind == "list" and isinstance(value, list):
        sheet.text(row, col, LIST_SEPARATOR.join(str(v) for v in value))
    elif kind == "json":
        sheet.text(row, col, json.dumps(value, ensure_ascii=False, default=str))
    else:
        sheet.text(row, col, str(value))


def _bound(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def _validate(sheet: Sheet, col: int, column: Column, options: dict[tuple[str, ...], str], last: int) -> None:
    """Data validation of a column's rows 2..last+1 and the note shown when a cell is chosen."""
    rule: dict[str, Any] = {
        "input_title": column.header[:32],
        "input_message": column_note(column)[:255],
        "error_title": "输入有误",
        "error_message": column_note(column)[:255],
    }
    if column.kind == "enum" and column.members:
        rule |= {"validate": "list", "source": options[column.members]}
    elif column.kind == "bool":
        rule |= {"validate": "list", "source": ["是", "否"]}
    elif column.kind == "date":
        rule |= {
            "validate": "date",
            "criteria": "between",
            "minimum": datetime.date(1900, 1, 1),
            "maximum": datetime.date(2999, 12, 31),
        }
    elif column.kind in ("int", "decimal", "score", "adjust"):
        rule["validate"] = "integer" if column.kind == "int" else "decimal"
        if column.low is not None and column.high is not None:
            rule |= {"criteria": "between", "minimum": _bound(column.low), "maximum": _bound(column.high)}
        else:
            rule |= {"criteria": "between", "minimum": -1e15, "maximum": 1e15}
    else:
        rule |= {"validate": "any"}
    sheet.validate(1, col, last, rule)


def write_workbook(
    path: Path, layout: WorkbookLayout, records: Iterable[Mapping[str, Any]] = (), *, spare_rows: int = SPARE_ROWS
) -> int:
    """Write the workbook for `layout`, filled from `records` (none: an empty template), atomically.
    Returns the number of records written."""
    with temporary(path, "xlsx") as temp:
        count = _write(temp, layout, records, spare_rows)
        publish(temp, path)
    return count


def _write(temp: Path, layout: WorkbookLayout, records: Iterable[Mapping[str, Any]], spare_rows: int) -> int:
    book, styles = open_workbook(temp)
    _instructions(book.add_worksheet(INSTRUCTIONS_SHEET), layout, styles)
    options = _options(book, layout)
    sheets = {s.title: Sheet(book.add_worksheet(s.title), styles, [c.header for c in s.columns]) for s in layout.sheets}
    rows = dict.fromkeys(sheets, 1)
    count = 0
    for record in records:
        count += 1
        key = record.get(layout.id_field) if layout.id_field else None
        for sheet in layout.sheets:
            if sheet.kind == "records":
                items: list[Mapping[str, Any]] = [record]
            elif sheet.kind == "list":
                found = record.get(sheet.field or "")
                items = [i for i in found if isinstance(i, Mapping)] if isinstance(found, list) else []
            elif sheet.kind == "corrections":
                items = _correction_rows(record, sheet)
            else:
                items = _score_rows(record, sheet)
            for item in items:
                _row(sheets[sheet.title], rows[sheet.title], sheet, item, key)
                rows[sheet.title] += 1
    for sheet in layout.sheets:
        last = rows[sheet.title] + spare_rows
        for col, column in enumerate(sheet.columns):
            _validate(sheets[sheet.title], col, column, options, last)
        sheets[sheet.title].finish()
    book.close()
    return count


def _row(sheet: Sheet, row: int, layout: SheetLayout, item: Mapping[str, Any], key: Any) -> None:
    for col, column in enumerate(layout.columns):
        value = key if layout.kind != "records" and col == 0 else _get(item, column.path)
        _cell(sheet, row, col, column, value)


def _correction_rows(record: Mapping[str, Any], sheet: SheetLayout) -> list[Mapping[str, Any]]:
    """A record's corrections of computed scores, one row each, labels for names."""
    sheets = record.get("sheets")
    rows: list[Mapping[str, Any]] = []
    source_column, indicator_column = sheet.columns[1], sheet.columns[2]
    for source, entries in sheets.items() if isinstance(sheets, Mapping) else ():
        for name, entry in entries.items() if isinstance(entries, Mapping) else ():
            if isinstance(entry, Mapping) and "correct" in entry:
                rows.append(
                    {
                        **entry,
                        "source": _label(source_column, source),
                        "indicator": _label(indicator_column, name),
                    }
                )
    return rows


def _label(column: Column, name: str) -> str:
    return column.members[column.values.index(name)] if name in column.values else name


def _score_rows(record: Mapping[str, Any], sheet: SheetLayout) -> list[Mapping[str, Any]]:
    """A record's sheet for this source as one row: {indicator: score, REASONS: {indicator: reason}}."""
    sheets = record.get("sheets")
    entries = sheets.get(sheet.field) if isinstance(sheets, Mapping) else None
    if not isinstance(entries, Mapping) or not entries:
        return []
    row: dict[str, Any] = {REASONS: {}}
    for name, entry in entries.items():
        if isinstance(entry, Mapping) and "correct" in entry:
            continue  # on the corrections sheet
        if isinstance(entry, Mapping):
            row[name] = entry.get("score", entry.get("adjust"))
            row[REASONS][name] = entry.get("reason")
        else:
            row[name] = entry
    return [row]


def _options(book: Any, layout: WorkbookLayout) -> dict[tuple[str, ...], str]:
    """A hidden sheet with one column per list of choices; each list's range by its choices."""
    lists = list(dict.fromkeys(c.members for s in layout.sheets for c in s.columns if c.kind == "enum" and c.members))
    ranges: dict[tuple[str, ...], str] = {}
    if not lists:
        return ranges
    sheet = book.add_worksheet(OPTIONS_SHEET)
    for row in range(max(len(members) for members in lists)):  # row by row: the workbook streams its rows
        for col, members in enumerate(lists):
            if row < len(members):
                sheet.write_string(row, col, members[row])
    for col, members in enumerate(lists):
        letter = column_letter(col)
        ranges[members] = f"='{OPTIONS_SHEET}'!${letter}$1:${letter}${len(members)}"
    sheet.hide()
    return ranges


def _instructions(worksheet: Any, layout: WorkbookLayout, styles: Styles) -> None:
    sheet = Sheet(worksheet, styles, ["工作表", "列", "填写要求"])
    lines: list[tuple[str, str, str]] = [
        (layout.title, "", "每个工作表第一行是列名,请勿修改;从第二行起每行一条。"),
    ]
    for s in layout.sheets:
        what = {
            "records": "每行一个记录。",
            "list": f"每行一条“{s.label}”,第一列填所属记录的编号。",
            "scores": f"“{s.label}”的评分,每行一个记录,第一列填编号;不适用的指标留空。",
            "corrections": "上级对计算得分的核正,每行一条:编号、评分表、指标、核正分值、理由、证据。",
        }[s.kind]
        lines.append((s.title, "", what))
        lines.extend((s.title, c.header, column_note(c)) for c in s.columns)
    for row, (a, b, c) in enumerate(lines, start=1):
        sheet.text(row, 0, a)
        sheet.text(row, 1, b)
        sheet.text(row, 2, c)
    sheet.finish()
