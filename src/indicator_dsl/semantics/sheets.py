"""Assessors' sheets: judged scores and adjustments per source, checked before anything is scored.

A judged indicator's entry is its score in 0..max; an indicator with `adjust up to N` takes
an adjustment in -N..N (`-2`, or `{"adjust": -2, "reason": "..."}`), 0 for none. The sheet
of a table source declared `may correct` may also correct a computed indicator (neither
judged nor adjusted) that applies to the record: `{"correct": 3, "reason": "...", "evidence": ["台账 p.12"]}` replaces
that source's score for it (in 0..max, with a reason; evidence is optional text).

A what-if (`Model.what_if`, the gap plans) wraps a record's sheets in `WhatIf`: its changes
set any applicable indicator's score for one table source (or all of them) by the same
mechanism, as corrections with the reason `WHAT_IF`, applied after judged scores and
adjustments, so that both backends re-score a changed record exactly as they score one.

Every problem in a record's sheets is reported at once (missing scores, unknown names,
scores out of range, a value in a sheet that may not carry it, a missing reason), each
with its path (`sheets.superior.venue`), so an office fixes a sheet in one pass.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple

from .arithmetic import ZERO
from .plan import TablePlan, Trace
from .records import FieldProblem, quoted
from .trace import ClauseTrace

# source -> indicator index -> (score, reason); for an adjusted indicator, the adjustment
JudgedScores = dict[str, dict[int, tuple[Decimal, str | None]]]


class Correction(NamedTuple):
    """A table source's correction of a computed indicator, as its sheet states it."""

    value: Decimal
    reason: str
    evidence: tuple[str, ...]


Corrections = dict[str, dict[int, Correction]]  # source -> indicator index -> correction
# source -> indicator index -> (the computed score it replaced, the correction)
Applied = dict[str, dict[int, tuple[Decimal, Correction]]]
CORRECTION_KEYS = frozenset({"correct", "reason", "evidence"})
WHAT_IF = "what if"  # the reason a what-if change carries as a correction


class WhatIf:
    """A record's sheets with what-if changes: (table source or None for every table source,
    indicator name, score). Deliberately not a mapping, so that the compiled fast path, which
    reads plain sheets inline, hands it to `read_sheets`."""

    __slots__ = ("changes", "sheets")

    def __init__(self, sheets: Any, changes: Sequence[tuple[str | None, str, Any]]) -> None:
        self.sheets = sheets
        self.changes = tuple(changes)

    def __reduce__(self) -> tuple[type[WhatIf], tuple[Any, tuple[tuple[str | None, str, Any], ...]]]:
        return WhatIf, (self.sheets, self.changes)


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


def read_sheets(
    plan: TablePlan, sheets: Any, applicable: list[bool] | tuple[bool, ...]
) -> tuple[JudgedScores, Corrections, list[FieldProblem]]:
    """Judged scores and corrections by source, or the problems. `applicable[i]` says if indicator i applies."""
    if isinstance(sheets, WhatIf):
        read = read_sheets(plan, sheets.sheets, applicable)
        read[2].extend(_what_if(plan, sheets.changes, applicable, read[1]))
        return read
    problems: list[FieldProblem] = []
    corrections: Corrections = {}
    table_sources = [s.name for s in plan.sources if s.is_table]
    correcting = {s.name for s in plan.sources if s.is_table and s.corrects}
    all_sources = [s.name for s in plan.sources]
    judged = {ind.name: i for i, ind in enumerate(plan.indicators) if ind.from_sheets}
    scores: JudgedScores = {name: {} for name in all_sources}
    if sheets is None:
        sheets = {}
    if not isinstance(sheets, Mapping):
        return scores, corrections, [FieldProblem("sheets", "sheets must be an object keyed by source name")]
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
            if isinstance(entry, Mapping) and "correct" in entry:
                index = next((i for i, ind in enumerate(plan.indicators) if ind.name == name), -1)
                found = (
                    _correction(plan, index, name, entry, applicable, path)
                    if source in correcting
                    else FieldProblem(path, _may_not_correct(source, name, source in table_sources))
                )
                if isinstance(found, FieldProblem):
                    problems.append(found)
                else:
                    corrections.setdefault(source, {})[index] = found
                continue
            if name not in judged:
                known = (
                    f"is not a judged indicator of {plan.name}, and has no `adjust`; to correct its computed"
                    ' score write {"correct": ..., "reason": "..."}'
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
    return scores, corrections, problems


def _may_not_correct(source: str, name: str, is_table: bool) -> str:
    """Why `source`'s sheet may not correct indicator `name`: a computed source has no sheet
    scores, a table source corrects only when its `assess` line says `may correct`."""
    if not is_table:
        return f"`{source}` is a computed source; it corrects no indicator"
    return (
        f"`{source}` may not correct `{name}`: only a source declared with `may correct`"
        f" in `assess` corrects a computed indicator"
    )


def _correction(
    plan: TablePlan, index: int, name: str, entry: Mapping[Any, Any], applicable: Sequence[bool], path: str
) -> Correction | FieldProblem:
    """One sheet entry `{"correct": N, "reason": ..., "evidence": [...]}`, or what is wrong with it."""
    if index < 0:
        return FieldProblem(path, f"`{name}` is not an indicator of {plan.name}")
    info = plan.indicators[index]
    if info.from_sheets:
        what = "judged: its sheet entry is its score" if info.judged else "adjusted: its sheet entry is an adjustment"
        return FieldProblem(path, f"`{name}` is {what}; only a computed indicator is corrected")
    unknown = sorted(str(key) for key in entry if key not in CORRECTION_KEYS)
    if unknown:
        return FieldProblem(path, f"unknown key {', '.join(unknown)}; a correction has correct, reason, evidence")
    value = _number(entry["correct"])
    if value is None:
        return FieldProblem(path, f"{quoted(entry['correct'])} is not a number")
    if not ZERO <= value <= info.max:
        return FieldProblem(path, f"{value} is outside {ZERO}..{info.max}")
    reason = entry.get("reason")
    if not (isinstance(reason, str) and reason.strip()):
        return FieldProblem(path, 'a correction needs a reason: {"correct": ..., "reason": "..."}')
    evidence = entry.get("evidence", [])
    if not (isinstance(evidence, list) and all(isinstance(e, str) and e.strip() for e in evidence)):
        return FieldProblem(path, f"evidence is a list of texts, not {quoted(evidence)}")
    if not applicable[index]:
        return FieldProblem(path, f"`{name}` does not apply to this record; there is no score to correct")
    return Correction(value, reason, tuple(evidence))


def _what_if(
    plan: TablePlan,
    changes: Sequence[tuple[str | None, str, Any]],
    applicable: Sequence[bool],
    corrections: Corrections,
) -> list[FieldProblem]:
    """Each change as a correction of its source(s), overriding the sheet's; or the problems
    (path `what_if.SOURCE.INDICATOR`): an unknown name, a score out of 0..max, an indicator
    that does not apply to the record."""
    problems: list[FieldProblem] = []
    table_sources = [s.name for s in plan.sources if s.is_table]
    index_of = {ind.name: i for i, ind in enumerate(plan.indicators)}
    for source, name, raw in changes:
        path = f"what_if.{source or '*'}.{name}"
        if source is not None and source not in table_sources:
            problems.append(
                FieldProblem(path, f"`{source}` is not a table source; they are {', '.join(table_sources)}")
            )
            continue
        index = index_of.get(name, -1)
        if index < 0:
            problems.append(FieldProblem(path, f"`{name}` is not an indicator of {plan.name}"))
            continue
        value = _number(raw)
        top = plan.indicators[index].max
        if value is None or not ZERO <= value <= top:
            shown = quoted(raw) if value is None else str(value)
            problems.append(FieldProblem(path, f"{shown} is not a score in {ZERO}..{top}"))
            continue
        if not applicable[index]:
            problems.append(FieldProblem(path, f"`{name}` does not apply to this record; it has no score to set"))
            continue
        for each in [source] if source is not None else table_sources:
            corrections.setdefault(each, {})[index] = Correction(value, WHAT_IF, ())
    return problems


def corrected(scores: list[Any], source: str, corrections: Corrections, applied: Applied, trace: Trace | None) -> None:
    """Replace `source`'s computed scores by its sheet's corrections, keeping each replaced
    score in `applied` and tracing each (both backends call this, after judged and adjusted)."""
    done = applied[source] = {}
    for index, correction in sorted(corrections[source].items()):
        done[index] = (scores[index], correction)
        if trace is not None:
            trace.append(correct_trace(index, source, scores[index], correction))
        scores[index] = correction.value


def correct_trace(index: int, source: str, computed: Any, correction: Correction) -> ClauseTrace:
    """A correction: the computed score, the sheet's value, its reason and evidence."""
    reads: list[tuple[str, Any]] = [
        ("computed", computed),
        (f"sheets.{source}", correction.value),
        (f"sheets.{source} reason", correction.reason),
    ]
    if correction.evidence:
        reads.append((f"sheets.{source} evidence", "; ".join(correction.evidence)))
    return ClauseTrace(index, -1, "correct", True, reads, correction.value, source)


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
    for each table source, each judged indicator, with the judged scores and corrections
    by source. The generated code reads the common case (every sheet present, exactly the
    judged names, plain numbers in range) inline, as `expected` and `order` say, and calls
    this for anything else: `read_sheets` reports every problem."""

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

    def __call__(self, sheets: Any, applicable: tuple[bool, ...]) -> tuple[tuple[Any, ...], JudgedScores, Corrections]:
        """`applicable` has one flag per indicator of the plan."""
        scores, corrections, problems = read_sheets(self.plan, sheets, applicable)
        if problems:
            raise SheetProblems(problems)
        table_sources = [s.name for s in self.plan.sources if s.is_table]
        values: list[Any] = []
        for source in table_sources:
            for i in self.judged:
                by = self.plan.indicators[i].judged_by or source
                entry = scores.get(by, {}).get(i)
                # a score given for an indicator that does not apply is not used: the indicator is null
                values.append(None if entry is None or not applicable[i] else entry[0])
        return tuple(values), scores, corrections
