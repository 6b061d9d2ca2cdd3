"""Gap plans: for one record, what it lost, how far it is from the next grade, and the smallest
set of indicators whose recovery reaches it (`search.py`), each with the value it must reach.

`Planner.plan` plans one record (no quota: that needs the batch); `Planner.plans` scores a
batch with its quotas and plans the records of the grades asked for, saying for each whether
the quota in force on its target grade would still have room. A plan's `changes` have the
shape `Model.what_if` takes, and applying them reaches the target grade (re-scored to check).
"""

from __future__ import annotations

import decimal
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from ..check.resolved import ResolvedRuleset
from ..evaluate.batch import Batch, quotas_in_force
from ..evaluate.batch import Scorer as BatchScorer
from ..evaluate.engine import Engine, Pending
from ..evaluate.results import Result
from ..semantics.arithmetic import EXACT, RUNTIME_FAILURES, quantum, reporter
from ..semantics.grading import grade_label, rank, rule_reason
from ..semantics.plan import TablePlan
from .losses import Loss, losses
from .quotas import QuotaCheck, quota_checks
from .rules import ConditionCheck, RuleText
from .search import Recovery, Rescorer, smallest_recovery
from .whatif import original_sheets


class Scorer(BatchScorer, Protocol):
    """What a planner needs of a model (`api.Model`): a batch's, its engines and batches."""

    engines: dict[str, Engine]

    def evaluate_many(self, records: Iterable[Any]) -> Batch: ...


@dataclass(frozen=True, slots=True)
class Holding:
    """A rule that holds the record below its target whatever its scores: a veto, an assignment."""

    kind: str  # "veto" or "assign"
    name: str
    label: str
    grade: str | None


@dataclass(frozen=True, slots=True)
class PlanChange:
    source: str
    source_label: str
    indicator: str
    label: str
    before: Decimal
    to: Decimal


@dataclass(slots=True)
class GapPlan:
    """One record's plan. `reachable` is None when the record has no plan (an error, exempt,
    already at the best grade); `note` then says why."""

    id: str | None
    ruleset: str
    grade: str | None
    grade_label: str | None
    target: str | None
    target_label: str | None
    reachable: bool | None
    total: Decimal | None
    total_after: Decimal | None = None
    lost: list[Loss] = field(default_factory=list)
    conditions: list[ConditionCheck] = field(default_factory=list)  # the target rule's, on the record now
    holding: list[Holding] = field(default_factory=list)
    quotas: list[QuotaCheck] = field(default_factory=list)
    changes: list[PlanChange] = field(default_factory=list)
    points: Decimal = Decimal(0)  # points to recover, summed over the changes
    indicators: int = 0  # how many indicators the plan changes
    rescored: int = 0  # re-scorings the search took
    note: str = ""
    outcomes: dict[str, Any] = field(default_factory=dict)  # the record's outcomes now (a programme …)
    outcomes_after: dict[str, Any] = field(default_factory=dict)  # and with the plan's changes

    @property
    def failing(self) -> list[ConditionCheck]:
        return [c for c in self.conditions if c.holds is not True]

    def what_if_changes(self) -> list[dict[str, Any]]:
        """The changes as `Model.what_if` takes them."""
        return [{"source": c.source, "indicator": c.indicator, "from": c.before, "to": c.to} for c in self.changes]


@dataclass(slots=True)
class PlanBatch:
    batch: Batch
    plans: list[GapPlan]


class Planner:
    """Plans for one model: its rulesets' texts read once."""

    def __init__(self, model: Scorer, resolved: dict[str, ResolvedRuleset]) -> None:
        self.model = model
        self.resolved = resolved
        self.texts: dict[str, RuleText] = {}

    def text(self, engine: Engine) -> RuleText:
        name = engine.plan.name
        if name not in self.texts:
            self.texts[name] = RuleText(self.resolved[name], engine)
        return self.texts[name]

    def plan(self, record: Any, *, to: str | None = None, sheets: Any = None) -> GapPlan:
        with decimal.localcontext(EXACT):
            engine, pending = self.model.route(record, sheets, trace=True)
            result = engine.finish(pending)
            return self._plan(engine, pending, result, original_sheets(record, sheets), to, None)

    def plans(self, records: Sequence[Any], *, to: str | None = None, grades: Iterable[str] | None = None) -> PlanBatch:
        return self.plan_batch(records, self.model.evaluate_many(records), to=to, grades=grades)

    def plan_batch(
        self, records: Sequence[Any], batch: Batch, *, to: str | None = None, grades: Iterable[str] | None = None
    ) -> PlanBatch:
        """Plans of a batch already scored from `records` (in the same order)."""
        wanted = None if grades is None else set(grades)
        in_force = quotas_in_force(self.model, self.model.engines)
        plans: list[GapPlan] = []
        with decimal.localcontext(EXACT):
            for index, (record, result) in enumerate(zip(records, batch.results, strict=True)):
                if result.grade is None or (wanted is not None and result.grade not in wanted):
                    continue
                engine, pending = self.model.route(record, None, trace=True)
                if wanted is None and to is None and rank(engine.plan, result.grade) == 0:
                    continue
                context = (batch, index, in_force)
                plans.append(self._plan(engine, pending, result, original_sheets(record, None), to, context))
        return PlanBatch(batch, plans)

    def _plan(
        self,
        engine: Engine,
        pending: Pending,
        result: Result,
        sheets: Any,
        to: str | None,
        context: tuple[Batch, int, list[Any]] | None,
    ) -> GapPlan:
        plan = engine.plan
        scored, record = pending.scored, pending.record
        traced = engine.finish(pending) if pending.scored is not None and pending.scored.trace is not None else result
        current = result.grade
        gap = GapPlan(
            id=result.id,
            ruleset=plan.name,
            grade=current,
            grade_label=result.grade_label,
            target=None,
            target_label=None,
            reachable=None,
            total=result.total,
            outcomes=dict(result.outcomes),
        )
        if scored is None or record is None or current is None:
            gap.note = (
                "无法评分 the record has errors"
                if result.errors
                else "规则集没有等次 the ruleset has no grades"
                if not plan.grades
                else "不参加定级 exempt"
            )
            return gap
        target = to if to is not None else _next_better(plan, current)
        if target is None:
            gap.note = "已是最高等次 already at the best grade"
            return gap
        if target not in {g.name for g in plan.grades}:
            raise ValueError(f"`{target}` is not a grade of {plan.name}: " + ", ".join(g.name for g in plan.grades))
        gap.target, gap.target_label = target, grade_label(plan, target)
        rescorer = Rescorer(engine, record, sheets, target)
        candidates = rescorer.candidates(scored)
        gap.lost = losses(plan, traced, candidates, rescorer.weights(scored), self.text(engine).clauses)
        gap.conditions = self.text(engine).checks(target, record, scored.grading)
        gap.holding = _holding(plan, scored, target)
        if rescorer.reaches(scored):
            gap.reachable, gap.total_after = True, result.total
            gap.note = "按规则已达到目标等次 the rules already give this grade" + (
                ";等次由名额或调整决定 a quota or an adjustment moved it" if current != target else ""
            )
        else:
            recovery = smallest_recovery(rescorer, scored, candidates)
            gap.reachable = recovery is not None
            if recovery is not None:
                _fill(gap, plan, recovery)
                try:
                    gap.outcomes_after = engine.outcomes(record, recovery.scored)
                except RUNTIME_FAILURES:  # an outcome that fails on the changed record: none shown
                    gap.outcomes_after = {}
            else:
                gap.note = "指标全部恢复满分也达不到目标等次 recovering every indicator does not reach it"
        gap.rescored = rescorer.rescored
        if context is not None:
            batch, index, in_force = context
            gap.quotas = quota_checks(engine, in_force, batch, index, target, gap.total_after)
        return gap


def _next_better(plan: TablePlan, grade: str) -> str | None:
    position = rank(plan, grade)
    return plan.grades[position - 1].name if position > 0 else None


def _holding(plan: TablePlan, scored: Any, target: str) -> list[Holding]:
    """The vetoes that fired and cap or force below the target, and an `assign` that pinned the grade."""
    found: list[Holding] = []
    goal = rank(plan, target)
    for name in scored.vetoes:
        rule = next(v for v in plan.vetoes if (v.name or "") == name)
        if rule.grade is not None and rank(plan, rule.grade) > goal:
            found.append(Holding("veto", name, rule_reason(rule), rule.grade))
    for step in scored.steps:
        if step.step == "assign" and step.after is not None and rank(plan, step.after) > goal:
            found.append(Holding("assign", "", step.reason, step.after))
    return found


def _fill(gap: GapPlan, plan: TablePlan, recovery: Recovery) -> None:
    shown = reporter(quantum(plan.precision), EXACT)
    sources = {s.name: s.label or s.name for s in plan.sources}
    for c, value in zip(recovery.candidates, recovery.values, strict=True):
        label = plan.indicators[c.index].label or c.name
        for source, now in c.froms.items():
            if now < value:
                gap.changes.append(PlanChange(source, sources[source], c.name, label, now, value))
    gap.points = recovery.points
    gap.indicators = len(recovery.candidates)
    gap.total_after = shown(recovery.scored.total)
