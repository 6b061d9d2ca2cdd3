"""`ind test [PATHS]`: run the YAML cases beside rulesets; exit 1 on any failure (or coverage
below `--min-coverage`); `--format junit` writes JUnit XML for CI (cli/junit.py)."""

from __future__ import annotations

import sys
from pathlib import Path

from .common import ArgumentParser, add_root_option


def main(argv: list[str]) -> int:
    parser = ArgumentParser(prog="ind test", description="Run YAML test cases (folders: every *.yaml below them).")
    parser.add_argument("paths", nargs="*", default=["."], help="test files or folders (default: .)")
    parser.add_argument(
        "--coverage",
        action="store_true",
        help="list clauses, bands, bonus items, grade rules, vetoes and quota lines that no case exercised",
    )
    parser.add_argument(
        "--min-coverage",
        type=float,
        metavar="PERCENT",
        help="fail (exit 1) when a ruleset's cases exercise less than PERCENT of its clauses (see --coverage)",
    )
    parser.add_argument(
        "--format",
        choices=["text", "junit"],
        default="text",
        help="junit: JUnit XML on stdout, one testcase per case (the text report goes to stderr)",
    )
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
    out = sys.stderr if args.format == "junit" else sys.stdout
    if args.format == "junit":
        from .junit import junit_xml

        sys.stdout.write(junit_xml(report))
    for problem in report.problems:
        out.write(f"ERROR {problem}\n")
    for case in report.failed:
        out.write(f"FAIL {case.file} :: {case.name}\n")
        for failure in case.failures:
            out.write(f"  - {failure}\n")
        for line in case.trace_lines:
            out.write(f"    trace: {line}\n")
    too_low = []
    for ruleset in sorted(report.clauses):
        missed = sorted(report.clauses[ruleset] - report.fired.get(ruleset, set()))
        total = len(report.clauses[ruleset])
        covered = total - len(missed)
        if args.min_coverage is not None and covered * 100 < args.min_coverage * total:
            too_low.append(f"coverage {ruleset}: {covered}/{total} exercised, below {args.min_coverage:g}%")
        if args.coverage:
            out.write(f"coverage {ruleset}: {covered}/{total} exercised\n")
            for indicator, unit in missed:
                out.write("  not exercised: " + f"{indicator} {unit}".strip() + "\n")
    for line in too_low:
        out.write(f"FAIL {line}\n")
    passed = len(report.cases) - len(report.failed)
    out.write(f"{passed} passed, {len(report.failed)} failed\n")
    if not report.cases and not report.problems:
        out.write("no test cases found\n")
    return 1 if report.failed or report.problems or too_low else 0
