"""One row per scored record, in people's words: what the results workbook (`xlsx_results.py`)
and the HTML report (`report.py`) list.

A row names the record by its first text fields (编号, 名称, 部门, 类型 in the Jiangsu schema),
shows the table that scored it by its label, the total, the grade's label, each outcome, the
steps that moved the grade after the rules (否决, 名额, 人工调整, 直接定级 …), the indicators
where it lost the most points, and why it could not be scored.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ..evaluate.results import GradeChange, Result
from ..semantics.plan import TablePlan
from ..syntax import nodes as n
from .words import Language, language, words

IDENTITY_FIELDS = 4  # how many of the record's first text fields name it
TOP_LOST = 3  # indicators listed as where a record lost the most points
MOVES = ("exempt", "assign", "veto", "quota", "adjustment")  # the steps after the grade rules


@dataclass(frozen=True, slots=True)
class LostPoints:
    name: str
    label: str
    lost: Decimal
    max: Decimal


@dataclass(frozen=True, slots=True)
class BranchRow:
    index: int
    id: str
    identity: dict[str, str]  # field name -> value, for the identity fields
    ruleset: str  # the scoring table's label
    total: Decimal | None
    grade: str | None  # the grade's name
    grade_label: str  # its label, or 不参加定级 / 无法评分
    outcomes: dict[str, Any]
    moves: list[str]  # the steps after the rules, as text
    moved_by: list[str]  # their kinds: veto, quota, adjustment, assign, exempt
    lost: list[LostPoints]
    problems: str
    nominations: list[str] = field(default_factory=list)


def identity_fields(types: Mapping[str, n.TypeDecl], root: str) -> list[tuple[str, str]]:
    """The record's first text or choice fields (name, label): what names a record in a list."""
    out = []
    for fld in types[root].fields:
        ref = fld.type
        if isinstance(ref, n.EnumType) or (isinstance(ref, n.NamedType) and ref.name == "text"):
            out.append((fld.name, fld.label or fld.name))
        if len(out) == IDENTITY_FIELDS:
            break
    return out


def scored_source(plan: TablePlan) -> str | None:
    """The table source whose indicator scores a row shows: the last one (the superior's, in an
    assessment where the superior judges last), or None without a table source."""
    return next((s.name for s in reversed(plan.sources) if s.is_table), None)


def indicator_scores(result: Result, plan: TablePlan) -> dict[str, Decimal]:
    """The scored source's indicator scores of a result (none for a failed one; null ones left out)."""
    source = scored_source(plan)
    if source is None or result.errors or source not in result.sources:
        return {}
    values = result.sources[source].get("indicators", {})
    return {name: Decimal(value) for name, value in values.items() if value is not None}


def lost_points(result: Result, plan: TablePlan, limit: int = TOP_LOST) -> list[LostPoints]:
    """The indicators where the record lost the most points, most first (none lost: empty)."""
    infos = {i.name: i for i in plan.indicators}
    lost = [
        LostPoints(name, infos[name].label or name, infos[name].max - score, infos[name].max)
        for name, score in indicator_scores(result, plan).items()
        if name in infos and score < infos[name].max
    ]
    return sorted(lost, key=lambda x: (-x.lost, x.name))[:limit]


def move_text(step: GradeChange, labels: Mapping[str, str], said: Mapping[str, str]) -> str:
    before = labels.get(step.before or "", step.before or "—")
    after = labels.get(step.after or "", step.after or "—")
    return f"{said['step.' + step.step]}: {before}→{after} ({step.reason})"


def branch_rows(
    results: Sequence[Result],
    attributes: Sequence[Mapping[str, Any]],
    plans: Mapping[str, TablePlan],
    identity: Sequence[tuple[str, str]],
    lang: Language = "zh",
) -> list[BranchRow]:
    said = words(lang)
    labels = {g.name: g.label or g.name for plan in plans.values() for g in plan.grades}
    rows = []
    for i, result in enumerate(results):
        plan = plans.get(result.ruleset.name)
        attrs = attributes[i] if i < len(attributes) else {}
        moves = [s for s in result.steps if s.step in MOVES]
        if result.errors:
            grade_label = said["error"]
        elif result.grade is None:
            grade_label = said["exempt"] if plan is not None and plan.grades else ""
        else:
            grade_label = result.grade_label or result.grade
        rows.append(
            BranchRow(
                i,
                result.id or "",
                {name: str(attrs.get(name, "")) for name, _ in identity},
                (plan.label or plan.name) if plan is not None else result.ruleset.name,
                result.total,
                result.grade,
                grade_label,
                dict(result.outcomes),
                [move_text(s, labels, said) for s in moves],
                [s.step for s in moves],
                lost_points(result, plan) if plan is not None else [],
                "; ".join(f"{e.path}: {e.message}" if e.path else e.message for e in result.errors),
                [nominee.label or nominee.award for nominee in result.nominations],
            )
        )
    return rows


def grade_order(plans: Mapping[str, TablePlan], lang: Language = "zh") -> list[tuple[str, str]]:
    """Every grade of the plans, best first (name, label), then exempt and error (不参加定级, 无法评分)."""
    order: list[tuple[str, str]] = []
    for plan in plans.values():
        for g in plan.grades:
            if all(g.name != name for name, _ in order):
                order.append((g.name, g.label or g.name))
    said = words(lang)
    return [*order, ("exempt", said["exempt"]), ("error", said["error"])]


def outcome_labels(plans: Mapping[str, TablePlan]) -> list[tuple[str, str]]:
    """Every outcome of the plans (name, label), in the order first declared."""
    seen: dict[str, str] = {}
    for plan in plans.values():
        for outcome in plan.outcomes:
            seen.setdefault(outcome.name, outcome.label or outcome.name)
    return list(seen.items())


def shown(value: Any, lang: Language = "zh") -> str:
    """An outcome's value as a person reads it: 是/否 (yes/no) for a truth value, empty for none."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return words(lang)["yes" if value else "no"]
    return str(value)


@dataclass(frozen=True, slots=True)
class BatchView:
    """A scored batch as the documents for people show it: title, language, plans and rows."""

    title: str
    lang: Language
    plans: dict[str, TablePlan]
    identity: list[tuple[str, str]]
    rows: list[BranchRow]
    results: Sequence[Result]
    attributes: Sequence[Mapping[str, Any]]
    noun: str = ""  # what a record is, by the record type's label (党支部)
    group_fields: tuple[str, ...] = ()  # identity fields that group records (部门, 类型), in schema order


def batch_view(
    model: Any, results: Sequence[Result], attributes: Sequence[Mapping[str, Any]], title: str | None = None
) -> BatchView:
    """The view of a batch scored by `model` (an `api.Ruleset` or `api.Catalog`): titled by the
    catalog's or ruleset's label, in the language of its labels."""
    plans = {name: engine.plan for name, engine in model.engines.items()}
    first = model.resolved_rulesets()[0]
    identity = identity_fields(first.types, first.record.type_name)
    lang = language([model.label, *(p.label for p in plans.values())])
    rows = branch_rows(results, attributes, plans, identity, lang)
    noun = first.types[first.record.type_name].label or ""
    groups = grouping_fields(model, first.types[first.record.type_name], identity)
    title = title or model.label or model.name
    return BatchView(title, lang, plans, identity, rows, results, attributes, noun, groups)


def grouping_fields(model: Any, root: n.TypeDecl, identity: Sequence[tuple[str, str]]) -> tuple[str, ...]:
    """The identity fields that group records: a choice field, or one the rules group by (a
    quota's `within`, a nomination's `per`, a catalog's route table). Never a name."""
    named = {q.within for engine in model.engines.values() for q in engine.plan.quotas}
    named |= {q.within for q, _ in model.catalog_quotas} | {rule.per for rule, _ in model.catalog_nominations}
    resolved = getattr(model, "resolved", None)
    node = getattr(resolved, "node", None)
    named |= {item.field for item in getattr(node, "items", ()) if isinstance(item, n.RouteTable)}
    choices = {f.name for f in root.fields if isinstance(f.type, n.EnumType)}
    return tuple(name for name, _ in identity[1:] if name in named or name in choices)
