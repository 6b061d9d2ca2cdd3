"""`ind template RULESET|CATALOG --out F.xlsx`: an empty data-entry workbook for its records.

One sheet per record, per list of records (党员名册, 组织生活记录 …) and per assessment source
that takes judged scores, headed by the schema's labels, each column validating what is typed,
and a 填写说明 sheet. `ind eval RULESET F.xlsx` reads the filled workbook back.
"""

from __future__ import annotations

import sys
from pathlib import Path

from .common import ArgumentParser, add_root_option, cannot_write, load_or_report


def main(argv: list[str]) -> int:
    parser = ArgumentParser(prog="ind template", description="Write an empty data-entry workbook for a ruleset.")
    parser.add_argument("ruleset", help="a ruleset or catalog .ind file")
    parser.add_argument("--out", type=Path, required=True, help="the .xlsx file to write (atomically)")
    add_root_option(parser)
    args = parser.parse(argv)
    if isinstance(args, int):
        return args
    from ..outputs.workbook_template import write_workbook

    if cannot_write(args.out, "ind template"):
        return 2
    model = load_or_report(args.ruleset, "ind template", args.root)
    if model is None:
        return 2
    layout = model.workbook_layout()
    try:
        write_workbook(args.out, layout)
    except (OSError, ValueError) as error:
        sys.stderr.write(f"ind template: {args.out} not written: {error}\n")
        return 2
    sheets = "、".join(s.title for s in layout.sheets)
    sys.stdout.write(f"ind template: {args.out} written ({len(layout.sheets)} sheets: {sheets})\n")
    return 0
