"""`ind check PATHS...`: parse, resolve, type-check and lint; every problem in one run."""

from __future__ import annotations

import argparse
import sys

from .. import __version__
from ..check.paths import check_paths
from .common import ArgumentParser, add_root_option, ind_files, render_diagnostics


def main(argv: list[str]) -> int:
    parser = ArgumentParser(prog="ind check", description="Check .ind files (folders: every *.ind below them).")
    parser.add_argument("paths", nargs="+", help="files or folders")
    parser.add_argument("--format", choices=["text", "json", "sarif", "github"], default="text")
    parser.add_argument("--strict", action="store_true", help="treat warnings as errors")
    parser.add_argument(
        "--require-standards", action="store_true", help="an indicator without its 评分标准 (`standard`) is an error"
    )
    add_root_option(parser)
    args = parser.parse(argv)
    if isinstance(args, int):
        return args
    return run_check(args)


def run_check(args: argparse.Namespace) -> int:
    files = ind_files(args.paths, "ind check")
    if isinstance(files, int):
        return files
    report = check_paths(files, root=args.root, require_standards=args.require_standards)
    out = render_diagnostics(report.diagnostics, report.sources, args.format, __version__)
    if out:
        sys.stdout.write(out if out.endswith("\n") else out + "\n")
    if args.format == "text" and not report.diagnostics:
        sys.stdout.write(f"{len(files)} file(s) checked: no problems\n")
    failed = report.errors or (args.strict and report.warnings)
    return 1 if failed else 0
