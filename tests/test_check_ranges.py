"""Declared field ranges (`decimal in 0..1`): what the checker concludes from them (W505, with
no warning where the ranges leave the answer open), the interval arithmetic underneath, and
records outside a range refused on both backends."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from support import ROOT, project_with

import indicator_dsl
from indicator_dsl.check.paths import check_paths
from indicator_dsl.check.ranges import NON_NEGATIVE, Interval, add, decided, divide, multiply, negate
from indicator_dsl.syntax.formatter import format_source
from indicator_dsl.syntax.source import SourceFile

D = Decimal
INF = D("Infinity")
SCHEMA = """schema rates "比例台账"

type Unit "单位" {
  id: text "编号"
  attendance: decimal in 0..1 "出勤率"
  score: int in 0..100 = 0 "考评分"
  offset: decimal in -1.5..2.5 = 0 "偏移"
  members: int = 0 "党员数"
}
"""
RULESET = """import "rates.ind"
ruleset r "r" version "1"
record Unit
total 10
let share = attendance * 100
dimension a "甲" max 10 {{
  indicator x "x" max 10 {{ award 10 when {condition} }}
}}
"""


def warnings_for(tmp_path: Path, condition: str) -> list[str]:
    project_with(tmp_path)
    (tmp_path / "rates.ind").write_text(SCHEMA, encoding="utf-8")
    path = tmp_path / "r.ind"
    path.write_text(RULESET.format(condition=condition), encoding="utf-8")
    report = check_paths([path])
    assert all(d.code in ("W505", "W501") for d in report.diagnostics), report.diagnostics
    return [d.message for d in report.diagnostics if d.code == "W505"]


@pytest.mark.parametrize(
    "condition",
    [
        "attendance >= 90%",
        "attendance >= 0.9 and attendance < 1",
        "share >= 90",  # a let: attendance × 100 is 0..100
        "score >= 60",
        "attendance * score > 99",  # 0..100
        "offset < 0",  # -1.5..2.5
        "attendance / (score + 1) > 0.5",  # score + 1 >= 1
        "attendance / score > 0.5",  # score may be 0: the quotient is unknown
        "members > 1000000",  # no range: unknown
        "floor(attendance * 10) >= 10",
        "clamp(offset, 0, 1) > 0.5",
        "(if members > 0 then attendance else 2) > 1.5",  # the hull 0..2
    ],
)
def test_open_comparisons_are_never_warned_about(tmp_path: Path, condition: str) -> None:
    assert warnings_for(tmp_path, condition) == []


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ("attendance >= 90", "`attendance >= 90` is never true: `attendance` is between 0 and 1"),
        ("90 <= attendance", "`90 <= attendance` is never true: `attendance` is between 0 and 1"),
        ("attendance <= 1", "`attendance <= 1` is always true"),
        ("share > 100", "`share > 100` is never true: `share` is between 0 and 100"),
        ("score != 101", "`score != 101` is always true"),
        ("score == -1", "`score == -1` is never true"),
        ("-offset > 1.5", "`-offset > 1.5` is never true: `-offset` is between -2.5 and 1.5"),
        ("attendance - 1 > 0", "`attendance - 1 > 0` is never true: `attendance - 1` is between -1 and 0"),
        ("attendance / (score + 1) > 1", "is between 0 and 1"),
        ("round(attendance) >= 2", "`round(attendance) >= 2` is never true"),
        ("len([1, 2]) < 0", "is never true: `len([1, 2])` is at least 0"),
    ],
)
def test_settled_comparisons_are_warned_about(tmp_path: Path, condition: str, message: str) -> None:
    [warning] = warnings_for(tmp_path, condition)
    assert message in warning


def test_the_percent_hint(tmp_path: Path) -> None:
    project_with(tmp_path)
    (tmp_path / "rates.ind").write_text(SCHEMA, encoding="utf-8")
    path = tmp_path / "r.ind"
    path.write_text(RULESET.format(condition="attendance >= 85"), encoding="utf-8")
    [warning] = [d for d in check_paths([path]).diagnostics if d.code == "W505"]
    assert warning.hint == "on this scale a percentage is written with `%`: `85%` is 0.85"


def test_interval_arithmetic() -> None:
    ratio, count = Interval(D(0), D(1)), NON_NEGATIVE
    assert add(ratio, Interval(D(-2), D(3))) == Interval(D(-2), D(4))
    assert negate(ratio) == Interval(D(-1), D(0))
    assert multiply(Interval(D(-2), D(3)), Interval(D(-1), D(4))) == Interval(D(-8), D(12))
    assert multiply(ratio, count) == Interval(D(0), INF)  # 0 × ∞ is 0 here, not an error
    assert divide(ratio, Interval(D(0), D(2))) is None  # may divide by zero
    assert divide(ratio, Interval(D(2), D(4))) == Interval(D(0), D("0.5"))
    # outward rounding: 1/3 is below and above the true third, never the other way round
    third = divide(Interval(D(1), D(1)), Interval(D(3), D(3)))
    assert third == Interval(D("0." + "3" * 60), D("0." + "3" * 59 + "4"))
    assert decided("<", ratio, Interval(D(2), D(2))) is True
    assert decided("<=", ratio, Interval(D(1), D(1))) is True
    assert decided("<", ratio, Interval(D(1), D(1))) is None
    assert decided(">", ratio, Interval(D(1), D(1))) is False
    assert decided("==", ratio, Interval(D(1), D(1))) is None
    assert str(count) == "at least 0" and str(ratio) == "between 0 and 1"


@pytest.mark.parametrize("backend", ["compiled", "interpreted"])
def test_a_record_outside_a_range_is_that_records_error(tmp_path: Path, backend: str) -> None:
    project_with(tmp_path)
    (tmp_path / "rates.ind").write_text(SCHEMA, encoding="utf-8")
    path = tmp_path / "r.ind"
    path.write_text(RULESET.format(condition="attendance >= 90%"), encoding="utf-8")
    rs = indicator_dsl.load(path, backend=backend)
    assert isinstance(rs, indicator_dsl.Ruleset)
    batch = rs.evaluate_many(
        [
            {"id": "pct", "attendance": 96},  # a percentage where a ratio belongs
            {"id": "neg", "attendance": "0.5", "score": -1},
            {"id": "ok", "attendance": "0.95", "score": 100, "offset": "-1.5"},
        ]
    )
    problems = {r.id: [(e.path, e.message) for e in r.errors] for r in batch.failed}
    assert problems == {
        "pct": [("attendance", "'96' is above 1, the highest the schema allows")],
        "neg": [("score", "-1 is below 0, the lowest the schema allows")],
    }
    [ok] = [r for r in batch.results if r.id == "ok"]
    assert str(ok.total) == "10.00"


def test_ranges_print_and_format_back_unchanged() -> None:
    text = SCHEMA.replace('decimal in 0..1 "出勤率"', 'decimal? in 0%..100% "出勤率"')
    result = format_source(SourceFile("rates.ind", text))
    assert result.text == text


def test_the_shipped_rulesets_and_examples_get_no_range_warning() -> None:
    report = check_paths([ROOT / "rulesets", ROOT / "examples", ROOT / "tests" / "corpus" / "good"])
    assert [d for d in report.diagnostics if d.code == "W505"] == []


def test_the_json_schema_carries_the_range(tmp_path: Path) -> None:
    project_with(tmp_path)
    (tmp_path / "rates.ind").write_text(SCHEMA, encoding="utf-8")
    path = tmp_path / "r.ind"
    path.write_text(RULESET.format(condition="attendance >= 90%"), encoding="utf-8")
    rs = indicator_dsl.load(path)
    assert isinstance(rs, indicator_dsl.Ruleset)
    fields = rs.json_schema()["properties"]
    numbers = [o for o in fields["offset"]["anyOf"] if o.get("type") in ("number", "integer")]
    assert numbers and all((o["minimum"], o["maximum"]) == (-1.5, 2.5) for o in numbers)
    assert all("minimum" not in o for o in fields["members"]["anyOf"])
