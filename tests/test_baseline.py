"""The hand-written ``party_gov`` baseline (benchmarks/baseline.py) and record generator.

Every figure here is computed by hand from LANGUAGE.md sections 6, 6.2 and 8.
"""

from __future__ import annotations

import json
import random
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from support import SPEC_EXAMPLES

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.baseline import (  # noqa: E402
    RecordError,
    apply_quota,
    months_between,
    parse_record,
    result_to_json,
    score_jsonl_line,
    score_record,
)
from benchmarks.records import DEPARTMENTS, generate_party_gov_records, write_jsonl  # noqa: E402

D = Decimal

# The worked example of LANGUAGE.md section 8, as in examples/spec/records/worked_example.json
# (written out here field by field too; the next test checks the file against it).
_WORKED_MEETINGS = [
    ("支部党员大会", "2023-02-10"),
    ("支部党员大会", "2023-08-15"),
    *[("支委会", f"2023-{m:02d}-05") for m in range(1, 10)],
    ("支委会", "2023-03-25"),
]
WORKED_EXAMPLE: dict[str, Any] = {
    "id": "B0001",
    "department": "省发展改革委",
    "category": "党政机关",
    "members": 12,
    "committee_size": 5,
    "last_election": "2022-03-01",
    "meetings": [
        *[{"kind": k, "held_on": d} for k, d in _WORKED_MEETINGS],
        *[
            {"kind": "党课", "held_on": d, "by_secretary": d == "2023-06-20"}
            for d in ("2023-03-20", "2023-06-20", "2023-09-20", "2023-11-20")
        ],
        {"kind": "支委会", "held_on": "2022-12-20"},  # outside the period
    ],
    "dues_on_time": "0.96",
    "secretary_trained": False,
    "serious_violations": 0,
    "honors": [],
    "survey_satisfaction": "0.9",
    "sheets": {"self": {"records": 14, "venue": 15}, "superior": {"records": 12, "venue": 13}},
}
WORKED_TEXT = json.dumps(WORKED_EXAMPLE, ensure_ascii=False)


def test_worked_example_matches_the_spec_file() -> None:
    text = (SPEC_EXAMPLES / "records" / "worked_example.json").read_text(encoding="utf-8")
    assert json.loads(text, parse_float=Decimal) == json.loads(WORKED_TEXT, parse_float=Decimal)
    expected = json.loads((SPEC_EXAMPLES / "records" / "worked_example.expected.json").read_text(encoding="utf-8"))
    result = score_record(parse_record(json.loads(text, parse_float=Decimal)))
    assert str(result["total"]) == expected["total"] == "78.00"
    assert result["grade"] == expected["grade"] == "standard"
    assert result["sources"]["self"]["table"] == expected["self_table"]
    assert result["sources"]["superior"]["table"] == expected["superior_table"]
    assert result["sources"]["survey"]["value"] == expected["survey"]
    assert result["outcomes"] == {"programme": expected["programme"], "nominee": expected["nominee"]}


def meeting(kind: str, held_on: date, *, by_secretary: bool = False) -> dict[str, Any]:
    return {"kind": kind, "held_on": held_on, "attendance": None, "by_secretary": by_secretary}


def full_marks(**changes: Any) -> dict[str, Any]:
    """A typed record scoring every point: 100.00 from both tables and a 100% survey."""
    meetings = [meeting("支部党员大会", date(2023, 3 * q + 1, 10)) for q in range(4)]
    meetings += [meeting("支委会", date(2023, m, 5)) for m in range(1, 13)]
    meetings += [meeting("党课", date(2023, m, 20), by_secretary=m == 3) for m in (3, 6, 9, 11)]
    record: dict[str, Any] = {
        "id": "B9000",
        "department": "省财政厅",
        "category": "党政机关",
        "members": 12,
        "committee_size": 5,
        "last_election": date(2022, 3, 1),
        "meetings": meetings,
        "dues_on_time": D("1"),
        "secretary_trained": True,
        "serious_violations": 0,
        "honors": [],
        "survey_satisfaction": D("1"),
        "sheets": {"self": {"records": D(15), "venue": D(15)}, "superior": {"records": D(15), "venue": D(15)}},
    }
    record.update(changes)
    return record


# --------------------------------------------------------------------------- worked example


def test_worked_example_from_the_spec() -> None:
    record = parse_record(json.loads(WORKED_TEXT, parse_float=Decimal))
    result = score_record(record)
    self_, superior = result["sources"]["self"], result["sources"]["superior"]
    assert self_["dimensions"] == {
        "organisation": 20,
        "activities": 29,
        "team": 0,
        "institutions": 14,
        "support": 15,
    }
    assert [self_["indicators"][i] for i in ("member_meeting", "committee_meeting", "lesson", "dues")] == [4, 9, 10, 6]
    assert self_["table"] == 78
    assert superior["table"] == 74
    assert superior["dimensions"]["activities"] == 29
    assert result["sources"]["survey"]["value"] == 90
    assert result["total"] == D("78.00")
    assert str(result["total"]) == "78.00"
    assert result["grade_by_rules"] == result["grade_after_veto"] == result["grade"] == "standard"
    assert result["outcomes"] == {"programme": "提升工程", "nominee": False}


def test_worked_example_end_to_end_json() -> None:
    out = json.loads(score_jsonl_line(WORKED_TEXT))
    assert out["id"] == "B0001"
    assert out["total"] == "78.00"
    assert out["grade"] == out["grade_by_rules"] == out["grade_after_veto"] == "standard"
    assert out["sources"]["self"]["table"] == "78.00"
    assert out["sources"]["superior"]["table"] == "74.00"
    assert out["sources"]["survey"] == {"value": "90.00"}
    assert out["sources"]["superior"]["dimensions"]["activities"] == "29.00"
    assert out["bonus"] == "0.00"
    assert out["vetoes"] == []
    assert out["outcomes"] == {"programme": "提升工程", "nominee": False}
    assert out["errors"] == []


# --------------------------------------------------------------------------- hand-computed cases


def test_full_marks_is_advanced() -> None:
    result = score_record(full_marks())
    assert result["sources"]["self"]["table"] == result["sources"]["superior"]["table"] == 100
    assert result["total"] == D("100.00")
    assert result["grade"] == "advanced"
    assert result["outcomes"] == {"programme": "头雁工程", "nominee": True}


def test_bonus_adds_after_combination() -> None:
    both = score_record(full_marks(honors=["模范机关建设先进单位", "五好党支部", "模范机关建设优秀案例"]))
    assert both["bonus"] == 5
    assert str(both["total"]) == "105.00"  # totals are not clipped at `total 100`
    one = score_record(full_marks(honors=["模范机关建设优秀案例"], survey_satisfaction=D("0.5")))
    assert one["bonus"] == 2
    assert str(one["total"]) == "92.00"  # 20 + 10 + 60 + 2


def test_serious_violation_caps_at_lagging() -> None:
    result = score_record(full_marks(serious_violations=1))
    assert result["total"] == D("100.00")
    assert result["grade_by_rules"] == "advanced"
    assert result["vetoes"] == ["discipline"]
    assert result["grade_after_veto"] == result["grade"] == "lagging"
    assert result["outcomes"] == {"programme": "转化工程", "nominee": False}


def test_grades_compare_the_rounded_total() -> None:
    # superior records 6.325 (judged scores are used exactly): superior table 83.325,
    # total = 0.2·100 + 0.2·100 + 0.6·83.325 = 89.995, shown 90.00, so advanced.
    sheets = {"self": {"records": D(15), "venue": D(15)}, "superior": {"records": D("6.325"), "venue": D(7)}}
    result = score_record(full_marks(sheets=sheets))
    assert result["total_exact"] == D("89.995")
    assert str(result["total"]) == "90.00"
    assert result["grade"] == "advanced"
    out = result_to_json(result)
    assert out["total"] == "90.00"
    assert out["sources"]["superior"]["table"] == "83.33"  # half-up, not half-even 83.32
    assert out["sources"]["superior"]["indicators"]["records"] == "6.33"

    sheets["superior"]["records"] = D("6.32")  # 89.992 -> 89.99
    below = score_record(full_marks(sheets=sheets))
    assert str(below["total"]) == "89.99"
    assert below["grade"] == "standard"


def test_advanced_needs_superior_activities_32() -> None:
    # 支委会 in only 7 months of the period (2022-12 and 2024-01 don't count, a second
    # July meeting counts once): committee_meeting 12 - 5 = 7, activities 35.
    meetings = [m for m in full_marks()["meetings"] if m["kind"] != "支委会"]
    meetings += [meeting("支委会", date(2023, m, 5)) for m in range(1, 8)]
    meetings += [
        meeting("支委会", date(2023, 7, 25)),
        meeting("支委会", date(2022, 12, 20)),
        meeting("支委会", date(2024, 1, 3)),
    ]
    result = score_record(full_marks(meetings=meetings))
    assert result["sources"]["superior"]["indicators"]["committee_meeting"] == 7
    assert result["sources"]["superior"]["dimensions"]["activities"] == 35
    assert str(result["total"]) == "96.00"  # tables 95: 0.2·95 + 0.2·100 + 0.6·95
    assert result["grade"] == "advanced"

    # One 支部党员大会 quarter only (8 - 2·3 = 2) and 党课 without the secretary (6):
    # activities 12 + 2 + 6 + 10 = 30 < 32, so a total of 92.00 is only standard.
    meetings = [m for m in full_marks()["meetings"] if m["kind"] not in ("支部党员大会", "党课")]
    meetings += [meeting("支部党员大会", date(2023, m, 1)) for m in (1, 2, 3)]
    meetings += [meeting("党课", date(2023, m, 1)) for m in (2, 4, 6, 8, 10)]
    result = score_record(full_marks(meetings=meetings))
    assert result["sources"]["superior"]["indicators"]["member_meeting"] == 2
    assert result["sources"]["superior"]["indicators"]["lesson"] == 6
    assert result["sources"]["superior"]["dimensions"]["activities"] == 30
    assert str(result["total"]) == "92.00"  # tables 90: 0.2·90 + 0.2·100 + 0.6·90
    assert result["grade"] == "standard"


def test_deductions_clamp_and_bands() -> None:
    # Nothing done: election overdue, committee missing (7 members, 2 in committee), no
    # meetings (8 - 2·4 = 0, 12 - 12 = 0), dues 89.99%, untrained, judged 0, no survey.
    sheets = {"self": {"records": D(0), "venue": D(0)}, "superior": {"records": D(0), "venue": D(0)}}
    record = full_marks(
        last_election=date(2020, 11, 30),
        members=7,
        committee_size=2,
        meetings=[],
        dues_on_time=D("0.8999"),
        secretary_trained=False,
        survey_satisfaction=None,
        sheets=sheets,
    )
    result = score_record(record)
    assert all(v == 0 for v in result["sources"]["self"]["indicators"].values())
    assert result["sources"]["survey"]["value"] == 0
    assert str(result["total"]) == "0.00"
    assert result["grade"] == "lagging"
    assert result["outcomes"] == {"programme": "转化工程", "nominee": False}

    for dues, points in (("1.0", 10), ("0.99999", 6), ("0.95", 6), ("0.9499", 3), ("0.90", 3), ("0.8999", 0)):
        assert score_record(full_marks(dues_on_time=D(dues)))["sources"]["self"]["indicators"]["dues"] == points

    # months_between(2020-12-31, 2023-12-31) = 36: not overdue; 2020-11-30 gives 37.
    assert score_record(full_marks(last_election=date(2020, 12, 31)))["sources"]["self"]["indicators"]["election"] == 10
    assert score_record(full_marks(last_election=None))["sources"]["self"]["indicators"]["election"] == 0
    assert score_record(full_marks(members=6, committee_size=0))["sources"]["self"]["indicators"]["committee"] == 10


def test_months_between() -> None:
    assert months_between(date(2020, 12, 31), date(2023, 12, 31)) == 36
    assert months_between(date(2020, 11, 30), date(2023, 12, 31)) == 37
    assert months_between(date(2021, 1, 31), date(2023, 2, 28)) == 24
    assert months_between(date(2023, 3, 15), date(2023, 1, 20)) == -2


def _graded(total_survey: str, department: str, rid: str, **changes: Any) -> dict[str, Any]:
    # full marks elsewhere: total = 80 + 20 · survey_satisfaction
    return full_marks(id=rid, department=department, survey_satisfaction=D(total_survey), **changes)


def test_quota_demotes_ties_at_the_line() -> None:
    records = [
        # 省财政厅: n = 10, k = floor(10 · 20%) = 2; four advanced at 95, 92, 92, 91:
        # t_2 = 92, only totals above 92 stay (ties demote): B1 keeps advanced.
        _graded("0.75", "省财政厅", "B1"),
        _graded("0.60", "省财政厅", "B2"),
        _graded("0.60", "省财政厅", "B3"),
        _graded("0.55", "省财政厅", "B4"),
        *[_graded("0", "省财政厅", f"B{i}") for i in range(5, 10)],  # 80.00 standard
        _graded("1", "省财政厅", "B10", serious_violations=1),  # counts in n, stays lagging
        # 省教育厅: n = 5, k = 1, one advanced: unchanged.
        _graded("1", "省教育厅", "C1"),
        *[_graded("0", "省教育厅", f"C{i}") for i in range(2, 6)],
        # 省审计厅: n = 4, k = 0: its only advanced branch moves down.
        _graded("1", "省审计厅", "D1"),
        *[_graded("0", "省审计厅", f"D{i}") for i in range(2, 5)],
    ]
    results = [score_record(r) for r in records]
    assert [str(results[i]["total"]) for i in range(4)] == ["95.00", "92.00", "92.00", "91.00"]
    assert all(results[i]["grade"] == "advanced" for i in range(4))

    final = apply_quota(results, records)
    grades = {r["id"]: r["grade"] for r in final}
    assert [grades[f"B{i}"] for i in range(1, 11)] == ["advanced"] + ["standard"] * 8 + ["lagging"]
    assert grades["C1"] == "advanced"
    assert grades["D1"] == "standard"
    by_id = {r["id"]: r for r in final}
    assert by_id["B2"]["outcomes"] == {"programme": "提升工程", "nominee": False}
    assert by_id["B2"]["grade_after_veto"] == "advanced"
    assert by_id["B2"]["quota"]
    assert by_id["B1"]["outcomes"] == {"programme": "头雁工程", "nominee": True}
    assert results[1]["grade"] == "advanced"  # inputs untouched

    # The same for any input order.
    order = list(range(len(records)))
    random.Random(7).shuffle(order)
    shuffled = apply_quota([results[i] for i in order], [records[i] for i in order])
    assert {r["id"]: r["grade"] for r in shuffled} == grades


# --------------------------------------------------------------------------- parsing and errors


def test_parse_record_reads_decimals_exactly_and_fills_defaults() -> None:
    obj = json.loads(WORKED_TEXT, parse_float=Decimal)
    obj.pop("serious_violations")
    obj.pop("honors")
    obj["members"] = 12
    record = parse_record(obj)
    assert record["dues_on_time"] == D("0.96")
    assert isinstance(record["dues_on_time"], Decimal)
    assert record["last_election"] == date(2022, 3, 1)
    assert record["meetings"][0] == {
        "kind": "支部党员大会",
        "held_on": date(2023, 2, 10),
        "attendance": None,
        "by_secretary": False,
    }
    assert record["serious_violations"] == 0
    assert record["honors"] == []
    assert record["sheets"]["self"] == {"records": D(14), "venue": D(15)}


def test_bad_record_names_id_and_path() -> None:
    obj = json.loads(WORKED_TEXT, parse_float=Decimal)
    obj["id"] = "B0042"
    obj["meetings"][3]["held_on"] = "2023-13-01"
    obj["survey_satisfaction"] = "NaN"
    obj["dues_on_time"] = 0.96  # a binary float
    with pytest.raises(RecordError) as info:
        parse_record(obj)
    assert "B0042: meetings[3].held_on: '2023-13-01' is not a date" in str(info.value)
    assert {path for path, _ in info.value.errors} == {"meetings[3].held_on", "survey_satisfaction", "dues_on_time"}

    out = json.loads(score_jsonl_line(json.dumps(obj | {"dues_on_time": "0.96"}, ensure_ascii=False)))
    assert out["id"] == "B0042"
    assert out["total"] is None
    assert [e["path"] for e in out["errors"]] == ["meetings[3].held_on", "survey_satisfaction"]


def test_sheet_errors_are_all_named() -> None:
    sheets = {"self": {"records": D(16), "venu": D(3)}, "superior": {"records": D(12), "venue": D("-1")}}
    with pytest.raises(RecordError) as info:
        score_record(full_marks(sheets=sheets))
    assert {path for path, _ in info.value.errors} == {
        "sheets.self.records",
        "sheets.self.venu",
        "sheets.self.venue",
        "sheets.superior.venue",
    }


# --------------------------------------------------------------------------- generator


def test_generator_is_deterministic_and_sized(tmp_path: Path) -> None:
    first = generate_party_gov_records(300, seed=11)
    assert len(first) == 300
    assert first == generate_party_gov_records(300, seed=11)
    assert first != generate_party_gov_records(300, seed=12)
    assert generate_party_gov_records(0) == []
    assert [r["id"] for r in first[:3]] == ["B000001", "B000002", "B000003"]
    assert len(set(DEPARTMENTS)) == len(DEPARTMENTS) == 90
    assert all(20 <= len(r["meetings"]) <= 80 for r in first)

    path = tmp_path / "records.jsonl"
    assert write_jsonl(path, first) == 300
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 300
    assert json.loads(lines[0]) == first[0]


def test_generated_records_score_with_mixed_grades() -> None:
    records = [parse_record(json.loads(json.dumps(r), parse_float=Decimal)) for r in generate_party_gov_records(1500)]
    results = apply_quota([score_record(r) for r in records], records)
    grades = [r["grade"] for r in results]
    assert {"advanced", "standard", "lagging"} <= set(grades)
    assert grades.count("standard") > len(grades) / 2
    assert any(r["vetoes"] for r in results)
    assert any(r["bonus"] for r in results)
