"""The relative stage of a batch: after the first pass, before quotas.

Each ruleset's relative rules (`semantics/relative.py`) rank the graded records routed to it;
a record that gets points is scored again, its points added and its grade derived again
(`apply_relative`, the same for both backends), and its standing replaced, so quotas,
adjustments and nominations see the grade the relative points gave. A record a quota then
moves is finished again with its points (`rescore`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from ..semantics.relative import Member, RelativeAward, apply_relative, relative_awards
from .engine import Engine, Pending
from .population import Standing


def awards_for(engines: Mapping[str, Engine], standings: Sequence[Standing | None]) -> dict[int, list[RelativeAward]]:
    """Every record's relative awards, by position, in rule order."""
    found: dict[int, list[RelativeAward]] = defaultdict(list)
    for name, engine in engines.items():
        for index, rule in enumerate(engine.plan.relatives):
            members = [
                Member(position, *s.placing[index])
                for position, s in enumerate(standings)
                if s is not None and s.ruleset == name and index in s.placing
            ]
            for position, award in relative_awards(index, rule, members).items():
                found[position].append(award)
    return {position: sorted(awards) for position, awards in found.items()}


def with_awards(engine: Engine, pending: Pending, awards: Sequence[RelativeAward], *, trace: bool) -> Pending:
    """`pending` (a fresh scoring of the record) with its relative points and its new grade."""
    if pending.scored is not None and pending.record is not None and awards:
        backend = engine.traced if trace else engine.backend
        apply_relative(engine.plan, backend.conditions, pending.record, pending.scored, awards)
    return pending


def has_relatives(engines: Mapping[str, Any]) -> bool:
    return any(engine.plan.relatives for engine in engines.values())
