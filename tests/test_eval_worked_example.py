"""The worked example of spec section 8, pinned figure by figure, and the finance extension (section 7).

Every expected figure below is computed by hand from the spec (the arithmetic is written
next to it), never copied from the engine's output.
"""

from __future__ import annotations

import copy
import json
import re
from decimal import Decimal
from typing import Any

import pytest
from support import SPEC_EXAMPLES

import indicator_dsl

PARTY_GOV = SPEC_EXAMPLES / "rulesets" / "party_gov.ind"
FINANCE = SPEC_EXAMPLES / "rulesets" / "finance.ind"
RECORD = SPEC_EXAMPLES / "records" / "worked_example.json"

D = Decimal
TWO_PLACES = re.compile(r"^-?\d+\.\d{2}$")


def record() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(RECORD.read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="module")
def party_gov() -> indicator_dsl.Ruleset:
    rs = indicator_dsl.load(PARTY_GOV)
    assert isinstance(rs, indicator_dsl.Ruleset)
    return rs


@pytest.fixture(scope="module")
def finance() -> indicator_dsl.Ruleset:
    rs = indicator_dsl.load(FINANCE)
    assert isinstance(rs, indicator_dsl.Ruleset)
    return rs


@pytest.fixture(scope="module")
def worked(party_gov: indicator_dsl.Ruleset) -> Any:
    return party_gov.evaluate(record())


# ---------------------------------------------------------------- the record as the spec describes it


def test_the_record_is_the_one_the_spec_describes() -> None:
    data = record()
    assert data["members"] == 12 and data["committee_size"] == 5 and data["last_election"] == "2022-03-01"
    kinds = [m["kind"] for m in data["meetings"]]
    assert kinds.count("党课") == 4
    assert sum(1 for m in data["meetings"] if m["kind"] == "党课" and m.get("by_secretary")) == 1
    assert data["sheets"] == {"self": {"records": 14, "venue": 15}, "superior": {"records": 12, "venue": 13}}


# ---------------------------------------------------------------- indicators, dimensions, tables


# election: months_between(2022-03-01, 2023-12-31) = 12 + 9 = 21 <= 36 -> no deduction -> 10
# committee: 12 >= 7 and 5 < 3 is false -> 10
# member_meeting: 支部党员大会 in Q1 (02-10) and Q3 (08-15) -> 2 quarters -> 8 - 2 * (4 - 2) = 4
# committee_meeting: 支委会 in Jan..Sep 2023 (March twice) = 9 months; 2022-12-20 is outside -> 12 - 1 * 3 = 9
# lesson: four 党课 -> 6, one by the secretary -> 4 -> 10
# dues: 0.96 >= 95% -> 6 (first matching band)
# training: not trained -> 10 - 10 = 0
COMPUTED = {
    "election": "10.00",
    "committee": "10.00",
    "member_meeting": "4.00",
    "committee_meeting": "9.00",
    "lesson": "10.00",
    "dues": "6.00",
    "training": "0.00",
}


@pytest.mark.parametrize("source", ["self", "superior"])
def test_computed_indicators_are_the_same_for_every_table_source(worked: Any, source: str) -> None:
    indicators = worked.sources[source]["indicators"]
    for name, value in COMPUTED.items():
        assert indicators[name] == D(value), name


def test_judged_indicators_come_from_each_sources_sheet(worked: Any) -> None:
    assert worked.sources["self"]["indicators"]["records"] == D("14.00")
    assert worked.sources["self"]["indicators"]["venue"] == D("15.00")
    assert worked.sources["superior"]["indicators"]["records"] == D("12.00")
    assert worked.sources["superior"]["indicators"]["venue"] == D("13.00")


def test_dimensions(worked: Any) -> None:
    # organisation 10 + 10; activities 4 + 9 + 10 + 6 = 29; team 0; institutions / support from the sheets
    assert worked.sources["self"]["dimensions"] == {
        "organisation": D("20.00"),
        "activities": D("29.00"),
        "team": D("0.00"),
        "institutions": D("14.00"),
        "support": D("15.00"),
    }
    assert worked.sources["superior"]["dimensions"] == {
        "organisation": D("20.00"),
        "activities": D("29.00"),
        "team": D("0.00"),
        "institutions": D("12.00"),
        "support": D("13.00"),
    }


def test_tables_survey_and_total(worked: Any) -> None:
    assert worked.errors == []
    assert worked.sources["self"]["table"] == D("78.00")  # 20 + 29 + 0 + 14 + 15
    assert worked.sources["superior"]["table"] == D("74.00")  # 20 + 29 + 0 + 12 + 13
    assert worked.sources["survey"] == {"value": D("90.00")}  # 0.9 * 100
    assert worked.bonus == D("0.00")
    assert worked.total == D("78.00")  # 0.2 * 78 + 0.2 * 90 + 0.6 * 74 = 15.6 + 18 + 44.4


def test_grade_and_outcomes(worked: Any) -> None:
    assert worked.grade_by_rules == "standard"  # 78 < 90, 78 >= 70
    assert worked.grade_after_veto == "standard"
    assert worked.grade == "standard"
    assert worked.grade_label == "达标"
    assert worked.vetoes == []
    assert worked.exempt is None
    assert worked.outcomes == {"programme": "提升工程", "nominee": False}


def test_json_form_has_the_keys_of_section_8(worked: Any, party_gov: indicator_dsl.Ruleset) -> None:
    data = worked.model_dump(mode="json")
    for key in (
        "id",
        "ruleset",
        "sources",
        "bonus",
        "vetoes",
        "total",
        "grade",
        "grade_by_rules",
        "grade_after_veto",
        "outcomes",
        "errors",
    ):
        assert key in data, key
    assert data["id"] == "B0001"
    assert data["ruleset"]["name"] == "party_gov"
    assert data["ruleset"]["version"] == "2023.1"
    assert re.fullmatch(r"[0-9a-f]{64}", data["ruleset"]["sha256"])
    assert data["ruleset"]["sha256"] == party_gov.sha256
    assert set(data["sources"]) == {"self", "survey", "superior"}
    assert data["sources"]["survey"] == {"value": "90.00"}
    assert data["sources"]["self"]["table"] == "78.00"
    assert data["sources"]["superior"]["table"] == "74.00"
    assert data["sources"]["superior"]["dimensions"]["activities"] == "29.00"
    assert data["sources"]["self"]["dimensions"]["organisation"] == "20.00"
    assert data["sources"]["self"]["indicators"]["election"] == "10.00"
    assert data["bonus"] == "0.00"
    assert data["total"] == "78.00"
    assert data["vetoes"] == []
    assert data["grade"] == data["grade_by_rules"] == data["grade_after_veto"] == "standard"
    assert data["outcomes"] == {"programme": "提升工程", "nominee": False}
    assert data["errors"] == []


def test_every_decimal_in_the_json_form_is_a_string_with_two_places(worked: Any) -> None:
    data = worked.model_dump(mode="json")
    figures = [data["bonus"], data["total"]]
    for part in data["sources"].values():
        if "value" in part:
            figures.append(part["value"])
            continue
        figures.append(part["table"])
        figures.extend(part["dimensions"].values())
        figures.extend(part["indicators"].values())
    assert len(figures) == 2 + 1 + 2 * (1 + 5 + 9)
    for figure in figures:
        assert isinstance(figure, str) and TWO_PLACES.match(figure), figure
    # and the serialised text carries them as strings too
    text = worked.model_dump_json()
    assert '"total":"78.00"' in text


def test_the_1220_committee_meeting_outside_the_period_does_not_count(party_gov: indicator_dsl.Ruleset) -> None:
    data = record()
    assert {"kind": "支委会", "held_on": "2022-12-20"} in data["meetings"]
    # moved into the period (December 2023), it adds a tenth month: committee_meeting 10
    moved = copy.deepcopy(data)
    for meeting in moved["meetings"]:
        if meeting["held_on"] == "2022-12-20":
            meeting["held_on"] = "2023-12-20"
    result = party_gov.evaluate(moved)
    assert result.sources["self"]["indicators"]["committee_meeting"] == D("10.00")
    assert result.sources["self"]["table"] == D("79.00")
    assert result.sources["superior"]["table"] == D("75.00")
    assert result.total == D("78.80")  # 0.2 * 79 + 0.2 * 90 + 0.6 * 75 = 15.8 + 18 + 45
    # dropped altogether, nothing changes
    dropped = copy.deepcopy(data)
    dropped["meetings"] = [m for m in dropped["meetings"] if m["held_on"] != "2022-12-20"]
    assert party_gov.evaluate(dropped).total == D("78.00")


def test_sheets_given_apart_from_the_record(party_gov: indicator_dsl.Ruleset) -> None:
    data = record()
    sheets = data.pop("sheets")
    assert party_gov.evaluate(data, sheets=sheets).total == D("78.00")
    batch = party_gov.evaluate_many([data], sheets={"B0001": sheets})
    assert [r.total for r in batch] == [D("78.00")]
    assert batch.results[0].grade == "standard"


def test_veto_caps_the_worked_example(party_gov: indicator_dsl.Ruleset) -> None:
    data = record()
    data["serious_violations"] = 1
    result = party_gov.evaluate(data)
    assert result.total == D("78.00")
    assert result.vetoes == ["discipline"]
    assert (result.grade_by_rules, result.grade_after_veto, result.grade) == ("standard", "lagging", "lagging")
    assert result.outcomes == {"programme": "转化工程", "nominee": False}
    assert any(s.step == "veto" and s.after == "lagging" and "严重违纪" in s.reason for s in result.steps)


def full_marks() -> dict[str, Any]:
    data = record()
    data["meetings"] = (
        [{"kind": "支部党员大会", "held_on": f"2023-{m:02d}-10"} for m in (1, 4, 7, 10)]
        + [{"kind": "支委会", "held_on": f"2023-{m:02d}-05"} for m in range(1, 13)]
        + [{"kind": "党课", "held_on": f"2023-{m:02d}-20", "by_secretary": m == 3} for m in (3, 6, 9, 11)]
    )
    data["dues_on_time"] = "1"
    data["secretary_trained"] = True
    data["survey_satisfaction"] = "1"
    data["sheets"] = {"self": {"records": 15, "venue": 15}, "superior": {"records": 15, "venue": 15}}
    return data


def test_full_marks_is_advanced_with_bonus_added_after_combination(party_gov: indicator_dsl.Ruleset) -> None:
    data = full_marks()
    result = party_gov.evaluate(data)
    assert result.sources["self"]["table"] == D("100.00")
    assert result.sources["superior"]["dimensions"]["activities"] == D("40.00")
    assert result.total == D("100.00")
    assert result.grade == "advanced"
    assert result.outcomes == {"programme": "头雁工程", "nominee": True}
    data["honors"] = ["模范机关建设先进单位", "模范机关建设优秀案例"]
    result = party_gov.evaluate(data)
    assert result.bonus == D("5.00")  # 3 + 2, the block's max is 5
    assert result.total == D("105.00")  # bonus is not scaled by the weights


# ---------------------------------------------------------------- the finance extension (section 7)


def test_finance_rescales_95_raw_points_to_100(finance: indicator_dsl.Ruleset) -> None:
    result = finance.evaluate(record())
    assert result.errors == []
    assert result.ruleset.name == "finance"
    self_ = result.sources["self"]
    # committee is removed; budget_party (max 5) is added: 0 主题党日 -> 0; lesson (override): 4 党课 -> 10
    assert "committee" not in self_["indicators"]
    assert self_["indicators"]["budget_party"] == D("0.00")
    assert self_["indicators"]["lesson"] == D("10.00")
    # dimension scores stay on their own scale
    assert self_["dimensions"] == {
        "organisation": D("10.00"),
        "activities": D("29.00"),
        "team": D("0.00"),
        "institutions": D("14.00"),
        "support": D("15.00"),
    }
    # self raw 10 + 29 + 0 + 14 + 15 = 68 of 95 -> 68 * 100 / 95 = 71.578947... -> 71.58
    assert self_["table"] == D("71.58")
    # superior raw 10 + 29 + 0 + 12 + 13 = 64 -> 6400 / 95 = 67.368421... -> 67.37
    assert result.sources["superior"]["table"] == D("67.37")
    assert result.sources["survey"]["value"] == D("90.00")
    # total = 0.2 * 6800/95 + 0.2 * 90 + 0.6 * 6400/95 = 5200/95 + 18 = 72.736842... -> 72.74
    assert result.total == D("72.74")
    assert result.grade == "standard"
    assert result.outcomes == {"programme": "提升工程", "nominee": False}


def test_finance_override_and_added_indicator_change_the_figures(
    party_gov: indicator_dsl.Ruleset, finance: indicator_dsl.Ruleset
) -> None:
    data = record()
    for meeting in data["meetings"]:
        meeting["by_secretary"] = False
    # six 主题党日; one lies in 2022: `count` does not filter by period unless the author says so
    data["meetings"] += [
        {"kind": "主题党日", "held_on": d}
        for d in ("2022-11-01", "2023-02-01", "2023-04-01", "2023-06-01", "2023-08-01", "2023-10-01")
    ]
    base = party_gov.evaluate(data)
    # base lesson: 4 党课 -> 6, none by the secretary -> 6; activities 4 + 9 + 6 + 6 = 25
    assert base.sources["self"]["indicators"]["lesson"] == D("6.00")
    assert base.sources["self"]["table"] == D("74.00")
    assert base.total == D("74.80")  # 0.2 * 74 + 18 + 0.6 * 70 = 14.8 + 18 + 42
    ext = finance.evaluate(data)
    assert ext.sources["self"]["indicators"]["lesson"] == D("10.00")
    assert ext.sources["self"]["indicators"]["budget_party"] == D("5.00")
    assert ext.sources["self"]["dimensions"]["activities"] == D("34.00")  # 4 + 9 + 10 + 6 + 5
    assert ext.sources["self"]["table"] == D("76.84")  # 73 * 100 / 95 = 76.842105...
    assert ext.sources["superior"]["table"] == D("72.63")  # 69 * 100 / 95 = 72.631578...
    # (0.2 * 7300 + 0.6 * 6900) / 95 + 18 = 5600 / 95 + 18 = 76.947368... -> 76.95
    assert ext.total == D("76.95")


def test_finance_provenance_in_the_trace(finance: indicator_dsl.Ruleset) -> None:
    result = finance.evaluate(record(), trace=True)
    assert result.trace is not None
    at = {t.indicator: t.at for t in result.trace}
    assert at["budget_party"].endswith("finance.ind:7")  # `add indicator budget_party` in the extension
    assert at["lesson"].endswith("finance.ind:11")  # `override indicator lesson`
    assert at["election"].endswith("party_gov.ind:10")  # from the base
    assert at["dues"].endswith("party_gov.ind:29")
    assert not any(t.indicator == "committee" for t in result.trace)
    data = result.model_dump(mode="json")
    assert all(re.search(r"\.ind:\d+$", entry["at"]) for entry in data["trace"])


def test_worked_example_trace_reads_and_effects(party_gov: indicator_dsl.Ruleset) -> None:
    result = party_gov.evaluate(record(), trace=True)
    assert result.total == D("78.00")
    assert result.trace is not None
    by = {(t.indicator, t.source, t.clause): t for t in result.trace}
    committee_meeting = by[("committee_meeting", None, 0)]
    assert committee_meeting.fired and committee_meeting.effect == D(-3)
    assert committee_meeting.reads == {"months_with(...)": 9}
    assert committee_meeting.label == "支委会(每月1次)"
    member = by[("member_meeting", None, 0)]
    assert member.reads == {"quarters_with(...)": 2} and member.effect == D(-4)
    election = by[("election", None, 0)]
    assert not election.fired and election.effect == 0
    training = by[("training", None, 0)]
    assert training.fired and training.effect == D(-10)
    judged = by[("records", "superior", 0)]
    assert judged.kind == "judged" and judged.effect == D(12)


def test_advanced_needs_superior_activities_of_32(party_gov: indicator_dsl.Ruleset) -> None:
    data = full_marks()
    # no 支部党员大会 at all: member_meeting 8 - 2 * 4 = 0 -> activities 32; tables 92
    data["meetings"] = [m for m in data["meetings"] if m["kind"] != "支部党员大会"]
    result = party_gov.evaluate(data)
    assert result.sources["superior"]["dimensions"]["activities"] == D("32.00")
    assert result.total == D("93.60")  # 0.2 * 92 + 0.2 * 100 + 0.6 * 92 = 18.4 + 20 + 55.2
    assert result.grade == "advanced"
    # and no 党课 by the secretary: lesson 6 -> activities 28 < 32; tables 88
    for meeting in data["meetings"]:
        meeting["by_secretary"] = False
    result = party_gov.evaluate(data)
    assert result.sources["superior"]["dimensions"]["activities"] == D("28.00")
    assert result.total == D("90.40")  # 0.2 * 88 + 20 + 0.6 * 88 = 17.6 + 20 + 52.8
    assert result.grade == "standard"  # total >= 90, but superior.activities < 32
    assert result.outcomes == {"programme": "提升工程", "nominee": False}


def test_quota_within_department_then_outcomes(party_gov: indicator_dsl.Ruleset) -> None:
    # five full-marks branches of one department; superior venue 15..11 -> superior tables 100..96
    # totals 0.2 * 100 + 0.2 * 100 + 0.6 * (100 - d) = 100, 99.4, 98.8, 98.2, 97.6, all advanced by the rules
    # quota advanced at most 20% within department: n = 5, k = 1 -> only 100.00 keeps advanced (ties demote)
    records = []
    for d in range(5):
        data = full_marks()
        data["id"] = f"Q{d}"
        data["sheets"]["superior"]["venue"] = 15 - d
        records.append(data)
    other = full_marks()
    other["id"] = "O1"
    other["department"] = "省财政厅"  # alone in its department: n = 1, k = 0 -> moved too
    records.insert(2, other)
    batch = party_gov.evaluate_many(records)
    assert [r.id for r in batch.results] == ["Q0", "Q1", "O1", "Q2", "Q3", "Q4"]
    assert [r.total for r in batch.results] == [
        D("100.00"),
        D("99.40"),
        D("100.00"),
        D("98.80"),
        D("98.20"),
        D("97.60"),
    ]
    assert [r.grade_after_veto for r in batch.results] == ["advanced"] * 6
    assert [r.grade for r in batch.results] == ["advanced", "standard", "standard", "standard", "standard", "standard"]
    # outcomes are computed after the final grade
    assert batch.results[0].outcomes == {"programme": "头雁工程", "nominee": True}
    assert batch.results[1].outcomes == {"programme": "提升工程", "nominee": False}
    moved = batch.results[1]
    assert [(s.step, s.before, s.after) for s in moved.steps] == [
        ("rules", None, "advanced"),
        ("quota", "advanced", "standard"),
    ]
