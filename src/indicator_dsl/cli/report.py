"""`ind report RULESET|CATALOG RECORDS...`: score records and write the HTML report (and, with
`--xlsx`, the results workbook)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from .common import ArgumentParser, add_root_option, cannot_write, load_or_report, progress, record_files
from .year import add_year_options, year_params


def main(argv: list[str]) -> int:
    parser = ArgumentParser(prog="ind report", description="Score records and write an HTML report of the batch.")
    parser.add_argument("ruleset", help="a ruleset or catalog .ind file")
    parser.add_argument("records", nargs="+", help="record files: .json, .jsonl, .yaml, .csv, .xlsx")
    parser.add_argument("--out", type=Path, default=Path("report.html"), help="the HTML file (default report.html)")
    parser.add_argument("--xlsx", type=Path, help="also write the results as a workbook (名单, per grade, 后进 …)")
    parser.add_argument("--title", default=None, help="the report's title (default: the catalog's or ruleset's label)")
    parser.add_argument("--by", action="append", default=None, help="a field to break shares down by (repeatable)")
    add_year_options(parser)
    parser.add_argument("--trace", action="store_true", help="a row also opens its full trace (a larger file)")
    add_root_option(parser)
    args = parser.parse(argv)
    if isinstance(args, int):
        return args
    from ..files import write_atomic
    from ..outputs.branch_rows import batch_view
    from ..outputs.report import build_report
    from ..outputs.xlsx_results import write_results
    from .eval import read_any

    if cannot_write(args.out, "ind report") or (args.xlsx is not None and cannot_write(args.xlsx, "ind report")):
        return 2
    model = load_or_report(args.ruleset, "ind report", args.root, **year_params(args))
    if model is None:
        return 2
    paths = record_files(args.records, "ind report")
    if isinstance(paths, int):
        return paths

    def records() -> Any:
        for path in paths:
            yield from read_any(model, path, None)

    try:
        batch = model.evaluate_many(progress(records(), "scoring"), trace=args.trace)
    except (OSError, ValueError) as error:
        sys.stderr.write(f"ind report: {error}\n")
        return 2
    view = batch_view(model, batch.results, batch.attributes, args.title)
    html = build_report(view, args.by, traces=args.trace)
    try:
        write_atomic(args.out, html)
        if args.xlsx is not None:
            write_results(args.xlsx, view)
    except (OSError, ValueError) as error:
        sys.stderr.write(f"ind report: cannot write {args.xlsx or args.out}: {error}\n")
        return 2
    also = f" and {args.xlsx}" if args.xlsx is not None else ""
    sys.stdout.write(f"ind report: {len(batch.results)} record(s), report written to {args.out}{also}\n")
    return 0
