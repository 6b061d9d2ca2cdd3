"""Results that used to be silently wrong (issue 10): a negative amount or cap at run time is
the record's error, never a deduction turned into an award. Every expected figure is worked
out by hand beside it, on both backends. (The quota sizes of the same issue are tested in
test_eval_grading.py.)"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from support import project_with

import indicator_dsl
from indicator_dsl.check.paths import check_paths

SCHEMA = Path(__file__).resolve().parent / "eval_fixtures" / "schema" / "unit.ind"
BACKENDS = ["compiled", "interpreted"]

POINTS_RULESET = """import "unit.ind"
ruleset signs "符号" version "t1"
record Unit
total 30
dimension a "甲" max 30 {
  indicator judged_off "酌情扣分" max 10 { deduct points }
  indicator counted "按次扣分" max 10 { deduct 2 per e up to extra }
  indicator credit "加分" max 10 { award x when n > 0 }
}
bonus "加分项" max 5 {
  item extra_credit "附加" award extra - 1 when n > 1
}
"""


def load(tmp_path: Path, text: str, backend: str) -> indicator_dsl.Ruleset:
    path = project_with(tmp_path, SCHEMA) / "ruleset.ind"
    path.write_text(text, encoding="utf-8")
    rs = indicator_dsl.load(path, backend=backend)
    assert isinstance(rs, indicator_dsl.Ruleset)
    return rs


def line_of(text: str, fragment: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), start=1) if fragment in line)


@pytest.mark.parametrize("backend", BACKENDS)
def test_positive_amounts_score_as_before(tmp_path: Path, backend: str) -> None:
    rs = load(tmp_path, POINTS_RULESET, backend)
    # judged_off 10 - 2 = 8; counted 10 - min(2 * 3, 4) = 6; credit 5 (n = 1 > 0); bonus: n = 1, not > 1
    result = rs.evaluate({"id": "U1", "points": "2", "e": "3", "extra": "4", "x": "5", "n": 1})
    assert result.errors == []
    assert str(result.total) == "19.00"
    # a negative count moves nothing (spec: `X × max(E, 0)`): counted stays 10
    result = rs.evaluate({"id": "U2", "points": "0", "e": "-3", "extra": "4", "x": "0", "n": 0})
    assert result.errors == [] and str(result.total) == "20.00"


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    ("record", "fragment", "message"),
    [
        # the case: a discretionary deduction entered as -2 scored 12 instead of failing
        ({"points": "-2"}, "deduct points", "`deduct` amount is negative (-2)"),
        ({"points": "0", "e": "1", "extra": "-1"}, "deduct 2 per e", "`deduct` cap after `up to` is negative (-1)"),
        ({"points": "0", "x": "-0.5", "n": 1}, "award x when", "`award` amount is negative (-0.5)"),
        # the bonus item: extra - 1 = -1 with n = 2
        ({"points": "0", "extra": "0", "n": 2}, "item extra_credit", "`award` amount is negative (-1)"),
    ],
)
def test_a_negative_amount_or_cap_at_run_time_is_the_records_error(
    tmp_path: Path, backend: str, record: dict[str, Any], fragment: str, message: str
) -> None:
    rs = load(tmp_path, POINTS_RULESET, backend)
    result = rs.evaluate({"id": "U1", **record})
    assert result.total is None and result.grade is None
    assert len(result.errors) == 1
    text = str(result.errors[0])
    assert message in text
    assert f"ruleset.ind:{line_of(POINTS_RULESET, fragment)}:" in text


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_negative_amount_fails_only_its_record(tmp_path: Path, backend: str) -> None:
    rs = load(tmp_path, POINTS_RULESET, backend)
    batch = rs.evaluate_many([{"id": "bad", "points": "-2"}, {"id": "good", "points": "2"}])
    assert [r.id for r in batch.failed] == ["bad"]
    good = next(r for r in batch.results if r.id == "good")
    # judged_off 8, counted 10 (e = 0), credit 0 (n = 0)
    assert str(good.total) == "18.00"


# ---------------------------------------------------------------- max 0 (E311)


@pytest.mark.parametrize(
    ("indicator", "codes"),
    [
        ('indicator other "其他酌情扣分" max 0 { deduct points }', ["E311"]),
        ('indicator other "其他酌情扣分" max 0 uncapped { deduct 1 when n > 0 }', ["E311"]),
        ('indicator other "加分" max 0 { award 1 when n > 0 }', ["E311"]),  # clamped to 0
        ('indicator other "上不封顶" max 0 uncapped { award x }', []),  # may exceed its nominal 0
        ('indicator other "公式" max 0 uncapped { score x }', []),
    ],
)
def test_a_max_0_indicator_that_can_only_score_0(tmp_path: Path, indicator: str, codes: list[str]) -> None:
    text = POINTS_RULESET.replace("max 10 { award x when n > 0 }", "max 10 { award x when n > 0 }\n  " + indicator)
    path = project_with(tmp_path, SCHEMA) / "ruleset.ind"
    path.write_text(text, encoding="utf-8")
    diagnostics = check_paths([path]).diagnostics
    assert [d.code for d in diagnostics] == codes
    if codes:
        assert diagnostics[0].span.line == line_of(text, indicator)
        assert "has max 0" in diagnostics[0].message and "it always scores 0" in diagnostics[0].message
