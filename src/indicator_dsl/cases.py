"""`ind test`: YAML cases beside rulesets, each pinning exact figures (spec section 10).

A case names a record (a file or inline), optionally patches top-level fields and
supplies sheets, and states what it expects. A failing expectation is reported with the
trace of the indicator concerned, so an author sees why the figure differs. Clause
coverage lists the deduct/award/bands clauses that no case made fire.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from .api import Ruleset, load
from .evaluate.inputs import load_yaml
from .evaluate.results import Result
from .semantics.records import QUOTE_LIMIT, quoted
from .syntax.diagnostics import RulesetError


@dataclass(slots=True)
class CaseOutcome:
    file: str
    name: str
    failures: list[str] = field(default_factory=list)
    trace_lines: list[str] = field(default_factory=list)


@dataclass(slots=True)
class SuiteReport:
    cases: list[CaseOutcome] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # files that could not be run at all
    fired: dict[str, set[tuple[str, str]]] = field(default_factory=dict)  # ruleset -> (indicator, unit)
    clauses: dict[str, set[tuple[str, str]]] = field(default_factory=dict)

    @property
    def failed(self) -> list[CaseOutcome]:
        return [c for c in self.cases if c.failures]


def _same(expected: Any, actual: Any) -> bool:
    if isinstance(expected, bool) or isinstance(actual, bool):
        return bool(expected == actual)
    if isinstance(expected, (int, float, Decimal, str)) and isinstance(actual, Decimal):
        try:
            return Decimal(str(expected)) == actual
        except InvalidOperation:
            return False
    if isinstance(expected, datetime.date):
        return str(expected) == str(actual)
    return bool(expected == actual)


def _shown(value: Any) -> str:
    """A value as `ind test` prints it: plain numbers and words as they are; anything long,
    nested or holding a control character (a terminal escape) through `quoted`."""
    if isinstance(value, (Decimal, int, float, datetime.date)) or (
        isinstance(value, str) and len(value) <= QUOTE_LIMIT
    ):
        return str(value)
    return quoted(value)


def _find_ruleset(test_file: Path, name: str) -> Path | None:
    direct = test_file.parent / name
    if direct.suffix == ".ind" and direct.is_file():
        return direct
    for folder in (test_file.parent, *test_file.parents[:3]):
        for candidate in sorted(folder.rglob(f"{name}.ind")):
            return candidate
    return None


def _record(case: Mapping[str, Any], base: Path) -> Any:
    raw = case.get("record")
    if isinstance(raw, str):
        path = base / raw
        data = load_yaml(path.read_text(encoding="utf-8"), str(path))
        if not isinstance(data, Mapping):
            raise ValueError(f"{path}: a record file holds one mapping of fields")
    elif isinstance(raw, Mapping):
        data = raw
    else:
        raise ValueError("a case needs `record:` (a file path or a mapping)")
    patch = case.get("patch") or {}
    if not isinstance(patch, Mapping):
        raise ValueError("`patch:` is a mapping of fields")
    return {**data, **patch}


class _Checker:
    def __init__(self, result: Result, outcome: CaseOutcome) -> None:
        self.result = result
        self.outcome = outcome

    def fail(self, what: str, expected: Any, actual: Any) -> None:
        self.outcome.failures.append(f"{what}: expected {_shown(expected)}, got {_shown(actual)}")

    def scalar(self, key: str, expected: Any) -> None:
        actual = getattr(self.result, key)
        if key == "vetoes":
            if sorted(expected or []) != sorted(actual):
                self.fail(key, expected, actual)
        elif not _same(expected, actual):
            self.fail(key, expected, actual)

    def parts(self, kind: str, expected: Mapping[str, Any], sources: list[str]) -> None:
        for source in sources:
            values = self.result.sources.get(source, {}).get(kind, {})
            for name, want in expected.items():
                if name not in values:
                    self.outcome.failures.append(f"{kind}.{name}: no such {kind[:-1]} in source {source}")
                elif not (want is None and values[name] is None) and not _same(want, values[name]):
                    self.fail(f"{source}.{name}", want, values[name])
                    self.explain(name)

    def explain(self, indicator: str) -> None:
        if any(line.startswith(f"{indicator} [") for line in self.outcome.trace_lines):
            return
        for entry in self.result.trace or []:
            if entry.indicator == indicator:
                reads = ", ".join(f"{k}={_shown(v)}" for k, v in entry.reads.items())
                clause = f"{entry.kind} #{entry.clause + 1} fired={entry.fired}"
                self.outcome.trace_lines.append(f"{indicator} [{entry.at}] {clause} {reads} → {entry.effect}")

    def check(self, expect: Mapping[str, Any]) -> None:
        result = self.result
        table_sources = [s for s, v in result.sources.items() if "table" in v]
        for key, want in expect.items():
            if key in ("indicators", "dimensions"):
                self.parts(key, want, table_sources)
            elif key == "sources":
                for source, spec in want.items():
                    got = result.sources.get(source)
                    if got is None:
                        self.outcome.failures.append(f"sources.{source}: no such source")
                        continue
                    for part, value in spec.items():
                        if part in ("indicators", "dimensions"):
                            self.parts(part, value, [source])
                        elif not _same(value, got.get(part)):
                            self.fail(f"sources.{source}.{part}", value, got.get(part))
            elif key == "outcomes":
                for name, value in want.items():
                    if not _same(value, result.outcomes.get(name)):
                        self.fail(f"outcomes.{name}", value, result.outcomes.get(name))
            elif key == "errors":
                paths = [e.path for e in result.errors]
                for wanted in want or []:
                    if not any(wanted == p or wanted in e.message for p, e in zip(paths, result.errors, strict=True)):
                        self.fail("errors", wanted, paths or "no errors")
                if not want and result.errors:
                    self.fail("errors", "none", [f"{e.path}: {e.message}" for e in result.errors])
            elif key in (
                "total",
                "bonus",
                "penalty",
                "grade",
                "grade_by_rules",
                "grade_after_veto",
                "exempt",
                "vetoes",
            ):
                self.scalar(key, want)
            else:
                self.outcome.failures.append(f"unknown expectation `{key}`")


def coverage_unit(kind: str, clause: int, note: str | None) -> str:
    unit = f"{kind}#{clause + 1}"
    return f"{unit}/{note}" if kind == "bands" and note else unit


def run_file(path: Path, report: SuiteReport, root: Path | None = None) -> None:
    try:
        suite = load_yaml(path.read_text(encoding="utf-8"), str(path))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        report.problems.append(f"{path}: cannot read: {error}")
        return
    if not isinstance(suite, Mapping) or "cases" not in suite or "ruleset" not in suite:
        return  # not a test file (fixtures live beside tests)
    cases = suite.get("cases") or []
    if not isinstance(cases, list) or not all(isinstance(case, Mapping) for case in cases):
        report.problems.append(f"{path}: `cases:` is a list of mappings (name, record, expect)")
        return
    ruleset_path = _find_ruleset(path, str(suite["ruleset"]))
    if ruleset_path is None:
        report.problems.append(f"{path}: cannot find ruleset `{suite['ruleset']}`")
        return
    try:
        model = load(ruleset_path, root=root)
    except RulesetError as error:
        report.problems.append(f"{path}: ruleset {ruleset_path} has errors: {error}")
        return
    for index, case in enumerate(cases):
        name = _shown(case.get("name", f"case {index + 1}"))
        outcome = CaseOutcome(str(path), name)
        report.cases.append(outcome)
        try:
            record = _record(case, path.parent)
        except (OSError, UnicodeDecodeError, ValueError) as error:
            outcome.failures.append(f"record: {error}")
            continue
        expect = case.get("expect") or {}
        if not isinstance(expect, Mapping):
            outcome.failures.append("`expect:` is a mapping of what the result should hold")
            continue
        result = model.evaluate(record, sheets=case.get("sheets"), trace=True)
        _Checker(result, outcome).check(expect)
        fired = report.fired.setdefault(model.name, set())
        for entry in result.trace or []:
            if entry.fired and entry.kind in ("deduct", "award", "bands", "score"):
                fired.add((entry.indicator, coverage_unit(entry.kind, entry.clause, entry.note)))
        if isinstance(model, Ruleset):
            units = {(i.name, u) for i in model.engine.plan.indicators for u in i.units}
            report.clauses.setdefault(model.name, set()).update(units)


def run_paths(paths: list[Path], root: Path | None = None) -> SuiteReport:
    """Run every test file named (folders: every YAML below them); rulesets load with imports inside `root`."""
    report = SuiteReport()
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml")))
        else:
            files.append(path)
    for file in files:
        run_file(file, report, root)
    return report
