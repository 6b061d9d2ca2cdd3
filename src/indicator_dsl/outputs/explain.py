"""`--explain`: one record's result as text a party-affairs officer can follow.

Every indicator with its label, score and maximum, each clause that fired with the
values it read and the points it added or took, the proration of a table, the weighting
of the sources (given the plan), the bonus items, then the grading steps with reasons.
Figures are cut to a readable width (`formats.readable`).

Ids, texts and messages come from records: each line is shown as diagnostics show source
lines (`syntax.cells.layout`), so a control character (a terminal escape, a line break
in an id) is U+FFFD and can neither move the cursor nor fake a line.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from ..evaluate.results import Result, TraceEntry
from ..semantics.arithmetic import EXACT, quantum, reporter
from ..semantics.plan import TablePlan
from ..syntax.cells import layout
from .formats import readable


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return f"[{len(value)} 项]"
    return readable(value)


def _prorated(entry: TraceEntry) -> str:
    raw, applicable, scale = (_value(v) for v in entry.reads.values())
    return f"table {raw} × {scale} / {applicable} (applicable maximum)"


def _weighting(result: Result, plan: TablePlan) -> str:
    """`0.7 × review 92.78 + 0.3 × survey 0.00 = 64.95`: how the sources make the score before the bonus."""
    terms: list[str] = []
    combined = Decimal(0)
    for source in plan.sources:
        parts = result.sources.get(source.name, {})
        value = parts.get("table", parts.get("value"))
        if not isinstance(value, Decimal):
            return ""
        weight = source.weight.normalize()
        terms.append(f"{weight:f} × {source.name} {value}")
        combined += source.weight * value
    shown = reporter(quantum(plan.precision), EXACT)(combined)  # as the result's figures are shown
    return "合成 weighted: " + " + ".join(terms) + f" = {shown}"


def _reads(entry: TraceEntry) -> str:
    return ", ".join(f"{k} = {_value(v)}" for k, v in entry.reads.items())


def _clause_line(entry: TraceEntry) -> str:
    reads = _reads(entry)
    if entry.kind == "applies":
        return f"      不适用 (not applicable){': ' + reads if reads else ''}"
    if entry.kind == "clamp":
        return f"      → {entry.note}"
    if entry.kind == "judged":
        return f"      评分表 {entry.source}: {_value(entry.effect)}"
    if entry.kind == "correct":
        said = dict(entry.reads)
        evidence = said.get(f"sheets.{entry.source} evidence")
        return (
            f"      ✎ 核正 corrected by {entry.source}: {_value(said.get('computed'))} → {_value(entry.effect)}"
            f" ({said.get(f'sheets.{entry.source} reason')}{'; evidence: ' + str(evidence) if evidence else ''})"
        )
    mark = "✓" if entry.fired else "·"
    effect = ""
    if entry.effect is not None and entry.kind in ("deduct", "award"):
        effect = f"  {'+' if entry.effect > 0 else ''}{_value(entry.effect)}" if entry.effect else "  0"
    elif entry.effect is not None:
        effect = f"  = {_value(entry.effect)}"
    note = f" ({entry.note})" if entry.note else ""
    return f"      {mark} {entry.kind} #{entry.clause + 1}{note}{': ' + reads if reads else ''}{effect}"


def _bonus_line(entry: TraceEntry) -> str:
    """A bonus item: whether it gave points, and how many."""
    mark = "✓" if entry.fired else "·"
    label = f" {entry.label}" if entry.label else ""
    return f"  {mark} item {entry.indicator}{label}: {'+' if entry.fired else ''}{_value(entry.effect)}"


def _relative_line(entry: TraceEntry) -> str:
    """A relative rule that gave a record points for its place in its group, with the figures that placed it."""
    label = f"{entry.label} " if entry.label else ""
    sign = "+" if entry.effect is not None and entry.effect > 0 else ""
    return f"  ✓ 相对 relative {label}({entry.indicator}): {_reads(entry)}  {sign}{_value(entry.effect)}   [{entry.at}]"


def _penalty_line(entry: TraceEntry) -> str:
    """A penalty item: whether it fired, what it read and what it took; or the cap or floor."""
    if entry.clause < 0:
        return f"      → {entry.note}"
    reads = _reads(entry)
    effect = f"  {_value(entry.effect)}" if entry.effect else "  0"
    mark = "✓" if entry.fired else "·"
    return f"      {mark} {entry.label or entry.indicator} ({entry.indicator}){': ' + reads if reads else ''}{effect}"


def explain(result: Result, plan: TablePlan | None = None) -> str:
    """The text of one record's result; `plan` (the result's ruleset's) adds the weighting step."""
    lines = [f"{result.id} — {result.ruleset.name} {result.ruleset.version or ''}".rstrip()]
    if result.ruleset.period:
        lines.append(f"考核期 period {result.ruleset.period}")
    if result.ruleset.as_of:
        lines.append(
            f"截至 as of {result.ruleset.as_of}: 年度未结束,月度、季度要求只计已到期的月份和季度"
            " (the period is not over: monthly and quarterly requirements count only the months and quarters due)"
        )
    if result.errors:
        lines.append("无法评分 (could not be scored):")
        lines.extend(f"  {e.path or '(record)'}: {e.message}" for e in result.errors)
        return _text(lines)
    by_indicator: dict[str, list[TraceEntry]] = defaultdict(list)
    own_plan = plan is not None and plan.name == result.ruleset.name
    standards = {i.name: i.standard for i in plan.indicators if i.standard} if plan and own_plan else {}
    for entry in result.trace or []:
        by_indicator[entry.indicator].append(entry)
    for source, parts in result.sources.items():
        if "value" in parts:
            weight = f"   权重 weight {_value(parts['weight'])}" if "weight" in parts else ""
            lines += ["", f"[{source}] {'—' if parts['value'] is None else parts['value']}{weight}"]
            if "excluded" in parts:
                lines.append(f"  不计入 excluded: {parts['excluded']}")
            continue
        weight = f"   权重 weight {_value(parts['weight'])}" if "weight" in parts else ""
        lines += ["", f"[{source}] 总分 table {parts['table']}{weight}"]
        for entry in result.trace or []:
            if entry.kind == "prorate" and entry.source == source:
                lines.append(f"  折算 prorated: {_prorated(entry)} = {parts['table']}   [{entry.at}]")
        for dim, score in parts["dimensions"].items():
            lines.append(f"  {dim}: {score}")
            for name, value in parts["indicators"].items():
                entries = [e for e in by_indicator.get(name, []) if e.dimension == dim]
                if not entries:
                    continue
                label = entries[0].label or name
                lines.append(f"    {label} ({name}) {'—' if value is None else value}   [{entries[0].at}]")
                if name in standards:
                    lines.append(f"      评分标准 standard: {standards[name]}")
                lines.extend(_clause_line(e) for e in entries if e.source in (None, source))
    if plan is not None and own_plan and plan.has_assess:
        lines += ["", _weighting(result, plan)]
    penalty = [e for e in result.trace or [] if e.kind == "penalty"]
    if result.penalty is None:
        lines += ["", f"加分 bonus {result.bonus}   总分 total {result.total}"]
    else:
        at = f"   [{penalty[0].at}]" if penalty else ""
        lines += ["", f"加分 bonus {result.bonus}   扣分 penalty {result.penalty}   总分 total {result.total}{at}"]
    lines += [_bonus_line(e) for e in result.trace or [] if e.kind == "bonus"]
    lines += [_relative_line(e) for e in result.trace or [] if e.kind == "relative"]
    lines += [_penalty_line(e) for e in penalty]
    for step in result.steps:
        arrow = f"{step.before or '—'} → {step.after or '—'}"
        lines.append(f"  {step.step}: {arrow}  {step.reason}")
    lines.append(f"等次 grade: {result.grade_label or '—'} ({result.grade or 'none'})")
    for nominee in result.nominations:
        lines.append(f"推荐 nominated: {nominee.label or nominee.award} ({nominee.award}) — {nominee.reason}")
    for name, value in result.outcomes.items():
        lines.append(f"  {name}: {_value(value)}")
    return _text(lines)


def _text(lines: list[str]) -> str:
    return "".join(layout(line)[0] + "\n" for line in lines)
