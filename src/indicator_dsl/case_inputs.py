"""A YAML case's evaluation parameters and record file (`ind test`, docs/guide.md).

A case may state the evaluation's `period` (a year or `FIRST..LAST`), its `as_of` day, and the
`history` of its record: one entry per earlier year, last year first, each `null` (the record
had no result that year: `history(N).found` is false) or a mapping of `grade` (a grade name of
the ruleset), `total`, `exempt` and `rectified` — the parts `history(N)` reads. A case with
none of these runs with the test file's model; the others load the ruleset with them. Anything
written wrong is a `CaseError` naming the line and the field. A record file named by a case is
read only inside the project root.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Protocol

from .api import Model, load
from .check.project import project_root
from .evaluate.history import History, YearResults
from .evaluate.period import PeriodError, date_of, period_of
from .semantics.history import Past

PARAMETERS = ("period", "as_of", "history")
HISTORY_PARTS = ("grade", "total", "exempt", "rectified")


class Lines(Protocol):
    def line(self, *path: object) -> int | None: ...


class CaseError(ValueError):
    """A case written wrong; `line` is its line in the YAML file (1-based), when known."""

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.line = line


@dataclass(frozen=True, slots=True)
class CaseFile:
    """Where a test file's cases run: the test file, its ruleset, the project root and the model."""

    path: Path
    ruleset: Path
    root: Path | None
    model: Model


def record_path(case_file: CaseFile, name: str, marks: Lines, at: tuple[object, ...]) -> Path:
    """The record file a case names, relative to the test file; never outside the project root."""
    top = project_root(case_file.path, case_file.root).resolve()
    path = (case_file.path.parent / name).resolve()
    if not path.is_relative_to(top):
        raise CaseError(
            f"record file {name} lies outside the project root {top}; name a file inside it",
            marks.line(*at, "record"),
        )
    return path


def case_model(
    case_file: CaseFile, case: Mapping[str, Any], record: Any, marks: Lines, at: tuple[object, ...]
) -> Model:
    """The model a case runs with: the file's, or the ruleset loaded with the case's parameters."""
    if not any(key in case for key in PARAMETERS):
        return case_file.model
    period = case.get("period")
    if period is not None and (isinstance(period, bool) or not isinstance(period, (int, str))):
        raise CaseError("`period:` is a year (2024) or `FIRST..LAST` dates", marks.line(*at, "period"))
    as_of = case.get("as_of")
    if as_of is not None and not isinstance(as_of, (str, datetime.date)):
        raise CaseError("`as_of:` is a date (2024-06-30)", marks.line(*at, "as_of"))
    try:
        period_of(period)
    except PeriodError as error:
        raise CaseError(f"`period:` {error}", marks.line(*at, "period")) from None
    try:
        date_of(as_of, "`as_of:`")
    except PeriodError as error:
        raise CaseError(str(error), marks.line(*at, "as_of")) from None
    history = _history(case_file, case.get("history"), record, marks, (*at, "history")) if "history" in case else None
    try:
        return load(case_file.ruleset, root=case_file.root, period=period, as_of=as_of, history=history)
    except PeriodError as error:  # e.g. an as-of day outside the period
        raise CaseError(str(error), marks.line(*at, "as_of" if "as_of" in case else "period")) from None


def _history(case_file: CaseFile, value: Any, record: Any, marks: Lines, at: tuple[object, ...]) -> History:
    if not isinstance(value, list):
        raise CaseError(
            "`history:` is a list of earlier years, last year first, e.g. "
            "`history: [{grade: lagging, rectified: false}]` (null: no result that year)",
            marks.line(*at),
        )
    rid = record.get("id") if isinstance(record, Mapping) else None
    if not isinstance(rid, (str, int)) or isinstance(rid, bool):
        raise CaseError("`history:` is the record's past, found by its id: the record needs an `id`", marks.line(*at))
    grades = {g.name for engine in case_file.model.engines.values() for g in engine.plan.grades}
    years: list[YearResults] = []
    for back, entry in enumerate(value, start=1):
        here = (*at, back - 1)
        source = f"{case_file.path} history {back}"
        if entry is None:
            years.append(YearResults(source, {}, ()))
            continue
        if not isinstance(entry, Mapping):
            raise CaseError(
                f"history entry {back} is a mapping of {', '.join(HISTORY_PARTS)}, or null", marks.line(*here)
            )
        years.append(YearResults(source, {str(rid): _past(entry, grades, marks, here)}, ()))
    return History(tuple(years))


def _past(entry: Mapping[Any, Any], grades: set[str], marks: Lines, at: tuple[object, ...]) -> Past:
    for key in entry:
        if key not in HISTORY_PARTS:
            raise CaseError(f"history: unknown part `{key}` (one of {', '.join(HISTORY_PARTS)})", marks.line(*at, key))
    grade = entry.get("grade")
    if grade is not None and grade not in grades:
        raise CaseError(
            f"history: grade `{grade}` is not a grade of the ruleset ({', '.join(sorted(grades))})",
            marks.line(*at, "grade"),
        )
    total = entry.get("total")
    if total is not None:
        try:
            if isinstance(total, bool):
                raise InvalidOperation
            total = Decimal(str(total))
            if not total.is_finite():
                raise InvalidOperation
        except InvalidOperation:
            raise CaseError(f"history: total is a number, not {total!r}", marks.line(*at, "total")) from None
    for flag in ("exempt", "rectified"):
        if entry.get(flag) is not None and not isinstance(entry.get(flag), bool):
            raise CaseError(f"history: {flag} is true or false", marks.line(*at, flag))
    return Past(grade, total, entry.get("rectified"), bool(entry.get("exempt")))
