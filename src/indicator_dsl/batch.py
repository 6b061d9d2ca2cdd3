"""Scoring a batch: every record in input order, then quotas, then outcomes.

A record that fails validation or evaluation keeps its place with its errors; nothing
is dropped. Quotas run per ruleset over the records routed to it, then the catalog's
quotas over all of them. `Batch.summary()` gives the grade shares a report shows.
"""

from __future__ import annotations

import decimal
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .engine import Engine, Pending
from .plan import QuotaInfo
from .population import Standing, apply_quota
from .results import Result
from .runtime import EXACT
from .scoring import rounded

Scorer = Callable[[Any, Any], tuple[Engine, Pending]]
CatalogQuota = tuple[QuotaInfo, Callable[[Any, dict[str, Any]], bool] | None]


@dataclass(frozen=True, slots=True)
class GroupShares:
    key: str
    count: int
    grades: dict[str, int]
    shares: dict[str, Decimal]


@dataclass(slots=True)
class Batch:
    results: list[Result]
    attributes: list[dict[str, Any]] = field(default_factory=list)

    def __iter__(self) -> Any:
        return iter(self.results)

    def __len__(self) -> int:
        return len(self.results)

    @property
    def failed(self) -> list[Result]:
        return [r for r in self.results if r.errors]

    def grade_counts(self, rows: Iterable[int] | None = None) -> Counter[str]:
        indices = range(len(self.results)) if rows is None else rows
        return Counter(self.results[i].grade or ("error" if self.results[i].errors else "exempt") for i in indices)

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
            out.append(GroupShares(key, total, dict(counts), shares))
        return out


def _standing(engine: Engine, pending: Pending, quotas: Sequence[QuotaInfo],
              where: Callable[[int, Any, dict[str, Any]], bool]) -> Standing | None:
    scored = pending.scored
    if scored is None or pending.record is None:
        return None
    standing = Standing(rounded(scored.total, Decimal(1).scaleb(-engine.plan.precision)), scored.grade, scored.pinned)
    for index, quota in enumerate(quotas):
        if quota.has_where and not where(index, pending.record, scored.grading):
            continue
        standing.groups[index] = getattr(pending.record, quota.within_attr) if quota.within_attr else ""
    return standing


def _ruleset_quotas(engine: Engine, pendings: list[Pending]) -> None:
    plan = engine.plan
    if not plan.quotas:
        return
    where_index = {i: n for n, i in enumerate(i for i, q in enumerate(plan.quotas) if q.has_where)}

    def where(index: int, record: Any, g: dict[str, Any]) -> bool:
        return engine.backend.condition("quota", where_index[index], record, g)

    pairs = [(p, _standing(engine, p, plan.quotas, where)) for p in pendings]
    standings = [s for _, s in pairs if s is not None]
    grades = [g.name for g in plan.grades]
    for index, quota in enumerate(plan.quotas):
        apply_quota(index, quota, grades, standings)
    _write_back(pairs)


def _write_back(pairs: Iterable[tuple[Pending, Standing | None]]) -> None:
    for pending, standing in pairs:
        if standing is not None and pending.scored is not None and standing.steps:
            pending.scored.grade = standing.grade
            pending.scored.steps.extend(standing.steps)


def _catalog_quotas(items: list[tuple[Engine, Pending]], quotas: Sequence[CatalogQuota]) -> None:
    if not quotas:
        return
    infos = [q for q, _ in quotas]

    def where(index: int, record: Any, g: dict[str, Any]) -> bool:
        condition = quotas[index][1]
        return condition is None or condition(record, g)

    pairs = [(p, _standing(e, p, infos, where)) for e, p in items]
    standings = [s for _, s in pairs if s is not None]
    for index, quota in enumerate(infos):
        grades = next(([g.name for g in e.plan.grades] for e, _ in items if any(g.name == quota.grade for g in e.plan.grades)), [])
        if grades:
            apply_quota(index, quota, grades, standings)
    _write_back(pairs)


def kept_attributes(engine: Engine, pending: Pending) -> dict[str, Any]:
    """Top-level text and enum fields of a record, kept for summaries by category or department."""
    record = pending.record
    if record is None:
        return {}
    out: dict[str, Any] = {}
    for name, value in record.__dict__.items():
        if isinstance(value, str):
            info = type(record).model_fields.get(name)
            out[(info.alias if info and info.alias else name)] = value
    return out


def run_batch(records: Iterable[Any], scorer: Scorer, *, sheets: Mapping[str, Any] | None,
              catalog_quotas: Sequence[CatalogQuota]) -> Batch:
    with decimal.localcontext(EXACT):
        items: list[tuple[Engine, Pending]] = []
        for data in records:
            record_sheets = None
            if sheets is not None and isinstance(data, Mapping):
                record_sheets = sheets.get(str(data.get("id")))
            items.append(scorer(data, record_sheets))
        by_engine: dict[int, tuple[Engine, list[Pending]]] = {}
        for engine, pending in items:
            by_engine.setdefault(id(engine), (engine, []))[1].append(pending)
        for engine, pendings in by_engine.values():
            _ruleset_quotas(engine, pendings)
        _catalog_quotas(items, catalog_quotas)
        results = [engine.finish(pending) for engine, pending in items]
        attributes = [kept_attributes(engine, pending) for engine, pending in items]
    return Batch(results, attributes)
