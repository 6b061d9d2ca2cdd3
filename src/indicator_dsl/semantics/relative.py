"""Population-relative rules: points for a record's place among the records of its group.

`relative NAME award|deduct N when top P% of MEASURE within FIELD` and `... when below mean by M
of MEASURE within FIELD`. A group holds the graded records of one ruleset with one value of
FIELD (the whole batch without `within`) whose MEASURE has a value; MEASURE is read as
grading shows it (rounded to the ruleset's precision, so what a branch sees is what ranks).
Exactly, with no rounding of the share or the mean:

- `top P%`: a record's rank is 1 + the number of records of its group strictly above it (tied
  records share a rank), and the rule fires when rank <= n × P. Ties are all in or all out,
  whatever the input order; a group of n < 1/P records has no one in its top P%.
- `below mean by M`: the group's mean is Σ MEASURE / n, and the rule fires when
  MEASURE < mean − M, tested as n × MEASURE < Σ − n × M (a group of one never fires).

A record without a grade (exempt, failed) or without a value for MEASURE (an excluded
source) is in no group and gets no points. Every rule reads the first-pass figures, so rules
never depend on one another's points. `apply_relative` then adds a record's points to its
total (never below 0), traces each rule, and grades the record again: both backends' batches
call it with their own grading conditions.
"""

from __future__ import annotations

import decimal
from collections import defaultdict
from collections.abc import Hashable, Sequence
from decimal import Decimal
from typing import Any, NamedTuple

from .arithmetic import EXACT, ZERO
from .grading import Conditions, Scored, grade
from .plan import RelativeInfo, TablePlan
from .trace import ClauseTrace


class RelativeAward(NamedTuple):
    """One rule's points for one record, and what decided them."""

    rule: int  # index into the plan's relatives
    points: Decimal  # signed: negative for `deduct`
    reads: tuple[tuple[str, Any], ...]


class Member(NamedTuple):
    """A graded record as a relative rule sees it."""

    position: int
    group: Hashable
    measure: Decimal | None


Reads = tuple[tuple[str, Any], ...]


def relative_awards(index: int, rule: RelativeInfo, members: Sequence[Member]) -> dict[int, RelativeAward]:
    """The records (by position) rule `index` gives points to."""
    groups: dict[Hashable, list[tuple[int, Decimal]]] = defaultdict(list)
    for m in members:
        if m.measure is not None:
            groups[m.group].append((m.position, m.measure))
    points = rule.points if rule.kind == "award" else -rule.points
    found: dict[int, RelativeAward] = {}
    with decimal.localcontext(EXACT):
        for group in groups.values():
            test = _in_top if rule.test == "top" else _below_mean
            for position, reads in test(rule, group):
                found[position] = RelativeAward(index, points, reads)
    return found


def _in_top(rule: RelativeInfo, group: list[tuple[int, Decimal]]) -> list[tuple[int, Reads]]:
    """Records whose competition rank (1 + those strictly above) is at most n × share."""
    n = len(group)
    line = n * rule.bound
    values = sorted((value for _, value in group), reverse=True)
    fired: list[tuple[int, Reads]] = []
    for position, value in group:
        rank = 1 + next((i for i, v in enumerate(values) if v <= value), n)
        if rank <= line:
            fired.append((position, ((rule.key, value), ("rank", rank), ("group size", n), ("top", line))))
    return fired


def _below_mean(rule: RelativeInfo, group: list[tuple[int, Decimal]]) -> list[tuple[int, Reads]]:
    """Records more than the margin below the group's exact mean."""
    n = len(group)
    total = sum((value for _, value in group), ZERO)
    mean = total / n  # shown in the trace; the test itself multiplies, so it never rounds
    return [
        (position, ((rule.key, value), ("group mean", mean), ("group size", n)))
        for position, value in group
        if value * n < total - rule.bound * n
    ]


def apply_relative(
    plan: TablePlan, conditions: Conditions, record: Any, scored: Scored, awards: Sequence[RelativeAward]
) -> None:
    """Add the awards to the record's total (never below 0), trace them, and grade it again."""
    total = scored.total
    for award in awards:
        total += award.points
        if scored.trace is not None:
            rule = plan.relatives[award.rule]
            scored.trace.append(
                ClauseTrace(-1, award.rule, "relative", True, list(award.reads), award.points, rule.name)
            )
    scored.total = max(total, ZERO)
    scored.exempt = scored.grade_by_rules = scored.grade_after_veto = scored.grade = None
    scored.pinned, scored.vetoes, scored.steps = False, [], []
    grade(plan, conditions, record, scored, EXACT)
