"""The points a record lost, per indicator and table source, with the clauses that cost them.

Each loss carries reason codes with stable ids `RULESET/INDICATOR/CLAUSE` (the clause's
number as written, 1 first; `judged` entries use the judging source), the indicator's
评分标准 text, and each clause's part in plain Chinese, read from the record's trace.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ..evaluate.results import Result, TraceEntry
from ..semantics.arithmetic import EXACT, quantum, reporter
from ..semantics.plan import TablePlan
from .search import Candidate


@dataclass(frozen=True, slots=True)
class Reason:
    id: str  # RULESET/INDICATOR/CLAUSE
    kind: str  # deduct, award, bands, judged, score, adjust, correct, clamp
    clause: str  # the clause as written, in short
    text: str  # what it did to this record, in plain Chinese


@dataclass(frozen=True, slots=True)
class Loss:
    """Points one table source's score of one indicator is below its maximum."""

    source: str
    source_label: str
    indicator: str
    label: str
    dimension: str
    score: Decimal
    max: Decimal
    lost: Decimal
    effect: Decimal  # what recovering them adds to the total (weighted, prorated)
    standard: str | None
    reasons: tuple[Reason, ...]


def shown(value: Any) -> str:
    """A read value as a short text: decimals as they are up to 4 places (longer ones rounded to
    4, trailing zeros dropped), booleans 是/否, lists by their length."""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Decimal):
        exponent = value.as_tuple().exponent
        long = isinstance(exponent, int) and exponent < -4
        return format(reporter(Decimal("0.0001"), EXACT)(value).normalize(EXACT) if long else value, "f")
    if isinstance(value, list):
        return f"[{len(value)} 项]"
    return str(value)


def _sentence(entry: TraceEntry, clause: str, top: Decimal, source_label: str) -> str | None:
    """What one traced clause did to the score, or None when it cost nothing."""
    effect = entry.effect if entry.effect is not None else Decimal(0)
    reads = ", ".join(f"{k} = {shown(v)}" for k, v in entry.reads.items())
    read = f"(读取 {reads})" if reads else ""
    number = entry.clause + 1
    if entry.kind == "deduct":
        return f"第{number}条扣分规则生效,扣{shown(-effect)}分{read}" if entry.fired and effect != 0 else None
    if entry.kind == "award":
        if not entry.fired:
            return f"第{number}条得分条件未满足,未得分{read}"
        return f"按第{number}条计次得{shown(effect)}分{read}" if " per " in clause else None
    if entry.kind == "bands":
        return f"按第{number}条评分档次得{shown(effect)}分(满分{shown(top)}){read}" if effect < top else None
    if entry.kind == "judged":
        return f"{source_label}:评定{shown(effect)}分(满分{shown(top)})" if effect < top else None
    if entry.kind == "score":
        return f"按第{number}条计分公式得{shown(effect)}分(满分{shown(top)}){read}"
    if entry.kind == "adjust":
        return f"{source_label}调整后为{shown(effect)}分{read}"
    if entry.kind == "correct":
        return f"{source_label}核正为{shown(effect)}分{read}"
    if entry.kind == "clamp":
        return f"得分调整到界内:{entry.note or ''}"
    return None


def losses(
    plan: TablePlan,
    result: Result,
    candidates: list[Candidate],
    weights: dict[str, Decimal],
    clauses: dict[str, list[str]],
) -> list[Loss]:
    """Every (source, indicator) below its maximum, ranked by what it weighs on the total."""
    by_indicator: dict[str, list[TraceEntry]] = {}
    for entry in result.trace or []:
        by_indicator.setdefault(entry.indicator, []).append(entry)
    labels = {s.name: s.label or s.name for s in plan.sources}
    found: list[Loss] = []
    for c in candidates:
        info = plan.indicators[c.index]
        written = clauses.get(c.name, [])
        for source, now in c.froms.items():
            reasons: list[Reason] = []
            for entry in by_indicator.get(c.name, []):
                if entry.source not in (None, source) or entry.kind == "applies":
                    continue
                clause = written[entry.clause] if 0 <= entry.clause < len(written) else entry.kind
                text = _sentence(entry, clause, info.max, labels[source])
                if text is not None:
                    where = entry.clause + 1 if entry.clause >= 0 else entry.kind
                    reasons.append(Reason(f"{plan.name}/{c.name}/{where}", entry.kind, clause, text))
            found.append(
                Loss(
                    source=source,
                    source_label=labels[source],
                    indicator=c.name,
                    label=info.label or c.name,
                    dimension=plan.dimensions[info.dimension].label or plan.dimensions[info.dimension].name,
                    score=now,
                    max=info.max,
                    lost=info.max - now,
                    effect=weights[source] * c.gains[(source, -1)],
                    standard=info.standard,
                    reasons=tuple(reasons),
                )
            )
    return sorted(found, key=lambda loss: (-loss.effect, loss.indicator, loss.source))


def effect_text(plan: TablePlan, value: Decimal) -> Decimal:
    """An effect on the total as shown: two places more than the ruleset's precision."""
    return reporter(quantum(plan.precision + 2), EXACT)(value)
