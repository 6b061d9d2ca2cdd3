"""`ind convert RULESET RECORDS --to xlsx|jsonl --out F`: records between files and workbooks.

`--to xlsx` fills the ruleset's data-entry workbook (`ind template`) from records (.json,
.jsonl, .yaml, .csv), judged scores included: a platform export handed to a department for
review. `--to jsonl` reads a filled workbook back as JSON lines, one record per line with its
`sheets`, decimals as strings so none is rounded. A record that cannot be converted is
reported on stderr (naming its line, or its sheet and cell) and left out; the exit code is then 1.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .common import ArgumentParser, add_root_option, cannot_write, load_or_report, record_files


def main(argv: list[str]) -> int:
    parser = ArgumentParser(prog="ind convert", description="Convert records between files and workbooks.")
    parser.add_argument("ruleset", help="a ruleset or catalog .ind file")
    parser.add_argument("records", nargs="+", help="record files (.json, .jsonl, .yaml, .csv) or a workbook (.xlsx)")
    parser.add_argument("--to", choices=["xlsx", "jsonl"], required=True, help="what to write")
    parser.add_argument("--out", type=Path, required=True, help="the file to write (atomically)")
    add_root_option(parser)
    args = parser.parse(argv)
    if isinstance(args, int):
        return args
    from ..evaluate.inputs import InputError
    from ..files import write_atomic
    from ..outputs.workbook_template import write_workbook
    from .eval import read_any

    if cannot_write(args.out, "ind convert"):
        return 2
    model = load_or_report(args.ruleset, "ind convert", args.root)
    if model is None:
        return 2
    paths = record_files(args.records, "ind convert")
    if isinstance(paths, int):
        return paths
    failed = 0

    def records() -> Iterator[Any]:
        nonlocal failed
        for path in paths:
            for record in read_any(model, path, None):
                if isinstance(record, InputError):
                    failed += 1
                    sys.stderr.write(f"ind convert: {path} {record.where}: {record.message}\n")
                else:
                    yield record

    try:
        if args.to == "xlsx":
            count = write_workbook(args.out, model.workbook_layout(), records())
        else:
            lines = [json.dumps(r, ensure_ascii=False, default=str) + "\n" for r in records()]
            write_atomic(args.out, "".join(lines))
            count = len(lines)
    except (OSError, ValueError) as error:
        sys.stderr.write(f"ind convert: {args.out} not written: {error}\n")
        return 2
    sys.stdout.write(f"ind convert: {count} record(s) written to {args.out}\n")
    return 1 if failed else 0
