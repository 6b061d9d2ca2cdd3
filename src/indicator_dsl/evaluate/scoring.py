"""The reference interpreter's walk over one record: indicators, tables, total, grade.

This is the plain, generic reading of a `TablePlan` that the compiled plans' straight-line
code must agree with. Every figure comes from the helpers of `semantics/arithmetic.py`
and the grade from `semantics/grading.grade`, the ones generated code calls too, so the
two backends differ only in how they evaluate expressions and walk the clauses.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Protocol

from ..semantics.arithmetic import (
    EXACT,
    RUNTIME_FAILURES,
    ZERO,
    bounded,
    capped_bonus,
    deducted,
    prorate,
    signed,
    weighted_share,
)
from ..semantics.grading import Conditions, Scored, SourceScores, grade
from ..semantics.plan import JUDGED, TablePlan, Trace
from ..semantics.records import FieldProblem, failure_problem
from ..semantics.sheets import Corrections, JudgedScores, corrected, read_sheets
from ..semantics.sources import assessed
from ..semantics.trace import ClauseTrace, adjust_trace, adjusted_clamp
from ..syntax.source import Span


class ClauseWalker(Protocol):
    """What `score_record` asks of the interpreter: clause values, and where it is."""

    conditions: Conditions
    at: Span | None  # the clause being evaluated, for the message of a Python error inside it

    def indicators(self, record: Any, trace: Trace | None) -> list[Any]: ...

    def source_value(self, index: int, record: Any) -> tuple[Decimal | int | None, str | None]:
        """Value source `index`'s value, or None and the note of its exclusion (`semantics.sources`)."""
        ...

    def bonus_item(self, index: int, record: Any) -> Decimal | int: ...

    def penalty_item(self, index: int, record: Any, reads: Trace | None) -> Decimal | int | None:
        """What penalty item `index` deducts, None when its `when` does not hold."""
        ...


def score_record(
    plan: TablePlan, walker: ClauseWalker, record: Any, sheets: Any, *, trace: bool = False
) -> Scored | list[FieldProblem]:
    """Score one validated record; problems come back as a list instead of a score."""
    steps: Trace | None = [] if trace else None
    walker.at = None
    try:
        base = walker.indicators(record, steps)
        walker.at = None
        judged, corrections, problems = read_sheets(plan, sheets, [v is not None for v in base])
        if problems:
            return problems
        scored = Scored(judged=judged, trace=steps)
        _tables(plan, base, judged, corrections, scored)
        _combine(plan, walker, record, scored)
        grade(plan, walker.conditions, record, scored, EXACT)
    except RUNTIME_FAILURES as error:
        return [failure_problem(error, at=walker.at)]
    return scored


def _tables(plan: TablePlan, base: list[Any], judged: JudgedScores, corrections: Corrections, scored: Scored) -> None:
    judged_indices = [i for i, v in enumerate(base) if v is JUDGED]
    adjusted = [i for i, v in enumerate(base) if v is not None and plan.indicators[i].adjust is not None]
    for source in plan.sources:
        if not source.is_table:
            continue
        scores: list[Any] = list(base)
        for i in judged_indices:
            by = plan.indicators[i].judged_by or source.name
            scores[i] = judged[by][i][0]
            if scored.trace is not None:
                scored.trace.append(
                    ClauseTrace(i, 0, "judged", True, [(f"sheets.{by}", scores[i])], scores[i], source.name)
                )
        for i in adjusted:
            scores[i] = _adjusted(plan, i, base[i], judged, source.name, scored.trace)
        if source.name in corrections:
            corrected(scores, source.name, corrections, scored.corrections, scored.trace)
        dims: list[Decimal] = []
        table = ZERO
        applicable_total = ZERO
        for dim in plan.dimensions:
            points = ZERO
            applicable_max = ZERO
            for i in dim.indicators:
                if scores[i] is not None:
                    points += scores[i]
                    applicable_max += plan.indicators[i].max
            dims.append(points)
            if plan.weighted:
                table += weighted_share(dim.weight or ZERO, points, applicable_max, dim.name, EXACT)
            else:
                table += points
                applicable_total += applicable_max
        if plan.weighted:
            table = table * plan.total
        elif applicable_total != plan.scale:
            raw, table = table, prorate(table, plan.scale, applicable_total, EXACT)
            if scored.trace is not None:
                reads = [("raw", raw), ("applicable max", applicable_total), ("scale", plan.scale)]
                scored.trace.append(ClauseTrace(-1, -1, "prorate", True, reads, table, source.name))
        scored.tables[source.name] = SourceScores(scores, dims, table)


def _adjusted(
    plan: TablePlan, index: int, score: Decimal, judged: JudgedScores, source: str, trace: Trace | None
) -> Decimal:
    """An indicator's computed score moved by its `adjust` from the sheet, held in its bounds again."""
    info = plan.indicators[index]
    by = info.judged_by or source
    adjustment, reason = judged[by][index]
    adjusted, why = bounded(score + adjustment, info.max, info.uncapped)
    if trace is not None:
        trace.append(adjust_trace(index, info.adjust_clause, by, adjustment, reason, adjusted, source))
        if why is not None:
            trace.append(ClauseTrace(index, -1, "clamp", True, [], adjusted, adjusted_clamp(why, source)))
    return adjusted


def _combine(plan: TablePlan, walker: ClauseWalker, record: Any, scored: Scored) -> None:
    parts: list[tuple[str, Decimal, Decimal | None]] = []
    notes: dict[str, str | None] = {}
    for index, source in enumerate(plan.sources):
        value: Decimal | None
        if source.is_table:
            value = scored.tables[source.name].table
        else:
            raw, notes[source.name] = walker.source_value(index, record)
            value = scored.values[source.name] = None if raw is None else Decimal(raw)
        parts.append((source.name, source.weight, value))
    walker.at = None
    if plan.has_assess:
        combined, scored.excluded = assessed(parts, notes, EXACT, scored.trace)
    else:
        combined = scored.tables[plan.sources[0].name].table
    if plan.bonus_max is not None:
        bonus = ZERO
        for index, (name, _) in enumerate(plan.bonus_items):
            points = walker.bonus_item(index, record)
            bonus += Decimal(points)
            if scored.trace is not None:
                scored.trace.append(ClauseTrace(-1, index, "bonus", points != 0, [], points, name))
        walker.at = None
        scored.bonus = capped_bonus(bonus, plan.bonus_max)
    total = combined + scored.bonus
    if plan.penalty_max is not None:
        total = _penalty(plan, walker, record, scored, total)
    scored.total = total


def _penalty(plan: TablePlan, walker: ClauseWalker, record: Any, scored: Scored, before: Decimal) -> Decimal:
    """The penalty items, each traced, taken from the total as `deducted` says."""
    assert plan.penalty_max is not None
    penalty = ZERO
    for number, (name, _) in enumerate(plan.penalty_items):
        reads: Trace | None = [] if scored.trace is not None else None
        moved = walker.penalty_item(number, record, reads)
        walker.at = None
        if moved is not None:
            penalty += moved
        if scored.trace is not None:
            effect = 0 if moved is None else signed("deduct", moved)
            scored.trace.append(ClauseTrace(-1, number, "penalty", moved is not None, reads or [], effect, name))
    scored.penalty, total, why = deducted(before, penalty, plan.penalty_max)
    if why is not None and scored.trace is not None:
        scored.trace.append(ClauseTrace(-1, -1, "penalty", True, [], total, why))
    return total
