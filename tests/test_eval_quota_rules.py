"""Quota rules beyond share and ties: the rounding of k, a minimum of places for a large
enough group, and a catalog quota that replaces the routed rulesets' own (hand-computed)."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import project_with
from test_eval_grading import BACKENDS, QUOTA_TEMPLATE, SCHEMA, filler, grades_of, quota_ruleset, unit

import indicator_dsl
from indicator_dsl.syntax.diagnostics import RulesetError
from indicator_dsl.syntax.parser import parse_source
from indicator_dsl.syntax.printer import print_module
from indicator_dsl.syntax.source import SourceFile


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    ("rounding", "kept"),
    [
        ("", ["A1"]),  # n = 7: 7 × 20% = 1.4, floor 1
        (" rounding floor", ["A1"]),
        (" rounding half up", ["A1"]),  # 1.4 -> 1
        (" rounding ceil", ["A1", "A2"]),  # 1.4 -> 2
    ],
)
def test_rounding_of_k_at_seven(
    tmp_path_factory: pytest.TempPathFactory, backend: str, rounding: str, kept: list[str]
) -> None:
    rs = quota_ruleset(tmp_path_factory, f"quota advanced at most 20%{rounding} ties demote", backend)
    got = grades_of(rs.evaluate_many([unit("A1", "98"), unit("A2", "95"), unit("A3", "92"), *filler(4)]))
    assert [a for a in ("A1", "A2", "A3") if got[a] == "advanced"] == kept


@pytest.mark.parametrize("backend", BACKENDS)
def test_half_up_rounds_one_point_six_to_two(tmp_path_factory: pytest.TempPathFactory, backend: str) -> None:
    # n = 8: 8 × 20% = 1.6; floor keeps one, half up keeps two (98, 95), 92 moves
    floor = quota_ruleset(tmp_path_factory, "quota advanced at most 20% ties demote", backend)
    half = quota_ruleset(tmp_path_factory, "quota advanced at most 20% rounding half up ties demote", backend)
    records = [unit("A1", "98"), unit("A2", "95"), unit("A3", "92"), *filler(5)]
    assert [grades_of(floor.evaluate_many(records))[a] for a in ("A1", "A2", "A3")] == [
        "advanced",
        "standard",
        "standard",
    ]
    batch = half.evaluate_many(records)
    assert [grades_of(batch)[a] for a in ("A1", "A2", "A3")] == ["advanced", "advanced", "standard"]
    step = next(s for r in batch.results if r.id == "A3" for s in r.steps if s.step == "quota")
    assert step.reason == "quota: advanced at most 20% rounding half up"


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(("members", "kept"), [(4, ["A1"]), (5, [])])
def test_a_minimum_of_places_for_a_large_enough_group(
    tmp_path_factory: pytest.TempPathFactory, backend: str, members: int, kept: list[str]
) -> None:
    # n = 4: floor(4 × 20%) = 0; `at least 1 place when 4 or more` raises k to 1 (99 keeps it),
    # `when 5 or more` does not apply to a group of 4 (both move)
    quota = f"quota advanced at most 20% at least 1 place when {members} or more ties demote"
    rs = quota_ruleset(tmp_path_factory, quota, backend)
    got = grades_of(rs.evaluate_many([unit("A1", "99"), unit("A2", "95"), *filler(2)]))
    assert [a for a in ("A1", "A2") if got[a] == "advanced"] == kept


@pytest.mark.parametrize("backend", BACKENDS)
def test_at_most_over_two_grades_moves_the_lowest_below_both(
    tmp_path_factory: pytest.TempPathFactory, backend: str
) -> None:
    # n = 10, k = floor(10 × 50%) = 5; advanced 98, 95 and standard 80, 79, 78, 77, 76 hold one of the
    # two grades (7 > 5): the two lowest, 77 and 76, move to lagging, the grade below both
    rs = quota_ruleset(tmp_path_factory, "quota advanced, standard at most 50% ties demote", backend)
    records = [unit("A1", "98"), unit("A2", "95")]
    records += [unit(f"S{t}", str(t)) for t in (80, 79, 78, 77, 76)]
    records += [unit(f"L{i}", "50") for i in range(3)]
    batch = rs.evaluate_many(records)
    got = grades_of(batch)
    assert [r for r in got if got[r] == "lagging"] == ["S77", "S76", "L0", "L1", "L2"]
    assert (got["A1"], got["A2"], got["S78"]) == ("advanced", "advanced", "standard")
    step = next(s for r in batch.results if r.id == "S76" for s in r.steps if s.step == "quota")
    assert (step.before, step.after, step.reason) == ("standard", "lagging", "quota: advanced, standard at most 50%")


@pytest.mark.parametrize("backend", BACKENDS)
def test_at_least_over_two_grades_draws_into_the_higher(tmp_path_factory: pytest.TempPathFactory, backend: str) -> None:
    # n = 10, k = ceil(10 × 60%) = 6; standard 75 × 3 and lagging 50 hold one of the two (4): the two
    # lowest advanced, 94 and 95, move down into standard, the higher of the two grades
    rs = quota_ruleset(tmp_path_factory, "quota standard, lagging at least 60% ties demote", backend)
    records = [unit(f"A{t}", str(t)) for t in (99, 98, 97, 96, 95, 94)]
    records += [unit(f"S{i}", "75") for i in range(3)] + [unit("L1", "50")]
    got = grades_of(rs.evaluate_many(records))
    assert [r for r in got if got[r] == "standard"] == ["A95", "A94", "S0", "S1", "S2"]
    assert got["A96"] == "advanced" and got["L1"] == "lagging"


QUOTA_LINES = [
    "quota advanced, standard at most 50% ties demote",
    "quota advanced at most 20% rounding half up ties demote",
    "quota advanced at most 20% rounding ceil at least 1 place when 10 or more within department ties admit",
    "quota advanced at most 20% at least 2 places when 10 or more ties demote",
]


@pytest.mark.parametrize("line", QUOTA_LINES)
def test_quota_rules_print_back_the_same(line: str) -> None:
    text = QUOTA_TEMPLATE.format(schema="unit.ind", quotas=line)
    parsed = parse_source(SourceFile("q.ind", text))
    assert parsed.diagnostics == [] and parsed.module is not None
    printed = print_module(parsed.imports, parsed.module)
    assert line in printed
    again = parse_source(SourceFile("q.ind", printed))
    assert again.module == parsed.module


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("quota advanced at most 20% at least 0 places when 10 or more ties demote", "not 0"),
        ("quota advanced at most 20% at least 5 places when 3 or more ties demote", "group size 3"),
        ("quota advanced at most 20% replaces rulesets ties demote", "belongs to a catalog"),
        ("quota advanced, lagging at most 50% ties demote", "stand next to each other"),
        ("quota advanced, standard at least 50% ties demote", "top grade `advanced`"),
    ],
)
def test_quota_rule_mistakes_are_e311(tmp_path: Path, line: str, message: str) -> None:
    path = project_with(tmp_path, SCHEMA) / "bad.ind"
    path.write_text(QUOTA_TEMPLATE.format(schema=SCHEMA.name, quotas=line), encoding="utf-8")
    with pytest.raises(RulesetError) as raised:
        indicator_dsl.load(path)
    found = [d for d in raised.value.diagnostics if d.code == "E311"]
    assert len(found) == 1 and message in found[0].message, raised.value.diagnostics


CATALOG = """import "a.ind"
import "b.ind"
catalog both "两类"
route by category {{
  "党政机关" => quotas_a
  "国有企业" => quotas_b
  "离退休干部" => quotas_b
}}
{quota}
"""


def _catalog(tmp_path: Path, quota: str, backend: str) -> indicator_dsl.Catalog:
    root = project_with(tmp_path, SCHEMA)
    own = "quota advanced at most 20% within department ties demote"
    for name in ("a", "b"):
        text = QUOTA_TEMPLATE.format(schema=SCHEMA.name, quotas=own).replace("ruleset quotas", f"ruleset quotas_{name}")
        (root / f"{name}.ind").write_text(text, encoding="utf-8")
    (root / "both.ind").write_text(CATALOG.format(quota=quota), encoding="utf-8")
    catalog = indicator_dsl.load(root / "both.ind", backend=backend)
    assert isinstance(catalog, indicator_dsl.Catalog)
    return catalog


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(("replaces", "kept"), [(" replaces rulesets", ["A1"]), ("", [])])
def test_a_catalog_quota_replaces_the_rulesets_quotas(
    tmp_path: Path, backend: str, replaces: str, kept: list[str]
) -> None:
    # one department, 4 records in each category, one advanced in each. The rulesets' own quotas
    # group (ruleset, department): n = 4, k = 0, both move. Replaced, the department is one group:
    # n = 8, k = floor(1.6) = 1: 99 keeps advanced, 95 moves.
    quota = f"quota advanced at most 20% within department{replaces} ties demote"
    catalog = _catalog(tmp_path, quota, backend)
    records = [unit("A1", "99", category="党政机关"), unit("A2", "95", category="国有企业")]
    records += [unit(f"P{i}", "75", category="党政机关") for i in range(3)]
    records += [unit(f"S{i}", "75", category="国有企业") for i in range(3)]
    batch = catalog.evaluate_many(records)
    got = grades_of(batch)
    assert [a for a in ("A1", "A2") if got[a] == "advanced"] == kept
    moved = next(r for r in batch.results if r.id == "A2")
    assert [s.reason for s in moved.steps if s.step == "quota"] == [
        "quota: advanced at most 20% within department = 机关"
    ]


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_summary_counts_what_each_quota_moved(tmp_path_factory: pytest.TempPathFactory, backend: str) -> None:
    rs = quota_ruleset(tmp_path_factory, "quota advanced at most 20% within department ties demote", backend)
    # 甲: n = 5, k = 1: 92 moves (one); 乙: n = 4, k = 0: 99 and 98 move (two); 丙: none advanced
    records = [unit("J1", "96", department="甲"), unit("J2", "92", department="甲")]
    records += [unit(f"J{i}", "75", department="甲") for i in range(3, 6)]
    records += [unit("Y1", "99", department="乙"), unit("Y2", "98", department="乙")]
    records += [unit(f"Y{i}", "75", department="乙") for i in range(3, 5)]
    records += [unit("B1", "75", department="丙")]
    batch = rs.evaluate_many(records)
    assert batch.quota_moves() == {
        "quota: advanced at most 20% within department = 乙": 2,
        "quota: advanced at most 20% within department = 甲": 1,
    }
    by_department = {g.key: (g.count, g.moved) for g in batch.summary("department")}
    assert by_department == {"丙": (1, 0), "乙": (4, 2), "甲": (5, 1)}
    assert batch.summary()[0].moved == 3
