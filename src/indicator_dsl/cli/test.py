"""`ind test [PATHS]`: run the YAML cases beside rulesets; exit 1 on any failure."""

from __future__ import annotations

import sys
from pathlib import Path

from .common import ArgumentParser, add_root_option


def main(argv: list[str]) -> int:
    parser = ArgumentParser(prog="ind test", description="Run YAML test cases (folders: every *.yaml below them).")
    parser.add_argument("paths", nargs="*", default=["."], help="test files or folders (default: .)")
    parser.add_argument("--coverage", action="store_true", help="list clauses and bands that no case exercised")
    add_root_option(parser)
    args = parser.parse(argv)
    if isinstance(args, int):
        return args
    from ..cases import run_paths

    paths = [Path(p) for p in args.paths]
    missing = [p for p in paths if not p.exists()]
    if missing:
        for p in missing:
            sys.stderr.write(f"ind test: {p}: no such file or folder\n")
        return 2
    report = run_paths(paths, root=args.root)
    for problem in report.problems:
        sys.stdout.write(f"ERROR {problem}\n")
    for case in report.failed:
        sys.stdout.write(f"FAIL {case.file} :: {case.name}\n")
        for failure in case.failures:
            sys.stdout.write(f"  - {failure}\n")
        for line in case.trace_lines:
            sys.stdout.write(f"    trace: {line}\n")
    if args.coverage:
        for ruleset in sorted(report.clauses):
            missed = sorted(report.clauses[ruleset] - report.fired.get(ruleset, set()))
            total = len(report.clauses[ruleset])
            covered = total - len(missed)
            sys.stdout.write(f"coverage {ruleset}: {covered}/{total} clauses exercised\n")
            for indicator, unit in missed:
                sys.stdout.write(f"  not exercised: {indicator} {unit}\n")
    passed = len(report.cases) - len(report.failed)
    sys.stdout.write(f"{passed} passed, {len(report.failed)} failed\n")
    if not report.cases and not report.problems:
        sys.stdout.write("no test cases found\n")
    return 1 if report.failed or report.problems else 0
