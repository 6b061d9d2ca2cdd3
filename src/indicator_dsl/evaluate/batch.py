"""Scoring a batch: every record in input order, then relative rules, then quotas, then outcomes.

A record that fails validation or evaluation keeps its place with its errors; nothing
is dropped. Quotas run per ruleset over the records routed to it, then the catalog's
quotas over all of them. `Batch.summary()` gives the grade shares a report shows, and
`Batch.quota_moves()` how many records each quota moved per group.
"""

from __future__ import annotations

import decimal
import gc
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from ..semantics.arithmetic import EXACT, RUNTIME_FAILURES, quantum, reported
from ..semantics.grading import quota_text
from ..semantics.plan import QuotaInfo
from ..semantics.records import FieldProblem, failure_problem
from ..semantics.relative import RelativeAward
from ..syntax import nodes as n
from .adjustments import Adjustment, apply_adjustments
from .engine import Engine, Pending
from .nominations import nominate
from .population import QuotaInForce, Standing, apply_quota
from .relatives import awards_for, has_relatives, with_awards
from .results import Compact, Entry, Result, Results

GradingCondition = Callable[[Any, dict[str, Any]], bool]
CatalogQuota = tuple[QuotaInfo, GradingCondition | None]
CatalogNomination = tuple[n.Nomination, GradingCondition | None]


@dataclass(frozen=True, slots=True)
class GroupShares:
    key: str
    count: int
    grades: dict[str, int]
    shares: dict[str, Decimal]
    moved: int = 0  # records of the group whose grade a quota changed


@dataclass(slots=True)
class Batch:
    """A batch's results in input order (`Results`: each built when it is read), the kept
    text fields of each record, and the adjustments that could not be applied."""

    results: Results
    attributes: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # adjustments that could not be applied

    def __post_init__(self) -> None:
        if not isinstance(self.results, Results):
            self.results = Results(list(self.results))

    def __iter__(self) -> Any:
        return iter(self.results)

    def __len__(self) -> int:
        return len(self.results)

    @property
    def failed(self) -> list[Result]:
        return [self.results[i] for i in range(len(self.results)) if self.results.failed(i)]

    def grade_counts(self, rows: Iterable[int] | None = None) -> Counter[str]:
        results = self.results
        indices = range(len(results)) if rows is None else rows
        return Counter(results.grade(i) or ("error" if results.failed(i) else "exempt") for i in indices)

    def summary(self, by: str | None = None) -> list[GroupShares]:
        """Grade counts and shares overall (`by=None`) or per value of a kept field."""
        groups: dict[str, list[int]] = {}
        for i in range(len(self.results)):
            key = "all" if by is None else str(self.attributes[i].get(by, "")) if self.attributes else ""
            groups.setdefault(key, []).append(i)
        out: list[GroupShares] = []
        for key in sorted(groups):
            counts = self.grade_counts(groups[key])
            total = sum(counts.values())
            shares = {g: (Decimal(c) * 100 / total).quantize(Decimal("0.1")) for g, c in counts.items()}
            moved = sum(1 for i in groups[key] if any(step == "quota" for step, _ in self.results.steps(i)))
            out.append(GroupShares(key, total, dict(counts), shares, moved))
        return out

    def quota_moves(self) -> dict[str, int]:
        """How many records each quota moved in each of its groups, keyed by the reason its
        step records (`quota: advanced at most 20% within department = 省财政厅`), sorted."""
        results = self.results
        moves = Counter(reason for i in range(len(results)) for step, reason in results.steps(i) if step == "quota")
        return dict(sorted(moves.items()))

    def nominees(self) -> dict[str, list[tuple[str | None, str]]]:
        """Each award's nominees in batch order: (record id, the rule that chose it)."""
        found: dict[str, list[tuple[str | None, str]]] = {}
        for result in self.results:
            for nominee in result.nominations:
                found.setdefault(nominee.award, []).append((result.id, nominee.reason))
        return found


class Scorer(Protocol):
    """What a batch needs of a Ruleset or a Catalog (`api.Model`): routing a record to the engine
    that scores it, and the catalog's quotas."""

    def route(self, data: Any, sheets: Any, *, trace: bool) -> tuple[Engine, Pending]: ...

    @property
    def catalog_quotas(self) -> Sequence[CatalogQuota]: ...

    @property
    def catalog_nominations(self) -> Sequence[CatalogNomination]: ...


@dataclass(slots=True)
class Scorecard:
    """A record after the first pass: its result as if no quota moved it, and its standing."""

    result: Result | Compact
    standing: Standing | None
    attributes: dict[str, Any]


def _where(engine: Engine, index: int) -> int:
    return sum(1 for q in engine.plan.quotas[:index] if q.has_where)


def standing_of(
    engine: Engine, pending: Pending, catalog_quotas: Sequence[CatalogQuota], nominations: Sequence[CatalogNomination]
) -> Standing | FieldProblem | None:
    """What quotas and nominations need of a scored record: its rounded total, grade, group
    per quota and per nomination it is not excluded from. Ruleset quotas are keyed
    (ruleset, index), the catalog's ("", index). A quota `where` or nomination `exclude when`
    that fails for this record (a division by zero) is the record's error, naming the rule."""
    scored, record = pending.scored, pending.record
    if scored is None or record is None or scored.grade is None:
        return None
    total = reported(scored.total, quantum(engine.plan.precision), EXACT)
    # every field by position: the defaults' factories cost 3 µs a record, 0.6 without them
    standing = Standing(total, scored.grade, scored.pinned, {}, [], engine.plan.name, [], {}, pending.record_id, {}, [])
    quota: QuotaInfo | None = None
    try:
        for index, quota in enumerate(engine.plan.quotas):
            if quota.has_where and not engine.backend.quota_where(_where(engine, index), record, scored.grading):
                continue
            standing.groups[(engine.plan.name, index)] = _group(engine, record, quota.within)
        for index, (quota, condition) in enumerate(catalog_quotas):
            if condition is not None and not condition(record, scored.grading):
                continue
            standing.groups[("", index)] = _group(engine, record, quota.within)
    except RUNTIME_FAILURES as error:
        assert quota is not None
        return failure_problem(error, f"quota {quota_text(quota)} ({quota.span.path}:{quota.span.line})")
    rule: n.Nomination | None = None
    try:
        for index, (rule, exclude) in enumerate(nominations):
            if exclude is None or not exclude(record, scored.grading):
                standing.nominated[index] = _group(engine, record, rule.per)
    except RUNTIME_FAILURES as error:
        assert rule is not None
        return failure_problem(error, f"nomination {rule.name} ({rule.span.path}:{rule.span.line})")
    for index, relative in enumerate(engine.plan.relatives):
        measure = scored.grading.get(relative.key)
        standing.placing[index] = (_group(engine, record, relative.within), measure)
    return standing


def _group(engine: Engine, record: dict[str, Any], within: str | None) -> Any:
    """A record's group for a quota `within` a field: the field's value, its default when
    the record leaves it out (validated records hold only the fields they were given)."""
    return "" if within is None else engine.models.fields.read(record, engine.plan.record_type, within)


def first_pass(
    model: Scorer, data: Any, sheets: Any, *, trace: bool, awards: Sequence[RelativeAward] = ()
) -> Scorecard:
    """Score a record; with `awards`, the relative stage's second look (its points added)."""
    engine, pending = model.route(data, sheets, trace=trace)
    pending = with_awards(engine, pending, awards, trace=trace)
    standing = standing_of(engine, pending, model.catalog_quotas, model.catalog_nominations)
    if isinstance(standing, FieldProblem):
        pending = Pending(pending.record_id, None, None, [standing], pending.warnings, pending.ref)
        standing = None
    elif standing is not None:
        standing.relative = list(awards)
    return Scorecard(engine.finish_compact(pending), standing, kept_attributes(pending))


def quotas_in_force(model: Scorer, engines: Mapping[str, Engine]) -> list[QuotaInForce]:
    """Every quota a batch runs, in order: each ruleset's (keyed (ruleset, index)), then the
    catalog's (keyed ("", index)). A ruleset quota is set aside when a catalog quota
    `replaces rulesets` on the same direction and a grade in common."""
    replacing = [(set(q.grades), q.direction) for q, _ in model.catalog_quotas if q.replaces]
    found: list[QuotaInForce] = []
    for name, engine in engines.items():
        grades = [g.name for g in engine.plan.grades]
        for index, quota in enumerate(engine.plan.quotas):
            if not any(way == quota.direction and over.intersection(quota.grades) for over, way in replacing):
                found.append(QuotaInForce((name, index), quota, grades))
    for index, (quota, _) in enumerate(model.catalog_quotas):
        grades = next(
            (
                [g.name for g in e.plan.grades]
                for e in engines.values()
                if set(quota.grades) <= {g.name for g in e.plan.grades}
            ),
            [],
        )
        if grades:
            found.append(QuotaInForce(("", index), quota, grades))
    return found


def settle(
    model: Scorer,
    engines: Mapping[str, Engine],
    standings: Sequence[Standing | None],
    adjustments: Sequence[Adjustment] = (),
    ids: Sequence[str | None] = (),
) -> tuple[dict[int, Standing], list[str]]:
    """Apply every quota, then the adjustments by people; return the standings whose grade
    changed, by position, and the adjustment errors."""
    present = [s for s in standings if s is not None]
    in_force = quotas_in_force(model, engines)
    for q in in_force:
        ruleset = q.key[0] if isinstance(q.key, tuple) else ""
        apply_quota(q.key, q.quota, q.grades, [s for s in present if s.ruleset == ruleset] if ruleset else present)
    problems: list[str] = []
    if adjustments:
        ladders = {name: [g.name for g in e.plan.grades] for name, e in engines.items()}
        _, problems = apply_adjustments(adjustments, ids, standings, ladders, in_force)
    return {i: s for i, s in enumerate(standings) if s is not None and s.steps}, problems


def refinish(model: Scorer, data: Any, sheets: Any, standing: Standing, *, trace: bool) -> Result | Compact:
    """Score a record again (with its relative points) and finish it with the grade its quotas gave it."""
    engine, pending = model.route(data, sheets, trace=trace)
    with_awards(engine, pending, standing.relative, trace=trace)
    if pending.scored is not None:
        pending.scored.grade = standing.grade
        pending.scored.steps.extend(standing.steps)
    pending.warnings.extend(standing.warnings)
    return engine.finish_compact(pending)


def attach_nominees(model: Scorer, standings: Sequence[Standing | None], results: list[Entry]) -> None:
    """Put each nominee's awards, with the rule that chose it, on its result (after quotas
    and adjustments settled the standings' grades)."""
    rules = [rule for rule, _ in model.catalog_nominations]
    if rules:
        for position, nominees in nominate(rules, standings, [r.id for r in results]).items():
            entry = results[position]
            if isinstance(entry, Compact):
                entry.nominate(nominees)
            else:
                result = results[position] = entry if isinstance(entry, Result) else entry.result()
                result.nominations = nominees


def kept_attributes(pending: Pending) -> dict[str, Any]:
    """Top-level text and enum fields of a record, kept for summaries by category or department."""
    record = pending.record
    if record is None:
        return {}
    return {name: value for name, value in record.items() if isinstance(value, str)}


def sheets_for(sheets: Mapping[str, Any] | None, data: Any) -> Any:
    if sheets is not None and isinstance(data, Mapping):
        return sheets.get(str(data.get("id")))
    return None


def run_batch(
    model: Scorer,
    engines: Mapping[str, Engine],
    records: Iterable[Any],
    *,
    sheets: Mapping[str, Any] | None,
    trace: bool,
    adjustments: Sequence[Adjustment] = (),
) -> Batch:
    """Sequential batch: first pass over every record, quotas and adjustments, then re-finish the moved."""
    with decimal.localcontext(EXACT), collector_paused():
        items = list(records)
        cards = [first_pass(model, data, sheets_for(sheets, data), trace=trace) for data in items]
        if has_relatives(engines):
            for index, given in awards_for(engines, [c.standing for c in cards]).items():
                data = items[index]
                cards[index] = first_pass(model, data, sheets_for(sheets, data), trace=trace, awards=given)
        ids = [c.result.id for c in cards]
        moved, problems = settle(model, engines, [c.standing for c in cards], adjustments, ids)
        for index, standing in moved.items():
            data = items[index]
            cards[index].result = refinish(model, data, sheets_for(sheets, data), standing, trace=trace)
        entries: list[Entry] = [c.result for c in cards]
        attach_nominees(model, [c.standing for c in cards], entries)
    return Batch(Results(entries), [c.attributes for c in cards], problems)


@contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off while a batch runs. A batch allocates millions of
    small containers that live until it ends, and the collector, triggered by allocation,
    would walk them again and again (about half the time of a batch). Afterwards what the
    batch made is moved to the oldest generation as a whole (`freeze` then `unfreeze`: two
    list splices, no walk), so no young collection walks it either; a full collection, which
    Python runs when the old generation has grown by a quarter, frees any cycle in it. The
    collector's state is restored however the block is left (an error, Ctrl-C); a host that
    froze objects itself (`gc.freeze` before forking) keeps them frozen. Inside a block that
    already paused it (or in a worker process, which keeps it off), this does nothing: asking
    how many objects are frozen walks them all, and a forked worker inherited its parent's."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        if gc.get_freeze_count() == 0:
            gc.freeze()
            gc.unfreeze()
        gc.enable()
