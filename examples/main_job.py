"""The main job: grade the whole synthetic province through the Jiangsu catalog.

    python examples/main_job.py [--out out/province] [--workers N] [--seed 2023]

1. generate the 6,280 branches of the synthetic province (seeded, deterministic);
2. score them through `rulesets/jiangsu/catalog.ind` (quotas apply across the batch);
3. print the grade shares overall, per category and per department, and the 先进 quota's
   figures: how many branches met the 先进 rules, how many a quota moved down (and their
   share), quota groups with no place, departments of 10+ graded branches without a 先进;
4. write `province.jsonl` (the input), `results.jsonl`, `summary.json`, `summary.csv`
   and `report.html` into the output folder, each file written atomically;
5. plan every 达标 and 后进 branch (`plans.jsonl`, `plans.csv`: the fewest indicators to
   recover for the next grade) and write the 支部体检报告 of three sample branches
   (`checkup/ID.html`);
6. run the second synthetic year (`examples/province/next_year.py`): year N+1's records and
   the rectification items of year N's 后进 branches, scored with the period as a parameter,
   year N's results as `history=` and the items as `rectification=`; print the movements
   (up / down / same) and the items overdue at mid-year, and write `year2/province.jsonl`,
   `year2/rectification.jsonl`, `year2/results.jsonl`, `year2/comparison.json` and
   `year2/comparison.txt`.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import io
import json
import sys
import time
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import indicator_dsl
from indicator_dsl.evaluate.batch import Batch, GroupShares
from indicator_dsl.evaluate.rectification import read_items
from indicator_dsl.files import write_atomic
from indicator_dsl.outputs.branch_rows import batch_view
from indicator_dsl.outputs.checkup import build_checkup
from indicator_dsl.outputs.compare import compare, comparison_text
from indicator_dsl.outputs.formats import as_jsonl, pad
from indicator_dsl.outputs.plans import PLAN_FORMATS
from indicator_dsl.outputs.report import build_report
from indicator_dsl.semantics.grading import quota_reason, quota_size
from indicator_dsl.semantics.plan import QuotaInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "examples" / "province"))

import generate  # noqa: E402 - the generator lives beside this script, not in the package
import next_year  # noqa: E402 - so does the second year's

CATALOG = ROOT / "rulesets" / "jiangsu" / "catalog.ind"
GRADES = (
    ("advanced", "先进"),
    ("standard", "达标"),
    ("lagging", "后进"),
    ("exempt", "不参加评定"),
    ("error", "无法评分"),
)


@dataclass(frozen=True)
class QuotaFigures:
    """What the 工委 reads of the 先进 quota: did the shares come from the rules or the quota?"""

    qualified: int  # branches that met the 先进 rules (advanced before any quota)
    moved: int  # of those, how many a quota moved down
    zero_place_groups: list[str]  # departments whose quota group has room for no 先进
    departments_without: list[str]  # departments of >= MIN_GROUP graded branches and no 先进

    @property
    def moved_share(self) -> Decimal:
        return (Decimal(self.moved) * 100 / self.qualified).quantize(Decimal("0.1")) if self.qualified else Decimal(0)


#: A department with this many graded branches must have at least one 先进 (catalog.ind's quota).
MIN_GROUP = 10


def quota_figures(model: indicator_dsl.Catalog, batch: Batch) -> QuotaFigures:
    """The 先进 quota's figures over a catalog batch, grouped by department as the catalog's quota is."""
    qualified = moved = 0
    graded: Counter[str] = Counter()
    advanced: Counter[str] = Counter()
    for result, attributes in zip(batch.results, batch.attributes, strict=True):
        department = str(attributes.get("department", ""))
        if result.grade is not None:
            graded[department] += 1
        if result.grade == "advanced":
            advanced[department] += 1
        quota_moved = any(s.step == "quota" and s.before == "advanced" for s in result.steps)
        moved += quota_moved
        qualified += quota_moved or result.grade == "advanced"
    quota = next(info for info, _ in model.catalog_quotas if "advanced" in info.grades)
    zero = sorted(d for d, n in graded.items() if quota_size(quota, n) == 0)
    without = sorted(d for d, n in graded.items() if n >= MIN_GROUP and advanced[d] == 0)
    return QuotaFigures(qualified, moved, zero, without)


#: The quota's words as a 工委 writes them (the catalog's labels are Chinese; the engine's
#: `quota_text` reads the ruleset's own keywords).
_DIRECTIONS = {"at most": "不超过", "at least": "不少于"}
_ROUNDING = {"floor": "向下取整", "half up": "四舍五入", "ceil": "向上取整"}
_GROUPS = {"department": "部门", "category": "支部类型"}


def quota_in_chinese(quota: QuotaInfo, labels: dict[str, str]) -> str:
    """A quota rule in Chinese: `先进不超过20%(按部门,10个及以上参评支部至少1个名额)`."""
    grades = "、".join(labels.get(g, g) for g in quota.grades)
    share = format((quota.share * 100).normalize(), "f")
    notes = [f"按{_GROUPS.get(quota.within, quota.within)}"] if quota.within else []
    if quota.rounding:
        notes.append(_ROUNDING[quota.rounding])
    if quota.minimum is not None:
        notes.append(f"{quota.minimum.members}个及以上参评支部至少{quota.minimum.places}个名额")
    return f"{grades}{_DIRECTIONS[quota.direction]}{share}%" + (f"({','.join(notes)})" if notes else "")


def print_quota_figures(figures: QuotaFigures) -> None:
    moved = f"moved down by a quota: {figures.moved} ({figures.moved_share}%)"
    print(f"\n先进 by the rules: {figures.qualified} branches; {moved}")
    print(f"quota groups (departments) with no place for a 先进: {len(figures.zero_place_groups)}")
    print(f"departments of {MIN_GROUP}+ graded branches without a 先进: {len(figures.departments_without)}")
    for department in figures.departments_without:
        print(f"  {department}")


def summary_rows(batch: Batch) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for level, by in (("overall", None), ("category", "category"), ("department", "department")):
        for group in batch.summary(by):
            row: dict[str, Any] = {"level": level, "group": group.key, "branches": group.count}
            row["moved_by_quota"] = group.moved
            for grade, _ in GRADES:
                row[grade] = group.grades.get(grade, 0)
                row[f"{grade}_share"] = str(group.shares.get(grade, Decimal("0.0")))
            rows.append(row)
    return rows


def _line(group: GroupShares, width: int = 14) -> str:
    cells = "  ".join(f"{label} {group.shares.get(grade, Decimal('0.0')):>5}%" for grade, label in GRADES[:3])
    return f"  {pad(group.key, width)} {group.count:>5}  {cells}"


def print_summary(model: indicator_dsl.Catalog, batch: Batch, seconds: float) -> None:
    overall = batch.summary()[0]
    print(f"江苏省级机关党支部分类定级 (synthetic province): {overall.count} branches scored in {seconds:.1f} s")
    print(_line(overall))
    print("\n按支部类型 by category:")
    for group in batch.summary("category"):
        print(_line(group))
    departments = batch.summary("department")
    print(f"\n按部门 by department ({len(departments)}):")
    for group in departments:
        print(_line(group, 20))
    moves = batch.quota_moves()
    print(f"\n配额调整 moved by a quota: {overall.moved} of {overall.count} branches, in {len(moves)} group(s)")
    labels = {g.name: g.label or g.name for engine in model.engines.values() for g in engine.plan.grades}
    prefixes = {quota_reason(info, ""): quota_in_chinese(info, labels) for info, _ in model.catalog_quotas}
    rules = Counter[str]()
    groups = Counter[str]()
    for reason, count in moves.items():
        rule, _, group = reason.partition(" = ")  # `quota: RULE within FIELD = GROUP`
        rules[prefixes.get(f"{rule} = ", rule)] += count
        groups[group or rule] += count
    for rule, count in rules.most_common():
        print(f"  {count:>4}  {rule}")
    busiest = ", ".join(f"{group} {count}" for group, count in groups.most_common(8))
    print(f"  most moved: {busiest}")
    awards = {n.award: n.label or n.award for r in batch.results for n in r.nominations}
    for award, nominees in batch.nominees().items():
        print(f"\n推荐 nominees, {awards[award]}: {len(nominees)}")
    failed = len(batch.failed)
    print(f"\n{failed} branch(es) could not be scored." if failed else "\nEvery branch was scored.")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=ROOT / "out" / "province")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--seed", type=int, default=generate.SEED)
    parser.add_argument("--n", type=int, default=generate.N_BRANCHES)
    args = parser.parse_args(argv)

    records = generate.generate_province(n=args.n, seed=args.seed)
    catalog = indicator_dsl.load(CATALOG)
    started = time.perf_counter()
    batch = catalog.evaluate_many(records, workers=args.workers)
    seconds = time.perf_counter() - started
    print_summary(catalog, batch, seconds)
    print_quota_figures(quota_figures(catalog, batch))

    out: Path = args.out
    write_atomic(out / "province.jsonl", "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    write_atomic(out / "results.jsonl", as_jsonl(batch.results))
    rows = summary_rows(batch)
    write_atomic(out / "summary.json", json.dumps(rows, ensure_ascii=False, indent=1) + "\n")
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    write_atomic(out / "summary.csv", buffer.getvalue())
    view = batch_view(catalog, batch.results, batch.attributes, "江苏省级机关党支部分类达标定级 (synthetic province)")
    write_atomic(out / "report.html", build_report(view))
    print(f"\nwritten: {out}/results.jsonl, summary.json, summary.csv, report.html")
    write_plans(catalog, records, batch, out)
    second = write_second_year(records, out, args.workers)
    return 1 if batch.failed or second.failed else 0


def write_plans(catalog: indicator_dsl.Catalog, records: list[dict[str, Any]], batch: Batch, out: Path) -> None:
    """The plans of every 达标 and 后进 branch, and the 体检报告 of three sample branches."""
    started = time.perf_counter()
    planned = catalog.plans_of(records, batch, grades=["standard", "lagging"])
    seconds = time.perf_counter() - started
    tables = {name: engine.plan for name, engine in catalog.engines.items()}
    write_atomic(out / "plans.jsonl", PLAN_FORMATS["jsonl"](planned.plans, tables))
    write_atomic(out / "plans.csv", PLAN_FORMATS["csv"](planned.plans, tables))
    reachable = sum(1 for p in planned.plans if p.reachable)
    print(
        f"\n整改提升计划 plans: {len(planned.plans)} branches in {seconds:.1f} s, {reachable} can reach the next grade"
    )
    positions = {r.id: i for i, r in enumerate(batch.results)}
    lagging = [p for p in planned.plans if p.grade == "lagging" and p.changes]
    standard = [p for p in planned.plans if p.grade == "standard" and p.changes]
    blocked = [p for p in planned.plans if p.holding or p.reachable is False]
    for plan in (lagging[:1] + standard[:1] + blocked[:1])[:3]:
        index = positions[plan.id]
        result = batch.results[index]
        peers = [r for r in batch.results if r.ruleset.name == result.ruleset.name]
        page = build_checkup(result, batch.attributes[index], plan, tables[plan.ruleset], peers)
        write_atomic(out / "checkup" / f"{plan.id}.html", page)
        print(f"  体检报告 written: {out}/checkup/{plan.id}.html")


def write_second_year(records: list[dict[str, Any]], out: Path, workers: int = 1) -> Batch:
    """Year N+1 built on year N (`out/results.jsonl`), scored with year N as history and the
    rectification items of its 后进 branches; prints the movements and the items overdue at
    mid-year, and writes the second year's files under `out/year2/`."""
    started = time.perf_counter()
    year = generate.PERIOD_END.year + 1
    text = (out / "results.jsonl").read_text(encoding="utf-8")
    before = [json.loads(line) for line in text.splitlines() if line]
    records_next, rows = next_year.next_year(records, before)
    items = read_items(rows, [f"item {k}" for k in range(1, len(rows) + 1)])
    catalog = indicator_dsl.load(CATALOG, period=year, history=[before], rectification=items)
    assert isinstance(catalog, indicator_dsl.Catalog)
    batch = catalog.evaluate_many(records_next, workers=workers)
    after = [json.loads(line) for line in as_jsonl(batch.results).splitlines()]
    order = [g.name for g in next(iter(catalog.engines.values())).plan.grades]
    groups = {field: {str(r["id"]): str(r[field]) for r in records_next} for field in ("department", "category")}
    comparison = compare(before, after, grade_order=order, groups=groups)
    mid_year = datetime.date(year, 6, 30)
    overdue = items.overdue(mid_year)
    unrectified = sum(1 for r in batch.results if "unrectified" in r.vetoes)
    moves = comparison.overall
    seconds = time.perf_counter() - started
    overall = batch.summary()[0]
    print(f"\n第二年 year {year} ({len(records_next)} branches, {seconds:.1f} s):")
    print(_line(overall))
    print(f"  比上年 against {year - 1}: 升 up {moves.up}, 降 down {moves.down}, 持平 same {moves.same}")
    print(
        f"  整改事项 rectification items: {len(items.items)} of {len(items.rectified())} 后进 branches; "
        f"overdue on {mid_year}: {len(overdue)}; held at 达标 as unrectified: {unrectified}"
    )
    folder = out / "year2"
    write_atomic(folder / "province.jsonl", "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records_next))
    write_atomic(folder / "rectification.jsonl", "".join(json.dumps(i, ensure_ascii=False) + "\n" for i in rows))
    write_atomic(folder / "results.jsonl", as_jsonl(batch.results))
    late = [{**i.model_dump(mode="json"), "as_of": mid_year.isoformat()} for i in overdue]
    document = {**comparison.as_dict(), "overdue": late, "unrectified": unrectified}
    write_atomic(folder / "comparison.json", json.dumps(document, ensure_ascii=False, indent=1) + "\n")
    write_atomic(folder / "comparison.txt", comparison_text(comparison, str(year - 1), str(year)))
    print(f"  written: {folder}/province.jsonl, rectification.jsonl, results.jsonl, comparison.json, comparison.txt")
    return batch


if __name__ == "__main__":
    sys.exit(main())
