"""Reading records from JSON, JSON lines, YAML and CSV, exactly and without losing any.

Numbers are read as Decimal (JSON floats never pass through binary floats). A line or
row that cannot be read becomes an `InputError` in its place, so the batch keeps its
order and the bad line is reported with the others' results.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

FORMATS = ("json", "jsonl", "yaml", "csv")


@dataclass(frozen=True, slots=True)
class InputError:
    """A record that could not be read at all; `where` says which line or row."""

    where: str
    message: str


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number")


def loads(text: str) -> Any:
    return json.loads(text, parse_float=Decimal, parse_constant=_reject_constant)


def detect_format(path: Path) -> str:
    suffix = path.suffix.lower().lstrip(".")
    return {"yml": "yaml", "ndjson": "jsonl"}.get(suffix, suffix)


def read_records(path: Path, fmt: str | None = None) -> Iterator[Any]:
    """Yield records (dicts) or InputErrors, in file order. Raises OSError/ValueError for
    a file that cannot be read as a whole."""
    kind = fmt or detect_format(path)
    if kind == "jsonl":
        yield from _jsonl(path)
        return
    text = path.read_text(encoding="utf-8-sig")
    if kind == "json":
        try:
            data = loads(text)
        except ValueError as error:
            raise ValueError(f"{path}: not valid JSON: {error}") from None
        yield from _many(data)
    elif kind == "yaml":
        import yaml

        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as error:
            raise ValueError(f"{path}: not valid YAML: {error}") from None
        yield from _many(data)
    elif kind == "csv":
        yield from _csv(text)
    else:
        raise ValueError(f"{path}: unknown record format '{kind}' (use {', '.join(FORMATS)})")


def _many(data: Any) -> Iterator[Any]:
    if isinstance(data, dict) and isinstance(data.get("records"), list):
        yield from data["records"]
    elif isinstance(data, list):
        yield from data
    else:
        yield data


def _jsonl(path: Path) -> Iterator[Any]:
    with path.open("r", encoding="utf-8-sig", errors="replace") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                yield loads(line)
            except ValueError as error:
                yield InputError(f"line {number}", f"not JSON: {error}")


def _cell(value: str | None) -> Any:
    if value is None:
        return None
    text = value.strip()
    if text == "":
        return None
    if text[0] in "[{":
        try:
            return loads(text)
        except ValueError:
            return text
    return text


def _csv(text: str) -> Iterator[Any]:
    reader = csv.DictReader(io.StringIO(text))
    for number, row in enumerate(reader, start=2):
        if None in row:
            yield InputError(f"row {number}", "the row has more cells than the header")
            continue
        yield {key: _cell(value) for key, value in row.items() if _cell(value) is not None}
