"""`ind compare`: movements between two years' results.

Records are matched by id. A record's grade moved up, down or stayed the same by the order of
the grades (the ruleset's order, best first, when given; otherwise the order of the grades'
mean totals over both years, said so in the output). Movements are counted per group (the
ruleset that scored the record, or record fields such as department and category), and the
indicators are ranked by their mean change over the records scored in both years.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ..semantics.arithmetic import EXACT

Row = Mapping[str, Any]


@dataclass(slots=True)
class Movements:
    up: int = 0
    down: int = 0
    same: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"up": self.up, "down": self.down, "same": self.same}


@dataclass(slots=True)
class Comparison:
    versions: tuple[list[str], list[str]]  # the ruleset versions each file names
    grade_order: list[str]
    order_inferred: bool
    matched: int
    only_before: int
    only_after: int
    overall: Movements = field(default_factory=Movements)
    groups: dict[str, dict[str, Movements]] = field(default_factory=dict)  # by what -> group -> movements
    indicators: list[tuple[str, Decimal, int]] = field(default_factory=list)  # name, mean change, records

    def as_dict(self) -> dict[str, Any]:
        return {
            "versions": {"before": self.versions[0], "after": self.versions[1]},
            "grade_order": self.grade_order,
            "grade_order_inferred": self.order_inferred,
            "matched": self.matched,
            "only_before": self.only_before,
            "only_after": self.only_after,
            "movements": self.overall.as_dict(),
            "groups": {by: {g: m.as_dict() for g, m in sorted(gs.items())} for by, gs in self.groups.items()},
            "indicators": [{"indicator": n, "mean_change": str(c), "records": k} for n, c, k in self.indicators],
        }


def _graded(rows: Iterable[Row]) -> dict[str, Row]:
    return {str(r["id"]): r for r in rows if isinstance(r, Mapping) and r.get("id") is not None and not r.get("errors")}


def _versions(rows: Iterable[Row]) -> list[str]:
    found: list[str] = []
    for r in rows:
        ref = r.get("ruleset") if isinstance(r, Mapping) else None
        if isinstance(ref, Mapping):
            label = f"{ref.get('name')} {ref.get('version') or '(no version)'}"
            if label not in found:
                found.append(label)
    return found


def inferred_order(rows: Iterable[Row]) -> list[str]:
    """Grades by their mean total, highest first (ties by name)."""
    sums: dict[str, list[Decimal]] = defaultdict(list)
    for r in rows:
        if r.get("grade") is not None and r.get("total") is not None:
            sums[r["grade"]].append(Decimal(str(r["total"])))
    means = {g: EXACT.divide(sum(v, Decimal(0)), Decimal(len(v))) for g, v in sums.items()}
    return sorted(means, key=lambda g: (-means[g], g))


def _indicators(row: Row) -> dict[str, Decimal]:
    out: dict[str, Decimal] = {}
    for source, parts in (row.get("sources") or {}).items():
        for name, value in (parts.get("indicators") or {}).items() if isinstance(parts, Mapping) else ():
            if value is not None:
                out[f"{source}.{name}"] = Decimal(str(value))
    return out


def compare(
    before: Sequence[Row],
    after: Sequence[Row],
    *,
    grade_order: Sequence[str] | None = None,
    groups: Mapping[str, Mapping[str, str]] | None = None,
    top: int = 10,
) -> Comparison:
    """Compare two years' results; `groups` maps a grouping name to each record id's group."""
    old, new = _graded(before), _graded(after)
    order = list(grade_order) if grade_order else inferred_order([*old.values(), *new.values()])
    rank = {g: k for k, g in enumerate(order)}
    both = [rid for rid in new if rid in old]
    result = Comparison(
        (_versions(before), _versions(after)),
        order,
        not grade_order,
        len(both),
        len(old.keys() - new.keys()),
        len(new.keys() - old.keys()),
    )
    changes: dict[str, list[Decimal]] = defaultdict(list)
    by = {"ruleset": {rid: str(new[rid].get("ruleset", {}).get("name")) for rid in both}, **(groups or {})}
    for rid in both:
        a, b = old[rid].get("grade"), new[rid].get("grade")
        if a is None or b is None or a not in rank or b not in rank:
            continue  # an exempt record, or a grade outside the order, has no movement
        step = "same" if rank[a] == rank[b] else "up" if rank[b] < rank[a] else "down"
        for counted in (
            result.overall,
            *(
                result.groups.setdefault(name, {}).setdefault(ids.get(rid, "(none)"), Movements())
                for name, ids in by.items()
            ),
        ):
            setattr(counted, step, getattr(counted, step) + 1)
        was = _indicators(old[rid])
        for name, value in _indicators(new[rid]).items():
            if name in was:
                changes[name].append(value - was[name])
    means = [(n, EXACT.divide(sum(v, Decimal(0)), Decimal(len(v))), len(v)) for n, v in changes.items()]
    means.sort(key=lambda t: (-abs(t[1]), t[0]))
    result.indicators = [(n, c.quantize(Decimal("0.01")), k) for n, c, k in means[:top] if c]
    return result


def comparison_text(c: Comparison, before: str, after: str) -> str:
    lines = [
        f"{before}: {', '.join(c.versions[0]) or '(no ruleset named)'}",
        f"{after}: {', '.join(c.versions[1]) or '(no ruleset named)'}",
        f"两年均有结果 in both: {c.matched}   仅上年 only before: {c.only_before}   仅本年 only after: {c.only_after}",
        "等次顺序 grade order: "
        + " > ".join(c.grade_order)
        + ("  (by mean total; give --ruleset for the ruleset's order)" if c.order_inferred else ""),
        f"升 up {c.overall.up}   降 down {c.overall.down}   持平 same {c.overall.same}",
    ]
    for by, groups in c.groups.items():
        lines += ["", f"按 by {by}:"]
        width = max((len(g) for g in groups), default=0)
        for group, m in sorted(groups.items()):
            lines.append(f"  {group:<{width}}  升 {m.up:>4}  降 {m.down:>4}  持平 {m.same:>4}")
    if c.indicators:
        lines += ["", "变化最大的指标 indicators that moved most (mean change):"]
        lines += [f"  {name}: {change:+} ({count} records)" for name, change, count in c.indicators]
    return "\n".join(lines) + "\n"
