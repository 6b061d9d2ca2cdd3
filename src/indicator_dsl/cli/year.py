"""The options of an evaluation in the year cycle, shared by `ind eval` and `ind report`:
`--period`, `--as-of`, `--history` (repeatable, last year first) and `--rectification`."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def add_year_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--period", metavar="YEAR", help="the period evaluated: a year (2026) or FIRST..LAST")
    parser.add_argument("--as-of", metavar="DATE", help="evaluate a period that is not over, as of this day")
    parser.add_argument(
        "--history",
        type=Path,
        action="append",
        default=[],
        metavar="RESULTS",
        help="an earlier year's results (.jsonl); repeat it, last year first, for history(1), history(2) ...",
    )
    parser.add_argument(
        "--rectification", type=Path, metavar="ITEMS", help="last year's rectification items: history(1).rectified"
    )


def year_params(args: argparse.Namespace) -> dict[str, Any]:
    """The `load()` parameters the options give (none of them when no option is used)."""
    params: dict[str, Any] = {}
    if args.period is not None:
        params["period"] = args.period
    if args.as_of is not None:
        params["as_of"] = args.as_of
    if args.history:
        params["history"] = list(args.history)
    if args.rectification is not None:
        params["rectification"] = args.rectification
    return params
