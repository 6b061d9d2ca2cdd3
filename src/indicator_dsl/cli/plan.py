"""`ind plan RULESET RECORDS... [--to GRADE] [--format text|json|jsonl|csv|html]`: gap plans.

Scores the records as a batch (quotas apply), then plans each record that has a better
grade to reach (or every graded record with `--to`): its lost points with reason codes, the
conditions of the target grade that fail, the vetoes holding it down, the quota's room and
the fewest indicators whose recovery reaches the target, with the value each must reach.
"""

from __future__ import annotations

import sys
from pathlib import Path

from .common import (
    ArgumentParser,
    add_root_option,
    cannot_write,
    load_or_report,
    progress,
    record_files,
    records_in,
    written,
)


def main(argv: list[str]) -> int:
    parser = ArgumentParser(prog="ind plan", description="Gap plans: what each record must recover to reach a grade.")
    parser.add_argument("ruleset", help="a ruleset or catalog .ind file")
    parser.add_argument("records", nargs="+", help="record files: .json, .jsonl, .yaml, .csv")
    parser.add_argument("--to", default=None, help="the target grade (default: the next better grade of each record)")
    parser.add_argument("--grade", action="append", default=None, help="plan only records of this grade (repeatable)")
    parser.add_argument("--format", choices=["text", "json", "jsonl", "csv", "html"], default="text")
    parser.add_argument("--out", type=Path, default=None, help="write to this file (default: standard output)")
    add_root_option(parser)
    args = parser.parse(argv)
    if isinstance(args, int):
        return args
    from ..outputs.plans import PLAN_FORMATS

    if args.out is not None and cannot_write(args.out, "ind plan"):
        return 2
    model = load_or_report(args.ruleset, "ind plan", args.root)
    if model is None:
        return 2
    paths = record_files(args.records, "ind plan")
    if isinstance(paths, int):
        return paths
    try:
        planned = model.plans(progress(records_in(paths), "scoring"), to=args.to, grades=args.grade)
    except (OSError, ValueError) as error:
        sys.stderr.write(f"ind plan: {error}\n")
        return 2
    tables = {name: engine.plan for name, engine in model.engines.items()}
    text = PLAN_FORMATS[args.format](planned.plans, tables)
    if args.out is None:
        sys.stdout.write(text)
        return 0
    if not written(args.out, text, "ind plan"):
        return 2
    sys.stdout.write(f"ind plan: {len(planned.plans)} plan(s) written to {args.out}\n")
    return 0
