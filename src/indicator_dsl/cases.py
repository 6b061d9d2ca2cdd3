"""`ind test`: YAML cases beside rulesets, each pinning exact figures (spec section 10).

A test file names its ruleset (`ruleset:`) by a path relative to the file or by the name
declared in the ruleset; each case names a record (a file or inline), optionally patches
top-level fields and supplies sheets, and states what it expects. A failing expectation is
reported with the trace of the indicator concerned, so an author sees why the figure
differs. A malformed case is reported at its line in the YAML file, never as a traceback.
Coverage lists the clauses, bands, bonus items, grade rules, vetoes and quota lines that
no case exercised.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from .api import Ruleset, load
from .case_inputs import CaseError, CaseFile, case_model, record_path
from .check.project import project_root
from .evaluate.inputs import load_yaml, load_yaml_nodes
from .evaluate.results import Result
from .outputs.formats import readable
from .semantics.grading import quota_text
from .semantics.plan import QuotaInfo
from .semantics.records import QUOTE_LIMIT, quoted
from .syntax.diagnostics import RulesetError

SEARCH_UP = 3
"""How many folders above a test file `ruleset: NAME` is looked for (with everything below them)."""

SEARCH_FILES = 2000
"""At most this many `.ind` files are opened while looking for `ruleset NAME`."""

SCALARS = ("total", "bonus", "penalty", "grade", "grade_by_rules", "grade_after_veto", "exempt", "vetoes")
EXPECTATIONS = (*SCALARS, "indicators", "dimensions", "sources", "outcomes", "errors")


@dataclass(frozen=True, slots=True)
class Mismatch:
    """One expectation a case did not meet: what was compared, as the YAML and the result show it."""

    what: str
    expected: str
    actual: str


@dataclass(slots=True)
class CaseOutcome:
    file: str
    name: str
    failures: list[str] = field(default_factory=list)
    trace_lines: list[str] = field(default_factory=list)
    mismatches: list[Mismatch] = field(default_factory=list)  # the failures that compare two values


@dataclass(slots=True)
class SuiteReport:
    cases: list[CaseOutcome] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # files that could not be run at all
    fired: dict[str, set[tuple[str, str]]] = field(default_factory=dict)  # ruleset -> (part, unit)
    clauses: dict[str, set[tuple[str, str]]] = field(default_factory=dict)

    @property
    def failed(self) -> list[CaseOutcome]:
        return [c for c in self.cases if c.failures]


class Marks:
    """Lines of the values in a YAML document, looked up by their path of keys and indices."""

    def __init__(self, node: yaml.Node | None) -> None:
        self.node = node

    def line(self, *path: object) -> int | None:
        node = self.node
        if node is None:
            return None
        for step in path:
            child: yaml.Node | None = None
            if isinstance(node, yaml.MappingNode):
                child = next(
                    (v for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == str(step)), None
                )
            elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and 0 <= step < len(node.value):
                child = node.value[step]
            if child is None:
                break
            node = child
        return int(node.start_mark.line) + 1


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
        isinstance(value, str) and len(value) <= QUOTE_LIMIT and value.isprintable()
    ):
        return str(value)
    return quoted(value)


# ---------------------------------------------------------------- finding the ruleset


def _plain(text: str) -> str:
    """A name or path as written when it prints safely, else as `quoted` shows it (escapes visible)."""
    return text if text.isprintable() else quoted(text)


def _declares(path: Path, name: str) -> bool:
    """Whether the file's header declares `ruleset NAME` or `catalog NAME` (read from its start)."""
    try:
        with path.open(encoding="utf-8", errors="replace") as file:
            head = file.read(65536)
    except OSError:
        return False
    return re.search(rf"^[ \t]*(?:ruleset|catalog)[ \t]+{re.escape(name)}\b", head, re.MULTILINE) is not None


def find_ruleset(test_file: Path, name: str, root: Path | None = None) -> tuple[Path | None, list[str]]:
    """The `.ind` file a test file names, and, when none is found, what was looked at.

    `name` is a path relative to the test file (or absolute), or the ruleset's declared
    name: then a file `NAME.ind`, or else a file whose header says `ruleset NAME`, in the
    test file's folder or below one of the `SEARCH_UP` folders above it that lie inside the
    project root (see `check.project`)."""
    direct = test_file.parent / name
    if direct.suffix == ".ind" and direct.is_file():
        return direct, []
    looked = [f"the file {_plain(str(direct))} (a path is read relative to the test file)"]
    if direct.suffix == ".ind" or "/" in name or "\\" in name:
        return None, looked
    start = test_file.parent.absolute()
    top = project_root(test_file, root)
    folders = [f for f in (start, *start.parents[:SEARCH_UP]) if f == top or f.is_relative_to(top)] or [start]
    files: list[Path] = []
    for folder in folders:
        for candidate in sorted(folder.rglob("*.ind")):
            if candidate.name == f"{name}.ind":
                return candidate, []
            if candidate not in files and len(files) < SEARCH_FILES:
                files.append(candidate)
    for candidate in files:
        if _declares(candidate, name):
            return candidate, []
    where = ", ".join(str(folder) for folder in folders)
    shown = _plain(name)
    looked.append(f"a file `{shown}.ind` or a header `ruleset {shown}` in {len(files)} .ind file(s) below {where}")
    return None, looked


# ---------------------------------------------------------------- reading a case


def _record(case: Mapping[str, Any], case_file: CaseFile, marks: Marks, at: tuple[object, ...]) -> Any:
    raw = case.get("record")
    if isinstance(raw, str):
        path = record_path(case_file, raw, marks, at)
        data = load_yaml(path.read_text(encoding="utf-8"), str(path))
        if not isinstance(data, Mapping):
            raise CaseError(
                f"record file {path} holds no mapping of fields (it is empty or a list)", marks.line(*at, "record")
            )
    elif isinstance(raw, Mapping):
        data = raw
    else:
        raise CaseError("a case needs `record:` (a file path or a mapping of fields)", marks.line(*at, "record"))
    patch = case.get("patch") or {}
    if not isinstance(patch, Mapping):
        raise CaseError("`patch:` is a mapping of fields", marks.line(*at, "patch"))
    return {**data, **patch}


def _mapping(value: Any, what: str, example: str, marks: Marks, at: tuple[object, ...]) -> Mapping[Any, Any]:
    if not isinstance(value, Mapping):
        raise CaseError(f"{what} is a mapping, e.g. `{example}`; got {_shown(value)}", marks.line(*at))
    return value


def validate_expect(expect: Any, marks: Marks, at: tuple[object, ...]) -> Mapping[str, Any]:
    """`expect:` checked for shape before the case runs; a CaseError names the line of the part written wrong."""
    checked = _mapping(expect, "`expect:`", "expect: {total: 95, grade: advanced}", marks, at)
    for key, want in checked.items():
        here = (*at, key)
        if key not in EXPECTATIONS:
            raise CaseError(
                f"unknown expectation `{_shown(key)}` (one of {', '.join(EXPECTATIONS)})", marks.line(*here)
            )
        if key in ("indicators", "dimensions", "outcomes"):
            _mapping(want, f"`{key}:`", f"{key}: {{name: 5}}", marks, here)
        elif key == "sources":
            example = "sources: {self: {table: 95}, survey: {value: 88}}"
            for source, spec in _mapping(want, "`sources:`", example, marks, here).items():
                what = f"`sources.{_shown(source)}:` (a table source's `table:`, a value source's `value:`)"
                for part, value in _mapping(spec, what, example, marks, (*here, source)).items():
                    if part in ("indicators", "dimensions"):
                        _mapping(
                            value,
                            f"`sources.{_shown(source)}.{part}:`",
                            f"{part}: {{name: 5}}",
                            marks,
                            (*here, source, part),
                        )
        elif key in ("errors", "vetoes") and want is not None and not isinstance(want, list):
            raise CaseError(
                f"`{key}:` is a list, e.g. `{key}: [{'scores' if key == 'errors' else 'name'}]`", marks.line(*here)
            )
    return checked


# ---------------------------------------------------------------- comparing


class _Checker:
    def __init__(self, result: Result, outcome: CaseOutcome) -> None:
        self.result = result
        self.outcome = outcome

    def fail(self, what: str, expected: Any, actual: Any) -> None:
        mismatch = Mismatch(what, _shown(expected), _shown(actual))
        self.outcome.mismatches.append(mismatch)
        self.outcome.failures.append(f"{what}: expected {mismatch.expected}, got {mismatch.actual}")

    def scalar(self, key: str, expected: Any) -> None:
        actual = getattr(self.result, key)
        if key == "vetoes":
            if sorted(map(str, expected or [])) != sorted(actual):
                self.fail(key, expected, actual)
        elif not _same(expected, actual):
            self.fail(key, expected, actual)

    def parts(self, kind: str, expected: Mapping[str, Any], sources: list[str]) -> None:
        for source in sources:
            values = self.result.sources.get(source, {}).get(kind, {})
            for name, want in expected.items():
                if name not in values:
                    self.outcome.failures.append(f"{kind}.{_shown(name)}: no such {kind[:-1]} in source {source}")
                elif not (want is None and values[name] is None) and not _same(want, values[name]):
                    self.fail(f"{source}.{name}", want, values[name])
                    self.explain(name)

    def explain(self, indicator: str) -> None:
        if any(line.startswith(f"{indicator} [") for line in self.outcome.trace_lines):
            return
        for entry in self.result.trace or []:
            if entry.indicator == indicator:
                # figures in a trace are cut as `--explain` cuts them; an expectation's are shown whole
                reads = ", ".join(
                    f"{k}={readable(v) if isinstance(v, Decimal) else _shown(v)}" for k, v in entry.reads.items()
                )
                clause = f"{entry.kind} #{entry.clause + 1} fired={entry.fired}"
                self.outcome.trace_lines.append(f"{indicator} [{entry.at}] {clause} {reads} → {readable(entry.effect)}")

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
                        self.outcome.failures.append(f"sources.{_shown(source)}: no such source")
                        continue
                    for part, value in spec.items():
                        if part in ("indicators", "dimensions"):
                            self.parts(part, value, [source])
                        elif part not in got:
                            have = ", ".join(sorted(got))
                            self.outcome.failures.append(
                                f"sources.{source}.{_shown(part)}: not in this source ({have})"
                            )
                        elif not _same(value, got.get(part)):
                            self.fail(f"sources.{source}.{part}", value, got.get(part))
            elif key == "outcomes":
                for name, value in want.items():
                    if not _same(value, result.outcomes.get(name)):
                        self.fail(f"outcomes.{_shown(name)}", value, result.outcomes.get(name))
            elif key == "errors":
                self.errors(want)
            else:
                self.scalar(key, want)

    def errors(self, want: list[Any] | None) -> None:
        errors = self.result.errors
        for wanted in want or []:
            if not any(str(wanted) == e.path or str(wanted) in e.message for e in errors):
                self.fail("errors", wanted, [e.path for e in errors] or "no errors")
        if not want and errors:
            self.fail("errors", "none", [f"{e.path}: {e.message}" for e in errors])


# ---------------------------------------------------------------- coverage


def coverage_unit(kind: str, clause: int, note: str | None) -> str:
    unit = f"{kind}#{clause + 1}"
    return f"{unit}/{note}" if kind == "bands" and note else unit


def _quota_unit(quota: QuotaInfo) -> str:
    return f"quota {quota_text(quota)}" + (f" within {quota.within}" if quota.within else "")


def coverage_units(model: Ruleset) -> set[tuple[str, str]]:
    """What a suite should exercise, as (indicator, unit): every clause and band of each indicator,
    and with no indicator every bonus and penalty item, grade rule, veto and quota line."""
    plan = model.engine.plan
    units = {(i.name, u) for i in plan.indicators for u in i.units}
    units.update(("", f"bonus item {name}") for name, _ in plan.bonus_items)
    units.update(("", f"penalty item {name}") for name, _ in plan.penalty_items)
    units.update(("", f"grade rule {g.name}") for g in plan.grades)
    units.update(("", f"veto {v.name}") for v in plan.vetoes if v.name is not None)
    units.update(("", _quota_unit(q)) for q in plan.quotas)
    return units


def exercised(model: Ruleset, result: Result) -> set[tuple[str, str]]:
    """The units one result exercised: clauses that fired, bonus items that gave points, the grade
    rule that decided, the vetoes that applied, and the quota lines on the grade the rules gave
    (a quota moves records only in a batch; a case shows a record it would govern)."""
    plan = model.engine.plan
    fired: set[tuple[str, str]] = set()
    for entry in result.trace or []:
        if entry.fired and entry.kind in ("deduct", "award", "bands", "score"):
            fired.add((entry.indicator, coverage_unit(entry.kind, entry.clause, entry.note)))
        elif entry.fired and entry.kind in ("bonus", "penalty") and entry.clause >= 0:
            fired.add(("", f"{entry.kind} item {entry.indicator}"))
    if result.grade_by_rules is not None:
        fired.add(("", f"grade rule {result.grade_by_rules}"))
    fired.update(("", f"veto {name}") for name in result.vetoes)
    graded = result.grade_after_veto or result.grade_by_rules
    fired.update(("", _quota_unit(q)) for q in plan.quotas if graded in q.grades)
    return fired


# ---------------------------------------------------------------- running


def _located(path: Path, line: int | None) -> str:
    return f"{path}:{line}" if line is not None else str(path)


def run_file(path: Path, report: SuiteReport, root: Path | None = None) -> None:
    try:
        suite, node = load_yaml_nodes(path.read_text(encoding="utf-8"), str(path))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        report.problems.append(f"{path}: cannot read: {error}")
        return
    if not isinstance(suite, Mapping) or "cases" not in suite or "ruleset" not in suite:
        return  # not a test file (fixtures live beside tests)
    marks = Marks(node)
    cases = suite.get("cases") or []
    if not isinstance(cases, list):
        report.problems.append(
            f"{_located(path, marks.line('cases'))}: `cases:` is a list of mappings (name, record, expect)"
        )
        return
    ruleset_path, looked = find_ruleset(path, str(suite["ruleset"]), root)
    if ruleset_path is None:
        at = _located(path, marks.line("ruleset"))
        report.problems.append(
            f"{at}: cannot find ruleset `{_shown(suite['ruleset'])}`; looked for "
            + "; ".join(looked)
            + ". Name the ruleset's file by its path relative to the test file, e.g. `ruleset: ../stars.ind`"
        )
        return
    try:
        model = load(ruleset_path, root=root)
    except RulesetError as error:
        report.problems.append(f"{path}: ruleset {ruleset_path} has errors: {error}")
        return
    for index, case in enumerate(cases):
        name = _shown(case.get("name", f"case {index + 1}")) if isinstance(case, Mapping) else f"case {index + 1}"
        outcome = CaseOutcome(str(path), name)
        report.cases.append(outcome)
        try:
            result = run_case(CaseFile(path, ruleset_path, root, model), case, marks, ("cases", index))
        except (OSError, UnicodeDecodeError) as error:
            outcome.failures.append(f"{_located(path, marks.line('cases', index, 'record'))}: record: {error}")
            continue
        except CaseError as error:
            outcome.failures.append(f"{_located(path, error.line)}: {error}")
            continue
        except ValueError as error:  # an unreadable record file names itself and its line
            outcome.failures.append(f"{_located(path, marks.line('cases', index, 'record'))}: record: {error}")
            continue
        _Checker(result, outcome).check(case.get("expect") or {})
        if isinstance(model, Ruleset):
            report.fired.setdefault(model.name, set()).update(exercised(model, result))
            report.clauses.setdefault(model.name, set()).update(coverage_units(model))


def run_case(case_file: CaseFile, case: Any, marks: Marks, at: tuple[object, ...]) -> Result:
    """Evaluate one case once its shape is known good; CaseError names what is written wrong and where."""
    if not isinstance(case, Mapping):
        raise CaseError(f"a case is a mapping with `name`, `record` and `expect`; got {_shown(case)}", marks.line(*at))
    record = _record(case, case_file, marks, at)
    validate_expect(case.get("expect") or {}, marks, (*at, "expect"))
    model = case_model(case_file, case, record, marks, at)
    result: Result = model.evaluate(record, sheets=case.get("sheets"), trace=True)
    return result


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
