"""`ind table RULESET|CATALOG --format html|xlsx|docx --out F`: the printable indicator table.

For a catalog, one table per ruleset it routes to (each category's, each department's), or only
the rulesets named with `--ruleset` (repeatable). See `outputs/tables.py` for what a table holds.
"""

from __future__ import annotations

import sys
from pathlib import Path

from .common import ArgumentParser, add_root_option, cannot_write, load_or_report


def main(argv: list[str]) -> int:
    parser = ArgumentParser(prog="ind table", description="Write the indicator table (指标表) of a ruleset.")
    parser.add_argument("ruleset", help="a ruleset or catalog .ind file")
    parser.add_argument("--format", choices=["html", "xlsx", "docx"], default="html")
    parser.add_argument("--out", type=Path, required=True, help="the file to write (atomically)")
    parser.add_argument("--ruleset", dest="only", action="append", help="a catalog's ruleset to print (repeatable)")
    add_root_option(parser)
    args = parser.parse(argv)
    if isinstance(args, int):
        return args
    from ..check.resolved import ResolvedCatalog
    from ..files import write_atomic
    from ..outputs.table_office import write_table_docx, write_table_xlsx
    from ..outputs.tables import catalog_section, indicator_table, table_html

    if cannot_write(args.out, "ind table"):
        return 2
    model = load_or_report(args.ruleset, "ind table", args.root)
    if model is None:
        return 2
    rulesets = model.resolved_rulesets()
    if args.only:
        unknown = sorted(set(args.only) - {r.name for r in rulesets})
        if unknown:
            known = ", ".join(r.name for r in rulesets)
            sys.stderr.write(f"ind table: no ruleset {', '.join(unknown)} here; the rulesets are {known}\n")
            return 2
        rulesets = [r for r in rulesets if r.name in args.only]
    tables = [indicator_table(r) for r in rulesets]
    resolved = getattr(model, "resolved", None)
    catalog = resolved if isinstance(resolved, ResolvedCatalog) and not args.only else None
    preface = catalog_section(catalog) if catalog is not None else None
    try:
        if args.format == "html":
            write_atomic(args.out, table_html(tables, model.label or model.name, preface))
        elif args.format == "xlsx":
            write_table_xlsx(args.out, tables)
        else:
            write_table_docx(args.out, tables)
    except (OSError, ValueError) as error:
        sys.stderr.write(f"ind table: {args.out} not written: {error}\n")
        return 2
    sys.stdout.write(f"ind table: {len(tables)} table(s) written to {args.out}\n")
    return 0
