"""The province through Excel: the catalog's data-entry template (``ind template``) filled from the
synthetic records by this script, as an office would type them (openpyxl, not the package's own
writer: numbers as numbers, dates as dates, 是/否, lists joined with ；), read back with
``indicator_dsl`` and scored; the results must be identical to scoring the JSON records::

    python examples/province/generate.py -o province.jsonl
    python examples/province/workbook_roundtrip.py province.jsonl [--out province.xlsx]

Prints the time of each step and exits 1 on the first difference. Needs the office extra.
"""

from __future__ import annotations

import argparse
import datetime
import sys
import time
from collections.abc import Iterable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl

import indicator_dsl
from indicator_dsl.evaluate.inputs import read_records
from indicator_dsl.evaluate.workbook_layout import LIST_SEPARATOR, REASONS, Column, WorkbookLayout
from indicator_dsl.outputs.workbook_template import write_workbook

HERE = Path(__file__).resolve().parent
CATALOG = HERE.parents[1] / "rulesets" / "jiangsu" / "catalog.ind"


def typed(value: Any, column: Column) -> Any:
    """A record's value as a person types it into the cell."""
    if value is None:
        return None
    if column.kind == "date":
        return datetime.date.fromisoformat(str(value))
    if column.kind == "bool":
        return "是" if value else "否"
    if column.kind in ("int", "decimal", "score", "adjust"):
        number = Decimal(str(value))
        return int(number) if number == number.to_integral_value() else float(number)
    if column.kind == "list":
        return LIST_SEPARATOR.join(str(v) for v in value)
    return value


def _get(item: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = item
    for key in path:
        value = value.get(key) if isinstance(value, Mapping) else None
    return value


def _label(column: Column, name: str) -> str:
    """What a person picks from the drop-down for `name` (its label)."""
    return column.members[column.values.index(name)]


def fill_template(template: Path, out: Path, layout: WorkbookLayout, records: Iterable[Mapping[str, Any]]) -> int:
    """Append one row per record, list item, judged sheet and correction to the empty template;
    save as `out`."""
    book = openpyxl.load_workbook(template)
    count = 0
    for record in records:
        count += 1
        key = record[layout.id_field]
        for sheet in layout.sheets:
            target = book[sheet.title]
            if sheet.kind == "records":
                target.append([typed(_get(record, c.path), c) for c in sheet.columns])
            elif sheet.kind == "list":
                for item in record.get(sheet.field or "", []):
                    target.append([key, *(typed(_get(item, c.path), c) for c in sheet.columns[1:])])
            elif sheet.kind == "corrections":
                for source, entries in record.get("sheets", {}).items():
                    for name, entry in entries.items():
                        if isinstance(entry, Mapping) and "correct" in entry:
                            row = {**entry, "source": _label(sheet.columns[1], source)}
                            row["indicator"] = _label(sheet.columns[2], name)
                            target.append([key, *(typed(_get(row, c.path), c) for c in sheet.columns[1:])])
            elif sheet.kind == "scores":
                entries = record.get("sheets", {}).get(sheet.field, {})
                entries = {k: v for k, v in entries.items() if not (isinstance(v, Mapping) and "correct" in v)}
                if entries:
                    row = {REASONS: {}}
                    for name, entry in entries.items():
                        plain = not isinstance(entry, Mapping)
                        row[name] = entry if plain else entry.get("score", entry.get("adjust"))
                        row[REASONS][name] = None if plain else entry.get("reason")
                    target.append([key, *(typed(_get(row, c.path), c) for c in sheet.columns[1:])])
    book.save(out)
    return count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("records", type=Path, help="the province's records (.jsonl)")
    parser.add_argument("--out", type=Path, default=Path("province.xlsx"), help="the filled workbook")
    parser.add_argument("--catalog", type=Path, default=CATALOG)
    args = parser.parse_args(argv)
    model = indicator_dsl.load(args.catalog)
    layout = model.workbook_layout()
    records = [r for r in read_records(args.records) if isinstance(r, dict)]
    template = args.out.with_name("template-" + args.out.name)
    began = time.perf_counter()
    write_workbook(template, layout)
    count = fill_template(template, args.out, layout, records)
    filled = time.perf_counter()
    back = list(model.read_workbook(args.out))
    read = time.perf_counter()
    from_json = model.evaluate_many(records).results
    from_workbook = model.evaluate_many(back).results
    scored = time.perf_counter()
    print(f"{count} records: template filled in {filled - began:.1f} s, read back in {read - filled:.1f} s, ")
    print(f"both scored in {scored - read:.1f} s ({args.out.stat().st_size / 1e6:.1f} MB)")
    for want, have in zip(from_json, from_workbook, strict=True):
        if want.model_dump(mode="json") != have.model_dump(mode="json"):
            print(f"difference at {want.id}: {have.errors or have.total} != {want.errors or want.total}")
            return 1
    print(f"identical: {len(from_json)} results, {sum(1 for r in from_json if r.errors)} failed in both")
    return 0


if __name__ == "__main__":
    sys.exit(main())
