"""Each rule shape of spec 6.1 and the precise readings of 6.2, with exact expected figures.

The rulesets are in tests/eval_fixtures/rulesets (schema: tests/eval_fixtures/schema/unit.ind).
Every expected figure is worked out by hand in the comment beside it.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from support import eval_ruleset

FIXTURES = Path(__file__).resolve().parent / "eval_fixtures"
RULESETS = FIXTURES / "rulesets"
D = Decimal
BACKENDS = ["compiled", "interpreted"]


ruleset = eval_ruleset


def evaluate(name: str, record: dict[str, Any], backend: str = "compiled", **kwargs: Any) -> Any:
    result = ruleset(name, backend).evaluate({"id": "U1", **record}, **kwargs)
    return result


def scored(name: str, record: dict[str, Any], backend: str = "compiled", **kwargs: Any) -> Any:
    result = evaluate(name, record, backend, **kwargs)
    assert result.errors == [], result.errors
    return result


def indicator(result: Any, name: str, source: str = "table") -> Decimal | None:
    value: Decimal | None = result.sources[source]["indicators"][name]
    return value


def meetings(kind: str, *dates: str) -> list[dict[str, Any]]:
    return [{"kind": kind, "held_on": d} for d in dates]


def line_of(path: Path, fragment: str) -> int:
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if fragment in text:
            return number
    raise AssertionError(f"{fragment!r} not in {path}")


# ---------------------------------------------------------------- bands


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(("rating", "points"), [("好", "3.00"), ("较好", "2.00"), ("一般", "1.00"), ("差", "0.00")])
def test_ordinal_bands_over_an_enum(backend: str, rating: str, points: str) -> None:
    result = scored("shapes", {"secretary_rating": rating}, backend)
    assert indicator(result, "secretary_role") == D(points)


FREQUENCY_CASES = [
    # 支部党员大会 in all four quarters of the period -> first band
    (meetings("支部党员大会", "2023-01-10", "2023-04-10", "2023-07-10", "2023-10-10"), "5.00"),
    # three quarters in the period and one in 2022: quarters_with counts the period only -> 3 < 4;
    # count(... in_period) = 3 >= 2 -> second band
    (meetings("支部党员大会", "2022-12-10", "2023-01-10", "2023-04-10", "2023-07-10"), "2.00"),
    # two in the same quarter: one quarter; two in the period -> 2
    (meetings("支部党员大会", "2023-01-10", "2023-02-10"), "2.00"),
    # one in the period, one outside: in_period count 1 < 2; any(...) without in_period -> 1
    (meetings("支部党员大会", "2023-05-10", "2024-01-10"), "1.00"),
    # only outside the period: any() does not filter by period -> 1
    (meetings("支部党员大会", "2022-05-10"), "1.00"),
    # other kinds only -> else
    (meetings("支委会", "2023-01-10", "2023-04-10", "2023-07-10", "2023-10-10"), "0.00"),
    ([], "0.00"),
]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(("items", "points"), FREQUENCY_CASES)
def test_condition_bands_first_true_condition_wins(backend: str, items: list[dict[str, Any]], points: str) -> None:
    assert indicator(scored("shapes", {"meetings": items}, backend), "frequency") == D(points)


# ---------------------------------------------------------------- award per ... up to


def activities(reported: int, unreported: int = 0) -> list[dict[str, Any]]:
    return [{"name": f"r{i}", "reported": True} for i in range(reported)] + [
        {"name": f"u{i}", "reported": False} for i in range(unreported)
    ]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    ("reported", "practice", "credit"),
    [
        (0, "0.00", "0.00"),
        (1, "5.00", "3.00"),  # 5 * 1; 3 * 1
        (2, "10.00", "6.00"),  # 5 * 2; 3 * 2
        (3, "15.00", "8.00"),  # 5 * 3; min(3 * 3, 8) = 8: `up to 8` caps below the max 10
        (4, "20.00", "8.00"),  # min(5 * 4, 20); min(12, 8)
        (7, "20.00", "8.00"),  # min(35, 20); min(21, 8)
    ],
)
def test_award_per_event_up_to_a_cap(backend: str, reported: int, practice: str, credit: str) -> None:
    result = scored("shapes", {"activities": activities(reported, unreported=3)}, backend)
    assert indicator(result, "practice") == D(practice)
    assert indicator(result, "credit") == D(credit)


# ---------------------------------------------------------------- stepped shortfall with ceil


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    ("attendance", "points"),
    [
        ("1", "4.00"),  # ceil((0.9 - 1) / 0.1) = ceil(-1) = -1 -> max(-1, 0) = 0 -> nothing deducted
        ("0.95", "4.00"),  # ceil(-0.5) = 0
        ("0.90", "4.00"),  # ceil(0) = 0
        ("0.89", "3.00"),  # ceil(0.1) = 1
        ("0.80", "3.00"),  # ceil(1) = 1 (exact: no 1.0000000001 from binary floats)
        ("0.79", "2.00"),  # ceil(1.1) = 2
        ("0.6", "1.00"),  # ceil(3) = 3
        ("0.55", "0.00"),  # ceil(3.5) = 4 -> 0
        ("0.2", "0.00"),  # ceil(7) = 7 -> 4 - 7 = -3 -> clamped to 0
    ],
)
def test_stepped_shortfall_with_ceil(backend: str, attendance: str, points: str) -> None:
    assert indicator(scored("shapes", {"lesson_attendance": attendance}, backend), "attendance") == D(points)


# ---------------------------------------------------------------- checklist


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    ("systems", "points"),
    [
        (["组织生活", "学习", "议事规则", "谈心谈话", "党务公开"], "7.00"),  # nothing missing
        (["党务公开", "学习", "组织生活", "其他制度"], "5.00"),  # 议事规则, 谈心谈话 missing -> 7 - 2
        (["学习"], "3.00"),  # four missing
        ([], "2.00"),  # five missing -> 7 - 5
        (["学习 "], "2.00"),  # not an exact member
    ],
)
def test_checklist_deduct_per_missing_item(backend: str, systems: list[str], points: str) -> None:
    assert indicator(scored("shapes", {"systems": systems}, backend), "systems") == D(points)


# ---------------------------------------------------------------- clamps and negative per


@pytest.mark.parametrize("backend", BACKENDS)
def test_clamp_to_zero_with_a_trace_note(backend: str) -> None:
    # max 4, two deductions of 3 -> -2 -> 0 (扣完为止)
    result = scored("shapes", {"violations": 2}, backend, trace=True)
    assert indicator(result, "discipline") == D("0.00")
    assert scored("shapes", {"violations": 1}, backend).sources["table"]["indicators"]["discipline"] == D("1.00")
    if backend == "compiled":
        clamps = [t for t in result.trace if t.indicator == "discipline" and t.kind == "clamp"]
        assert len(clamps) == 1
        assert clamps[0].fired and clamps[0].effect == 0 and "0" in (clamps[0].note or "")
        fired = [t.effect for t in result.trace if t.indicator == "discipline" and t.kind == "deduct"]
        assert fired == [D(-3), D(-3)]


@pytest.mark.parametrize("backend", BACKENDS)
def test_clamp_to_max_with_a_trace_note(backend: str) -> None:
    # max 5: 3 + 4 = 7 -> 5
    result = scored("shapes", {"honors": ["优秀", "先进"]}, backend, trace=True)
    assert indicator(result, "honours") == D("5.00")
    assert indicator(scored("shapes", {"honors": ["先进"]}, backend), "honours") == D("4.00")
    if backend == "compiled":
        clamps = [t for t in result.trace if t.indicator == "honours" and t.kind == "clamp"]
        assert len(clamps) == 1 and clamps[0].effect == 5 and clamps[0].note


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    ("e", "points"),
    [
        ("-3", "5.00"),  # deduct 2 per -3: 2 * max(-3, 0) = 0, never an award
        ("0", "5.00"),
        ("1", "3.00"),
        ("1.5", "2.00"),  # 5 - 3
        ("2", "1.00"),
        ("9", "0.00"),  # 5 - 18 -> 0
    ],
)
def test_deduct_per_with_negative_or_fractional_count(backend: str, e: str, points: str) -> None:
    assert indicator(scored("shapes", {"e": e}, backend), "repeats") == D(points)


@pytest.mark.parametrize("backend", BACKENDS)
def test_many_tenth_deductions_are_exact(backend: str) -> None:
    items = [{"kind": "主题党日", "held_on": f"2023-{1 + i % 12:02d}-{1 + i // 12:02d}"} for i in range(30)]
    result = scored("shapes", {"meetings": items}, backend)
    assert indicator(result, "tenths") == D("7.00")  # 10 - 0.1 * 30


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(("count", "points"), [(0, "10.00"), (1, "8.00"), (3, "4.00"), (4, "4.00"), (9, "4.00")])
def test_deduct_per_up_to_a_cap(backend: str, count: int, points: str) -> None:
    # deduct 2 per count up to 6 (max 10): 10 - min(2 * count, 6)
    items = meetings("支委会", *[f"2023-{m + 1:02d}-01" for m in range(count)])
    assert indicator(scored("shapes", {"meetings": items}, backend), "capped_deduct") == D(points)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    ("department", "points"), [("机关", "2.00"), ("基层", "1.00"), ("基层单位", "0.00"), ("", "0.00")]
)
def test_bands_over_text_compare_by_equality(backend: str, department: str, points: str) -> None:
    assert indicator(scored("shapes", {"department": department}, backend), "unit_level") == D(points)


# ---------------------------------------------------------------- formulas


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    ("extra", "points", "rounded"),
    [
        ("-7.5", "0.00", -8),  # round half away from zero: -8; 5 - 8 -> clamped to 0
        ("-6.5", "0.00", -7),  # half-even would give -6
        ("-2.5", "2.00", -3),  # 5 - 3
        ("-2.4", "3.00", -2),
        ("2.5", "8.00", 3),  # half-even would give 2
        ("4.49", "9.00", 4),
        ("4.5", "10.00", 5),
    ],
)
def test_round_half_away_from_zero(backend: str, extra: str, points: str, rounded: int) -> None:
    result = scored("shapes", {"extra": extra}, backend)
    assert indicator(result, "rounding") == D(points)
    assert result.outcomes["half_up"] == rounded


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(("x", "places_1"), [("2.45", "2.5"), ("-2.45", "-2.5"), ("2.449", "2.4"), ("0.05", "0.1")])
def test_round_to_places_half_up(backend: str, x: str, places_1: str) -> None:
    assert scored("shapes", {"x": x, "n": 1}, backend).outcomes["half_up_1"] == D(places_1)


@pytest.mark.parametrize("backend", BACKENDS)
def test_guarded_division_never_divides_by_zero(backend: str) -> None:
    # `if n == 0 then 0 else x / n`: only the taken branch is evaluated
    result = scored("shapes", {"x": "7", "n": 0}, backend)
    assert indicator(result, "ratio") == D("0.00")
    assert result.outcomes["division"] == 0
    result = scored("shapes", {"x": "7", "n": 4}, backend)
    assert indicator(result, "ratio") == D("1.75")
    assert result.outcomes["division"] == D("1.75")
    # exact division, also on two ints: 1 / 3 is not 0
    assert result.outcomes["ints"] == D(1) / D(4)
    third = scored("shapes", {"x": "1", "n": 3}, backend)
    assert indicator(third, "ratio") == D("0.33")
    assert D("0.3333333333") < third.outcomes["ints"] < D("0.3333333334")


@pytest.mark.parametrize("backend", BACKENDS)
def test_division_by_zero_is_a_per_record_error_with_the_ruleset_position(backend: str) -> None:
    path = RULESETS / "errors.ind"
    line = line_of(path, "score clamp(x / n, 0, 10)")
    result = evaluate("errors", {"x": 5, "n": 0}, backend)
    assert result.total is None and result.grade is None and result.sources == {}
    assert len(result.errors) == 1
    message = result.errors[0].message
    assert "division by zero" in message
    assert f"errors.ind:{line}:" in message
    # in a grade condition: x / (n - 1) with n = 1
    result = evaluate("errors", {"x": 5, "n": 1}, backend)
    assert len(result.errors) == 1
    assert "division by zero" in result.errors[0].message
    assert f"errors.ind:{line_of(path, 'x / (n - 1)')}:" in result.errors[0].message
    # the same ruleset scores a record that divides by something
    fine = evaluate("errors", {"x": 5, "n": 2}, backend)
    assert fine.errors == [] and fine.total == D("2.50") and fine.grade == "good"  # ratio 5 / 2; 5 / 1 >= 1


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    ("e", "fragment", "word"),
    [
        (1, "min(a in activities", "min"),
        (2, "max(a in activities", "max"),
        (3, "avg(a in activities", "avg"),
    ],
)
def test_min_max_avg_of_nothing_is_a_per_record_error(backend: str, e: int, fragment: str, word: str) -> None:
    path = RULESETS / "errors.ind"
    result = evaluate("errors", {"x": 5, "n": 2, "e": e}, backend)
    assert result.total is None
    assert len(result.errors) == 1
    assert word in result.errors[0].message and "nothing" in result.errors[0].message
    assert f"errors.ind:{line_of(path, fragment)}:" in result.errors[0].message
    # with something to aggregate they score: points 4 and 7 (and a missing one read as 0 via ??)
    items = [{"name": "a", "points": 4}, {"name": "b", "points": "7"}, {"name": "c"}]
    result = scored("errors", {"x": 0, "n": 2, "e": e, "activities": items}, backend)
    expected = {1: "0.00", 2: "7.00", 3: "3.67"}[e]  # min(4, 7, 0); max; (4 + 7 + 0) / 3 = 3.666...
    assert indicator(result, {1: "lowest", 2: "highest", 3: "average"}[e]) == D(expected)
    assert indicator(result, "summed") == D("10.00")  # 4 + 7 + 0 = 11 -> clamped to max 10


@pytest.mark.parametrize("backend", BACKENDS)
def test_sum_of_nothing_is_zero(backend: str) -> None:
    result = scored("errors", {"x": 0, "n": 2}, backend)
    assert indicator(result, "summed") == D("0.00")


# ---------------------------------------------------------------- uncapped


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    ("ratio", "activists", "growth"),
    [
        ("0.30", "3.00", "3.00"),
        ("0.305", "3.00", "3.00"),  # floor(0.05) = 0; floor(0.5) = 0
        ("0.295", "2.00", "2.00"),  # floor(-0.05) = -1; floor(-0.5) = -1
        ("0.46", "4.00", "19.00"),  # 3 + floor(1.6) = 4; 3 + floor(16) = 19: above the max 3
        ("0.12", "1.00", "0.00"),  # 3 + floor(-1.8) = 1; 3 - 18 -> clamped below at 0
        ("0.05", "0.00", "0.00"),  # 3 + floor(-2.5) = 0; 3 - 25 -> 0
    ],
)
def test_uncapped_indicator_is_clamped_below_only(backend: str, ratio: str, activists: str, growth: str) -> None:
    result = scored("uncapped", {"activist_ratio": ratio, "points": 0}, backend)
    assert indicator(result, "activists") == D(activists)
    assert indicator(result, "growth") == D(growth)


@pytest.mark.parametrize("backend", BACKENDS)
def test_uncapped_total_above_total_is_real(backend: str) -> None:
    # 94 + 4 + 19 = 117: dimension, table and total are never clipped
    result = scored("uncapped", {"activist_ratio": "0.46", "points": 94}, backend)
    assert result.sources["table"]["dimensions"]["a"] == D("117.00")
    assert result.sources["table"]["table"] == D("117.00")
    assert result.total == D("117.00")
    assert result.grade == "beyond"
    assert result.model_dump(mode="json")["total"] == "117.00"
    full = scored("uncapped", {"activist_ratio": "0.30", "points": 94}, backend)
    assert full.total == D("100.00") and full.grade == "full"


# ---------------------------------------------------------------- applies when + proration


@pytest.mark.parametrize("backend", BACKENDS)
def test_applicable_indicator_counts_normally(backend: str) -> None:
    result = scored("applies", {"category": "党政机关", "points": 90}, backend)
    assert indicator(result, "cadre") == D("3.00")
    assert result.total == D("93.00")
    result = scored("applies", {"category": "党政机关", "points": "87.3", "has_party_cadre": False}, backend)
    assert indicator(result, "cadre") == D("0.00")
    assert result.total == D("87.30") and result.grade == "standard"


@pytest.mark.parametrize("backend", BACKENDS)
def test_non_applicable_indicator_is_null_and_the_table_is_prorated(backend: str) -> None:
    result = scored("applies", {"category": "国有企业", "points": 90}, backend, trace=True)
    assert indicator(result, "cadre") is None
    assert result.model_dump(mode="json")["sources"]["table"]["indicators"]["cadre"] is None
    assert result.sources["table"]["dimensions"]["a"] == D("90.00")  # the dimension is the plain sum
    # 90 * 100 / 97 = 92.783505... -> 92.78
    assert result.sources["table"]["table"] == D("92.78")
    assert result.total == D("92.78")
    why = [t for t in result.trace if t.indicator == "cadre"]
    assert why and not any(t.fired for t in why) and any("applic" in (t.note or "") for t in why)
    # 87.3 * 100 / 97 = 90 exactly: advanced, while the same points with the indicator applying at 0 are 87.30
    result = scored("applies", {"category": "国有企业", "points": "87.3"}, backend)
    assert result.total == D("90.00") and result.grade == "advanced"


# ---------------------------------------------------------------- dimension weights


@pytest.mark.parametrize("backend", BACKENDS)
def test_dimension_weights(backend: str) -> None:
    # team 7 of 9, weight 40%; work 8 + 5 = 13 of 20, weight 60%:
    # 0.4 * 7/9 * 100 + 0.6 * 13/20 * 100 = 31.111... + 39 = 70.111... -> 70.11
    result = scored("weighted", {"points": 7, "extra": 8, "category": "党政机关"}, backend)
    assert result.sources["table"]["dimensions"] == {"team": D("7.00"), "work": D("13.00")}
    assert result.sources["table"]["table"] == D("70.11")
    assert result.total == D("70.11")
    full = scored("weighted", {"points": 9, "extra": 15, "category": "党政机关"}, backend)
    assert full.total == D("100.00")


@pytest.mark.parametrize("backend", BACKENDS)
def test_dimension_weights_with_a_non_applicable_indicator(backend: str) -> None:
    # work's applicable max is 15: 0.4 * 7/9 * 100 + 0.6 * 8/15 * 100 = 31.111... + 32 = 63.111... -> 63.11
    result = scored("weighted", {"points": 7, "extra": 8, "category": "国有企业"}, backend)
    assert indicator(result, "cadre") is None
    assert result.sources["table"]["dimensions"]["work"] == D("8.00")
    assert result.total == D("63.11")
    # all applicable points -> 100 without further proration
    assert scored("weighted", {"points": 9, "extra": 15, "category": "国有企业"}, backend).total == D("100.00")


# ---------------------------------------------------------------- judged by a named source


SHEETS = {
    "self": {"records": 8, "venue": {"score": 9, "reason": "阵地达标"}},
    "superior": {
        "records": "6.5",
        "innovation": {"score": 4, "reason": "有创新案例"},
        "venue": {"score": "7.25", "reason": "经费台账不全"},
    },
}


@pytest.mark.parametrize("backend", BACKENDS)
def test_judged_by_superior_serves_every_table_source(backend: str) -> None:
    result = scored("judged", {"points": 5, "survey_satisfaction": "0.9"}, backend, sheets=SHEETS)
    assert indicator(result, "innovation", "self") == D("4.00")
    assert indicator(result, "innovation", "superior") == D("4.00")
    assert result.sources["self"]["table"] == D("26.00")  # 8 + 4 + 9 + 5
    assert result.sources["superior"]["table"] == D("22.75")  # 6.5 + 4 + 7.25 + 5
    assert result.sources["survey"] == {"value": D("27.00")}  # 0.9 * 30
    # 0.3 * 26 + 0.1 * 27 + 0.6 * 22.75 = 7.8 + 2.7 + 13.65 = 24.15
    assert result.total == D("24.15")
    assert result.grade == "good"
    # reasons are kept in the result
    assert result.sources["superior"]["reasons"]["venue"] == "经费台账不全"
    assert result.sources["self"]["reasons"]["venue"] == "阵地达标"


# ---------------------------------------------------------------- calendar, ??, nested aggregates, lets


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    ("last", "months"),
    [
        ("2021-12-31", 24),  # (2023 - 2021) * 12 + 0
        ("2021-05-31", 31),  # 24 + 7; 31 < 31 is false
        ("2020-12-30", 36),
        ("2023-12-31", 0),
        ("2024-03-01", -3),  # may be negative: 0 * 12 - 3
        (None, 11),  # last_election ?? period.start = 2023-01-01 -> 11
    ],
)
def test_months_between(backend: str, last: str | None, months: int) -> None:
    record = {} if last is None else {"last_election": last}
    assert scored("shapes", record, backend).outcomes["months"] == months


def test_months_between_day_rule() -> None:
    from indicator_dsl.semantics import arithmetic as runtime

    day = datetime.date
    assert runtime.months_between(day(2023, 1, 31), day(2023, 2, 28)) == 0  # 1 month, minus 1 as 28 < 31
    assert runtime.months_between(day(2023, 1, 28), day(2023, 2, 28)) == 1
    assert runtime.months_between(day(2020, 3, 1), day(2023, 2, 28)) == 35
    assert runtime.days_between(day(2023, 3, 1), day(2023, 2, 1)) == -28


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    ("founded", "days"),
    [
        ("2023-12-31", 0),
        ("2023-01-01", 364),
        ("2022-12-31", 365),
        ("2020-01-01", 1460),  # 2020 is a leap year
        ("2024-01-10", -10),
    ],
)
def test_days_between(backend: str, founded: str, days: int) -> None:
    assert scored("shapes", {"founded_on": founded}, backend).outcomes["days"] == days


@pytest.mark.parametrize("backend", BACKENDS)
def test_in_period_and_calendar_counts(backend: str) -> None:
    items = meetings(
        "支委会", "2022-12-31", "2023-01-01", "2023-01-31", "2023-03-15", "2023-12-31", "2024-01-01"
    ) + meetings("党课", "2023-07-01")
    outcomes = scored("shapes", {"meetings": items}, backend).outcomes
    assert outcomes["all_meetings"] == 7
    assert outcomes["in_period_meetings"] == 5  # both ends of the period are inside
    assert outcomes["months_active"] == 4  # Jan, Mar, Jul, Dec 2023
    assert outcomes["quarters_active"] == 3  # Q1, Q3, Q4
    assert outcomes["kinds"] == 2


@pytest.mark.parametrize("backend", BACKENDS)
def test_precedence_short_circuit_and_date_literals(backend: str) -> None:
    outcomes = scored("shapes", {"has_party_cadre": True, "x": 5, "n": 0, "founded_on": "2023-01-01"}, backend).outcomes
    assert outcomes["not_or"] is True  # (not true) or true; `not (true or true)` would be false
    assert outcomes["or_and"] is True  # true or (true and false); `(true or true) and false` would be false
    assert outcomes["safe_and"] is False  # n != 0 is false: x / n is never evaluated
    assert outcomes["safe_or"] is True
    assert outcomes["recent"] is True  # 2023-01-01 >= 2023-01-01
    outcomes = scored("shapes", {"x": 5, "n": 2, "founded_on": "2022-12-31"}, backend).outcomes
    assert (outcomes["safe_and"], outcomes["safe_or"], outcomes["recent"]) == (True, True, False)


@pytest.mark.parametrize("backend", BACKENDS)
def test_coalesce(backend: str) -> None:
    assert scored("shapes", {}, backend).outcomes["satisfaction"] == 0
    assert scored("shapes", {"survey_satisfaction": "0.875"}, backend).outcomes["satisfaction"] == D("87.5")


@pytest.mark.parametrize("backend", BACKENDS)
def test_nested_aggregates(backend: str) -> None:
    students = [
        {"name": "甲", "courses": [{"mark": 90}, {"mark": 65}]},  # one below 70; all >= 60
        {"name": "乙", "courses": [{"mark": 80}, {"mark": 75}]},  # none below 70
        {"name": "丙", "courses": [{"mark": 50}]},  # below 70 and below 60
        {"name": "丁", "courses": []},  # all() of nothing is true
    ]
    outcomes = scored("shapes", {"students": students}, backend).outcomes
    assert outcomes["weak_students"] == 2
    assert outcomes["all_passed"] == 3


@pytest.mark.parametrize("backend", BACKENDS)
def test_sum_of_tenths_and_ruleset_let(backend: str) -> None:
    items = [{"kind": "党课", "held_on": "2023-05-01", "hours": "0.1"} for _ in range(30)]
    result = scored("shapes", {"meetings": items}, backend)
    assert result.outcomes["hours"] == D("3.0")  # exactly: 30 * 0.1
    assert indicator(result, "lessons_held") == D("5.00")  # let lessons = 30 -> award 1 per 30 up to 5
    two = scored("shapes", {"meetings": items[:2]}, backend)
    assert indicator(two, "lessons_held") == D("2.00")


@pytest.mark.parametrize("backend", BACKENDS)
def test_indicator_let(backend: str) -> None:
    # indicator `ratio`: let ratio = if n == 0 then 0 else x / n; score ratio (max 5)
    assert indicator(scored("shapes", {"x": "9", "n": 2}, backend), "ratio") == D("4.50")
    assert indicator(scored("shapes", {"x": "90", "n": 2}, backend), "ratio") == D("5.00")


# ---------------------------------------------------------------- a whole record, all shapes at once


@pytest.mark.parametrize("backend", BACKENDS)
def test_whole_table_of_shapes(backend: str) -> None:
    record = {
        "secretary_rating": "较好",  # 2
        "meetings": meetings("支部党员大会", "2023-02-01", "2023-03-01")  # frequency 2
        + [{"kind": "党课", "held_on": "2023-04-01"}] * 3,  # lessons_held 3
        "activities": activities(2, 1),  # practice 10, credit 6
        "lesson_attendance": "0.85",  # attendance 4 - 1 = 3
        "systems": ["组织生活", "学习", "议事规则"],  # systems 7 - 2 = 5
        "violations": 1,  # discipline 1
        "honors": ["优秀"],  # honours 3
        "e": 1,  # repeats 3
        "extra": "1.5",  # rounding 5 + 2 = 7
        "x": 3,
        "n": 2,  # ratio 1.5
    }
    result = scored("shapes", record, backend)
    table = result.sources["table"]
    # tenths: no 主题党日 -> 10
    assert table["dimensions"] == {
        "ordinal": D("4.00"),  # 2 + 2
        "counting": D("24.00"),  # 10 + 6 + 3 + 5
        "clamps": D("27.00"),  # 1 + 3 + 3 + 10 + 10 (no 支委会: capped_deduct 10)
        "formulas": D("11.50"),  # 7 + 1.5 + 3
        "text_bands": D("2.00"),  # department defaults to "机关"
    }
    assert table["table"] == D("68.50")
    assert result.total == D("68.50")
    assert result.bonus == D("0.00")
    assert result.grade is None  # no grades declared


# ---------------------------------------------------------------- combination: sources, lets, bonus


@pytest.mark.parametrize("backend", BACKENDS)
def test_combination_with_a_prorated_table_and_a_bonus(backend: str) -> None:
    record = {
        "category": "国有企业",
        "points": 90,
        "honors": ["优秀"],
        "activities": activities(2, 1),
        "survey_satisfaction": "0.8",
    }
    result = scored("combine", record, backend)
    assert indicator(result, "cadre", "review") is None
    assert result.sources["review"]["table"] == D("92.78")  # 90 * 100 / 97 = 92.783505...
    assert result.sources["survey"] == {"value": D("80.00")}  # let satisfaction_points = 0.8 * 100
    assert result.bonus == D("5.00")  # 3 + 1 * 2 + 0
    # 0.7 * 9000/97 + 0.3 * 80 + 5 = 64.948453... + 24 + 5 = 93.948453... -> 93.95
    assert result.total == D("93.95")
    assert result.grade == "advanced"
    assert result.outcomes == {"with_bonus": True}


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_bonus_block_max_caps_the_bonus(backend: str) -> None:
    record = {"points": 97, "honors": ["优秀"], "activities": activities(4), "extra": 3}
    result = scored("combine", record, backend)
    # 3 + min(1 * 4, 3) + 3 / 2 = 7.5 -> capped at 5; review 97 + 3 = 100; survey (none ?? 0) * 100 = 0
    assert result.bonus == D("5.00")
    assert result.sources["survey"]["value"] == D("0.00")
    assert result.total == D("75.00")  # 0.7 * 100 + 0 + 5
    assert result.grade == "standard"


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    ("extra", "bonus", "total", "grade"),
    [
        ("1", "0.50", "87.10", "standard"),  # 0.7 * 83 + 0.3 * 95 + 0.5 = 58.1 + 28.5 + 0.5
        ("-4", "0.00", "86.60", "standard"),  # the item's `when extra > 0` is false
    ],
)
def test_bonus_item_reading_a_let(backend: str, extra: str, bonus: str, total: str, grade: str) -> None:
    result = scored("combine", {"points": 80, "extra": extra, "survey_satisfaction": "0.95"}, backend)
    assert result.sources["review"]["table"] == D("83.00")
    assert result.bonus == D(bonus)
    assert result.total == D(total)
    assert result.grade == grade
    assert result.outcomes == {"with_bonus": bonus != "0.00"}


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_judged_indicator_that_does_not_apply_needs_no_score(backend: str) -> None:
    result = scored("judged_applies", {"category": "离退休干部", "points": 8}, backend)
    assert indicator(result, "venue") is None
    assert result.total == D("16.00")  # 8 * 20 / 10
    missing = evaluate("judged_applies", {"category": "党政机关", "points": 8}, backend)
    assert [e.path for e in missing.errors] == ["sheets.table.venue"]
    sheet = {"table": {"venue": "7.5"}}
    result = scored("judged_applies", {"category": "党政机关", "points": 8}, backend, sheets=sheet)
    assert result.total == D("15.50")
    # a score in the sheet for an indicator that does not apply is not used: still null, still 16.00
    result = scored("judged_applies", {"category": "离退休干部", "points": 8}, backend, sheets=sheet)
    assert indicator(result, "venue") is None
    assert result.total == D("16.00")


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("value", [1e308, "1e100"])
def test_numbers_too_large_to_report_are_a_per_record_error(backend: str, value: Any) -> None:
    # round(x, 1) in an outcome cannot be carried out exactly at 60 digits: an error, never a traceback
    rs = ruleset("shapes", backend)
    result = rs.evaluate({"id": "U1", "x": value, "n": 1})
    assert result.errors and result.total is None
    batch = rs.evaluate_many([{"id": "U1", "x": value, "n": 1}, {"id": "U2"}])
    assert [bool(r.errors) for r in batch.results] == [True, False]


@pytest.mark.parametrize("backend", BACKENDS)
def test_plain_functions(backend: str) -> None:
    record = {"x": 2, "n": 1, "extra": "-2.5", "meetings": meetings("党课", "2023-01-01", "2023-02-01")}
    outcomes = scored("shapes", record, backend).outcomes
    assert outcomes["plain_min"] == D("-2.5") and outcomes["plain_max"] == 2
    assert outcomes["absolute"] == D("2.5")
    assert outcomes["clamped"] == -1
    assert (outcomes["floor_of"], outcomes["ceil_of"]) == (-3, -2)
    assert outcomes["length"] == 2


@pytest.mark.parametrize("backend", BACKENDS)
def test_aggregates_over_a_list_of_numbers(backend: str) -> None:
    outcomes = scored("shapes", {"scores": ["1.5", "-2", "0.25", 0, "3"], "x": 1, "n": 1}, backend).outcomes
    assert outcomes["score_sum"] == D("2.75")  # 1.5 - 2 + 0.25 + 0 + 3
    assert outcomes["score_max"] == 3
    # (1.5 + 0.25 + 3) / 3 = 1.58333..., exact to the 60 digits of the arithmetic
    assert abs(outcomes["positive_avg"] * 3 - D("4.75")) < D("1e-50")
    assert str(outcomes["positive_avg"]).startswith("1.58333333333333333333333333333333")
    empty = scored("shapes", {"scores": []}, backend).outcomes
    assert (empty["score_sum"], empty["score_max"], empty["positive_avg"]) == (0, 0, 0)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    ("extra", "second", "third", "first"),
    [
        ("0", "2.00", "4.00", "3.00"),  # a = 1, b = 2, c = 4; first = b + a = 3
        ("2", "4.00", "8.00", "7.00"),  # a = 3, b = 4, c = 8; first = 7
    ],
)
def test_lets_are_lexically_scoped(backend: str, extra: str, second: str, third: str, first: str) -> None:
    # `second` declares its own `a` and `third` its own `b`: the ruleset's `b` and the dimension's `c`
    # still read the ruleset's `a` and `b`, whichever indicator reads them first
    result = scored("scopes", {"extra": extra}, backend)
    assert result.sources["table"]["indicators"] == {"second": D(second), "third": D(third), "first": D(first)}
