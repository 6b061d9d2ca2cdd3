"""`ind check PATHS...`: parse, resolve, type-check and lint; every problem in one run."""

from __future__ import annotations

import argparse
import sys

from .. import __version__
from ..project import check_paths, expand_paths
from .common import ArgumentParser, render_diagnostics


def main(argv: list[str]) -> int:
    parser = ArgumentParser(prog="ind check", description="Check .ind files (folders: every *.ind below them).")
    parser.add_argument("paths", nargs="+", help="files or folders")
    parser.add_argument("--format", choices=["text", "json", "sarif", "github"], default="text")
    parser.add_argument("--strict", action="store_true", help="treat warnings as errors")
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:
        return int(stop.code or 0)
    return run_check(args)


def run_check(args: argparse.Namespace) -> int:
    files, missing = expand_paths(args.paths)
    for path in missing:
        sys.stderr.write(f"ind check: {path}: no such file or folder\n")
    if missing:
        return 2
    if not files:
        sys.stderr.write("ind check: no .ind files found\n")
        return 2
    report = check_paths(files)
    out = render_diagnostics(report.diagnostics, report.sources, args.format, __version__)
    if out:
        sys.stdout.write(out if out.endswith("\n") else out + "\n")
    if args.format == "text" and not report.diagnostics:
        sys.stdout.write(f"{len(files)} file(s) checked: no problems\n")
    failed = report.errors or (args.strict and report.warnings)
    return 1 if failed else 0
