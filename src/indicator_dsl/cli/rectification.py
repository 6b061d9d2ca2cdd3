"""`ind rectification ITEMS [--as-of DATE]`: check rectification items, list the overdue ones."""

from __future__ import annotations

import datetime
import json
import sys
from pathlib import Path

from .common import ArgumentParser


def main(argv: list[str]) -> int:
    parser = ArgumentParser(prog="ind rectification", description="Rectification items: overdue and rectified.")
    parser.add_argument("items", type=Path, nargs="?", help="rectification items: .jsonl, .json, .yaml or .csv")
    parser.add_argument("--as-of", help="the day overdue is judged on (default: today)")
    parser.add_argument("--format", choices=["text", "json"], default="text")
    parser.add_argument("--schema", action="store_true", help="print the JSON Schema of an item")
    args = parser.parse(argv)
    if isinstance(args, int):
        return args
    from ..evaluate.rectification import RectificationItem, read_rectification_file

    if args.schema:
        sys.stdout.write(json.dumps(RectificationItem.model_json_schema(), ensure_ascii=False, indent=2) + "\n")
        return 0
    if args.items is None:
        sys.stderr.write("ind rectification: give an items file (or --schema)\n")
        return 2
    try:
        as_of = datetime.date.fromisoformat(args.as_of) if args.as_of else datetime.date.today()
        found = read_rectification_file(args.items)
    except (OSError, ValueError) as error:
        sys.stderr.write(f"ind rectification: {error}\n")
        return 2
    for problem in found.problems:
        sys.stderr.write(f"ind rectification: {problem}\n")
    overdue = found.overdue(as_of)
    rectified = found.rectified()
    if args.format == "json":
        data = {
            "as_of": as_of.isoformat(),
            "items": len(found.items),
            "problems": list(found.problems),
            "overdue": [item.model_dump(mode="json") for item in overdue],
            "rectified": rectified,
        }
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    else:
        done = sum(rectified.values())
        lines = [
            f"截至 as of {as_of}: {len(found.items)} 项整改事项 items, {len(rectified)} 个支部 branches, "
            f"{done} 个已整改到位 rectified",
            f"逾期未销号 overdue: {len(overdue)}",
        ]
        for item in overdue:
            days = (as_of - item.deadline).days
            lines.append(
                f"  {item.branch}  {item.id}  {item.issue}  挂钩 {item.leader}  时限 {item.deadline}"
                f" (逾期 {days} 天)  {item.status.value}" + (f"  [{item.indicator}]" if item.indicator else "")
            )
        sys.stdout.write("\n".join(lines) + "\n")
    return 1 if overdue or found.problems else 0
