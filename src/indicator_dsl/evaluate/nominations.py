"""Nominations: after quotas and adjustments, the records put forward for each award.

A catalog's `nomination NAME "label" from GRADES at most N per FIELD exclude when COND`
draws, in each group of FIELD, the records whose final grade is one of GRADES, highest
rounded total first, ties broken by record id (never by input order), and keeps the first
N. A record the `exclude when` condition holds for (evaluated with its quota `where`s, on
the record and its grading values before quotas) is never drawn. One implementation for
both backends: they only feed it the same standings.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Sequence
from decimal import Decimal

from ..syntax import nodes as n
from .population import Standing
from .results import Nominee


def nominate(
    nominations: Sequence[n.Nomination], standings: Sequence[Standing | None], ids: Sequence[str | None]
) -> dict[int, list[Nominee]]:
    """Every nominee, by position in the batch, with the rule that chose it."""
    chosen: dict[int, list[Nominee]] = defaultdict(list)
    for index, rule in enumerate(nominations):
        groups: dict[Hashable, list[tuple[Decimal, str, int]]] = defaultdict(list)
        for position, standing in enumerate(standings):
            if standing is not None and standing.grade in rule.grades and index in standing.nominated:
                groups[standing.nominated[index]].append((-standing.total, str(ids[position] or ""), position))
        for group, members in groups.items():
            ranked = [position for _, _, position in sorted(members)]
            grades = ", ".join(rule.grades)
            for rank, position in enumerate(ranked[: rule.places], 1):
                reason = f"rank {rank} of {len(ranked)} {grades} in {rule.per} = {group}"
                chosen[position].append(Nominee(award=rule.name, label=rule.label, reason=reason))
    return dict(chosen)
