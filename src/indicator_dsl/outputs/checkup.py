"""A one-page 支部体检报告 (branch check-up) per branch: HTML, printable on one A4 page,
self-contained (inline CSS, no script, no network).

It shows the branch's total and grade, its scores by dimension for each table source
against the average and the best of the branches scored by the same table in the batch
(its category), the points it lost with the 评分标准 and the clause that cost them, its
gap plan (`plans.plan_section`) and its outcomes now and after the plan (the programme:
the Jiangsu rulesets' `programme` outcome gives 头雁 / 提升 / 转化工程 by grade). Labels are
the ruleset's own.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from ..evaluate.results import Result
from ..planning.losses import shown
from ..planning.plans import GapPlan
from ..semantics.plan import TablePlan
from .plans import STYLE, loss_rows, plan_section

CHECKUP_LOSSES = 8  # the losses a one-page check-up lists


def _mean(values: list[Decimal]) -> Decimal | None:
    return (sum(values, Decimal(0)) / len(values)).quantize(Decimal("0.01")) if values else None


def _cell(value: Decimal | None) -> str:
    return '<td class="n">—</td>' if value is None else f'<td class="n">{shown(value)}</td>'


def dimension_rows(result: Result, table: TablePlan, peers: Sequence[Result]) -> str:
    """One row per dimension and table source: this branch, the peers' average and best, a bar."""
    rows: list[str] = []
    for source in (s for s in table.sources if s.is_table):
        own = result.sources.get(source.name, {}).get("dimensions", {})
        for dim in table.dimensions:
            values = [
                v
                for p in peers
                if isinstance(v := p.sources.get(source.name, {}).get("dimensions", {}).get(dim.name), Decimal)
            ]
            mine = own.get(dim.name)
            width = int(mine * 60 / dim.max) if isinstance(mine, Decimal) and dim.max else 0
            rows.append(
                f"<tr><td>{html.escape(dim.label or dim.name)}</td><td>{html.escape(source.label or source.name)}</td>"
                f'<td class="n">{shown(dim.max)}</td>{_cell(mine)}{_cell(_mean(values))}'
                f'{_cell(max(values, default=None))}<td><span class="bar" style="width:{width}px"></span></td></tr>'
            )
    head = "<tr><th>维度</th><th>来源</th><th>满分</th><th>本支部</th><th>同类平均</th><th>同类最高</th><th></th></tr>"
    return f"<table>{head}{''.join(rows)}</table>"


def _outcome(value: Any) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    return "—" if value is None else str(value)


def build_checkup(
    result: Result, attributes: Mapping[str, Any], plan: GapPlan, table: TablePlan, peers: Sequence[Result]
) -> str:
    """The 体检报告 of one branch; `peers` are the batch's results scored by the same table."""
    e = html.escape
    totals = [p.total for p in peers if p.total is not None]
    name = str(attributes.get("name", "")) or str(result.id)
    meta = " · ".join(e(str(attributes[k])) for k in ("department", "category") if k in attributes)
    programme_line = "".join(
        f"<p>{e(o.label or o.name)}:<b>{e(_outcome(plan.outcomes.get(o.name)))}</b>"
        + (
            f" → 按计划提升后:<b>{e(_outcome(plan.outcomes_after[o.name]))}</b>"
            if o.name in plan.outcomes_after
            else ""
        )
        + "</p>"
        for o in table.outcomes
    )
    body = (
        f"<h1>支部体检报告 · {e(name)}</h1>"
        f'<p class="meta">{e(str(result.id))} · {meta} · {e(table.label or table.name)}</p>'
        f"<p>总分 <b>{shown(result.total) if result.total is not None else '—'}</b>"
        f"(同类平均 {shown(_mean(totals)) if totals else '—'},最高 {shown(max(totals)) if totals else '—'},"
        f'{len(peers)} 个支部) · 等次 <span class="grade">{e(result.grade_label or result.grade or "—")}</span></p>'
        f"{programme_line}"
        f"<h2>各维度得分</h2>{dimension_rows(result, table, peers)}"
        f"<h2>失分项(按对总分的影响排序)</h2>{loss_rows(plan, table, CHECKUP_LOSSES)}"
        f"<h2>提升路径</h2>{plan_section(plan)}"
    )
    title = f"支部体检报告 {e(str(result.id))}"
    head = f'<meta charset="utf-8"><title>{title}</title><style>{STYLE}</style>'
    return f'<!doctype html><html lang="zh"><head>{head}</head><body>{body}</body></html>\n'
