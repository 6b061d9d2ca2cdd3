"""An HTML report of a scored batch that a party-affairs office can read without help.

Self-contained (inline CSS and SVG, no scripts, no network): grade shares overall, per
category and per department, a chart of the grade distribution, the indicators where
branches lose the most points, and the branches that could not be scored.
"""

from __future__ import annotations

import html
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ..evaluate.results import Result
from ..semantics.plan import TablePlan

COLOURS = ["#c0392b", "#2e86c1", "#7f8c8d", "#8e44ad", "#16a085", "#d35400"]


@dataclass(frozen=True, slots=True)
class GradeShare:
    group: str
    count: int
    counts: dict[str, int]

    def share(self, grade: str) -> Decimal:
        return (
            (Decimal(self.counts.get(grade, 0)) * 100 / self.count).quantize(Decimal("0.1"))
            if self.count
            else Decimal(0)
        )


def grade_shares(
    results: Sequence[Result], attributes: Sequence[Mapping[str, Any]], by: str | None
) -> list[GradeShare]:
    groups: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for i, result in enumerate(results):
        key = "全部 all" if by is None else str(attributes[i].get(by, "—")) if i < len(attributes) else "—"
        grade = result.grade or ("error" if result.errors else "exempt")
        groups[key][grade] += 1
    return [GradeShare(k, sum(v.values()), dict(v)) for k, v in sorted(groups.items())]


def grade_order(plans: Mapping[str, TablePlan]) -> list[tuple[str, str]]:
    order: list[tuple[str, str]] = []
    for plan in plans.values():
        for g in plan.grades:
            if all(g.name != name for name, _ in order):
                order.append((g.name, g.label or g.name))
    return [*order, ("exempt", "不参加评定 exempt"), ("error", "无法评分 error")]


@dataclass(frozen=True, slots=True)
class WeakIndicator:
    ruleset: str
    name: str
    label: str
    max: Decimal
    average: Decimal
    lost_share: Decimal  # average points lost, as a share of max
    standard: str | None = None  # the indicator's 评分标准 text, when the ruleset states one


def weakest(results: Sequence[Result], plans: Mapping[str, TablePlan], limit: int = 15) -> list[WeakIndicator]:
    sums: dict[tuple[str, str], list[Decimal]] = defaultdict(list)
    for result in results:
        plan = plans.get(result.ruleset.name)
        if plan is None or result.errors:
            continue
        source = next((s.name for s in reversed(plan.sources) if s.is_table), None)
        if source is None:
            continue
        for name, value in result.sources[source]["indicators"].items():
            if value is not None:
                sums[(plan.name, name)].append(Decimal(value))
    out: list[WeakIndicator] = []
    for (ruleset, name), values in sums.items():
        info = next(i for i in plans[ruleset].indicators if i.name == name)
        if info.max == 0:
            continue
        average = sum(values, Decimal(0)) / len(values)
        out.append(
            WeakIndicator(
                ruleset,
                name,
                info.label or name,
                info.max,
                average.quantize(Decimal("0.01")),
                ((info.max - average) / info.max * 100).quantize(Decimal("0.1")),
                info.standard,
            )
        )
    return sorted(out, key=lambda w: (-w.lost_share, w.ruleset, w.name))[:limit]


def _bar_chart(rows: list[GradeShare], order: list[tuple[str, str]]) -> str:
    width, bar, gap, label_w = 720, 22, 8, 170
    height = len(rows) * (bar + gap) + 40
    parts = [f'<svg viewBox="0 0 {width} {height}" width="100%" role="img" aria-label="grade shares">']
    for r, row in enumerate(rows):
        y = r * (bar + gap) + 10
        label = html.escape(row.group)
        parts.append(f'<text x="{label_w - 8}" y="{y + bar * 0.7}" text-anchor="end" font-size="13">{label}</text>')
        x = float(label_w)
        for g, (grade, label) in enumerate(order):
            count = row.counts.get(grade, 0)
            if not count:
                continue
            w = (width - label_w - 10) * count / row.count
            parts.append(
                f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar}" fill="{COLOURS[g % len(COLOURS)]}">'
                f"<title>{html.escape(label)}: {count} ({row.share(grade)}%)</title></rect>"
            )
            if w > 38:
                parts.append(
                    f'<text x="{x + w / 2:.1f}" y="{y + bar * 0.7}" text-anchor="middle" fill="#fff" '
                    f'font-size="12">{row.share(grade)}%</text>'
                )
            x += w
    legend_y = len(rows) * (bar + gap) + 28
    for g, (_, label) in enumerate(order[:-2]):
        parts.append(
            f'<rect x="{label_w + g * 120}" y="{legend_y - 11}" width="12" height="12" fill="{COLOURS[g]}"/>'
            f'<text x="{label_w + g * 120 + 16}" y="{legend_y}" font-size="12">{html.escape(label)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _share_table(rows: list[GradeShare], order: list[tuple[str, str]], heading: str) -> str:
    used = [(g, label) for g, label in order if any(r.counts.get(g) for r in rows)]
    head = "".join(f"<th>{html.escape(label)}</th>" for _, label in used)
    body = "".join(
        f"<tr><td>{html.escape(r.group)}</td><td class=n>{r.count}</td>"
        + "".join(f"<td class=n>{r.counts.get(g, 0)} <small>({r.share(g)}%)</small></td>" for g, _ in used)
        + "</tr>"
        for r in rows
    )
    return f"<h2>{html.escape(heading)}</h2><table><tr><th></th><th>支部数 branches</th>{head}</tr>{body}</table>"


def _problems(result: Result) -> str:
    return "; ".join((e.path + ": " if e.path else "") + e.message for e in result.errors)


def _corrections(results: Sequence[Result]) -> str:
    """A row per correction of a computed score: branch, sheet, indicator, from → to, reason, evidence."""
    rows = [
        f"<tr><td>{html.escape(r.id or '?')}</td><td>{html.escape(source)}</td><td>{html.escape(name)}</td>"
        f"<td class=n>{c['from']} → {c['to']}</td><td>{html.escape(c['reason'])}</td>"
        f"<td>{html.escape('; '.join(c['evidence']))}</td></tr>"
        for r in results
        for source, parts in r.sources.items()
        for name, c in parts.get("corrections", {}).items()
    ]
    return "".join(rows) or "<tr><td colspan=6>无 none</td></tr>"


def build_report(
    title: str,
    results: Sequence[Result],
    attributes: Sequence[Mapping[str, Any]],
    plans: Mapping[str, TablePlan],
    group_fields: Sequence[str] = ("category", "department"),
) -> str:
    order = grade_order(plans)
    overall = grade_shares(results, attributes, None)
    sections = [_share_table(overall, order, "总体等次分布 Grade shares")]
    chart_rows = list(overall)
    for by in group_fields:
        rows = grade_shares(results, attributes, by)
        if by == group_fields[0]:
            chart_rows += rows
        sections.append(_share_table(rows, order, f"按 {by} 分 By {by}"))
    weak = weakest(results, plans)
    weak_rows = "".join(
        f"<tr><td>{html.escape(w.label)}</td><td>{html.escape(w.ruleset)}.{html.escape(w.name)}</td>"
        f"<td class=n>{w.average} / {w.max.normalize():f}</td><td class=n>{w.lost_share}%</td>"
        f"<td>{html.escape(w.standard or '')}</td></tr>"
        for w in weak
    )
    failed = [r for r in results if r.errors]
    failed_rows = "".join(
        f"<tr><td>{html.escape(r.id or '?')}</td><td>{html.escape(_problems(r))}</td></tr>" for r in failed[:200]
    )
    return f"""<!doctype html>
<html lang="zh"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>
body {{ font-family: "Noto Sans CJK SC", "Microsoft YaHei", sans-serif;
       margin: 2em auto; max-width: 980px; color: #222; }}
table {{ border-collapse: collapse; margin: 0.5em 0 1.5em; width: 100%; }}
th, td {{ border-bottom: 1px solid #ddd; padding: 4px 8px; text-align: left; }}
td.n {{ text-align: right; font-variant-numeric: tabular-nums; }}
small {{ color: #666; }}
</style></head><body>
<h1>{html.escape(title)}</h1>
<p>共 {len(results)} 个支部 ({len(results)} branches), {len(failed)} 个无法评分 (could not be scored).</p>
{_bar_chart(chart_rows, order)}
{"".join(sections)}
<h2>失分最多的指标 Indicators losing the most points</h2>
<table><tr><th>指标 indicator</th><th>ruleset.name</th><th>平均得分 average</th><th>平均失分率 lost</th>
<th>评分标准 standard</th></tr>
{weak_rows}</table>
<h2>上级核正 Corrections of computed scores</h2>
<table><tr><th>id</th><th>评分表 sheet</th><th>指标 indicator</th><th>核正 from → to</th><th>理由 reason</th>\
<th>证据 evidence</th></tr>
{_corrections(results)}</table>
<h2>无法评分的支部 Branches that could not be scored</h2>
<table><tr><th>id</th><th>原因 reason</th></tr>
{failed_rows or "<tr><td colspan=2>无 none</td></tr>"}</table>
</body></html>
"""
