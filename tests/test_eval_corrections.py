"""A superior who verifies: a table source's sheet corrects a computed indicator with a
reason (and evidence), on both backends; the correction, the score it replaced and the
reason are in the result, the trace and `--explain`; a bad correction is that record's error."""

from __future__ import annotations

import json
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import pytest

import indicator_dsl
from indicator_dsl.outputs.branch_rows import batch_view
from indicator_dsl.outputs.explain import explain
from indicator_dsl.outputs.report import build_report

RULESETS = Path(__file__).parent / "eval_fixtures" / "rulesets"
BACKENDS = ["compiled", "interpreted"]
JUDGED = {
    "self": {"records": 8, "venue": {"score": 9, "reason": "阵地达标"}},
    "superior": {"records": 6, "innovation": 4, "venue": {"score": 7, "reason": "经费不足"}},
}
CORRECTION = {"correct": 2, "reason": "台账只记两次", "evidence": ["台账 p.12", "会议记录"]}


def load(name: str, backend: str) -> indicator_dsl.Ruleset:
    rs = indicator_dsl.load(RULESETS / f"{name}.ind", backend=backend)
    assert isinstance(rs, indicator_dsl.Ruleset)
    return rs


def sheets_with(source: str, name: str, entry: Any) -> dict[str, Any]:
    sheets: dict[str, Any] = json.loads(json.dumps(JUDGED))
    sheets[source][name] = entry
    return sheets


def errors_of(result: Any) -> dict[str, str]:
    return {e.path: e.message for e in result.errors}


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_superior_corrects_a_computed_score(backend: str) -> None:
    rs = load("judged", backend)
    result = rs.evaluate({"id": "J", "points": 5}, sheets=sheets_with("superior", "computed", CORRECTION), trace=True)
    assert result.errors == []
    # self 8 + 4 + 9 + 5 = 26 (uncorrected); superior 6 + 4 + 7 + 2 (corrected from 5) = 19
    # total = 0.3 × 26 + 0.1 × 0 + 0.6 × 19 = 7.8 + 11.4 = 19.20 (21.00 without the correction)
    assert result.total == D("19.20")
    assert result.sources["self"]["indicators"]["computed"] == D("5.00")
    assert result.sources["superior"]["indicators"]["computed"] == D("2.00")
    assert "corrections" not in result.sources["self"]
    assert result.sources["superior"]["corrections"] == {
        "computed": {
            "from": D("5.00"),
            "to": D("2.00"),
            "reason": "台账只记两次",
            "evidence": ["台账 p.12", "会议记录"],
        }
    }
    entry = next(t for t in result.trace or [] if t.kind == "correct")
    assert (entry.source, entry.indicator, entry.effect) == ("superior", "computed", D("2"))
    assert entry.reads == {
        "computed": D("5"),
        "sheets.superior": D("2"),
        "sheets.superior reason": "台账只记两次",
        "sheets.superior evidence": "台账 p.12; 会议记录",
    }
    text = explain(result)
    assert "✎ 核正 corrected by superior: 5 → 2 (台账只记两次; evidence: 台账 p.12; 会议记录)" in text


@pytest.mark.parametrize("backend", BACKENDS)
def test_only_a_source_declared_may_correct_corrects(backend: str) -> None:
    # judged.ind: `superior ... may correct`; `self` is a table source without it.
    rs = load("judged", backend)
    entry = {"correct": "1", "reason": "自查更正"}
    result = rs.evaluate({"id": "J", "points": 5}, sheets=sheets_with("self", "computed", entry))
    assert errors_of(result) == {
        "sheets.self.computed": "`self` may not correct `computed`: only a source declared with `may correct`"
        " in `assess` corrects a computed indicator"
    }
    assert result.total is None
    # the superior's correction without evidence moves only the superior's table:
    # self 8 + 4 + 9 + 5 = 26, superior 6 + 4 + 7 + 1 = 18: 0.3 × 26 + 0.6 × 18 = 7.8 + 10.8 = 18.60
    result = rs.evaluate({"id": "J", "points": 5}, sheets=sheets_with("superior", "computed", entry))
    assert result.errors == [] and result.total == D("18.60")
    assert result.sources["superior"]["corrections"]["computed"]["evidence"] == []
    assert result.sources["self"]["indicators"]["computed"] == D("5.00")


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_correction_before_proration(backend: str) -> None:
    rs = load("combine", backend)
    fix = {"review": {"rest": {"correct": 80, "reason": "台账核减"}}}
    applies = rs.evaluate({"id": "C1", "points": 90}, sheets=fix)
    # cadre 3 + rest 80 (corrected from 90) = 83; total 0.7 × 83 + 0.3 × 0 = 58.10
    assert applies.errors == [] and applies.total == D("58.10")
    prorated = rs.evaluate({"id": "C2", "points": 90, "category": "国有企业"}, sheets=fix)
    # cadre does not apply: 80 × 100 / 97 = 82.474…; total 0.7 × 82.474… = 57.73
    assert prorated.errors == [] and prorated.sources["review"]["table"] == D("82.47")
    assert prorated.total == D("57.73")


@pytest.mark.parametrize("backend", BACKENDS)
def test_bad_corrections_are_the_records_errors(backend: str) -> None:
    rs = load("judged", backend)
    sheets = sheets_with("superior", "computed", {"correct": 6})  # above max 5, and no reason
    problems = errors_of(rs.evaluate({"id": "J1", "points": 5}, sheets=sheets))
    assert problems == {"sheets.superior.computed": "6 is outside 0..5"}
    sheets = sheets_with("superior", "computed", {"correct": 3, "reason": " "})
    problems = errors_of(rs.evaluate({"id": "J2", "points": 5}, sheets=sheets))
    assert "needs a reason" in problems["sheets.superior.computed"]
    sheets = sheets_with("superior", "computed", {"correct": 3, "reason": "x", "evidence": "p.3"})
    problems = errors_of(rs.evaluate({"id": "J3", "points": 5}, sheets=sheets))
    assert "evidence is a list of texts" in problems["sheets.superior.computed"]
    sheets = sheets_with("superior", "computed", {"correct": 3, "reason": "x", "by": "me"})
    problems = errors_of(rs.evaluate({"id": "J4", "points": 5}, sheets=sheets))
    assert "unknown key by" in problems["sheets.superior.computed"]
    sheets = sheets_with("superior", "venue", {"correct": 3, "reason": "x"})  # judged: its entry is its score
    problems = errors_of(rs.evaluate({"id": "J5", "points": 5}, sheets=sheets))
    assert "only a computed indicator is corrected" in problems["sheets.superior.venue"]
    sheets = {**sheets_with("superior", "computed", 3), "survey": {"computed": {"correct": 1, "reason": "x"}}}
    problems = errors_of(rs.evaluate({"id": "J6", "points": 5}, sheets=sheets))
    assert '{"correct": ..., "reason": "..."}' in problems["sheets.superior.computed"]
    assert problems["sheets.survey.computed"] == "`survey` is a computed source; it corrects no indicator"


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_correction_of_an_indicator_that_does_not_apply(backend: str) -> None:
    rs = load("combine", backend)
    fix = {"review": {"cadre": {"correct": 1, "reason": "有兼职党务干部"}}}
    result = rs.evaluate({"id": "C3", "points": 90, "category": "国有企业"}, sheets=fix)
    assert errors_of(result) == {
        "sheets.review.cadre": "`cadre` does not apply to this record; there is no score to correct"
    }


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_adjusted_indicator_takes_its_adjustment_not_a_correction(backend: str) -> None:
    rs = load("adjusted", backend)
    sheets = {
        "self": {"discipline": {"adjust": 0}},
        "superior": {"discipline": {"correct": 5, "reason": "x"}, "others": 0},
    }
    problems = errors_of(rs.evaluate({"id": "A", "violations": 1, "n": 2}, sheets=sheets))
    assert "is adjusted" in problems["sheets.superior.discipline"]


def test_the_report_lists_each_correction() -> None:
    rs = load("judged", "compiled")
    result = rs.evaluate({"id": "J", "points": 5}, sheets=sheets_with("superior", "computed", CORRECTION))
    page = build_report(batch_view(rs, [result], [{}]))
    row = (
        "<tr><td>J</td><td>superior</td><td>computed</td><td class=n>5.00 → 2.00</td>"
        "<td>台账只记两次</td><td>台账 p.12; 会议记录</td></tr>"
    )
    assert row in page
