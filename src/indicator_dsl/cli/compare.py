"""`ind compare RESULTS_A RESULTS_B`: grade movements and indicator changes between two years."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from .common import ArgumentParser, load_or_report


def main(argv: list[str]) -> int:
    parser = ArgumentParser(prog="ind compare", description="Movements between two years' results.")
    parser.add_argument("before", type=Path, help="the earlier year's results (.jsonl or .json)")
    parser.add_argument("after", type=Path, help="the later year's results")
    parser.add_argument("--ruleset", help="a ruleset or catalog whose grade order to use (best first)")
    parser.add_argument("--records", type=Path, help="the later year's records, for --by")
    parser.add_argument("--by", action="append", default=[], help="group by this record field (with --records)")
    parser.add_argument("--top", type=int, default=10, help="indicators shown (default 10)")
    parser.add_argument("--format", choices=["text", "json"], default="text")
    args = parser.parse(argv)
    if isinstance(args, int):
        return args
    from ..evaluate.inputs import InputError, read_records
    from ..outputs.compare import compare, comparison_text

    try:
        before = [r for r in read_records(args.before) if not isinstance(r, InputError)]
        after = [r for r in read_records(args.after) if not isinstance(r, InputError)]
        records = [r for r in read_records(args.records) if isinstance(r, dict)] if args.records else []
    except (OSError, ValueError) as error:
        sys.stderr.write(f"ind compare: {error}\n")
        return 2
    if args.by and not records:
        sys.stderr.write("ind compare: --by needs --records (the fields come from the records)\n")
        return 2
    order: list[str] | None = None
    if args.ruleset:
        model = load_or_report(args.ruleset, "ind compare")
        if model is None:
            return 2
        order = []
        for engine in model.engines.values():
            order += [g.name for g in engine.plan.grades if g.name not in order]
    groups: dict[str, dict[str, str]] = {
        field: {str(r.get("id")): str(r.get(field)) for r in records} for field in args.by
    }
    result = compare(before, after, grade_order=order, groups=groups, top=args.top)
    if args.format == "json":
        data: Any = result.as_dict()
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    else:
        sys.stdout.write(comparison_text(result, str(args.before), str(args.after)))
    return 0
