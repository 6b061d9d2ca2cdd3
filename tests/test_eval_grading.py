"""Each grading step of spec 6.1/6.2 with exact figures: exempt, rules, assign, vetoes, quotas, rounding.

Single-record steps use tests/eval_fixtures/rulesets/grading.ind (five grades). Quota rulesets are
written from a template per test so that each quota line is tried alone.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import eval_ruleset, project_with

import indicator_dsl

FIXTURES = Path(__file__).resolve().parent / "eval_fixtures"
SCHEMA = FIXTURES / "schema" / "unit.ind"
D = Decimal
# hypothesis writes its failure report through a module that warns on import; keep failures readable
pytestmark = pytest.mark.filterwarnings("ignore:mypy_extensions.TypedDict is deprecated:DeprecationWarning")
BACKENDS = ["compiled", "interpreted"]


ruleset = eval_ruleset


def grade(record: dict[str, Any], backend: str = "compiled") -> Any:
    result = ruleset("grading", backend).evaluate({"id": "G1", **record})
    assert result.errors == [], result.errors
    return result


# ---------------------------------------------------------------- grade rules


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    ("points", "expected"),
    [
        ("100", "five_star"),
        ("90", "five_star"),
        ("89.99", "four_star"),
        ("80", "four_star"),
        ("79", "three_star"),
        ("70", "three_star"),
        ("60", "two_star"),
        ("59.99", "one_star"),
        ("0", "one_star"),
    ],
)
def test_grade_rules_top_down(backend: str, points: str, expected: str) -> None:
    result = grade({"points": points}, backend)
    assert result.grade_by_rules == result.grade_after_veto == result.grade == expected
    assert [s.step for s in result.steps] == ["rules"]
    assert result.steps[0].after == expected


# ---------------------------------------------------------------- exempt


@pytest.mark.parametrize("backend", BACKENDS)
def test_exempt_is_still_scored_with_a_null_grade_and_the_reason(backend: str) -> None:
    # days_between(2023-06-01, 2023-12-31) = 213 < 365
    result = grade({"points": "95", "founded_on": "2023-06-01", "honors": ["先进基层党组织"], "violations": 1}, backend)
    assert result.total == D("95.00")
    assert result.sources["table"]["indicators"]["p"] == D("95.00")
    assert result.grade is None and result.grade_by_rules is None and result.grade_after_veto is None
    assert result.exempt == "成立不满1年的党支部不参加评定"
    assert [s.step for s in result.steps] == ["exempt"]
    assert result.steps[0].reason == "成立不满1年的党支部不参加评定"
    data = result.model_dump(mode="json")
    assert data["grade"] is None and data["total"] == "95.00" and data["errors"] == []


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(("founded", "exempt"), [("2023-01-01", True), ("2022-12-31", False)])
def test_exempt_boundary(backend: str, founded: str, exempt: bool) -> None:
    # 2023-01-01 -> 2023-12-31 is 364 days (< 365); 2022-12-31 is 365 days
    result = grade({"points": "95", "founded_on": founded}, backend)
    assert (result.exempt is not None) is exempt
    assert result.grade == (None if exempt else "five_star")


# ---------------------------------------------------------------- assign


@pytest.mark.parametrize("backend", BACKENDS)
def test_assign_grades_up(backend: str) -> None:
    result = grade({"points": "50", "honors": ["先进基层党组织"]}, backend)
    assert result.grade_by_rules == "one_star"
    assert result.grade_after_veto == result.grade == "five_star"
    assign = [s for s in result.steps if s.step == "assign"]
    assert len(assign) == 1
    assert (assign[0].before, assign[0].after) == ("one_star", "five_star")
    assert assign[0].reason == "直接定级:获评先进基层党组织"
    assert result.outcomes["stars"] == 5


@pytest.mark.parametrize("backend", BACKENDS)
def test_assign_grades_down(backend: str) -> None:
    result = grade({"points": "95", "honors": ["通报批评"]}, backend)
    assert result.grade_by_rules == "five_star"
    assert result.grade == "two_star"
    assert [(s.step, s.before, s.after) for s in result.steps] == [
        ("rules", None, "five_star"),
        ("assign", "five_star", "two_star"),
    ]


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_first_assign_that_fires_wins(backend: str) -> None:
    # both fire; `model` is declared first (a decision: the spec does not order assigns)
    result = grade({"points": "70", "honors": ["通报批评", "先进基层党组织"]}, backend)
    assert result.grade == "five_star"
    assert [s.step for s in result.steps] == ["rules", "assign"]


# ---------------------------------------------------------------- vetoes


VETO_CASES = [
    # (record, by rules, after veto, vetoes fired)
    ({"points": "95", "violations": 1}, "five_star", "four_star", ["discipline"]),
    # a cap never raises
    ({"points": "50", "violations": 1}, "one_star", "one_star", ["discipline"]),
    ({"points": "85", "violations": 1}, "four_star", "four_star", ["discipline"]),
    # two caps: the lowest wins
    (
        {"points": "95", "violations": 1, "survey_satisfaction": "0.5"},
        "five_star",
        "two_star",
        ["survey_low", "discipline"],
    ),
    # 60% exactly is not below 60%
    ({"points": "95", "survey_satisfaction": "0.6"}, "five_star", "five_star", []),
    # force lowers and raises
    ({"points": "95", "major_accidents": 1}, "five_star", "three_star", ["accident"]),
    ({"points": "10", "major_accidents": 1}, "one_star", "three_star", ["accident"]),
    # two forces: the lowest forced grade wins
    ({"points": "95", "major_accidents": 2}, "five_star", "two_star", ["accident", "accidents"]),
    # forces first, then caps: a cap above the forced grade does nothing
    ({"points": "95", "major_accidents": 1, "violations": 1}, "five_star", "three_star", ["discipline", "accident"]),
    # ... and a cap below it has the last word
    (
        {"points": "95", "major_accidents": 1, "survey_satisfaction": "0.3"},
        "five_star",
        "two_star",
        ["survey_low", "accident"],
    ),
    (
        {"points": "10", "major_accidents": 2, "survey_satisfaction": "0.3", "violations": 3},
        "one_star",
        "two_star",
        ["survey_low", "discipline", "accident", "accidents"],
    ),
    # assign, then veto: the cap applies to an assigned grade
    ({"points": "50", "honors": ["先进基层党组织"], "violations": 1}, "one_star", "four_star", ["discipline"]),
    ({"points": "50", "honors": ["先进基层党组织"], "major_accidents": 1}, "one_star", "three_star", ["accident"]),
]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(("record", "by_rules", "after", "fired"), VETO_CASES)
def test_vetoes(backend: str, record: dict[str, Any], by_rules: str, after: str, fired: list[str]) -> None:
    result = grade(record, backend)
    assert result.grade_by_rules == by_rules
    assert result.grade_after_veto == result.grade == after
    assert sorted(result.vetoes) == sorted(fired)
    assert result.total == D(record["points"]).quantize(D("0.01"))


@pytest.mark.parametrize("backend", BACKENDS)
def test_veto_steps_carry_their_reason(backend: str) -> None:
    result = grade({"points": "95", "violations": 1}, backend)
    vetoes = [s for s in result.steps if s.step == "veto"]
    assert [(s.before, s.after) for s in vetoes] == [("five_star", "four_star")]
    assert vetoes[0].reason == "违纪问题"
    result = grade({"points": "95", "major_accidents": 1}, backend)
    vetoes = [s for s in result.steps if s.step == "veto"]
    assert vetoes and vetoes[-1].after == "three_star" and "较大安全生产事故" in vetoes[-1].reason
    # a cap that changes nothing is not a step
    result = grade({"points": "50", "violations": 1}, backend)
    assert [s.step for s in result.steps] == ["rules"]


# ---------------------------------------------------------------- rounding


def rounding(points: str, assessed: str, backend: str = "compiled") -> Any:
    rs = ruleset("rounding", backend)
    result = rs.evaluate({"id": "R1", "points": points}, sheets={"table": {"assessed": assessed}})
    assert result.errors == [], result.errors
    return result


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_exact_total_of_89_995_is_reported_and_graded_as_90(backend: str) -> None:
    # 30 + 59.995 = 89.995 exactly -> half-up at 2 places -> 90.00; grades compare the rounded value
    result = rounding("30", "59.995", backend)
    assert result.sources["table"]["indicators"]["assessed"] == D("60.00")  # 59.995 reported rounded
    assert result.sources["table"]["dimensions"]["a"] == D("90.00")
    assert result.total == D("90.00")
    assert result.model_dump(mode="json")["total"] == "90.00"
    assert result.grade == "advanced"


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    ("assessed", "shown"),
    [
        ("59.985", "89.99"),  # half-up; half-even would give 89.98
        ("59.965", "89.97"),  # half-even would give 89.96
        ("59.975", "89.98"),
        ("59.9849", "89.98"),
    ],
)
def test_grading_reads_the_value_shown(backend: str, assessed: str, shown: str) -> None:
    result = rounding("30", assessed, backend)
    assert result.total == D(shown)
    assert result.outcomes == {"shown": D(shown), "shown_dimension": D(shown)}
    batch = ruleset("rounding", backend).evaluate_many(
        [{"id": "R1", "points": "30"}], sheets={"R1": {"table": {"assessed": assessed}}}
    )
    assert batch.results[0].total == D(shown) and batch.results[0].outcomes["shown"] == D(shown)


@pytest.mark.parametrize("backend", BACKENDS)
def test_just_below_the_half_rounds_down(backend: str) -> None:
    result = rounding("30", "59.9949", backend)  # 89.9949 -> 89.99
    assert result.total == D("89.99")
    assert result.grade == "standard"


@pytest.mark.parametrize("backend", BACKENDS)
def test_judged_decimals_are_used_exactly_before_rounding(backend: str) -> None:
    # 0.004 + 0.004 would be 0.00 + 0.00 if each part were rounded first; exactly it is 0.008 -> 0.01
    result = rounding("0.004", "0.004", backend)
    assert result.sources["table"]["indicators"]["computed"] == D("0.00")
    assert result.sources["table"]["indicators"]["assessed"] == D("0.00")
    assert result.total == D("0.01")


def test_thirty_tenth_deductions_are_exactly_seven(tmp_path: Path) -> None:
    # thirty separate `deduct 0.1` clauses and one `deduct 0.1 per 30` from 10: binary floats would leave
    # 7.000000000000002 or 6.999999999999999; the exact figures are 7 and the total exactly 14
    clauses = "\n".join(f"    deduct 0.1 when len(meetings) >= {k}" for k in range(1, 31))
    text = f"""import "{SCHEMA.name}"
ruleset tenths "细项" version "t1"
record Unit
period 2023-01-01 to 2023-12-31
total 20
precision 6
dimension a "甲" max 20 {{
  indicator many "三十项" max 10 {{
{clauses}
  }}
  indicator per "按次" max 10 {{ deduct 0.1 per len(meetings) }}
}}
grades {{
  exact "恰好" when many == 7 and per == 7 and total == 14
  other "其他" otherwise
}}
"""
    path = project_with(tmp_path, SCHEMA) / "tenths.ind"
    path.write_text(text, encoding="utf-8")
    record = {"id": "T", "meetings": [{"kind": "支委会", "held_on": "2023-05-01"}] * 30}
    for backend in BACKENDS:
        rs = indicator_dsl.load(path, backend=backend)
        assert isinstance(rs, indicator_dsl.Ruleset)
        result = rs.evaluate(record)
        assert result.errors == []
        data = result.model_dump(mode="json")
        assert data["sources"]["table"]["indicators"] == {"many": "7.000000", "per": "7.000000"}
        assert data["total"] == "14.000000"
        assert result.grade == "exact"
        # the unrounded figures, before anything is shown
        pending = rs.engine.score(record)
        assert pending.scored is not None
        assert pending.scored.total == 14 and str(pending.scored.total).rstrip("0").rstrip(".") == "14"
        assert pending.scored.tables["table"].indicators == [7, 7]


# ---------------------------------------------------------------- quotas


QUOTA_TEMPLATE = """import "{schema}"
ruleset quotas "配额" version "t1"
record Unit
period 2023-01-01 to 2023-12-31
total 100
precision 2
assign model "直接定级:获评先进基层党组织" when "先进基层党组织" in honors grade advanced
veto accident "较大安全生产事故" when major_accidents > 0 force standard
exempt "新建支部" when days_between(founded_on, period.end) < 365
dimension a "甲" max 100 {{
  indicator p "分值" max 100 {{ score points }}
}}
grades {{
  advanced "先进" when total >= 90
  standard "达标" when total >= 70
  lagging "后进" otherwise
}}
{quotas}
"""


_QUOTA_CACHE: dict[tuple[str, str], indicator_dsl.Ruleset] = {}


def quota_ruleset(
    tmp_path_factory: pytest.TempPathFactory, quotas: str, backend: str = "compiled"
) -> indicator_dsl.Ruleset:
    key = (quotas, backend)
    if key not in _QUOTA_CACHE:
        path = project_with(tmp_path_factory.mktemp("quota"), SCHEMA) / "quotas.ind"
        path.write_text(QUOTA_TEMPLATE.format(schema=SCHEMA.name, quotas=quotas), encoding="utf-8")
        rs = indicator_dsl.load(path, backend=backend)
        assert isinstance(rs, indicator_dsl.Ruleset)
        _QUOTA_CACHE[key] = rs
    return _QUOTA_CACHE[key]


def unit(uid: str, points: str, **fields: Any) -> dict[str, Any]:
    return {"id": uid, "points": points, **fields}


def grades_of(batch: Any) -> dict[str, str | None]:
    return {r.id: r.grade for r in batch.results}


def filler(count: int, points: str = "75", **fields: Any) -> list[dict[str, Any]]:
    return [unit(f"S{i:02d}", points, **fields) for i in range(count)]


@pytest.mark.parametrize("backend", BACKENDS)
def test_at_most_ties_demote(tmp_path_factory: pytest.TempPathFactory, backend: str) -> None:
    rs = quota_ruleset(tmp_path_factory, "quota advanced at most 20% ties demote", backend)
    # n = 10 graded, k = floor(10 * 20%) = 2; advanced totals 98 > 95 > 93 = 93 > 91
    # t_k = t_2 = 93: demote keeps the totals > 93 -> A1, A2; the two 93s and 91 move down one grade
    records = [unit("A1", "98"), unit("A2", "95"), unit("A3", "93"), unit("A4", "93"), unit("A5", "91"), *filler(5)]
    batch = rs.evaluate_many(records)
    got = grades_of(batch)
    assert [got[i] for i in ("A1", "A2", "A3", "A4", "A5")] == [
        "advanced",
        "advanced",
        "standard",
        "standard",
        "standard",
    ]
    assert all(got[f"S{i:02d}"] == "standard" for i in range(5))
    moved = next(r for r in batch.results if r.id == "A3")
    assert moved.grade_by_rules == moved.grade_after_veto == "advanced"
    quota_steps = [s for s in moved.steps if s.step == "quota"]
    assert [(s.before, s.after) for s in quota_steps] == [("advanced", "standard")]
    assert "advanced" in quota_steps[0].reason and "20" in quota_steps[0].reason
    assert moved.outcomes == {}  # no outcomes declared; the grade is final
    # results come back in input order
    assert [r.id for r in batch.results] == [r["id"] for r in records]


@pytest.mark.parametrize("backend", BACKENDS)
def test_at_most_ties_at_the_line_demote_leaves_fewer_than_the_share(
    tmp_path_factory: pytest.TempPathFactory, backend: str
) -> None:
    rs = quota_ruleset(tmp_path_factory, "quota advanced at most 20% ties demote", backend)
    # k = 2; totals 98, 93, 93, 91: t_2 = 93 -> only 98 is > 93: one keeps the grade
    records = [unit("A1", "98"), unit("A2", "93"), unit("A3", "93"), unit("A4", "91"), *filler(6)]
    got = grades_of(rs.evaluate_many(records))
    assert [got[i] for i in ("A1", "A2", "A3", "A4")] == ["advanced", "standard", "standard", "standard"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_at_most_ties_at_the_line_admit_leaves_more_than_the_share(
    tmp_path_factory: pytest.TempPathFactory, backend: str
) -> None:
    rs = quota_ruleset(tmp_path_factory, "quota advanced at most 20% ties admit", backend)
    # k = 2; totals 98, 93, 93, 91: t_(k-1) = t_1 = 93 -> 98, 93, 93 keep the grade (three, above the share)
    records = [unit("A1", "98"), unit("A2", "93"), unit("A3", "93"), unit("A4", "91"), *filler(6)]
    got = grades_of(rs.evaluate_many(records))
    assert [got[i] for i in ("A1", "A2", "A3", "A4")] == ["advanced", "advanced", "advanced", "standard"]


@pytest.mark.parametrize("ties", ["demote", "admit"])
def test_at_most_with_k_zero_moves_every_holder(tmp_path_factory: pytest.TempPathFactory, ties: str) -> None:
    rs = quota_ruleset(tmp_path_factory, f"quota advanced at most 20% ties {ties}")
    # n = 4: k = floor(0.8) = 0 -> nobody keeps advanced
    records = [unit("A1", "99"), unit("A2", "95"), *filler(2)]
    assert set(grades_of(rs.evaluate_many(records)).values()) == {"standard"}


def test_at_most_under_the_share_moves_nobody(tmp_path_factory: pytest.TempPathFactory) -> None:
    rs = quota_ruleset(tmp_path_factory, "quota advanced at most 20% ties demote")
    # n = 10, k = 2, two hold it
    records = [unit("A1", "99"), unit("A2", "95"), *filler(8)]
    batch = rs.evaluate_many(records)
    got = grades_of(batch)
    assert got["A1"] == got["A2"] == "advanced"
    assert not any(s.step == "quota" for r in batch.results for s in r.steps)


def test_quotas_compare_rounded_totals(tmp_path_factory: pytest.TempPathFactory) -> None:
    rs = quota_ruleset(tmp_path_factory, "quota advanced at most 20% ties demote")
    # 93.004 and 93.001 are both shown as 93.00: a tie at the line t_2 -> both demoted
    records = [unit("A1", "98"), unit("A2", "97"), unit("A3", "93.004"), unit("A4", "93.001"), *filler(6)]
    got = grades_of(rs.evaluate_many(records))
    assert [got[i] for i in ("A1", "A2", "A3", "A4")] == ["advanced", "advanced", "standard", "standard"]
    rs = quota_ruleset(tmp_path_factory, "quota advanced at most 20% ties admit")
    records = [unit("A1", "98"), unit("A2", "93.004"), unit("A3", "93.001"), unit("A4", "92"), *filler(6)]
    got = grades_of(rs.evaluate_many(records))
    assert [got[i] for i in ("A1", "A2", "A3", "A4")] == ["advanced", "advanced", "advanced", "standard"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_quota_within_groups(tmp_path_factory: pytest.TempPathFactory, backend: str) -> None:
    rs = quota_ruleset(tmp_path_factory, "quota advanced at most 20% within department ties demote", backend)
    # 甲: n = 5, k = 1: 96 keeps, 92 moves; 乙: n = 10, k = 2: 91, 90 keep; 丙: n = 4, k = 0: 99 moves
    records = (
        [unit("J1", "92", department="甲"), unit("J2", "96", department="甲")]
        + [unit(f"J{i}", "75", department="甲") for i in range(3, 6)]
        + [unit("Y1", "91", department="乙"), unit("Y2", "90", department="乙")]
        + [unit(f"Y{i}", "60", department="乙") for i in range(3, 11)]
        + [unit("B1", "99", department="丙")]
        + [unit(f"B{i}", "80", department="丙") for i in range(2, 5)]
    )
    got = grades_of(rs.evaluate_many(records))
    assert (got["J1"], got["J2"]) == ("standard", "advanced")
    assert (got["Y1"], got["Y2"]) == ("advanced", "advanced")
    assert got["B1"] == "standard"
    assert got["Y3"] == "lagging"


def test_exempt_and_failed_records_are_not_counted(tmp_path_factory: pytest.TempPathFactory) -> None:
    rs = quota_ruleset(tmp_path_factory, "quota advanced at most 20% ties demote")
    # 5 graded (n = 5, k = 1) + 4 exempt + 2 failed: only 99 keeps advanced
    records = (
        [unit("A1", "99"), unit("A2", "95")]
        + filler(3)
        + [unit(f"E{i}", "50", founded_on="2023-06-01") for i in range(4)]
        + [unit("F1", "abc"), {"id": "F2", "points": "NaN"}]
    )
    batch = rs.evaluate_many(records)
    got = grades_of(batch)
    assert (got["A1"], got["A2"]) == ("advanced", "standard")
    assert all(got[f"E{i}"] is None for i in range(4))
    assert [r.id for r in batch.failed] == ["F1", "F2"]
    # with the exempt ones counted, n would be 9 and k 1 as well; make the difference visible:
    # 10 graded -> k = 2 -> both keep
    batch = rs.evaluate_many([unit("A1", "99"), unit("A2", "95"), *filler(8)])
    assert grades_of(batch)["A2"] == "advanced"


@pytest.mark.parametrize("backend", BACKENDS)
def test_assigned_and_forced_records_count_but_are_never_moved(
    tmp_path_factory: pytest.TempPathFactory, backend: str
) -> None:
    rs = quota_ruleset(tmp_path_factory, "quota advanced at most 20% ties demote", backend)
    # n = 10, k = 2. M1 is assigned advanced with total 50 (the lowest holder): it stays advanced.
    # holders by total: 98, 96, 94, 50(M1) -> t_2 = 94 -> 98, 96 keep; 94 moves; M1 is pinned
    records = [unit("A1", "98"), unit("A2", "96"), unit("A3", "94"), unit("M1", "50", honors=["先进基层党组织"])]
    records += filler(6)
    got = grades_of(rs.evaluate_many(records))
    assert (got["A1"], got["A2"], got["A3"], got["M1"]) == ("advanced", "advanced", "standard", "advanced")


@pytest.mark.parametrize("backend", BACKENDS)
def test_at_least_moves_the_lowest_of_the_grades_above_down(
    tmp_path_factory: pytest.TempPathFactory, backend: str
) -> None:
    rs = quota_ruleset(tmp_path_factory, "quota lagging at least 15% ties demote", backend)
    # n = 10, k = ceil(1.5) = 2, nobody is lagging: the two lowest of advanced/standard move down
    records = [unit("L1", "71"), unit("L2", "72.5"), unit("L3", "73"), unit("A1", "95")]
    records += [unit(f"S{i}", "80") for i in range(6)]
    batch = rs.evaluate_many(records)
    got = grades_of(batch)
    assert (got["L1"], got["L2"], got["L3"], got["A1"]) == ("lagging", "lagging", "standard", "advanced")
    moved = next(r for r in batch.results if r.id == "L1")
    assert [(s.step, s.before, s.after) for s in moved.steps][-1] == ("quota", "standard", "lagging")


@pytest.mark.parametrize(
    ("ties", "expected"),
    [
        # need 2; candidates 71, 74, 74, ...: the line is 74; demote moves every record <= 74 (three),
        # admit moves only those below it (one)
        ("demote", ("lagging", "lagging", "lagging")),
        ("admit", ("lagging", "standard", "standard")),
    ],
)
def test_at_least_ties_at_the_line(
    tmp_path_factory: pytest.TempPathFactory, ties: str, expected: tuple[str, str, str]
) -> None:
    rs = quota_ruleset(tmp_path_factory, f"quota lagging at least 20% ties {ties}")
    records = [unit("L1", "71"), unit("L2", "74"), unit("L3", "74")] + [unit(f"S{i}", "85") for i in range(7)]
    got = grades_of(rs.evaluate_many(records))
    assert (got["L1"], got["L2"], got["L3"]) == expected


def test_at_least_already_met_moves_nobody(tmp_path_factory: pytest.TempPathFactory) -> None:
    rs = quota_ruleset(tmp_path_factory, "quota lagging at least 20% ties demote")
    records = [unit("L1", "50"), unit("L2", "60")] + [unit(f"S{i}", "85") for i in range(8)]
    got = grades_of(rs.evaluate_many(records))
    assert (got["L1"], got["L2"]) == ("lagging", "lagging")
    assert sum(1 for g in got.values() if g == "lagging") == 2


def test_at_least_never_moves_pinned_records(tmp_path_factory: pytest.TempPathFactory) -> None:
    rs = quota_ruleset(tmp_path_factory, "quota lagging at least 10% ties demote")
    # k = 1. F1 is forced to standard with total 40 (the lowest): it is never moved; the next lowest is
    records = [unit("F1", "40", major_accidents=1), unit("L1", "72")] + [unit(f"S{i}", "85") for i in range(8)]
    got = grades_of(rs.evaluate_many(records))
    assert (got["F1"], got["L1"]) == ("standard", "lagging")


def test_quota_where_limits_the_scope(tmp_path_factory: pytest.TempPathFactory) -> None:
    rs = quota_ruleset(tmp_path_factory, 'quota advanced at most 20% where category != "离退休干部" ties demote')
    # in scope: 5 records (n = 5, k = 1): 97 keeps, 93 moves; the 离退休干部 records are neither counted nor moved
    records = [unit("A1", "97"), unit("A2", "93"), *filler(3)]
    records += [unit(f"R{i}", "96", category="离退休干部") for i in range(5)]
    got = grades_of(rs.evaluate_many(records))
    assert (got["A1"], got["A2"]) == ("advanced", "standard")
    assert all(got[f"R{i}"] == "advanced" for i in range(5))


def test_quota_where_reads_grading_values(tmp_path_factory: pytest.TempPathFactory) -> None:
    rs = quota_ruleset(tmp_path_factory, "quota advanced at most 50% where total >= 90 ties demote")
    # scope: the four records with total >= 90: n = 4, k = 2 -> 99, 97 keep; 95, 91 move
    records = [unit("A1", "99"), unit("A2", "97"), unit("A3", "95"), unit("A4", "91"), *filler(4)]
    got = grades_of(rs.evaluate_many(records))
    assert [got[i] for i in ("A1", "A2", "A3", "A4")] == ["advanced", "advanced", "standard", "standard"]


def test_two_quotas_apply_in_order(tmp_path_factory: pytest.TempPathFactory) -> None:
    lines = "quota advanced at most 10% ties demote\nquota lagging at least 10% ties demote"
    rs = quota_ruleset(tmp_path_factory, lines)
    # n = 10: advanced k = 1 -> 98 keeps, 94 moves to standard; lagging k = 1 -> the lowest (74) moves down
    records = [unit("A1", "98"), unit("A2", "94"), unit("L1", "74")] + [unit(f"S{i}", "85") for i in range(7)]
    got = grades_of(rs.evaluate_many(records))
    assert (got["A1"], got["A2"], got["L1"]) == ("advanced", "standard", "lagging")


def test_a_single_evaluate_applies_no_quota(tmp_path_factory: pytest.TempPathFactory) -> None:
    rs = quota_ruleset(tmp_path_factory, "quota advanced at most 20% ties demote")
    assert rs.evaluate(unit("A1", "99")).grade == "advanced"


# ---------------------------------------------------------------- quota sizes, n = 1..10 (issue 10)

# k for n = 1..10, worked out by hand: at most floor(n × share), at least ceil(n × share)
QUOTA_SIZES = {
    ("at most", "10%"): [0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
    ("at most", "25%"): [0, 0, 0, 1, 1, 1, 1, 2, 2, 2],
    ("at most", "40%"): [0, 0, 1, 1, 2, 2, 2, 3, 3, 4],
    ("at most", "50%"): [0, 1, 1, 2, 2, 3, 3, 4, 4, 5],
    ("at most", "75%"): [0, 1, 2, 3, 3, 4, 5, 6, 6, 7],
    ("at least", "10%"): [1, 1, 1, 1, 1, 1, 1, 1, 1, 1],
    ("at least", "25%"): [1, 1, 1, 1, 2, 2, 2, 2, 3, 3],
    ("at least", "40%"): [1, 1, 2, 2, 2, 3, 3, 4, 4, 4],
    ("at least", "50%"): [1, 1, 2, 2, 3, 3, 4, 4, 5, 5],
    ("at least", "75%"): [1, 2, 3, 3, 4, 5, 6, 6, 7, 8],
}


def grades_in_order(rs: indicator_dsl.Ruleset, totals: list[str]) -> list[str | None]:
    batch = rs.evaluate_many([unit(f"R{i}", t) for i, t in enumerate(totals)])
    assert batch.failed == []
    return [r.grade for r in batch.results]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("ties", ["demote", "admit"])
@pytest.mark.parametrize(("direction", "share"), sorted(QUOTA_SIZES))
def test_quota_sizes_for_small_populations(
    tmp_path_factory: pytest.TempPathFactory, backend: str, ties: str, direction: str, share: str
) -> None:
    # at most: n advanced with distinct totals, highest first -> the k highest keep it;
    # at least: n standard with distinct totals, lowest first -> the k lowest move down to lagging
    grade, start, step = ("advanced", 99, -1) if direction == "at most" else ("lagging", 70, 1)
    rs = quota_ruleset(tmp_path_factory, f"quota {grade} {direction} {share} ties {ties}", backend)
    for n, k in enumerate(QUOTA_SIZES[(direction, share)], start=1):
        totals = [str(start + step * i) for i in range(n)]
        assert grades_in_order(rs, totals) == [grade] * k + ["standard"] * (n - k), (share, n)


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_issue_population_n7_at_least_40_percent(tmp_path_factory: pytest.TempPathFactory, backend: str) -> None:
    rs = quota_ruleset(tmp_path_factory, "quota lagging at least 40% ties admit", backend)
    # n = 7, k = ceil(2.8) = 3; one already lagging (60), so the two lowest of the rest move (the
    # engine moved one: the last to move was treated as tied with itself); 95 is advanced and stays
    got = grades_in_order(rs, ["60", "71", "72", "73", "80", "85", "95"])
    assert got == ["lagging", "lagging", "lagging", "standard", "standard", "standard", "advanced"]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    ("ties", "expected"),
    [
        # n = 6, k = ceil(1.8) = 2; candidates 71, 72, 72, 80, ...: the 2nd and 3rd lowest tie across
        # the line: demote moves both 72s too (3 lagging), admit leaves both (1 lagging)
        ("demote", ["lagging", "lagging", "lagging", "standard", "standard", "standard"]),
        ("admit", ["lagging", "standard", "standard", "standard", "standard", "standard"]),
    ],
)
def test_at_least_ties_across_the_line(
    tmp_path_factory: pytest.TempPathFactory, backend: str, ties: str, expected: list[str]
) -> None:
    rs = quota_ruleset(tmp_path_factory, f"quota lagging at least 30% ties {ties}", backend)
    assert grades_in_order(rs, ["71", "72", "72", "80", "81", "82"]) == expected


# ---------------------------------------------------------------- determinism for any input order


POPULATION = [
    unit(f"D{i:02d}", p, department=dep)
    for i, (p, dep) in enumerate(
        [
            ("98", "甲"),
            ("93", "甲"),
            ("93", "甲"),
            ("91", "甲"),
            ("75", "甲"),
            ("60", "甲"),
            ("72", "甲"),
            ("95", "乙"),
            ("95", "乙"),
            ("90", "乙"),
            ("71", "乙"),
            ("71", "乙"),
            ("85", "乙"),
            ("99", "丙"),
            ("70", "丙"),
            ("70.004", "丙"),
            ("69.996", "丙"),
        ]
    )
] + [
    unit("M1", "55", department="甲", honors=["先进基层党组织"]),
    unit("F1", "99", department="乙", major_accidents=1),
    unit("E1", "99", department="丙", founded_on="2023-09-01"),
    {"id": "X1", "points": "Infinity"},
]
QUOTA_LINES = (
    "quota advanced at most 25% within department ties demote\nquota lagging at least 20% within department ties admit"
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.randoms(use_true_random=False))
def test_quotas_are_deterministic_for_any_input_order(
    tmp_path_factory: pytest.TempPathFactory, rng: random.Random
) -> None:
    rs = quota_ruleset(tmp_path_factory, QUOTA_LINES)
    reference = final_grades(rs, POPULATION)
    shuffled = list(POPULATION)
    rng.shuffle(shuffled)
    batch = rs.evaluate_many(shuffled)
    assert [r.id for r in batch.results] == [r["id"] for r in shuffled]
    assert {r.id: (r.grade, r.total, [s.step for s in r.steps]) for r in batch.results} == reference


def final_grades(rs: indicator_dsl.Ruleset, records: Sequence[dict[str, Any]]) -> dict[str, Any]:
    return {r.id: (r.grade, r.total, [s.step for s in r.steps]) for r in rs.evaluate_many(records).results}


def test_the_deterministic_population_by_hand(tmp_path_factory: pytest.TempPathFactory) -> None:
    rs = quota_ruleset(tmp_path_factory, QUOTA_LINES)
    got = {r.id: r.grade for r in rs.evaluate_many(POPULATION).results}
    # 甲: n = 8 (M1 assigned counts), advanced k = floor(2) = 2: holders 98, 93, 93, 91, 55(M1);
    #     t_2 = 93 -> 98 keeps; 93, 93, 91 -> standard; M1 pinned. lagging k = ceil(1.6) = 2:
    #     holding: 60 -> 1; need 1: candidates (not pinned) from advanced/standard ascending: 72, 75, 91, 93, ...
    #     72 moves (it is not tied with 75, the first to stay)
    assert (got["D00"], got["D01"], got["D02"], got["D03"]) == ("advanced", "standard", "standard", "standard")
    assert (got["D04"], got["D05"], got["D06"], got["M1"]) == ("standard", "lagging", "lagging", "advanced")
    # 乙: n = 7 (F1 forced to standard counts), advanced k = 1: 95, 95, 90 -> t_1 = 95 -> nobody > 95 keeps
    #     lagging k = ceil(1.4) = 2, holding 0: candidates 71, 71, 85, 90, 95, 95: both 71s move (85 stays)
    assert (got["D07"], got["D08"], got["D09"]) == ("standard", "standard", "standard")
    assert (got["D10"], got["D11"], got["D12"], got["F1"]) == ("lagging", "lagging", "standard", "standard")
    # 丙: n = 4 (E1 exempt), advanced k = 1: 99 keeps. lagging k = ceil(0.8) = 1, holding: 69.996 shown 70.00
    #     is graded standard (rounded total >= 70); candidates 70.00, 70.00, 70.00 (all shown 70.00): the
    #     lowest is tied with the next across the line -> admit: all three stay
    assert (got["D13"], got["D14"], got["D15"], got["D16"]) == ("advanced", "standard", "standard", "standard")
    assert got["E1"] is None and got["X1"] is None


@pytest.mark.parametrize(
    ("quota", "expected"),
    [
        # n = 100: k = floor(100 * 29%) = 29 exactly (binary floats give 28.999999999999996 -> 28)
        ("quota advanced at most 29% ties demote", ("advanced", 29)),
        # k = ceil(100 * 7%) = 7 exactly (binary floats give 7.000000000000001 -> 8)
        ("quota lagging at least 7% ties demote", ("lagging", 7)),
    ],
)
def test_quota_shares_are_exact(
    tmp_path_factory: pytest.TempPathFactory, quota: str, expected: tuple[str, int]
) -> None:
    rs = quota_ruleset(tmp_path_factory, quota)
    # 40 advanced with distinct totals 90.00 .. 99.75, 60 standard with distinct totals 70.00 .. 84.75
    records = [unit(f"A{i:02d}", str(D(90) + D(i) / 4)) for i in range(40)]
    records += [unit(f"S{i:02d}", str(D(70) + D(i) / 4)) for i in range(60)]
    batch = rs.evaluate_many(records)
    grade, count = expected
    assert sum(1 for r in batch.results if r.grade == grade) == count
