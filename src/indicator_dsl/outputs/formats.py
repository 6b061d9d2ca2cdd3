"""Results as text: JSON, JSON lines, CSV and a readable table (`RESULT_FORMATS` by name).

Writing the text to a file is `files.write_atomic`'s job.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from ..evaluate.results import Result, Results
from ..semantics.records import quoted
from ..syntax.cells import display_width, layout

READABLE_PLACES = 6
"""A figure shown to a person keeps at most this many decimal places; more are cut and marked `…`."""

READABLE_DIGITS = 24
"""A figure with more whole digits than this is shown in scientific notation (6 places)."""


def readable(value: Any) -> str:
    """A figure as a person reads it, in the table output and `--explain`: a decimal cut after
    `READABLE_PLACES` places and marked `…` (`150.666666…`), a huge one in scientific notation,
    an integer too long to print whole cut by `quoted`; anything else as `str` gives it."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return quoted(value)
    if not isinstance(value, Decimal) or not value.is_finite():
        return str(value)
    if value.adjusted() >= READABLE_DIGITS:
        return f"{value:.{READABLE_PLACES}e}"
    if value and value.adjusted() < -READABLE_PLACES:  # all of the places shown would be zeros
        return ("-" if value < 0 else "") + "0." + "0" * READABLE_PLACES + "…"
    text = format(value, "f")
    point = text.find(".")
    if point >= 0 and len(text) - point - 1 > READABLE_PLACES:
        return text[: point + READABLE_PLACES + 1] + "…"
    return text


def as_json(results: Sequence[Result]) -> str:
    return json.dumps([r.model_dump(mode="json") for r in results], ensure_ascii=False, indent=1) + "\n"


def as_jsonl(results: Iterable[Result]) -> str:
    """One JSON line per result; a batch's `Results` write theirs without building models."""
    lines = results.lines() if isinstance(results, Results) else (r.model_dump_json() for r in results)
    return "".join(line + "\n" for line in lines)


def _flat(result: Result) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": result.id,
        "ruleset": result.ruleset.name,
        "total": result.total,
        "grade": result.grade,
        "grade_label": result.grade_label,
        "bonus": result.bonus,
        **({} if result.penalty is None else {"penalty": result.penalty}),
        "vetoes": ";".join(result.vetoes),
        "exempt": result.exempt,
    }
    for source, parts in result.sources.items():
        if "value" in parts:
            row[f"{source}"] = parts["value"]
            continue
        row[f"{source}.table"] = parts["table"]
        for name, value in parts["dimensions"].items():
            row[f"{source}.{name}"] = value
        for name, value in parts["indicators"].items():
            row[f"{source}.{name}"] = value
    for name, value in result.outcomes.items():
        row[f"outcome.{name}"] = value
    row["errors"] = "; ".join(f"{e.path}: {e.message}" if e.path else e.message for e in result.errors)
    return row


def as_csv(results: Sequence[Result]) -> str:
    rows = [_flat(r) for r in results]
    columns: list[str] = []
    for row in rows:
        columns.extend(k for k in row if k not in columns)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return buffer.getvalue()


def as_table(results: Sequence[Result]) -> str:
    """Aligned columns for a terminal. Cells are shown as diagnostics show source lines
    (`layout`): a control character in an id or a message is U+FFFD, never an escape."""
    header = ["id", "ruleset", "total", "grade", "problems"]
    rows = [
        [
            layout(cell)[0]
            for cell in (
                r.id or "?",
                r.ruleset.name,
                "" if r.total is None else readable(r.total),
                "" if r.grade is None else f"{r.grade_label or r.grade} ({r.grade})" if r.grade else "",
                "; ".join(f"{e.path}: {e.message}" if e.path else e.message for e in r.errors) or (r.exempt or ""),
            )
        ]
        for r in results
    ]
    widths = [max([len(header[i])] + [display_width(row[i]) for row in rows]) for i in range(len(header))]
    lines = ["  ".join(pad(h, w) for h, w in zip(header, widths, strict=True)).rstrip()]
    lines += ["  ".join(pad(c, w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    return "\n".join(lines) + "\n"


def pad(text: str, width: int) -> str:
    return text + " " * max(0, width - display_width(text))


RESULT_FORMATS = {"json": as_json, "jsonl": as_jsonl, "csv": as_csv, "table": as_table}
