"""Check that the generator and the Jiangsu catalog agree.

``generate.py`` uses only the standard library, so it keeps its own copy of two facts about
``rulesets/jiangsu/catalog.ind``: where each (department, category) is routed, and which
indicators of each routed ruleset are judged (their maximum, and whether both sheets or
only the superior's carry them). This script reads the catalog with ``indicator_dsl`` and
fails (exit 1) on any difference, so a ruleset edit cannot silently break the province::

    python examples/province/check_sheets.py [rulesets/jiangsu/catalog.ind]
"""

from __future__ import annotations

import sys
from decimal import Decimal
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import generate  # noqa: E402  (the sibling module, not an installed package)

from indicator_dsl import check_paths  # noqa: E402
from indicator_dsl.check.resolved import ResolvedCatalog, ResolvedRuleset  # noqa: E402
from indicator_dsl.syntax import nodes as n  # noqa: E402

DEFAULT_CATALOG = HERE.parents[1] / "rulesets" / "jiangsu" / "catalog.ind"


def judged_of(ruleset: ResolvedRuleset) -> dict[str, tuple[Decimal, tuple[str, ...]]]:
    sources = tuple(s.name for s in ruleset.assess.sources if s.value is None) if ruleset.assess else ("table",)
    out: dict[str, tuple[Decimal, tuple[str, ...]]] = {}
    for item in ruleset.indicators():
        for clause in item.node.clauses:
            if isinstance(clause, n.Judged):
                out[item.node.name] = (item.node.max.value, (clause.by,) if clause.by else sources)
    return out


def routes_of(catalog: ResolvedCatalog) -> tuple[dict[tuple[str, str], str], dict[str, str]]:
    conditions: dict[tuple[str, str], str] = {}
    table: dict[str, str] = {}
    for item in catalog.node.items:
        if isinstance(item, n.RouteTable) and item.field == "category":
            table.update({e.value: e.target for e in item.entries})
        elif isinstance(item, n.RouteWhen):
            found: dict[str, str] = {}
            cond = item.cond
            parts = [cond.left, cond.right] if isinstance(cond, n.Binary) and cond.op == "and" else [cond]
            for part in parts:
                if not (isinstance(part, n.Binary) and part.op == "=="):
                    continue
                if isinstance(part.left, n.Name) and isinstance(part.right, n.String):
                    found[part.left.name] = part.right.value
            conditions[(found.get("department", "?"), found.get("category", "?"))] = item.target
    return conditions, table


def main(argv: list[str]) -> int:
    path = Path(argv[0]) if argv else DEFAULT_CATALOG
    report = check_paths([path])
    if report.errors:
        for d in report.errors:
            print(f"{d.span.path}:{d.span.line}: {d.code} {d.message}")
        return 1
    catalog = next(m for m in report.modules if isinstance(m, ResolvedCatalog))
    problems: list[str] = []
    conditions, table = routes_of(catalog)
    if conditions != generate.DEPARTMENT_ROUTES:
        problems.append(f"condition routes differ: catalog {conditions} vs generator {generate.DEPARTMENT_ROUTES}")
    if table != generate.CATEGORY_RULESET:
        problems.append(f"category routes differ: catalog {table} vs generator {generate.CATEGORY_RULESET}")
    for name, ruleset in sorted(catalog.rulesets.items()):
        actual = judged_of(ruleset)
        expected = {k: (Decimal(top), src) for k, (top, src) in generate.JUDGED.get(name, {}).items()}
        if actual != expected:
            problems.append(f"{name}: judged indicators {actual} vs generator {expected}")
    departments = {d for d, _ in generate.DEPARTMENTS}
    for department, category in generate.DEPARTMENT_ROUTES:
        mix = dict(generate.DEPARTMENTS).get(department, {})
        if department not in departments or not mix.get(category):
            problems.append(f"the generator has no {category} branches in {department}, routed to an extension")
    for problem in problems:
        print("MISMATCH:", problem)
    if not problems:
        print(f"ok: {len(catalog.rulesets)} rulesets, judged sheets and routes match the generator")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
