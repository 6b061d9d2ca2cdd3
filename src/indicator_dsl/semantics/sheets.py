"""Assessors' sheets: judged scores and adjustments per source, checked before anything is scored.

A judged indicator's entry is its score in 0..max; an indicator with `adjust up to N` takes
an adjustment in -N..N (`-2`, or `{"adjust": -2, "reason": "..."}`), 0 for none.

Every problem in a record's sheets is reported at once (missing scores, unknown names,
scores out of range, a value in a sheet that may not carry it, a missing reason), each
with its path (`sheets.superior.venue`), so an office fixes a sheet in one pass.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from .arithmetic import ZERO
from .plan import TablePlan
from .records import FieldProblem, quoted

# source -> indicator index -> (score, reason); for an adjusted indicator, the adjustment
JudgedScores = dict[str, dict[int, tuple[Decimal, str | None]]]


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value)) if value == value and value not in (float("inf"), float("-inf")) else None
    if isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            return None
        return number if number.is_finite() else None
    return None


def read_sheets(plan: TablePlan, sheets: Any, applicable: list[bool]) -> tuple[JudgedScores, list[FieldProblem]]:
    """Judged scores by source, or the problems. `applicable[i]` says if indicator i applies."""
    problems: list[FieldProblem] = []
    table_sources = [s.name for s in plan.sources if s.is_table]
    all_sources = [s.name for s in plan.sources]
    judged = {ind.name: i for i, ind in enumerate(plan.indicators) if ind.from_sheets}
    scores: JudgedScores = {name: {} for name in all_sources}
    if sheets is None:
        sheets = {}
    if not isinstance(sheets, Mapping):
        return scores, [FieldProblem("sheets", "sheets must be an object keyed by source name")]
    for source, sheet in sheets.items():
        where = f"sheets.{source}"
        if source not in all_sources:
            problems.append(
                FieldProblem(where, f"unknown source `{source}`; the sources are " + ", ".join(all_sources))
            )
            continue
        if not isinstance(sheet, Mapping):
            problems.append(FieldProblem(where, "a sheet must be an object of indicator: score"))
            continue
        for name, entry in sheet.items():
            path = f"{where}.{name}"
            if name not in judged:
                known = (
                    f"is not a judged indicator of {plan.name}, and has no `adjust`"
                    if any(i.name == name for i in plan.indicators)
                    else f"is not an indicator of {plan.name}"
                )
                problems.append(FieldProblem(path, f"`{name}` {known}"))
                continue
            index = judged[name]
            info = plan.indicators[index]
            if info.judged_by is not None and info.judged_by != source:
                problems.append(
                    FieldProblem(path, f"`{name}` is judged by `{info.judged_by}` only; leave it out of this sheet")
                )
                continue
            if info.judged_by is None and source not in table_sources:
                problems.append(FieldProblem(path, f"`{source}` is a computed source; it has no judged scores"))
                continue
            key = "score" if info.adjust is None else "adjust"
            raw, reason = (entry.get(key), entry.get("reason")) if isinstance(entry, Mapping) else (entry, None)
            score = _number(raw)
            if score is None:
                problems.append(FieldProblem(path, f"{quoted(raw)} is not a number"))
                continue
            low, high = (ZERO, info.max) if info.adjust is None else (-info.adjust, info.adjust)
            if not low <= score <= high:
                problems.append(FieldProblem(path, f"{score} is outside {low}..{high}"))
                continue
            needs_reason = info.reason_required and (info.adjust is None or score != 0)
            if needs_reason and not (isinstance(reason, str) and reason.strip()):
                what = "score" if info.adjust is None else "adjustment"
                problems.append(FieldProblem(path, f'this {what} needs a reason: {{"{key}": ..., "reason": "..."}}'))
                continue
            scores[source][index] = (score, reason if isinstance(reason, str) else None)
    for name, index in judged.items():
        if not applicable[index]:
            continue
        info = plan.indicators[index]
        needed_from = [info.judged_by] if info.judged_by else table_sources
        for source in needed_from:
            if index not in scores.get(source, {}) and not any(p.path == f"sheets.{source}.{name}" for p in problems):
                missing = "judged score" if info.adjust is None else "adjustment"
                fix = "" if info.adjust is None else "; write 0 for none"
                problems.append(
                    FieldProblem(f"sheets.{source}.{name}", f"no {missing} for `{name}` ({info.label or name}){fix}")
                )
    return scores, problems


def judged_value(value: Any, top: Decimal) -> Decimal:
    """A plain judged score in [0, top], or LookupError: the caller then takes the slow path."""
    kind = value.__class__
    if kind is not Decimal:
        if kind is not int and kind is not str:
            raise LookupError
        value = Decimal(value)
    if 0 <= value <= top:
        return value  # type: ignore[no-any-return]
    raise LookupError


class SheetProblems(Exception):
    def __init__(self, problems: list[FieldProblem]) -> None:
        super().__init__(problems[0].message if problems else "sheet problems")
        self.problems = problems

    def __reduce__(self) -> tuple[type[SheetProblems], tuple[list[FieldProblem]]]:
        return SheetProblems, (self.problems,)


class SheetReader:
    """Judged scores for a compiled plan, in the order its generated code reads them:
    for each table source, each judged indicator. The common case (every sheet present,
    exactly the judged names, plain numbers in range) takes a fast path; anything else is
    read by `read_sheets`, which reports every problem."""

    def __init__(self, plan: TablePlan) -> None:
        self.plan = plan
        self.judged = [i for i, ind in enumerate(plan.indicators) if ind.from_sheets]
        table_sources = [s.name for s in plan.sources if s.is_table]
        expected: dict[str, list[tuple[str, Decimal]]] = {}
        for i in self.judged:
            info = plan.indicators[i]
            for source in [info.judged_by] if info.judged_by else table_sources:
                expected.setdefault(source, []).append((info.name, info.max))
        self.expected = expected
        # A plain number can stand for a judged score unless the indicator requires a reason;
        # adjustments (in -N..N) are always read by `read_sheets`.
        self.fast = not any(
            plan.indicators[i].reason_required or plan.indicators[i].adjust is not None for i in self.judged
        )
        self.order = [
            (info.judged_by or source, info.name)
            for source in table_sources
            for info in (plan.indicators[i] for i in self.judged)
        ]

    def __call__(self, sheets: Any, applicable: tuple[bool, ...]) -> tuple[tuple[Any, ...], JudgedScores]:
        if not self.judged:
            if sheets:
                self._slow(sheets, applicable)
            return (), {}
        if self.fast and False not in applicable and type(sheets) is dict and len(sheets) == len(self.expected):
            try:
                read: dict[tuple[str, str], Decimal] = {}
                for source, names in self.expected.items():
                    sheet = sheets[source]
                    if len(sheet) != len(names):
                        raise LookupError
                    for name, top in names:
                        value = sheet[name]
                        kind = value.__class__
                        if kind is not Decimal:
                            if kind is not int and kind is not str:
                                raise LookupError
                            value = Decimal(value)
                        if not 0 <= value <= top:
                            raise LookupError
                        read[source, name] = value
                return tuple([read[key] for key in self.order]), {}
            except (LookupError, TypeError, ArithmeticError):
                pass
        return self._slow(sheets, applicable)

    def _slow(self, sheets: Any, applicable: tuple[bool, ...]) -> tuple[tuple[Any, ...], JudgedScores]:
        flags = [True] * len(self.plan.indicators)
        for i, flag in zip(self.judged, applicable, strict=False):
            flags[i] = flag
        scores, problems = read_sheets(self.plan, sheets, flags)
        if problems:
            raise SheetProblems(problems)
        table_sources = [s.name for s in self.plan.sources if s.is_table]
        values: list[Any] = []
        for source in table_sources:
            for i in self.judged:
                by = self.plan.indicators[i].judged_by or source
                entry = scores.get(by, {}).get(i)
                # a score given for an indicator that does not apply is not used: the indicator is null
                values.append(None if entry is None or not flags[i] else entry[0])
        return tuple(values), scores
