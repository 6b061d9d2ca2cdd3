"""The indicator table (指标表 / 评分细则) a branch receives, generated from the ruleset (`ind table`).

By dimension and indicator: the points, the 评分标准 sentence the author wrote (or, where there is
none, the rules read in Chinese by `rule_text.py`, marked as generated), and every clause of the
rules in its own line, so the printed table and the scoring cannot drift apart. An indicator a
department's table adds to, changes in or removes from the table it extends is marked so (with the
reason of a removal). Below the indicators: the bonus and penalty items, vetoes, exemptions and
direct grades, the assessment sources and their weights, the grades, quotas and outcomes.

`indicator_table` builds the document's content; `table_html` prints it as one self-contained
HTML page (print-friendly); `table_office.py` writes it as a workbook or a Word document.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

from ..check.resolved import ResolvedCatalog, ResolvedRuleset, exact_sum, figure
from ..syntax import nodes as n
from .rule_text import Describer

MARKS = {"added": "新增", "override": "调整", "removed": "删去"}
GENERATED = "(据计分规则生成)"


@dataclass(frozen=True, slots=True)
class IndicatorRow:
    name: str
    label: str
    max: str
    standard: str  # the author's 评分标准, or the generated reading of the rules
    generated: bool  # whether `standard` was generated
    rules: tuple[str, ...]  # one line per clause (the applicability condition first; `let`s spelled out where used)
    mark: str = ""  # 新增 / 调整 / 删去 (relative to the table this one extends)
    note: str = ""  # a removal's reason


@dataclass(frozen=True, slots=True)
class DimensionBlock:
    label: str
    max: str
    weight: str | None
    rows: tuple[IndicatorRow, ...]


@dataclass(frozen=True, slots=True)
class Section:
    title: str
    lines: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class IndicatorTable:
    name: str
    title: str
    facts: tuple[str, ...]  # version, period, total, rescale, base table
    dimensions: tuple[DimensionBlock, ...]
    sections: tuple[Section, ...] = field(default=())


def _row(describer: Describer, node: n.Indicator, sources: dict[str, str], how: str) -> IndicatorRow:
    rules = [describer.clause(c, node, sources) for c in node.clauses]
    applies = describer.applies(node)
    if applies:
        rules.insert(0, applies)
    standard = node.standard or "".join(rules)
    return IndicatorRow(
        node.name,
        node.label or node.name,
        figure(node.max.value),
        standard,
        node.standard is None,
        tuple(rules),
        MARKS.get(how, ""),
    )


def indicator_table(ruleset: ResolvedRuleset) -> IndicatorTable:
    """The indicator table of one resolved ruleset (a category's, or a department's on top of it)."""
    describer = Describer(ruleset)
    sources = {s.name: s.label or s.name for s in ruleset.assess.sources} if ruleset.assess else {}
    blocks = []
    for dimension in ruleset.dimensions:
        rows = [_row(describer, i.node, sources, i.how) for i in dimension.indicators]
        blocks.append(
            DimensionBlock(
                dimension.label or dimension.name,
                figure(dimension.max),
                dimension.weight.text if dimension.weight else None,
                tuple(rows),
            )
        )
    removed = tuple(
        IndicatorRow(r.name, _removed_label(ruleset, r.name), "", "", False, (), MARKS["removed"], r.reason or "")
        for r in ruleset.removed
    )
    if removed:
        blocks.append(DimensionBlock("本表删去的指标", "", None, removed))
    return IndicatorTable(
        ruleset.name, ruleset.label or ruleset.name, _facts(ruleset), tuple(blocks), _sections(ruleset)
    )


def _removed_label(ruleset: ResolvedRuleset, name: str) -> str:
    base = ruleset.base
    while base is not None:
        found = next((i.node for i in base.indicators() if i.node.name == name), None)
        if found is not None:
            return found.label or name
        base = base.base
    return name


def _facts(ruleset: ResolvedRuleset) -> tuple[str, ...]:
    facts = []
    if ruleset.version:
        facts.append(f"版本 {ruleset.version}")
    if ruleset.period:
        facts.append(f"考核期 {ruleset.period.start.isoformat()} 至 {ruleset.period.end.isoformat()}")
    facts.append(f"指标合计 {figure(exact_sum(d.max for d in ruleset.dimensions))} 分")
    if ruleset.rescale:
        facts.append(f"总分按 {ruleset.rescale.to.text} 分折算")
    if ruleset.base is not None:
        facts.append(f"在“{ruleset.base.label or ruleset.base.name}”基础上调整")
    return tuple(facts)


def _sections(ruleset: ResolvedRuleset) -> tuple[Section, ...]:
    describer = Describer(ruleset)
    grades = {g.name: g.label or g.name for g in ruleset.grades.rules} if ruleset.grades else {}
    out: list[Section] = []
    for block in (ruleset.bonus, ruleset.penalty):
        if block is not None:
            title = f"{block.label or ('加分项' if block.kind == 'bonus' else '扣分项')}(最多 {block.max.text} 分)"
            lines = tuple(f"{i.label or i.name}:{describer.points(i.clause)}" for i in block.items)
            out.append(Section(title, lines))
    vetoes = [
        f"{v.label or v.name}:{describer.cond(v.when)}的,"
        + (
            f"等次最高为{grades.get(v.grade, v.grade)}。"
            if v.action == "cap"
            else f"定为{grades.get(v.grade, v.grade)}。"
        )
        for v in ruleset.vetoes
    ]
    if vetoes:
        out.append(Section("否决事项", tuple(vetoes)))
    special = [f"{e.label or e.name or '免评'}:{describer.cond(e.when)}的,不参加定级。" for e in ruleset.exempts]
    special += [
        f"{a.label or a.name}:{describer.cond(a.when)}的,直接定为{grades.get(a.grade, a.grade)}。"
        for a in ruleset.assigns
    ]
    if special:
        out.append(Section("免评与直接定级", tuple(special)))
    if ruleset.assess is not None:
        out.append(Section("综合评定", tuple(_source_line(describer, s) for s in ruleset.assess.sources)))
    if ruleset.grades is not None:
        lines = tuple(
            f"{g.label or g.name}:{describer.cond(g.when) if g.when is not None else '其他'}"
            for g in ruleset.grades.rules
        )
        out.append(Section("等次评定(依次判断,取第一个满足的等次)", lines))
    if ruleset.quotas:
        out.append(Section("名额", tuple(quota_line(q, grades, describer) for q in ruleset.quotas)))
    if ruleset.outcomes:
        out.append(Section("结果", tuple(f"{o.label or o.name}:{describer.expr(o.expr)}" for o in ruleset.outcomes)))
    return tuple(out)


def _source_line(describer: Describer, source: n.Source) -> str:
    how = "按本表指标评分" if source.value is None else f"按公式计算:{describer.expr(source.value)}"
    missing = ";无法计算的不计入,其余权重按比例折算" if source.missing == "exclude" else ""
    return f"{source.label or source.name}(权重 {source.weight.text}):{how}{missing}。"


def quota_line(quota: n.Quota, grades: dict[str, str], describer: Describer) -> str:
    """A quota in words: which grades, at most or at least what share, within which groups."""
    which = "、".join(grades.get(g, g) for g in quota.grades)
    direction = "不超过" if quota.direction == "at most" else "不少于"
    text = f"{which}{direction}参评数的 {quota.share.text}"
    if quota.minimum is not None:
        text += f"(参评 {quota.minimum.members} 个以上的至少 {quota.minimum.places} 个)"
    if quota.within:
        text += f",按{describer.expr(n.Name(name=quota.within))}分别计算"
    if quota.where is not None:
        text += f",只计{describer.cond(quota.where)}的"
    return text + "。"


def table_html(tables: list[IndicatorTable], title: str, preface: Section | None = None) -> str:
    """The tables as one self-contained HTML page (inline CSS, no script, a page break per table),
    after the catalog's own rules (`preface`) when there are any."""
    parts = []
    if preface is not None:
        items = "".join(f"<li>{html.escape(line)}</li>" for line in preface.lines)
        parts.append(f"<section><h1>{html.escape(preface.title)}</h1><ul>{items}</ul></section>")
    for table in tables:
        parts.append(f"<section><h1>{html.escape(table.title)}</h1>")
        parts.append(f"<p class=facts>{html.escape(' · '.join(table.facts))}</p>")
        for block in table.dimensions:
            weight = f",权重 {block.weight}" if block.weight else ""
            heading = f"{block.label}({block.max} 分{weight})" if block.max else block.label
            parts.append(f"<h2>{html.escape(heading)}</h2><table><tr><th>指标</th><th>分值</th>")
            parts.append("<th>评分标准</th><th>计分规则</th><th>说明</th></tr>")
            for row in block.rows:
                standard = html.escape(row.standard) + (f" <small>{GENERATED}</small>" if row.generated else "")
                rules = "".join(f"<li>{html.escape(r)}</li>" for r in row.rules)
                note = html.escape("".join(x for x in (row.mark, f":{row.note}" if row.note else "") if x))
                parts.append(
                    f"<tr data-indicator='{html.escape(row.name)}'><td>{html.escape(row.label)}</td>"
                    f"<td class=n>{row.max}</td><td>{standard}</td><td><ol>{rules}</ol></td>"
                    f"<td class=mark>{note}</td></tr>"
                )
            parts.append("</table>")
        for section in table.sections:
            items = "".join(f"<li>{html.escape(line)}</li>" for line in section.lines)
            parts.append(f"<h2>{html.escape(section.title)}</h2><ul>{items}</ul>")
        parts.append("</section>")
    return f"""<!doctype html>
<html lang="zh"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>
body {{ font-family: "Noto Sans CJK SC", "Microsoft YaHei", "SimSun", sans-serif; margin: 2em auto;
       max-width: 1100px; color: #111; font-size: 14px; }}
table {{ border-collapse: collapse; width: 100%; margin-bottom: 1em; }}
th, td {{ border: 1px solid #555; padding: 4px 6px; vertical-align: top; text-align: left; }}
th {{ background: #eef; }} td.n {{ text-align: center; white-space: nowrap; }}
td.mark {{ color: #a33; white-space: nowrap; }} ol {{ margin: 0; padding-left: 1.4em; }}
small {{ color: #666; }} .facts {{ color: #444; }}
section {{ break-after: page; }}
@media print {{ body {{ margin: 0; max-width: none; }} }}
</style></head><body>
{"".join(parts)}
</body></html>
"""


def catalog_section(catalog: ResolvedCatalog) -> Section | None:
    """What a catalog adds to its tables: its quotas (across tables) and nominations, in words."""
    if not catalog.rulesets:
        return None
    first = next(iter(catalog.rulesets.values()))
    describer = Describer(first)
    grades = {g.name: g.label or g.name for r in catalog.rulesets.values() if r.grades for g in r.grades.rules}
    lines = []
    for item in catalog.node.items:
        if isinstance(item, n.Quota):
            replaces = "(代替各表自己的名额)" if item.replaces else ""
            lines.append(f"名额:{quota_line(item, grades, describer)}{replaces}")
        elif isinstance(item, n.Nomination):
            which = "、".join(grades.get(g, g) for g in item.grades)
            per = describer.expr(n.Name(name=item.per))
            text = f"推荐{item.label or item.name}:从{which}中按{per}各推荐不超过 {item.places} 个,总分高者优先"
            if item.exclude is not None:
                text += f",{describer.cond(item.exclude)}的不推荐"
            lines.append(text + "。")
    return Section(f"{catalog.label or catalog.name}:跨表规则", tuple(lines)) if lines else None
