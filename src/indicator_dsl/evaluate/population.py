"""The population stage: quotas over a batch, deterministic for any input order.

Spec 6.2: in each group, n counts records with a grade (not exempt, not failed) and k
is floor(n × share) for `at most`, ceil(n × share) for `at least` (`grading.quota_size`;
the step a move records and its reason are written in `semantics/grading.py` too). Only the rounded
totals rank records, and ties are settled by the stated rule, never by input order.
Records graded by `assign` or `force` count in n but are never moved. A quota over adjacent
grades together counts a record at any of them; `at most` moves the excess to the grade below
the lowest of them, `at least` draws from the grades above the highest into the highest.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ..semantics.grading import at_least_candidates, at_least_moves, quota_reason, quota_size, quota_step
from ..semantics.plan import QuotaInfo
from ..semantics.relative import RelativeAward
from ..semantics.trace import GradeStep


@dataclass(slots=True)
class Standing:
    """What a quota needs to know of one scored record."""

    total: Decimal  # rounded, as shown
    grade: str | None
    pinned: bool
    groups: dict[Hashable, Hashable] = field(default_factory=dict)  # quota key -> group (absent: out of scope)
    steps: list[GradeStep] = field(default_factory=list)
    ruleset: str = ""
    warnings: list[str] = field(default_factory=list)  # an adjustment that breaks a quota
    nominated: dict[int, Hashable] = field(default_factory=dict)  # nomination index -> group (absent: excluded)
    id: str | None = None  # the record's id: nominations break ties by it
    # relative rule index -> (group, measure) as the first pass saw them; then the awards given
    placing: dict[int, tuple[Hashable, Decimal | None]] = field(default_factory=dict)
    relative: list[RelativeAward] = field(default_factory=list)


def standing_wire(s: Standing) -> tuple[Any, ...]:
    """A standing as plain values for a worker's message (`marshal` writes these fast):
    Decimals as their text, mappings as tuples of pairs, steps and awards as tuples;
    `WireReader` reads it back. A first pass's standing (no steps, warnings, placings or
    awards: nearly all) is seven values, any other eleven."""
    groups, nominated = tuple(s.groups.items()), tuple(s.nominated.items())
    if not (s.steps or s.warnings or s.placing or s.relative):
        return str(s.total), s.grade, s.pinned, groups, s.ruleset, nominated, s.id
    placing = tuple((k, g, None if m is None else str(m)) for k, (g, m) in s.placing.items())
    steps = tuple(tuple(step) for step in s.steps)
    relative = tuple((a.rule, str(a.points), a.reads) for a in s.relative)
    return (str(s.total), s.grade, s.pinned, groups, steps, s.ruleset, s.warnings, nominated, s.id, placing, relative)


class WireReader:
    """Standings read back from `standing_wire`, or scored in this process (`shared`), for a
    whole run: equal totals, texts and group mappings (all the records of a department share
    one) are made once and shared, which a stream of a million standings needs to stay within
    its memory (a standing's `groups` and `nominated` are never changed once the record is
    scored): about 240 bytes a standing instead of 850."""

    __slots__ = ("mappings", "texts", "totals")

    def __init__(self) -> None:
        self.totals: dict[str, Decimal] = {}
        self.texts: dict[str, str] = {}
        self.mappings: dict[tuple[Any, ...], dict[Any, Any]] = {}

    def read(self, wire: tuple[Any, ...] | None) -> Standing | None:
        if wire is None:
            return None
        first_pass = len(wire) == 7
        if first_pass:
            total, grade, pinned, groups, ruleset, nominated, id_ = wire
        else:
            total, grade, pinned, groups, steps, ruleset, warnings, nominated, id_, placing, relative = wire
        number = self.totals.get(total)
        if number is None:
            number = self._total(total, Decimal(total))
        text = self.texts.setdefault
        grade, ruleset = text(grade, grade), text(ruleset, ruleset)
        # a first pass's placings and awards are set when the record is scored and only read
        # afterwards, so the empty ones are shared
        shared, chosen = self._mapping(groups), self._mapping(nominated)
        standing = Standing(number, grade, pinned, shared, [], ruleset, [], chosen, id_, _NO_PLACING, _NO_AWARDS)
        if not first_pass:
            standing.steps = [GradeStep(*step) for step in steps]
            standing.warnings = list(warnings)
            standing.placing = {k: (g, None if m is None else Decimal(m)) for k, g, m in placing}
            standing.relative = [RelativeAward(rule, Decimal(points), reads) for rule, points, reads in relative]
        return standing

    def shared(self, standing: Standing | None) -> Standing | None:
        """A standing scored in this process, its equal parts now shared as `read` shares them
        (its steps and warnings stay its own: a quota appends to them)."""
        if standing is None:
            return None
        key = str(standing.total)
        number = self.totals.get(key)
        standing.total = self._total(key, standing.total) if number is None else number
        text = self.texts.setdefault
        if standing.grade is not None:
            standing.grade = text(standing.grade, standing.grade)
        standing.ruleset = text(standing.ruleset, standing.ruleset)
        standing.groups = self._mapping(tuple(standing.groups.items()))
        standing.nominated = self._mapping(tuple(standing.nominated.items()))
        if not standing.placing:
            standing.placing = _NO_PLACING
        if not standing.relative:
            standing.relative = _NO_AWARDS
        return standing

    def _total(self, text: str, number: Decimal) -> Decimal:
        if len(self.totals) > SHARED_LIMIT:
            self.totals.clear()
        self.totals[text] = number
        return number

    def _mapping(self, items: tuple[Any, ...]) -> dict[Any, Any]:
        found = self.mappings.get(items)
        if found is None:
            if len(self.mappings) > SHARED_LIMIT:
                self.mappings.clear()
            found = self.mappings[items] = dict(items)
        return found


SHARED_LIMIT = 100_000  # distinct shared values a reader keeps (it starts again when full)
_NO_PLACING: dict[int, tuple[Hashable, Decimal | None]] = {}
_NO_AWARDS: list[RelativeAward] = []


@dataclass(frozen=True, slots=True)
class QuotaInForce:
    """A quota as a batch runs it: its key in `Standing.groups`, the rule and its grade ladder."""

    key: Hashable
    quota: QuotaInfo
    grades: Sequence[str]


def apply_quota(index: Hashable, quota: QuotaInfo, grades: Sequence[str], standings: Sequence[Standing]) -> None:
    groups: dict[Hashable, list[Standing]] = defaultdict(list)
    for s in standings:
        if s.grade is not None and index in s.groups:
            groups[s.groups[index]].append(s)
    for key, members in groups.items():
        where = quota_reason(quota, key)
        if quota.direction == "at most":
            _at_most(quota, grades, members, where)
        else:
            _at_least(quota, grades, members, where)


def _move(s: Standing, to: str, reason: str) -> None:
    s.steps.append(quota_step(s.grade, to, reason))
    s.grade = to


def _at_most(quota: QuotaInfo, grades: Sequence[str], members: list[Standing], reason: str) -> None:
    k = quota_size(quota, len(members))
    holders = sorted((s for s in members if s.grade in quota.grades), key=lambda s: s.total, reverse=True)
    if len(holders) <= k:
        return
    position = max(grades.index(g) for g in quota.grades)
    if position + 1 >= len(grades):
        return
    below = grades[position + 1]
    if quota.ties == "demote":
        line = holders[k].total
        keep = [s for s in holders if s.total > line]
    else:
        keep = [s for s in holders if k > 0 and s.total >= holders[k - 1].total]
    kept = {id(s) for s in keep}
    for s in holders:
        if id(s) not in kept and not s.pinned:
            _move(s, below, reason)


def _at_least(quota: QuotaInfo, grades: Sequence[str], members: list[Standing], reason: str) -> None:
    k = quota_size(quota, len(members))
    holding = sum(1 for s in members if s.grade in quota.grades)
    need = k - holding
    if need <= 0:
        return
    above = at_least_candidates(quota, grades)
    candidates = sorted((s for s in members if s.grade in above and not s.pinned), key=lambda s: s.total)
    for s in candidates[: at_least_moves([s.total for s in candidates], need, quota.ties)]:
        _move(s, grades[len(above)], reason)
