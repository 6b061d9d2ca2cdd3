"""Whether the quota in force on a plan's target grade would still let the record in.

For an `at most` quota on the target grade: the record's quota group in the batch, its size
k (`grading.quota_size`), how many hold the grade now, and, when the group is full, the
lowest total among them that the record's total after the plan would have to pass
(`ties demote`: strictly). For an `at least` quota on the record's grade now: whether the
group keeps its k when the record leaves. A quota with a `where`, or grouped by a field
that is not a text field of the record, is named without a verdict.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ..evaluate.batch import Batch
from ..evaluate.engine import Engine
from ..evaluate.population import QuotaInForce
from ..semantics.grading import quota_size, quota_text


@dataclass(frozen=True, slots=True)
class QuotaCheck:
    rule: str  # as written: `advanced at most 20% within department`
    group: str  # the record's group ("" without `within`)
    members: int  # graded records of the group
    places: int  # k
    holders: int  # records of the group at the quota's grade(s) now
    allows: bool | None  # None: not assessed
    text: str  # in plain Chinese


def quota_checks(
    engine: Engine, in_force: list[QuotaInForce], batch: Batch, index: int, target: str, total: Decimal | None
) -> list[QuotaCheck]:
    result = batch.results[index]
    found: list[QuotaCheck] = []
    for q in in_force:
        ruleset = q.key[0] if isinstance(q.key, tuple) else ""
        if ruleset and ruleset != engine.plan.name:
            continue
        upward = q.quota.direction == "at most" and target in q.quota.grades
        leaving = q.quota.direction == "at least" and result.grade in q.quota.grades and target not in q.quota.grades
        if not (upward or leaving):
            continue
        within = q.quota.within
        group = "" if within is None else batch.attributes[index].get(within)
        if q.quota.has_where or group is None:
            found.append(QuotaCheck(quota_text(q.quota), "", 0, 0, 0, None, "名额规则有适用条件或分组字段,未评估"))
            continue
        rows = [
            i
            for i, r in enumerate(batch.results)
            if r.grade is not None
            and (not ruleset or r.ruleset.name == ruleset)
            and (within is None or batch.attributes[i].get(within) == group)
        ]
        k = quota_size(q.quota, len(rows))
        holders = [batch.results[i] for i in rows if batch.results[i].grade in q.quota.grades]
        found.append(_verdict(q, str(group), len(rows), k, holders, total, upward, index, batch))
    return found


def _verdict(
    q: QuotaInForce,
    group: str,
    members: int,
    k: int,
    holders: list[Any],
    total: Decimal | None,
    upward: bool,
    index: int,
    batch: Batch,
) -> QuotaCheck:
    rule = quota_text(q.quota)
    named = f"{group}:" if group else ""
    if not upward:
        allows = len(holders) - 1 >= k
        text = f"{named}至少 {k} 名,现有 {len(holders)} 名;" + (
            "离开后仍满足" if allows else "离开后不足,名额规则可能仍使其留在本等次"
        )
        return QuotaCheck(rule, group, members, k, len(holders), allows, text)
    others = [r for r in holders if r is not batch.results[index]]
    if len(others) < k:
        text = f"{named}{members} 个支部至多 {k} 名,现有 {len(others)} 名,尚有名额"
        return QuotaCheck(rule, group, members, k, len(others), True, text)
    lowest = min((r.total for r in others if r.total is not None), default=None)
    if k == 0 or lowest is None or total is None:
        text = f"{named}{members} 个支部至多 {k} 名,名额已满"
        return QuotaCheck(rule, group, members, k, len(others), False, text)
    allows = total > lowest
    text = f"{named}至多 {k} 名,名额已满;需总分高于其中最低的 {lowest}" + (
        ",按计划可进入" if allows else ",按计划仍不足"
    )
    return QuotaCheck(rule, group, members, k, len(others), allows, text)
