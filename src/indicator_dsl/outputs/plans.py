"""Gap plans as JSON, text, CSV and HTML (`PLAN_FORMATS` by name).

JSON is the plan's full shape (`plan_json`): `id`, `grade`, `target`, `reachable` and
`changes` (each {source, indicator, from, to}, the shape `Model.what_if` takes), with the
losses and their reason codes, the target rule's conditions, the rules holding the record
down and the quota's room. Text is what a branch secretary reads; CSV one row per change;
HTML one section per plan (the 体检报告 embeds the same section, `plan_section`).
"""

from __future__ import annotations

import csv
import html
import io
import json
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from ..planning.losses import effect_text, shown
from ..planning.plans import GapPlan
from ..semantics.plan import TablePlan

LOSSES_SHOWN = 10  # the losses a text or HTML plan lists, largest effect first
# printable on A4 (the 支部体检报告 uses it too): inline, no fonts or files fetched
STYLE = """
@page { size: A4; margin: 12mm; }
body { font-family: "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; font-size: 10.5pt; margin: 0 auto;
       max-width: 190mm; color: #222; }
h1 { font-size: 15pt; margin: 0 0 4px; } h2 { font-size: 11.5pt; margin: 10px 0 4px; border-bottom: 1px solid #999; }
h3 { font-size: 11pt; margin: 6px 0 2px; }
table { border-collapse: collapse; width: 100%; } td, th { border: 1px solid #bbb; padding: 2px 4px; text-align: left; }
th { background: #eee; } .n { text-align: right; } .meta { color: #555; } .grade { font-weight: bold; color: #c0392b; }
.bar { display: inline-block; height: 8px; background: #2e86c1; vertical-align: middle; }
ul { margin: 2px 0; padding-left: 18px; } .small { font-size: 9pt; color: #555; }
@media print { h2 { break-after: avoid; } section { break-inside: avoid; } }
"""


def _figure(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


def plan_json(plan: GapPlan, table: TablePlan) -> dict[str, Any]:
    """The plan as JSON-ready data (decimals as text, exact)."""
    return {
        "id": plan.id,
        "ruleset": plan.ruleset,
        "grade": plan.grade,
        "grade_label": plan.grade_label,
        "target": plan.target,
        "target_label": plan.target_label,
        "reachable": plan.reachable,
        "total": _figure(plan.total),
        "total_after": _figure(plan.total_after),
        "indicators": plan.indicators,
        "points": _figure(plan.points),
        "changes": [
            {"source": c.source, "indicator": c.indicator, "from": _figure(c.before), "to": _figure(c.to)}
            for c in plan.changes
        ],
        "conditions": [
            {"condition": c.text, "holds": c.holds, "reads": _plain(c.reads), "short": _figure(c.short)}
            for c in plan.conditions
        ],
        "holding": [{"kind": h.kind, "name": h.name, "label": h.label, "grade": h.grade} for h in plan.holding],
        "quotas": [
            {"rule": q.rule, "group": q.group, "members": q.members, "places": q.places, "holders": q.holders}
            | {"allows": q.allows, "text": q.text}
            for q in plan.quotas
        ],
        "lost": [
            {
                "source": loss.source,
                "indicator": loss.indicator,
                "label": loss.label,
                "dimension": loss.dimension,
                "score": _figure(loss.score),
                "max": _figure(loss.max),
                "lost": _figure(loss.lost),
                "effect": _figure(effect_text(table, loss.effect)),
                "standard": loss.standard,
                "reasons": [{"id": r.id, "kind": r.kind, "clause": r.clause, "text": r.text} for r in loss.reasons],
            }
            for loss in plan.lost
        ],
        "outcomes": _plain(plan.outcomes),
        "outcomes_after": _plain(plan.outcomes_after),
        "note": plan.note,
    }


def _plain(reads: dict[str, Any]) -> dict[str, Any]:
    return {k: format(v, "f") if isinstance(v, Decimal) else v for k, v in reads.items()}


def as_json(plans: Sequence[GapPlan], tables: dict[str, TablePlan]) -> str:
    return json.dumps([plan_json(p, tables[p.ruleset]) for p in plans], ensure_ascii=False, indent=1) + "\n"


def as_jsonl(plans: Sequence[GapPlan], tables: dict[str, TablePlan]) -> str:
    return "".join(json.dumps(plan_json(p, tables[p.ruleset]), ensure_ascii=False) + "\n" for p in plans)


def as_csv(plans: Sequence[GapPlan], tables: dict[str, TablePlan]) -> str:
    """One row per change (a plan without changes has one row with empty change columns)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["id", "grade", "target", "reachable", "total", "total_after", "source", "indicator", "from", "to"])
    for p in plans:
        head = [p.id, p.grade, p.target, p.reachable, _figure(p.total), _figure(p.total_after)]
        rows = [[c.source, c.indicator, _figure(c.before), _figure(c.to)] for c in p.changes]
        for tail in rows or [["", "", "", ""]]:
            writer.writerow(head + tail)
    return buffer.getvalue()


def plan_lines(plan: GapPlan, table: TablePlan) -> list[str]:
    """A plan as text lines a branch secretary reads."""
    lines = [f"支部 {plan.id}  {plan.grade_label or plan.grade or '—'}  总分 {_figure(plan.total) or '—'}"]
    if plan.target is None:
        return [*lines, f"  {plan.note}"]
    lines.append(f"  目标 target: {plan.target_label}")
    for c in plan.failing:
        reads = ", ".join(f"{k} = {shown(v)}" for k, v in c.reads.items())
        short = f",差 {shown(c.short)}" if c.short is not None else ""
        lines.append(f"  ✗ 未满足 {c.text}" + (f"  ({reads}{short})" if reads else ""))
    for h in plan.holding:
        lines.append(f"  ⛔ {'否决' if h.kind == 'veto' else '直接定级'}: {h.label} → {h.grade}")
    lines.append("  失分 lost points (按对总分的影响排序):")
    for loss in plan.lost[:LOSSES_SHOWN]:
        effect = effect_text(table, loss.effect)
        lines.append(f"    {loss.label} [{loss.source_label}] {shown(loss.score)}/{shown(loss.max)}, 影响总分 {effect}")
        if loss.standard:
            lines.append(f"      评分标准: {loss.standard}")
        lines.extend(f"      {r.id}: {r.text}" for r in loss.reasons)
    if plan.reachable:
        if plan.changes:
            lines.append(
                f"  最少需提升 {plan.indicators} 项指标 (共 {shown(plan.points)} 分), 总分可达 {plan.total_after}:"
            )
            lines.extend(f"    {c.label} [{c.source_label}] {shown(c.before)} → {shown(c.to)}" for c in plan.changes)
        else:
            lines.append(f"  {plan.note}")
    else:
        lines.append(f"  不可达 not reachable: {plan.note}")
    lines.extend(f"  名额 quota: {q.text}" for q in plan.quotas)
    return lines


def as_text(plans: Sequence[GapPlan], tables: dict[str, TablePlan]) -> str:
    return "\n".join("\n".join(plan_lines(p, tables[p.ruleset])) + "\n" for p in plans)


def loss_rows(plan: GapPlan, table: TablePlan, shown_losses: int = LOSSES_SHOWN) -> str:
    """The largest losses as an HTML table: indicator and its 评分标准, source, score, effect, reasons."""
    rows: list[str] = []
    for loss in plan.lost[:shown_losses]:
        why = "<br>".join(html.escape(r.text) for r in loss.reasons)
        standard = f'<div class="small">评分标准:{html.escape(loss.standard)}</div>' if loss.standard else ""
        rows.append(
            f"<tr><td>{html.escape(loss.label)}{standard}</td><td>{html.escape(loss.source_label)}</td>"
            f'<td class="n">{shown(loss.score)}/{shown(loss.max)}</td>'
            f'<td class="n">{shown(effect_text(table, loss.effect))}</td><td>{why}</td></tr>'
        )
    head = "<tr><th>指标</th><th>来源</th><th>得分</th><th>影响总分</th><th>失分原因</th></tr>"
    return f"<table>{head}{''.join(rows)}</table>" if rows else "<p>没有失分。</p>"


def plan_section(plan: GapPlan) -> str:
    """One plan as an HTML section (no page around it)."""
    e = html.escape
    parts = [f'<section class="plan"><h3>整改提升计划 · 目标 {e(plan.target_label or "—")}</h3>']
    if plan.target is None:
        return parts[0] + f"<p>{e(plan.note)}</p></section>"
    failing = "".join(
        f"<li>未满足 <code>{e(c.text)}</code> "
        + e(", ".join(f"{k} = {shown(v)}" for k, v in c.reads.items()))
        + (f",差 {shown(c.short)}" if c.short is not None else "")
        + "</li>"
        for c in plan.failing
    )
    holding = "".join(
        f"<li>{'否决' if h.kind == 'veto' else '直接定级'}:{e(h.label)} → {e(h.grade or '')}</li>" for h in plan.holding
    )
    quotas = "".join(f"<li>名额:{e(q.text)}</li>" for q in plan.quotas)
    parts.append(f"<ul>{failing}{holding}{quotas}</ul>")
    if plan.reachable and plan.changes:
        rows = "".join(
            f"<tr><td>{e(c.label)}</td><td>{e(c.source_label)}</td><td>{shown(c.before)}</td><td>{shown(c.to)}</td></tr>"
            for c in plan.changes
        )
        parts.append(
            f"<p>最少需提升 {plan.indicators} 项指标(共 {shown(plan.points)} 分),总分可达 {plan.total_after}。</p>"
            f"<table><tr><th>指标</th><th>来源</th><th>现得分</th><th>需达到</th></tr>{rows}</table>"
        )
    else:
        parts.append(f"<p>{e(plan.note)}</p>")
    return "".join(parts) + "</section>"


def _heading(plan: GapPlan) -> str:
    return f"{plan.id} · {plan.grade_label or plan.grade or '—'} · 总分 {_figure(plan.total) or '—'}"


def as_html(plans: Sequence[GapPlan], tables: dict[str, TablePlan]) -> str:
    body = "".join(
        f"<h2>{html.escape(_heading(p))}</h2>{loss_rows(p, tables[p.ruleset])}{plan_section(p)}" for p in plans
    )
    head = f'<meta charset="utf-8"><title>整改提升计划</title><style>{STYLE}</style>'
    return f'<!doctype html><html lang="zh"><head>{head}</head><body>{body}</body></html>\n'


PLAN_FORMATS: dict[str, Callable[[Sequence[GapPlan], dict[str, TablePlan]], str]] = {
    "text": as_text,
    "json": as_json,
    "jsonl": as_jsonl,
    "csv": as_csv,
    "html": as_html,
}
