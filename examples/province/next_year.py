"""The synthetic province's next year, built on this year's records and results.

Year N+1's records come from year N's records and the results the Jiangsu catalog gave them,
so that two consecutive years move the way the 转化工程 / 提升工程 cycle makes them move::

    ind eval rulesets/jiangsu/catalog.ind province.jsonl --format jsonl --out results-2023.jsonl
    python examples/province/next_year.py province.jsonl results-2023.jsonl \\
        -o province-2024.jsonl --rectification rectification-2023.jsonl
    ind eval rulesets/jiangsu/catalog.ind province-2024.jsonl --period 2024 \\
        --history results-2023.jsonl --rectification rectification-2023.jsonl --format jsonl --out results-2024.jsonl
    ind compare results-2023.jsonl results-2024.jsonl --ruleset rulesets/jiangsu/catalog.ind

Every dated entry (meetings, talks, violations) moves one year on; founding and election dates
stay, so some committees' terms run out. Each branch then takes one seeded turn: a 后进 branch
under 转化工程 mostly rectifies (`RECTIFY_SHARE`: its missing 支委会 and 主题党日 are held, its
组织生活会 held with the superior's delegate), a few other branches slip (`SLIP_SHARE`: a third of
their monthly meetings missed) or improve (`LIFT_SHARE`). Each 后进 branch gets rectification
items for the indicators it scored lowest, with a leader assigned (挂钩联系) and a deadline in the
new year: a branch that rectifies signs them off in time (a few late), the others leave them
open, so some are overdue. The record's `last_year_grade` and `rectified` follow from the results
and the items, never typed by hand. Only the Python standard library is used.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from generate import write_jsonl  # the province generator beside this file

SEED = 2024
RECTIFY_SHARE = 0.75  # 后进 branches whose 转化工程 works
SLIP_SHARE = 0.12  # other branches that slip
LIFT_SHARE = 0.10  # other branches that improve
LABELS = {"advanced": "先进", "standard": "达标", "lagging": "后进"}
LEADERS = ("张副厅长", "李副主任", "王副局长", "赵副书记", "陈副主任", "刘副厅长")
MONTHLY = ("支委会", "主题党日")
DATED = {"meetings": "held_on", "talks": "held_on", "violations": "occurred_on"}
ITEMS_PER_BRANCH = 3


def one_year_on(day: str) -> str:
    d = date.fromisoformat(day)
    return (d.replace(year=d.year + 1) if (d.month, d.day) != (2, 29) else date(d.year + 1, 2, 28)).isoformat()


def _months_held(meetings: Iterable[Mapping[str, Any]], kind: str, year: int) -> set[int]:
    return {int(m["held_on"][5:7]) for m in meetings if m["kind"] == kind and m["held_on"].startswith(str(year))}


def _rectify(rng: random.Random, record: dict[str, Any], year: int) -> None:
    """转化工程 worked: the monthly calendar kept, the 组织生活会 held with the superior present."""
    meetings = record["meetings"]
    for kind in MONTHLY:
        if kind == "支委会" and len(record.get("committee", [])) < 3:
            continue
        for month in sorted(set(range(1, 13)) - _months_held(meetings, kind, year)):
            meetings.append({"kind": kind, "held_on": date(year, month, rng.randint(1, 28)).isoformat()})
    lives = [m for m in meetings if m["kind"] == "组织生活会"]
    if lives:
        lives[0]["superior_attended"] = True
    else:
        meetings.append({"kind": "组织生活会", "held_on": date(year, 12, 20).isoformat(), "superior_attended": True})


def _slip(rng: random.Random, record: dict[str, Any]) -> None:
    """A third of the monthly meetings missed."""
    record["meetings"] = [m for m in record["meetings"] if m["kind"] not in MONTHLY or rng.random() >= 1 / 3]


def _lowest_indicators(result: Mapping[str, Any], count: int) -> list[str]:
    """The indicators the branch scored lowest on its first table (score, then name)."""
    for parts in (result.get("sources") or {}).values():
        scores = parts.get("indicators") if isinstance(parts, Mapping) else None
        if scores:
            ranked = sorted((float(v), k) for k, v in scores.items() if v is not None)
            return [name for _, name in ranked[:count]]
    return []


def _items(rng: random.Random, rid: str, result: Mapping[str, Any], works: bool, year: int) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    leader = rng.choice(LEADERS)
    for k, indicator in enumerate(_lowest_indicators(result, ITEMS_PER_BRANCH), start=1):
        deadline = date(year, rng.randint(3, 9), 28)
        item: dict[str, Any] = {
            "id": f"{rid}-R{k}",
            "branch": rid,
            "issue": f"指标 {indicator} 失分较多,限期整改",
            "indicator": indicator,
            "leader": leader,
            "deadline": deadline.isoformat(),
        }
        roll = rng.random()
        if works and roll < 0.9:
            item.update(status="已完成", signed_off=(deadline - timedelta(days=rng.randint(0, 40))).isoformat())
            item["evidence"] = ["整改报告", "会议记录"]
        elif works:
            item.update(status="已完成", signed_off=(deadline + timedelta(days=rng.randint(10, 40))).isoformat())
        else:
            item["status"] = "整改中" if roll < 0.5 else "未启动"
        items.append(item)
    return items


def next_year(
    records: Sequence[dict[str, Any]], results: Sequence[Mapping[str, Any]], seed: int = SEED
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Year N+1's records and the rectification items of year N's 后进 branches."""
    by_id = {str(r["id"]): r for r in results if r.get("id") is not None}
    out: list[dict[str, Any]] = []
    items: list[dict[str, Any]] = []
    for old in records:
        rid = str(old["id"])
        record = json.loads(json.dumps(old))  # a deep copy of plain JSON
        for field, key in DATED.items():
            for entry in record.get(field, []):
                entry[key] = one_year_on(entry[key])
        year = max((int(m["held_on"][:4]) for m in record["meetings"]), default=date.today().year)
        rng = random.Random(f"{seed}:{rid}")
        result = by_id.get(rid, {})
        grade = result.get("grade")
        roll = rng.random()
        own: list[dict[str, Any]] = []
        if grade == "lagging":
            works = roll < RECTIFY_SHARE
            if works:
                _rectify(rng, record, year)
            own = _items(rng, rid, result, works, year)
        elif roll < SLIP_SHARE:
            _slip(rng, record)
        elif roll < SLIP_SHARE + LIFT_SHARE:
            _rectify(rng, record, year)
        record["meetings"].sort(key=lambda m: (m["held_on"], m["kind"]))
        record["last_year_grade"] = LABELS.get(grade) if isinstance(grade, str) else None
        record["rectified"] = all(i["status"] == "已完成" and i.get("signed_off", "9999") <= i["deadline"] for i in own)
        items += own
        out.append(record)
    return out, items


def _read_jsonl(path: str | Path) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The synthetic province's next year from this year's results.")
    parser.add_argument("records", help="this year's records (.jsonl)")
    parser.add_argument("results", help="this year's results (.jsonl, ind eval --format jsonl)")
    parser.add_argument("-o", "--output", required=True, help="next year's records (.jsonl)")
    parser.add_argument("--rectification", required=True, help="the rectification items to write (.jsonl)")
    parser.add_argument("--seed", type=int, default=SEED, help=f"random seed (default {SEED})")
    args = parser.parse_args(argv)
    records, items = next_year(_read_jsonl(args.records), _read_jsonl(args.results), args.seed)
    count = write_jsonl(records, args.output)
    written = write_jsonl(items, args.rectification)
    sys.stderr.write(
        f"wrote {count} branches to {args.output}, {written} rectification items to {args.rectification}\n"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
