"""The smallest recovery that reaches a target grade, found exactly, and the least values it needs.

A candidate is an indicator that lost points in some table source. Its *full recovery* sets
it to its maximum in every table source where it is below; the figures grading reads (each
source's table and dimensions, so the total) rise by its *gains*. Those figures are linear in
the indicator scores (a table's proration and a dimension's weight do not change when only
scores change), so gains add up; each dimension's points-to-table factor is measured by
re-scoring, and gains carry the last digit of an exact division, which `SLACK` covers.

The search takes sizes k = 1, 2, … in turn and, for each, walks the k-sets of candidates
(largest gain first) depth first. A branch is cut when even its *optimistic* state fails
the target: every figure raised by the chosen gains plus the largest r gains still open for
that figure (r = places left; each figure its own best r, so no k-set can score higher),
every open indicator at its maximum, graded by the ruleset's own conditions. That bound is
sound when grade conditions never get worse as scores rise (the shipped rulesets', and any
of `>=` thresholds; docs/decisions.md). Every k-set that survives is re-scored through the
what-if path and kept only if the re-scored record reaches the target; the first k with one
is the fewest indicators. Among them the plan takes the one with the least points to recover
(the points its indicators lost, over the table sources; then by names); a branch whose
least possible points already exceed the best found is cut too.

What each indicator must reach: in turn, from the one whose points weigh least on the total,
the least value that still reaches with the others as they stand, by bisection over the
ruleset's decimal quantum (`least_values`: on the figures, then confirmed by re-scoring the
value and the value one quantum lower); the whole plan is re-scored once more.
"""

from __future__ import annotations

import decimal
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol, cast

from ..evaluate.engine import Engine
from ..semantics.arithmetic import EXACT, RUNTIME_FAILURES, ZERO, quantum
from ..semantics.grading import Conditions, Scored, SourceScores, grade, rank
from ..semantics.sheets import WhatIf
from .whatif import Change

Figure = tuple[str, int]  # (table source, -1 for its table or a dimension's index)
SLACK = Decimal("1e-40")  # added to optimistic figures: gains are sums of exact divisions


class _Graded(Protocol):
    conditions: Conditions


@dataclass(frozen=True, slots=True)
class Candidate:
    """An indicator that lost points: its score now per table source and its gains at full recovery."""

    index: int
    name: str
    top: Decimal
    froms: dict[str, Decimal]  # table source -> score now (applicable sources only)
    gains: dict[Figure, Decimal]
    effect: Decimal  # what its full recovery adds to the total (weighted over the sources)

    def changes(self, value: Decimal) -> list[Change]:
        """Its score set to `value` in every source where it is lower."""
        return [(source, self.name, value) for source, now in self.froms.items() if now < value]

    def rise(self, value: Decimal) -> dict[Figure, Decimal]:
        """What the figures rise by with its score at `value`: its gains, in proportion in each
        source (a table and a dimension are linear in an indicator's score)."""
        found: dict[Figure, Decimal] = {}
        for key, gain in self.gains.items():
            now = self.froms.get(key[0])
            if now is not None and now < value:
                found[key] = EXACT.divide(gain * (value - now), self.top - now)
        return found

    @property
    def lost(self) -> Decimal:
        return sum((self.top - now for now in self.froms.values()), ZERO)


@dataclass(frozen=True, slots=True)
class Recovery:
    """The smallest set found: its candidates, the value each must reach, the points to recover."""

    candidates: tuple[Candidate, ...]
    values: tuple[Decimal, ...]
    scored: Scored  # the record re-scored with these changes

    @property
    def changes(self) -> list[Change]:
        return [change for c, v in zip(self.candidates, self.values, strict=True) for change in c.changes(v)]

    @property
    def points(self) -> Decimal:
        return sum(
            (v - now for c, v in zip(self.candidates, self.values, strict=True) for now in c.froms.values() if now < v),
            ZERO,
        )


class Rescorer:
    """One validated record scored again on its engine with changes, and whether it reaches a grade."""

    def __init__(self, engine: Engine, record: dict[str, Any], sheets: Any, target: str) -> None:
        self.engine = engine
        self.plan = engine.plan
        self.record = record
        self.sheets = sheets
        self.target_rank = rank(engine.plan, target)
        self.conditions = cast(_Graded, engine.backend).conditions
        names = {i.name for i in engine.plan.indicators}
        # whether grading reads an indicator's score (`superior.records`), not only tables and dimensions
        self.reads_indicators = any(key.partition(".")[2] in names for key in engine.plan.grading_keys)
        self.rescored = 0  # how many re-scorings this record's plan took

    def score(self, changes: Sequence[Change]) -> Scored | None:
        """The record with `changes`, or None when they cannot apply (or scoring fails)."""
        self.rescored += 1
        outcome = self.engine.backend.score(self.plan, self.record, WhatIf(self.sheets, changes))
        return outcome if isinstance(outcome, Scored) else None

    def reaches(self, scored: Scored | None) -> bool:
        return (
            scored is not None
            and scored.exempt is None
            and scored.grade is not None
            and rank(self.plan, scored.grade) <= self.target_rank
        )

    def weights(self, base: Scored) -> dict[str, Decimal]:
        """Each table source's weight in the total (renormalised when a source is excluded)."""
        if not self.plan.has_assess:
            return {s.name: Decimal(1) for s in self.plan.sources if s.is_table}
        moved = base.excluded.weights if base.excluded is not None else {}
        return {s.name: moved.get(s.name, s.weight) for s in self.plan.sources if s.is_table}

    def candidates(self, base: Scored) -> list[Candidate]:
        """Every indicator below its maximum in some table source, with its gains.

        A dimension's score is the sum of its indicators' and a table is linear in each
        dimension (proration and weights stay fixed while only scores change), so one
        re-scoring per dimension, with all its lost points recovered, gives each source's
        points-to-table factor for that dimension; an indicator's gains follow from it."""
        weights = self.weights(base)
        lost: dict[int, dict[int, dict[str, Decimal]]] = {}  # dimension -> indicator -> source -> score now
        for index, info in enumerate(self.plan.indicators):
            froms = {
                s: Decimal(v)
                for s, table in base.tables.items()
                if (v := table.indicators[index]) is not None and Decimal(v) < info.max
            }
            if froms:
                lost.setdefault(info.dimension, {})[index] = froms
        zero = dict.fromkeys(figures_of(base), ZERO)
        found: list[Candidate] = []
        for dimension, members in lost.items():
            tops = {i: self.plan.indicators[i].max for i in members}
            changes = [(s, self.plan.indicators[i].name, tops[i]) for i, froms in members.items() for s in froms]
            scored = self.score(changes)
            if scored is None:
                continue
            factor: dict[str, Decimal] = {}
            for source, table in base.tables.items():
                points = sum((tops[i] - froms[source] for i, froms in members.items() if source in froms), ZERO)
                rise = scored.tables[source].table - table.table
                factor[source] = EXACT.divide(rise, points) if points else ZERO
            for index, froms in members.items():
                gains = dict(zero)
                for source, now in froms.items():
                    gains[(source, dimension)] = tops[index] - now
                    gains[(source, -1)] = factor[source] * (tops[index] - now)
                effect = sum((weights[s] * gains[(s, -1)] for s in froms), ZERO)
                info = self.plan.indicators[index]
                found.append(Candidate(index, info.name, info.max, froms, gains, effect))
        return sorted(found, key=lambda c: (-c.effect, c.name))

    def optimistic(
        self, base: Scored, figures: dict[Figure, Decimal], raised: Iterable[tuple[Candidate, Decimal]]
    ) -> bool:
        """Whether the state with these `figures` and the `raised` indicators at least at their
        values (every other score as in `base`) reaches the target, graded by the ruleset."""
        tables: dict[str, SourceScores] = {}
        for source, table in base.tables.items():
            indicators = table.indicators
            if self.reads_indicators:
                indicators = list(indicators)
                for c, value in raised:
                    now = indicators[c.index]
                    if now is not None and now < value:
                        indicators[c.index] = value
            dims = [figures.get((source, d), value) for d, value in enumerate(table.dimensions)]
            tables[source] = SourceScores(indicators, dims, figures.get((source, -1), table.table))
        weights = self.weights(base)
        rise = sum((weights[s] * (tables[s].table - base.tables[s].table) for s in tables), ZERO)
        state = Scored(
            tables=tables,
            values=base.values,
            excluded=base.excluded,
            bonus=base.bonus,
            penalty=base.penalty,
            total=base.total + rise,
        )
        try:
            with decimal.localcontext(EXACT):
                grade(self.plan, self.conditions, self.record, state, EXACT)
        except RUNTIME_FAILURES:
            return True  # a condition that fails on these figures bounds nothing: the branch stays open
        return self.reaches(state)


def figures_of(scored: Scored) -> dict[Figure, Decimal]:
    """Each table source's table and dimension scores."""
    found: dict[Figure, Decimal] = {}
    for source, table in scored.tables.items():
        found[(source, -1)] = table.table
        for d, value in enumerate(table.dimensions):
            found[(source, d)] = value
    return found


def smallest_recovery(rescorer: Rescorer, base: Scored, candidates: Sequence[Candidate]) -> Recovery | None:
    """The fewest candidates whose recovery reaches the target (ties: least points), or None."""
    if not candidates:
        return None
    everything = rescorer.score([ch for c in candidates for ch in c.changes(c.top)])
    if not rescorer.reaches(everything):
        return None
    keys = sorted(candidates[0].gains)
    # suffix[j][key]: the gains of candidates[j:] for that figure, largest first (positive only)
    suffix = [
        {key: sorted((c.gains[key] for c in candidates[j:] if c.gains[key] > 0), reverse=True) for key in keys}
        for j in range(len(candidates) + 1)
    ]
    cheapest = [sorted(c.lost for c in candidates[j:]) for j in range(len(candidates) + 1)]
    start = figures_of(base)

    def promising(chosen: list[int], sums: dict[Figure, Decimal], open_from: int, left: int) -> bool:
        figures = {key: sums[key] + sum(suffix[open_from][key][:left], ZERO) + SLACK for key in keys}
        raised = [(candidates[i], candidates[i].top) for i in chosen] + [(c, c.top) for c in candidates[open_from:]]
        return rescorer.optimistic(base, figures, raised)

    for size in range(1, len(candidates) + 1):
        best: list[int] | None = None
        best_key: tuple[Decimal, list[str]] | None = None

        def walk(size: int, chosen: list[int], sums: dict[Figure, Decimal], lost: Decimal, open_from: int) -> None:
            nonlocal best, best_key
            left = size - len(chosen)
            # the least points any completion can have: the `left` smallest losses still open
            floor = lost + sum(cheapest[open_from][:left], ZERO)
            if best_key is not None and floor > best_key[0]:
                return
            if not promising(chosen, sums, open_from, left):
                return
            if left == 0:
                key = (lost, sorted(candidates[i].name for i in chosen))
                if best_key is not None and key >= best_key:
                    return
                scored = rescorer.score([ch for i in chosen for ch in candidates[i].changes(candidates[i].top)])
                if rescorer.reaches(scored):
                    best, best_key = list(chosen), key
                return
            for j in range(open_from, len(candidates) - left + 1):
                gains = candidates[j].gains
                raised = {key: sums[key] + gains[key] for key in keys}
                walk(size, [*chosen, j], raised, lost + candidates[j].lost, j + 1)

        walk(size, [], start, ZERO, 0)
        if best is not None:
            return least_values(rescorer, base, [candidates[i] for i in best])
    return None


def least_values(rescorer: Rescorer, base: Scored, chosen: Sequence[Candidate]) -> Recovery | None:
    """The least value each chosen indicator must reach, the others as they stand: in turn from
    the one whose points weigh least on the total, by bisection over the ruleset's quantum.

    The bisection runs on the figures the values give (`Candidate.rise`, graded by the ruleset
    as the search's bound is); its answer v is then re-scored, v and v minus one quantum, and
    taken when v reaches and v - quantum does not. Otherwise (a rule the figures do not
    capture) the bisection runs again, re-scoring at every step."""
    step = quantum(rescorer.plan.precision)
    values = {c.name: c.top for c in chosen}
    start = figures_of(base)

    def changes() -> list[Change]:
        return [ch for c in chosen for ch in c.changes(values[c.name])]

    def figured() -> bool:
        figures = dict(start)
        for c in chosen:
            for key, rise in c.rise(values[c.name]).items():
                figures[key] += rise
        return rescorer.optimistic(base, figures, [(c, values[c.name]) for c in chosen])

    def rescored() -> bool:
        return rescorer.reaches(rescorer.score(changes()))

    for c in sorted(chosen, key=lambda c: (c.effect / c.lost, c.name)):
        low = min(c.froms.values())
        # values tried: top - m × step for m in 0..most, each above the lowest score now
        most = int((c.top - low) / step) - (1 if (c.top - low) % step == 0 else 0)

        def holds(m: int, test: Callable[[], bool], c: Candidate = c) -> bool:
            values[c.name] = c.top - m * step
            return test()

        lowered = _bisect(lambda m: holds(m, figured), most)
        if not (holds(lowered, rescored) and (lowered == most or not holds(lowered + 1, rescored))):
            lowered = _bisect(lambda m: holds(m, rescored), most)
        values[c.name] = c.top - lowered * step
    scored = rescorer.score(changes())
    if not rescorer.reaches(scored):
        return None
    assert scored is not None
    ordered = tuple(chosen)
    return Recovery(ordered, tuple(values[c.name] for c in ordered), scored)


def _bisect(holds: Callable[[int], bool], most: int) -> int:
    """The largest m in 0..most for which `holds(m)` (taken to hold at 0 and to fail from some m on)."""
    reached, low, high = 0, 1, most
    while low <= high:
        middle = (low + high) // 2
        if holds(middle):
            reached, low = middle, middle + 1
        else:
            high = middle - 1
    return reached
