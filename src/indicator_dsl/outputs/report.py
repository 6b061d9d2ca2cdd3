"""The HTML report of a scored batch, for the people who act on it (`ind report`).

One self-contained file (inline CSS, SVG and script; nothing loaded from the network), titled
by the catalog's or ruleset's label, in Chinese for a ruleset with Chinese labels: the grade
shares overall and per group (部门, 类型 …; a ruleset without grades shows totals instead), a
legend for every colour, the list of records that can be filtered (group fields, grade, each
text outcome such as 建设工程, the step that moved the grade) and sorted by any column, where a
row opens its scores per indicator and source (and its full trace when the batch was traced,
and a link given by the caller, such as its gap plan), the records a veto, quota or adjustment
moved marked as such, the indicators losing the most points, corrections of computed scores,
and the records that could not be scored with their reasons.
"""

from __future__ import annotations

import html
import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ..evaluate.results import Result
from ..semantics.plan import TablePlan
from .branch_rows import BatchView, BranchRow, grade_order, indicator_scores, outcome_labels, shown
from .explain import explain
from .report_assets import BLACK, COLOURS, GREY, MOVE_COLOURS, SCRIPT, STYLE
from .words import words

FAILED_SHOWN = 200
OUTCOME_FILTER_VALUES = 30  # an outcome with more distinct values than this gets no filter


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
        if plan is not None:
            for name, value in indicator_scores(result, plan).items():
                sums[(plan.name, name)].append(value)
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


def grade_colours(view: BatchView) -> dict[str, str]:
    """A colour per grade label, best first, then grey for exempt and dark for error."""
    order = grade_order(view.plans, view.lang)
    colours = {label: COLOURS[i % len(COLOURS)] for i, (_, label) in enumerate(order[:-2])}
    return colours | {order[-2][1]: GREY, order[-1][1]: BLACK}


def _e(text: Any) -> str:
    return html.escape(str(text))


def _legend(view: BatchView, colours: dict[str, str]) -> str:
    said = words(view.lang)
    present = {r.grade_label for r in view.rows}
    grades = "".join(
        f'<span><i class=swatch style="background:{c}"></i>{_e(label)}</span>'
        for label, c in colours.items()
        if label in present
    )
    moved = {kind for r in view.rows for kind in r.moved_by}
    moves = "".join(
        f'<span><i class=badge style="background:{c}">{_e(said["step." + kind])}</i></span>'
        for kind, c in MOVE_COLOURS.items()
        if kind in moved
    )
    parts = [f"<div><b>{_e(said['grade_colours'])}</b>: {grades}</div>"] if grades and _has_grades(view) else []
    if moves:
        parts.append(f"<div><b>{_e(said['move_colours'])}</b>: {moves}</div>")
    return f"<h2>{_e(said['legend'])}</h2><div class=legend>{''.join(parts)}</div>" if parts else ""


def _has_grades(view: BatchView) -> bool:
    return any(plan.grades for plan in view.plans.values())


def _groups(view: BatchView, field: str | None) -> dict[str, list[BranchRow]]:
    groups: dict[str, list[BranchRow]] = defaultdict(list)
    for row in view.rows:
        groups[words(view.lang)["all"] if field is None else row.identity.get(field, "") or "—"].append(row)
    return dict(sorted(groups.items()))


def _bar_chart(groups: dict[str, list[BranchRow]], colours: dict[str, str]) -> str:
    width, bar, gap, label_w = 900, 20, 6, 190
    height = len(groups) * (bar + gap) + 10
    parts = [f'<svg viewBox="0 0 {width} {height}" width="100%" role="img" aria-label="grade shares">']
    for r, (group, rows) in enumerate(groups.items()):
        y = r * (bar + gap) + 5
        parts.append(
            f'<text x="{label_w - 8}" y="{y + bar * 0.75}" text-anchor="end" font-size="13">{_e(group)}</text>'
        )
        x = float(label_w)
        for label, colour in colours.items():
            count = sum(1 for row in rows if row.grade_label == label)
            if not count:
                continue
            w = (width - label_w - 10) * count / len(rows)
            share = (Decimal(count) * 100 / len(rows)).quantize(Decimal("0.1"))
            parts.append(
                f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar}" fill="{colour}">'
                f"<title>{_e(label)}: {count} ({share}%)</title></rect>"
            )
            if w > 40:
                parts.append(
                    f'<text x="{x + w / 2:.1f}" y="{y + bar * 0.75}" text-anchor="middle" fill="#fff" '
                    f'font-size="12">{share}%</text>'
                )
            x += w
    return "".join(parts) + "</svg>"


def _share_table(view: BatchView, groups: dict[str, list[BranchRow]], heading: str, colours: dict[str, str]) -> str:
    said = words(view.lang)
    used = [label for label in colours if any(r.grade_label == label for rows in groups.values() for r in rows)]
    head = "".join(f"<th class=n>{_e(label)}</th>" for label in used)
    body = []
    for group, rows in groups.items():
        cells = []
        for label in used:
            count = sum(1 for r in rows if r.grade_label == label)
            share = (Decimal(count) * 100 / len(rows)).quantize(Decimal("0.1"))
            cells.append(f"<td class=n>{count} <small>({share}%)</small></td>")
        body.append(f"<tr><td>{_e(group)}</td><td class=n>{len(rows)}</td>{''.join(cells)}</tr>")
    return (
        f"<h2>{_e(heading)}</h2><table><tr><th></th><th class=n>{_e(said['count'])}</th>{head}</tr>"
        f"{''.join(body)}</table>"
    )


def _totals_table(view: BatchView, groups: dict[str, list[BranchRow]], heading: str) -> str:
    """For a ruleset without grades: count, mean, lowest and highest total per group."""
    said = words(view.lang)
    body = []
    for group, rows in groups.items():
        totals = [r.total for r in rows if r.total is not None]
        mean = (sum(totals, Decimal(0)) / len(totals)).quantize(Decimal("0.01")) if totals else ""
        low, high = (min(totals), max(totals)) if totals else ("", "")
        body.append(
            f"<tr><td>{_e(group)}</td><td class=n>{len(rows)}</td><td class=n>{mean}</td>"
            f"<td class=n>{low}</td><td class=n>{high}</td></tr>"
        )
    head = "".join(f"<th class=n>{_e(said[k])}</th>" for k in ("count", "mean", "lowest", "highest"))
    return f"<h2>{_e(heading)}</h2><table><tr><th></th>{head}</tr>{''.join(body)}</table>"


def _filters(view: BatchView) -> list[tuple[str, str, list[str]]]:
    """The list's filters: (key, label, values) for each group field, the grade, text outcomes, moves."""
    said = words(view.lang)
    out = []
    labels = dict(view.identity)
    for name in view.group_fields:
        values = sorted({r.identity.get(name, "") for r in view.rows} - {""})
        if len(values) > 1:
            out.append((f"i-{name}", labels[name], values))
    if _has_grades(view):
        present = {r.grade_label for r in view.rows}
        out.append(
            ("grade", said["grade"], [label for _, label in grade_order(view.plans, view.lang) if label in present])
        )
    for name, label in outcome_labels(view.plans):
        values = sorted({shown(r.outcomes.get(name), view.lang) for r in view.rows} - {""})
        if 1 < len(values) <= OUTCOME_FILTER_VALUES:
            out.append((f"o-{name}", label, values))
    moved = [said["step." + k] for k in MOVE_COLOURS if any(k in r.moved_by for r in view.rows)]
    if moved:
        out.append(("moved", said["moves"], moved))
    return out


def _group_fields(view: BatchView) -> list[str]:
    """The identity fields after the id that group records: not one that tells each apart (a name)."""
    return [
        name for name, _ in view.identity[1:] if len({r.identity.get(name, "") for r in view.rows}) < len(view.rows)
    ]


def _row_values(view: BatchView, row: BranchRow) -> dict[str, str]:
    said = words(view.lang)
    values = {f"i-{name}": row.identity.get(name, "") for name, _ in view.identity}
    values |= {f"o-{name}": shown(row.outcomes.get(name), view.lang) for name, _ in outcome_labels(view.plans)}
    values["grade"] = row.grade_label
    values["moved"] = said["step." + row.moved_by[-1]] if row.moved_by else ""
    return values


def _branch_list(view: BatchView, colours: dict[str, str], traces: bool, links: Mapping[str, tuple[str, str]]) -> str:
    said = words(view.lang)
    outcomes = outcome_labels(view.plans)
    grades = _has_grades(view)
    filters = _filters(view)
    heads = [*(label for _, label in view.identity), said["table"], said["total"]]
    heads += [said["grade"]] if grades else []
    heads += [label for _, label in outcomes] + [said["moves"], said["lost"]]
    head_html = "".join(f"<th{' class=n' if h == said['total'] else ''}>{_e(h)}</th>" for h in heads)
    body = []
    for row in view.rows:
        values = _row_values(view, row)
        attrs = "".join(f' data-{key}="{_e(values.get(key, ""))}"' for key, _, _ in filters)
        colour = colours.get(row.grade_label, GREY)
        cells = [
            f"<td>{_e(row.identity.get(name, '') or (row.id if name == 'id' else ''))}</td>"
            for name, _ in view.identity
        ]
        cells[0] = cells[0].replace("<td>", f'<td style="border-left-color:{colour}">', 1)
        total = "" if row.total is None else f"{row.total}"
        cells += [f"<td>{_e(row.ruleset)}</td>", f'<td class=n data-v="{total}">{total}</td>']
        if grades:
            cells.append(f'<td><i class=swatch style="background:{colour}"></i>{_e(row.grade_label)}</td>')
        cells += [f"<td>{_e(shown(row.outcomes.get(name), view.lang))}</td>" for name, _ in outcomes]
        badges = "".join(
            f'<i class=badge style="background:{MOVE_COLOURS[kind]}" title="{_e(text)}">{_e(said["step." + kind])}</i>'
            for kind, text in zip(row.moved_by, row.moves, strict=True)
        )
        lost = "; ".join(f"{x.label} -{x.lost.normalize():f}" for x in row.lost) or _e(row.problems)
        cells += [f"<td>{badges}</td>", f"<td><small>{_e(lost)}</small></td>"]
        body.append(f'<tr class=row tabindex=0 data-index="{row.index}"{attrs}>{"".join(cells)}</tr>')
    selects = "".join(
        f"<label>{_e(label)}<select data-filter={_e(key)}><option value=''>{_e(said['all'])}</option>"
        + "".join(f"<option>{_e(v)}</option>" for v in values)
        + "</select></label>"
        for key, label, values in filters
    )
    hint = _e(said["list_hint"]).replace("{}", "<span id=shown></span>", 1).replace("{}", str(len(view.rows)), 1)
    data = json.dumps(_details(view, traces, links), ensure_ascii=False).replace("<", "\\u003c")
    return (
        f"<h2>{_e(said['list'])}</h2><p class=filters>{selects}<label>{_e(said['search'])}"
        f"<input id=search type=search></label></p><p><small>{hint}</small></p>"
        f"<table id=branches><thead><tr>{head_html}</tr></thead><tbody>{''.join(body)}</tbody></table>"
        f'<script type="application/json" id="details">{data}</script>'
    )


def _details(view: BatchView, traces: bool, links: Mapping[str, tuple[str, str]]) -> dict[str, Any]:
    """What a row opens: per ruleset the indicator rows (label, dimension, max) and per record its
    scores by table source, its grading steps, and its trace or link when there is one."""
    said = words(view.lang)
    tables: dict[str, Any] = {}
    rows: dict[str, Any] = {}
    for row in view.rows:
        result = view.results[row.index]
        plan = view.plans.get(result.ruleset.name)
        lines = [f"{row.ruleset}: {said['total']} {row.total if row.total is not None else '—'} {row.grade_label}"]
        lines += row.moves + [f"{said['vetoes']}: {v}" for v in result.vetoes]
        if result.bonus:
            lines.append(f"{said['bonus']}: {result.bonus}")
        lines += [f"{e.path}: {e.message}" if e.path else e.message for e in result.errors]
        entry: dict[str, Any] = {"lines": lines, "scores": []}
        if plan is not None and not result.errors:
            sources = [s for s in plan.sources if s.is_table and s.name in result.sources]
            if plan.name not in tables:
                dims = {i: d.label or d.name for d in plan.dimensions for i in d.indicators}
                heads = [said["indicator"], said["dimension"], said["max"]]
                heads += [said["score_in"].format(s.label or s.name) for s in sources]
                tables[plan.name] = {
                    "head": heads,
                    "rows": [[i.label or i.name, dims.get(k, ""), f"{i.max}"] for k, i in enumerate(plan.indicators)],
                }
            entry["t"] = plan.name
            entry["scores"] = [
                [_score(result.sources[s.name]["indicators"].get(i.name)) for s in sources] for i in plan.indicators
            ]
        if traces and result.trace is not None:
            entry["trace"] = explain(result, plan)
        if row.id in links:
            entry["link"] = list(links[row.id])
        rows[str(row.index)] = entry
    return {"tables": tables, "rows": rows}


def _score(value: Any) -> str:
    return "—" if value is None else str(value)


def _corrections(view: BatchView) -> str:
    said = words(view.lang)
    rows = [
        f"<tr><td>{_e(r.id or '?')}</td><td>{_e(source)}</td><td>{_e(name)}</td>"
        f"<td class=n>{c['from']} → {c['to']}</td><td>{_e(c['reason'])}</td>"
        f"<td>{_e('; '.join(c['evidence']))}</td></tr>"
        for r in view.results
        for source, parts in r.sources.items()
        for name, c in parts.get("corrections", {}).items()
    ]
    if not rows:
        return ""
    heads = "".join(f"<th>{_e(said[k])}</th>" for k in ("id", "sheet", "indicator", "from_to", "reason", "evidence"))
    return f"<h2>{_e(said['corrections'])}</h2><table><tr>{heads}</tr>{''.join(rows)}</table>"


def _weakest(view: BatchView) -> str:
    said = words(view.lang)
    weak = weakest(view.results, view.plans)
    rows = "".join(
        f"<tr><td>{_e(w.label)}</td><td>{_e(view.plans[w.ruleset].label or w.ruleset)}</td>"
        f"<td class=n>{w.average} / {w.max.normalize():f}</td><td class=n>{w.lost_share}%</td>"
        f"<td>{_e(w.standard or '')}</td></tr>"
        for w in weak
    )
    heads = "".join(f"<th>{_e(said[k])}</th>" for k in ("indicator", "table", "average", "lost_share", "standard"))
    return f"<h2>{_e(said['weakest'])}</h2><table><tr>{heads}</tr>{rows}</table>" if weak else ""


def _failed(view: BatchView) -> str:
    said = words(view.lang)
    failed = [r for r in view.rows if r.problems][:FAILED_SHOWN]
    rows = "".join(f"<tr><td>{_e(r.id or '?')}</td><td>{_e(r.problems)}</td></tr>" for r in failed)
    none = f"<tr><td colspan=2>{_e(said['none'])}</td></tr>"
    heads = f"<tr><th>{_e(said['id'])}</th><th>{_e(said['reasons'])}</th></tr>"
    return f"<h2>{_e(said['failed'])}</h2><table>{heads}{rows or none}</table>"


def build_report(
    view: BatchView,
    group_fields: Sequence[str] | None = None,
    *,
    traces: bool = False,
    links: Mapping[str, tuple[str, str]] | None = None,
) -> str:
    """The report page. `group_fields`: the fields shares are broken down by (default: the record's
    identity fields after its id and name); `traces`: a row also opens its full trace (the results
    must carry one); `links`: per record id, a (text, href) shown in its details, e.g. its gap plan."""
    said = words(view.lang)
    colours = grade_colours(view)
    labels = dict(view.identity)
    fields = list(group_fields) if group_fields is not None else list(view.group_fields)
    sections = []
    overall = _groups(view, None)
    heading = said["shares"] if _has_grades(view) else said["totals"]
    if _has_grades(view):
        chart = dict(overall)
        if fields:  # the breakdown with the fewest groups (类型 rather than 部门) fits a chart
            breakdowns: list[dict[str, list[BranchRow]]] = [_groups(view, f) for f in fields]
            fewest = min(breakdowns, key=len)
            chart |= fewest
        sections.append(_bar_chart(chart, colours))
    for field in [None, *fields]:
        groups = overall if field is None else _groups(view, field)
        title = heading if field is None else said["by"].format(labels.get(field, field))
        table = _share_table if _has_grades(view) else None
        sections.append(table(view, groups, title, colours) if table else _totals_table(view, groups, title))
    failed = sum(1 for r in view.rows if r.problems)
    noun = view.noun or said["records"]
    summary = said["records_summary"].format(len(view.rows), noun, failed)
    lang = "zh" if view.lang == "zh" else "en"
    return f"""<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; \
script-src 'unsafe-inline'; img-src data:">
<title>{_e(view.title)}</title>
<style>{STYLE}</style></head><body>
<h1>{_e(view.title)}</h1>
<p>{_e(summary)}</p>
{_legend(view, colours)}
{"".join(sections)}
{_branch_list(view, colours, traces, links or {})}
{_weakest(view)}
{_corrections(view)}
{_failed(view)}
<script>{SCRIPT}</script>
</body></html>
"""
