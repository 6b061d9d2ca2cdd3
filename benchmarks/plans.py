"""Gap plans over the synthetic province: every 达标 and 后进 branch planned, each plan checked.

    .venv/bin/python benchmarks/plans.py [--n 6280]

For each plan: its changes applied with `what_if` reach the promised grade (or better), and
no set of fewer indicators does (each set one smaller, at full recovery, re-scored, when the
plan has at most `--brute` indicators). Prints the counts, the seconds, and any failure.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from collections import Counter
from pathlib import Path

import indicator_dsl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "examples" / "province"))

import generate  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--n", type=int, default=generate.N_BRANCHES)
    parser.add_argument("--brute", type=int, default=3, help="brute-force the smaller sets of plans this small")
    args = parser.parse_args(argv)
    records = generate.generate_province(n=args.n)
    model = indicator_dsl.load(ROOT / "rulesets" / "jiangsu" / "catalog.ind")
    started = time.perf_counter()
    planned = model.plans(records, grades=["standard", "lagging"])
    seconds = time.perf_counter() - started
    by_id = {str(r["id"]): r for r in records}
    kinds: Counter[str] = Counter()
    failures: list[str] = []
    for plan in planned.plans:
        kinds[f"{plan.grade} reachable={plan.reachable} indicators={plan.indicators}"] += 1
        if not plan.reachable or not plan.changes:
            continue
        record = by_id[str(plan.id)]
        after = model.what_if(record, plan.what_if_changes())
        ladder = [g.name for g in model.engines[plan.ruleset].plan.grades]
        if after.grade is None or ladder.index(after.grade) > ladder.index(plan.target or ""):
            failures.append(f"{plan.id}: what_if gives {after.grade}, the plan promised {plan.target}")
        if plan.indicators > args.brute:
            continue
        lost = {loss.indicator for loss in plan.lost}
        base = model.evaluate(record)
        for smaller in itertools.combinations(sorted(lost), plan.indicators - 1):
            changes = [
                {"source": s, "indicator": name, "to": model.engines[plan.ruleset].plan.indicators[i].max}
                for name in smaller
                for i, info in enumerate(model.engines[plan.ruleset].plan.indicators)
                if info.name == name
                for s in base.sources
                if "indicators" in base.sources[s] and base.sources[s]["indicators"].get(name) is not None
            ]
            tried = model.what_if(record, changes)
            if tried.grade is not None and ladder.index(tried.grade) <= ladder.index(plan.target or ""):
                failures.append(f"{plan.id}: {smaller} ({len(smaller)} indicators) reaches {plan.target} too")
                break
    checked = time.perf_counter() - started - seconds
    print(f"{len(records)} branches, {len(planned.plans)} plans in {seconds:.1f} s (checked in {checked:.1f} s)")
    print(
        f"re-scorings per plan: mean {sum(p.rescored for p in planned.plans) / max(1, len(planned.plans)):.1f}, "
        f"max {max((p.rescored for p in planned.plans), default=0)}"
    )
    for kind, count in sorted(kinds.items()):
        print(f"  {count:>5}  {kind}")
    print(f"failures: {len(failures)}")
    for failure in failures[:20]:
        print(f"  {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
