"""Results as text: JSON, JSON lines, CSV and a readable table (`RESULT_FORMATS` by name).

Writing the text to a file is `files.write_atomic`'s job.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from typing import Any

from ..evaluate.results import Result
from ..syntax.cells import display_width, layout


def as_json(results: Sequence[Result]) -> str:
    return json.dumps([r.model_dump(mode="json") for r in results], ensure_ascii=False, indent=1) + "\n"


def as_jsonl(results: Iterable[Result]) -> str:
    return "".join(r.model_dump_json() + "\n" for r in results)


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
                "" if r.total is None else str(r.total),
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
