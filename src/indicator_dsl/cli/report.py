"""`ind report RULESET|CATALOG RECORDS...`: score records and write the HTML report."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .common import ArgumentParser, add_root_option, cannot_write, load_or_report, progress
from .year import add_year_options, year_params


def main(argv: list[str]) -> int:
    parser = ArgumentParser(prog="ind report", description="Score records and write an HTML report of the batch.")
    parser.add_argument("ruleset", help="a ruleset or catalog .ind file")
    parser.add_argument("records", nargs="+", help="record files: .json, .jsonl, .yaml, .csv")
    parser.add_argument("--out", type=Path, default=Path("report.html"), help="the HTML file (default report.html)")
    parser.add_argument("--title", default=None, help="the report's title")
    parser.add_argument("--by", action="append", default=None, help="a field to break shares down by (repeatable)")
    add_year_options(parser)
    add_root_option(parser)
    args = parser.parse(argv)
    if isinstance(args, int):
        return args
    from ..evaluate.inputs import read_records
    from ..files import write_atomic
    from ..outputs.report import build_report

    if cannot_write(args.out, "ind report"):
        return 2
    model = load_or_report(args.ruleset, "ind report", args.root, **year_params(args))
    if model is None:
        return 2
    paths = [Path(p) for p in args.records]
    missing = [p for p in paths if not p.is_file()]
    if missing:
        sys.stderr.write(f"ind report: {missing[0]}: no such file\n")
        return 2

    def records() -> Iterator[Any]:
        for path in paths:
            yield from read_records(path)

    try:
        batch = model.evaluate_many(progress(records(), "scoring"))
    except (OSError, ValueError) as error:
        sys.stderr.write(f"ind report: {error}\n")
        return 2
    engines = {model.name: model.engine} if hasattr(model, "engine") else model.engines
    plans = {name: engine.plan for name, engine in engines.items()}
    title = args.title or f"{model.name} 评定报告"
    html = build_report(title, batch.results, batch.attributes, plans, args.by or ["category", "department"])
    try:
        write_atomic(args.out, html)
    except OSError as error:
        sys.stderr.write(f"ind report: cannot write {args.out}: {error.strerror or error}\n")
        return 2
    sys.stdout.write(f"ind report: {len(batch.results)} record(s), report written to {args.out}\n")
    return 0
