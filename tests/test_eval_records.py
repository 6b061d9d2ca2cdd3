"""Record validation, sheets, batches with bad records, big records, and `ind eval` end to end.

Uses the spec's party_gov ruleset (examples/spec/) where the figures matter and the fixture
rulesets for sheets.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from support import SPEC_EXAMPLES

import indicator_dsl

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "eval_fixtures"
RULESETS = FIXTURES / "rulesets"
PARTY_GOV = SPEC_EXAMPLES / "rulesets" / "party_gov.ind"
WORKED = SPEC_EXAMPLES / "records" / "worked_example.json"
D = Decimal


def load(path: Path, backend: str = "compiled") -> indicator_dsl.Ruleset:
    rs = indicator_dsl.load(path, backend=backend)
    assert isinstance(rs, indicator_dsl.Ruleset)
    return rs


@pytest.fixture(scope="module")
def shapes() -> indicator_dsl.Ruleset:
    return load(RULESETS / "shapes.ind")


@pytest.fixture(scope="module")
def judged() -> indicator_dsl.Ruleset:
    return load(RULESETS / "judged.ind")


@pytest.fixture(scope="module")
def party_gov() -> indicator_dsl.Ruleset:
    return load(PARTY_GOV)


def worked() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(WORKED.read_text(encoding="utf-8"))
    return data


def errors_of(result: Any) -> dict[str, str]:
    return {e.path: e.message for e in result.errors}


def assert_unscored(result: Any) -> None:
    assert result.errors
    assert result.total is None and result.bonus is None and result.grade is None
    assert result.sources == {} and result.outcomes == {}


# ---------------------------------------------------------------- validation


BAD_FIELDS = [
    # (field, value, words the message must contain)
    ("n", "abc", ["'abc'", "whole number"]),
    ("n", 3.5, ["3.5", "whole number"]),  # a fraction for an int
    ("n", "3.5", ["3.5", "whole number"]),
    ("n", D("2.5"), ["2.5", "whole number"]),
    ("n", True, ["True"]),
    ("x", "abc", ["'abc'", "not a number"]),
    ("x", "NaN", ["NaN"]),
    ("x", "Infinity", ["Infinity"]),
    ("x", "-Infinity", ["Infinity"]),
    ("x", float("nan"), ["NaN"]),
    ("x", float("inf"), ["Infinity"]),
    ("x", D("NaN"), ["NaN"]),
    ("x", True, ["True"]),
    ("x", [1], ["[1]"]),
    ("founded_on", 20230101, ["20230101", "not a date"]),  # an int for a date
    ("founded_on", 44927, ["44927", "not a date"]),  # an Excel serial day is not a date either
    ("founded_on", "2023-02-30", ["2023-02-30", "not a date"]),
    ("founded_on", "2023-13-01", ["2023-13-01", "not a date"]),
    ("founded_on", "2023-01-01T10:00:00", ["2023-01-01T10:00:00"]),
    ("founded_on", "01/02/2023", ["01/02/2023"]),
    ("category", "党政", ["'党政'"]),  # enum members are exact
    ("category", "党政机关 ", ["'党政机关 '"]),
    ("secretary_rating", "Good", ["'Good'"]),
    ("has_party_cadre", 2, ["2"]),
    ("has_party_cadre", "maybe", ["maybe"]),
    ("systems", "学习", ["学习"]),  # text where a list belongs
    ("meetings", {"kind": "党课"}, []),
]


@pytest.mark.parametrize(("field", "value", "words"), BAD_FIELDS)
def test_a_bad_field_is_an_error_naming_the_field(
    shapes: indicator_dsl.Ruleset, field: str, value: Any, words: list[str]
) -> None:
    result = shapes.evaluate({"id": "B0042", field: value})
    assert_unscored(result)
    assert result.id == "B0042"
    problems = errors_of(result)
    assert field in problems, problems
    for word in words:
        assert word in problems[field], problems[field]


def test_errors_name_the_nested_path(shapes: indicator_dsl.Ruleset) -> None:
    items = [{"kind": "党课", "held_on": f"2023-01-0{i + 1}"} for i in range(3)]
    items.append({"kind": "党课", "held_on": "2023-13-01"})
    items.append({"kind": "党小组会", "held_on": "2023-02-01", "hours": "NaN"})
    students = [{"name": "甲", "courses": [{"mark": 1.5}]}]
    result = shapes.evaluate({"id": "B0042", "meetings": items, "students": students})
    assert_unscored(result)
    problems = errors_of(result)
    assert "'2023-13-01' is not a date" in problems["meetings[3].held_on"]
    assert "党小组会" in problems["meetings[4].kind"]
    assert "NaN" in problems["meetings[4].hours"]
    assert "whole number" in problems["students[0].courses[0].mark"]
    assert len(problems) == 4  # every problem at once


def test_missing_required_fields_and_ids(shapes: indicator_dsl.Ruleset, party_gov: indicator_dsl.Ruleset) -> None:
    result = shapes.evaluate({"x": 1})
    assert_unscored(result)
    assert result.id is None and "id" in errors_of(result)
    data = worked()
    del data["members"]
    del data["meetings"][0]["held_on"]
    result = party_gov.evaluate(data)
    assert_unscored(result)
    assert result.id == "B0001"
    assert set(errors_of(result)) == {"members", "meetings[0].held_on"}
    for bad in ([1, 2], "text", 7, None):
        result = shapes.evaluate(bad)
        assert_unscored(result)


def test_defaults_applied_and_optional_missing_is_none(
    shapes: indicator_dsl.Ruleset, party_gov: indicator_dsl.Ruleset
) -> None:
    model = shapes.record_model.model_validate({"id": "U", "meetings": [{"kind": "党课", "held_on": "2023-01-01"}]})
    dumped = model.model_dump()
    assert dumped["honors"] == [] and dumped["violations"] == 0 and dumped["department"] == "机关"
    assert dumped["category"] == "党政机关" and dumped["lesson_attendance"] == 1
    assert dumped["survey_satisfaction"] is None and dumped["last_election"] is None
    assert dumped["meetings"][0]["by_secretary"] is False and dumped["meetings"][0]["hours"] == 0
    # party_gov: serious_violations = 0, honors = [], by_secretary = false; optional attendance -> none
    data = worked()
    del data["serious_violations"]
    del data["honors"]
    del data["survey_satisfaction"]  # optional: none -> survey (none ?? 0) * 100 = 0
    for meeting in data["meetings"]:
        meeting.pop("by_secretary", None)
    result = party_gov.evaluate(data)
    assert result.errors == []
    # lesson loses the secretary's 4 points: 29 - 4 = 25; self 74, superior 70; survey 0
    assert result.sources["self"]["indicators"]["lesson"] == D("6.00")
    assert result.sources["survey"]["value"] == D("0.00")
    assert result.total == D("56.80")  # 0.2 * 74 + 0 + 0.6 * 70 = 14.8 + 42
    assert result.vetoes == [] and result.bonus == D("0.00")


def test_the_default_of_a_list_is_not_shared_between_records(shapes: indicator_dsl.Ruleset) -> None:
    first = shapes.record_model.model_validate({"id": "a"})
    second = shapes.record_model.model_validate({"id": "b"})
    assert first.honors is not second.honors  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0.96", D("0.96")),
        (" 0.96 ", D("0.96")),
        (0.1, D("0.1")),
        (0.95, D("0.95")),
        (D("0.950"), D("0.95")),
        (1, D(1)),
        ("1", D(1)),
    ],
)
def test_decimals_are_read_exactly(shapes: indicator_dsl.Ruleset, value: Any, expected: Decimal) -> None:
    model = shapes.record_model.model_validate({"id": "U", "x": value})
    read = model.x  # type: ignore[attr-defined]
    assert isinstance(read, Decimal)
    assert read == expected


@pytest.mark.parametrize("dues", [0.95, "0.95", D("0.95")])
def test_a_float_095_is_exactly_95_percent(party_gov: indicator_dsl.Ruleset, dues: Any) -> None:
    # float 0.95 is 0.94999999999999995559... in binary: read exactly it reaches the `>= 95%` band (6 points)
    data = worked()
    data["dues_on_time"] = dues
    result = party_gov.evaluate(data)
    assert result.sources["self"]["indicators"]["dues"] == D("6.00")
    data["dues_on_time"] = "0.9499"
    assert party_gov.evaluate(data).sources["self"]["indicators"]["dues"] == D("3.00")


def test_json_schema_and_record_model(shapes: indicator_dsl.Ruleset) -> None:
    schema = shapes.json_schema()
    assert "id" in schema["properties"] and "meetings" in schema["properties"]
    assert "id" in schema.get("required", [])
    text = json.dumps(schema, ensure_ascii=False)
    for member in ("党政机关", "国有企业", "离退休干部"):
        assert member in text


# ---------------------------------------------------------------- sheets


GOOD_SHEETS = {
    "self": {"records": 8, "venue": {"score": 9, "reason": "阵地达标"}},
    "superior": {"records": 6, "innovation": 4, "venue": {"score": 7, "reason": "经费不足"}},
}


def test_good_sheets(judged: indicator_dsl.Ruleset) -> None:
    result = judged.evaluate({"id": "J", "points": 5}, sheets=GOOD_SHEETS)
    assert result.errors == []
    # self 8 + 4 + 9 + 5 = 26; superior 6 + 4 + 7 + 5 = 22; survey (none ?? 0) * 30 = 0
    # total = 0.3 * 26 + 0 + 0.6 * 22 = 7.8 + 13.2 = 21
    assert result.total == D("21.00")


def test_sheet_errors_are_reported_all_at_once(judged: indicator_dsl.Ruleset) -> None:
    sheets = {
        "self": {
            "records": 11,  # out of range: max 10
            "innovation": 3,  # judged by superior only
            "computed": 4,  # not a judged indicator
            "nonsense": 1,  # not an indicator
            "venue": 9,  # reason required
        },
        "superior": {"records": -1, "venue": {"score": "abc", "reason": "x"}},  # no innovation: missing
        "survey": {"records": 5},  # a computed source has no sheet
        "auditor": {"records": 5},  # not a source
    }
    result = judged.evaluate({"id": "J7", "points": 5}, sheets=sheets)
    assert_unscored(result)
    assert result.id == "J7"
    problems = errors_of(result)
    assert set(problems) == {
        "sheets.self.records",
        "sheets.self.innovation",
        "sheets.self.computed",
        "sheets.self.nonsense",
        "sheets.self.venue",
        "sheets.superior.records",
        "sheets.superior.venue",
        "sheets.superior.innovation",
        "sheets.survey.records",
        "sheets.auditor",
    }
    assert "11" in problems["sheets.self.records"] and "10" in problems["sheets.self.records"]
    assert "superior" in problems["sheets.self.innovation"]
    assert "not a judged indicator" in problems["sheets.self.computed"]
    assert "not an indicator" in problems["sheets.self.nonsense"]
    assert "reason" in problems["sheets.self.venue"]
    assert "-1" in problems["sheets.superior.records"]
    assert "abc" in problems["sheets.superior.venue"]
    assert "no judged score" in problems["sheets.superior.innovation"]


def test_missing_sheets_name_every_missing_score(judged: indicator_dsl.Ruleset) -> None:
    result = judged.evaluate({"id": "J8", "points": 5})
    assert_unscored(result)
    assert set(errors_of(result)) == {
        "sheets.self.records",
        "sheets.self.venue",
        "sheets.superior.records",
        "sheets.superior.venue",
        "sheets.superior.innovation",
    }


def test_blank_reason_is_no_reason(judged: indicator_dsl.Ruleset) -> None:
    sheets = json.loads(json.dumps(GOOD_SHEETS))
    sheets["superior"]["venue"] = {"score": 7, "reason": "  "}
    result = judged.evaluate({"id": "J9", "points": 5}, sheets=sheets)
    assert set(errors_of(result)) == {"sheets.superior.venue"}


def test_sheets_in_the_record_under_the_reserved_key(judged: indicator_dsl.Ruleset) -> None:
    result = judged.evaluate({"id": "J", "points": 5, "sheets": GOOD_SHEETS})
    assert result.errors == [] and result.total == D("21.00")


# ---------------------------------------------------------------- batches


def test_a_batch_keeps_order_and_scores_the_rest(party_gov: indicator_dsl.Ruleset) -> None:
    good = worked()
    bad_date = worked()
    bad_date["id"] = "B0002"
    bad_date["meetings"][3]["held_on"] = "2023-02-30"
    bad_number = worked()
    bad_number["id"] = "B0003"
    bad_number["dues_on_time"] = "NaN"
    other = worked()
    other["id"] = "B0004"
    other["sheets"]["superior"]["venue"] = 16
    last = worked()
    last["id"] = "B0005"
    batch = party_gov.evaluate_many([good, bad_date, "not a record", bad_number, other, last])
    assert [r.id for r in batch.results] == ["B0001", "B0002", None, "B0003", "B0004", "B0005"]
    assert [r.total for r in batch.results] == [D("78.00"), None, None, None, None, D("78.00")]
    assert errors_of(batch.results[1]) == {"meetings[3].held_on": "'2023-02-30' is not a date"}
    assert set(errors_of(batch.results[3])) == {"dues_on_time"}
    assert set(errors_of(batch.results[4])) == {"sheets.superior.venue"}
    assert [r.id for r in batch.failed] == ["B0002", None, "B0003", "B0004"]
    assert [r.grade for r in batch.results] == ["standard", None, None, None, None, "standard"]


def test_a_5000_meeting_record_scores(party_gov: indicator_dsl.Ruleset) -> None:
    data = worked()
    kinds = ["支部党员大会", "支委会", "党小组会", "党课", "主题党日", "组织生活会"]
    data["meetings"] = [
        {
            "kind": kinds[i % 6],
            "held_on": f"{2021 + i % 3}-{1 + i % 12:02d}-{1 + i % 28:02d}",
            "attendance": "0.9",
            "by_secretary": i % 100 == 3,
        }
        for i in range(5000)
    ]
    started = time.perf_counter()
    result = party_gov.evaluate(data)
    elapsed = time.perf_counter() - started
    assert result.errors == []
    # i % 6 == 0 (支部党员大会) and i % 3 == 2 (2023): i ≡ 2 mod 3 and ≡ 0 mod 6 never meet -> no 2023 meeting;
    # so member_meeting = 8 - 2 * 4 = 0. 支委会: i ≡ 1 mod 6 and ≡ 2 mod 3 never meet either -> 12 - 12 = 0.
    # 党课 (i ≡ 3 mod 6): count >= 4 -> 6; by the secretary when i % 100 == 3 (i = 3, a 党课) -> 4
    ind = result.sources["self"]["indicators"]
    assert (ind["member_meeting"], ind["committee_meeting"], ind["lesson"]) == (D("0.00"), D("0.00"), D("10.00"))
    assert elapsed < 5


# ---------------------------------------------------------------- `ind eval` end to end


def ind(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "indicator_dsl", "eval", *map(str, args)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=cwd,
        timeout=120,
    )


def jsonl_records() -> list[str]:
    first = worked()
    second = worked()
    second["id"] = "B0002"
    second["meetings"][3]["held_on"] = "2023-13-01"
    third = worked()
    third["id"] = "B0003"
    third["serious_violations"] = 2
    return [
        json.dumps(first, ensure_ascii=False),
        json.dumps(second, ensure_ascii=False),
        '{"id": "B0009", "members": 12,',
        json.dumps(third, ensure_ascii=False),
    ]


def test_cli_jsonl_with_a_non_json_line(tmp_path: Path) -> None:
    path = tmp_path / "records.jsonl"
    path.write_text("\n".join(jsonl_records()) + "\n", encoding="utf-8")
    done = ind(PARTY_GOV, path, "--format", "jsonl")
    assert done.returncode == 1, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 4
    results = [json.loads(line) for line in lines]
    assert [r["id"] for r in results][:2] == ["B0001", "B0002"] and results[3]["id"] == "B0003"
    assert results[0]["total"] == "78.00" and results[0]["grade"] == "standard" and results[0]["errors"] == []
    assert results[1]["total"] is None and results[1]["errors"][0]["path"] == "meetings[3].held_on"
    bad = results[2]
    assert bad["errors"] and bad["total"] is None and bad["grade"] is None and bad["bonus"] is None
    assert "line 3" in json.dumps(bad["errors"], ensure_ascii=False)
    assert results[3]["total"] == "78.00" and results[3]["grade"] == "lagging"
    assert results[3]["vetoes"] == ["discipline"] and results[3]["grade_by_rules"] == "standard"


def test_cli_out_file_and_exit_codes(tmp_path: Path) -> None:
    path = tmp_path / "records.json"
    path.write_text(WORKED.read_text(encoding="utf-8"), encoding="utf-8")
    out = tmp_path / "out" / "results.json"
    done = ind(PARTY_GOV, path, "--format", "json", "--out", out)
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    results = json.loads(out.read_text(encoding="utf-8"))
    assert len(results) == 1
    first = results[0]
    assert first["total"] == "78.00" and first["sources"]["superior"]["table"] == "74.00"
    assert first["sources"]["superior"]["dimensions"]["activities"] == "29.00"
    assert first["outcomes"] == {"programme": "提升工程", "nominee": False}
    # a ruleset that does not check: exit 2
    broken = tmp_path / "broken.ind"
    broken.write_text("ruleset broken\nrecord Nothing\n", encoding="utf-8")
    assert ind(broken, path).returncode == 2
    # a missing records file: exit 2
    assert ind(PARTY_GOV, tmp_path / "missing.json").returncode == 2


def test_cli_csv_with_a_json_list_cell(tmp_path: Path) -> None:
    data = worked()
    buffer = io.StringIO()
    columns = [
        "id",
        "department",
        "category",
        "members",
        "committee_size",
        "last_election",
        "meetings",
        "dues_on_time",
        "secretary_trained",
        "serious_violations",
        "honors",
        "survey_satisfaction",
    ]
    writer = csv.DictWriter(buffer, fieldnames=columns)
    writer.writeheader()
    row = {k: data[k] for k in columns}
    row["meetings"] = json.dumps(data["meetings"], ensure_ascii=False)
    row["honors"] = json.dumps(["模范机关建设先进单位"], ensure_ascii=False)
    row["secretary_trained"] = "false"
    writer.writerow(row)
    second = dict(row, id="B0002", members="12.5")
    writer.writerow(second)
    path = tmp_path / "records.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8")
    sheets = tmp_path / "sheets.json"
    sheets.write_text(json.dumps({"B0001": data["sheets"], "B0002": data["sheets"]}), encoding="utf-8")
    done = ind(PARTY_GOV, path, "--sheets", sheets, "--format", "jsonl")
    assert done.returncode == 1, done.stderr
    results = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(results) == 2
    # 78 + bonus 3 (模范机关建设先进单位) = 81
    assert results[0]["bonus"] == "3.00" and results[0]["total"] == "81.00" and results[0]["errors"] == []
    assert results[1]["id"] == "B0002" and results[1]["total"] is None
    assert results[1]["errors"][0]["path"] == "members"


def test_cli_yaml_input(tmp_path: Path) -> None:
    data = worked()
    second = worked()
    second["id"] = "B0002"
    second["survey_satisfaction"] = "0.8"
    path = tmp_path / "records.yaml"
    path.write_text(yaml.safe_dump([data, second], allow_unicode=True), encoding="utf-8")
    done = ind(PARTY_GOV, path, "--format", "json")
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout)
    assert [r["total"] for r in results] == ["78.00", "76.00"]  # 0.2 * 80 instead of 0.2 * 90: 78 - 2
    # YAML dates (unquoted 2022-03-01 becomes a date) are read as dates too
    plain = tmp_path / "plain.yaml"
    plain.write_text(yaml.safe_dump(data, allow_unicode=True).replace("'2022-03-01'", "2022-03-01"), encoding="utf-8")
    assert "last_election: 2022-03-01" in plain.read_text(encoding="utf-8")
    done = ind(PARTY_GOV, plain, "--format", "jsonl")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["total"] == "78.00"


def test_cli_json_numbers_are_read_exactly(tmp_path: Path) -> None:
    data = worked()
    text = json.dumps(data, ensure_ascii=False).replace('"dues_on_time": "0.96"', '"dues_on_time": 0.95')
    assert '"dues_on_time": 0.95' in text
    path = tmp_path / "records.json"
    path.write_text(text, encoding="utf-8")
    done = ind(PARTY_GOV, path, "--format", "jsonl")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["sources"]["self"]["indicators"]["dues"] == "6.00"
    nan = tmp_path / "nan.jsonl"
    nan.write_text(text.replace('"dues_on_time": 0.95', '"dues_on_time": NaN') + "\n" + text + "\n", encoding="utf-8")
    done = ind(PARTY_GOV, nan, "--format", "jsonl")
    assert done.returncode == 1
    results = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(results) == 2 and results[0]["errors"] and results[0]["total"] is None
    assert results[1]["total"] == "78.00"


def test_cli_explain(tmp_path: Path) -> None:
    done = ind(PARTY_GOV, WORKED, "--explain", "B0001")
    assert done.returncode == 0, done.stderr
    assert "78.00" in done.stdout and "达标" in done.stdout and "支委会(每月1次)" in done.stdout


def test_a_record_model_instance_is_accepted(party_gov: indicator_dsl.Ruleset) -> None:
    data = worked()
    sheets = data.pop("sheets")
    model = party_gov.record_model.model_validate(data)
    result = party_gov.evaluate(model, sheets=sheets)
    assert result.id == "B0001" and result.total == D("78.00")


def test_cli_streamed_jsonl_out_and_workers(tmp_path: Path) -> None:
    lines = jsonl_records()
    records = tmp_path / "records.jsonl"
    records.write_text("\n".join(lines) + "\n", encoding="utf-8")
    expected = [None] * 4
    for workers in ("1", "2"):
        out = tmp_path / f"results{workers}.jsonl"
        done = ind(PARTY_GOV, records, "--format", "jsonl", "--out", out, "--workers", workers)
        assert done.returncode == 1, done.stderr
        results = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
        assert len(results) == 4
        assert [r["total"] for r in results] == ["78.00", None, None, "78.00"]
        assert [bool(r["errors"]) for r in results] == [False, True, True, False]
        figures = [{k: v for k, v in r.items() if k != "trace"} for r in results]
        if workers == "1":
            expected = figures
        else:
            assert figures == expected


def test_cli_quotas_match_the_api(tmp_path: Path, party_gov: indicator_dsl.Ruleset) -> None:
    # 24 branches, full marks but for the superior's venue score: totals 100 - 0.6 * d, in two departments
    records = []
    for i in range(24):
        data = worked()
        data["id"] = f"C{i:02d}"
        data["department"] = ["甲", "乙"][i % 2]
        data["meetings"] = (
            [{"kind": "支部党员大会", "held_on": f"2023-{m:02d}-10"} for m in (1, 4, 7, 10)]
            + [{"kind": "支委会", "held_on": f"2023-{m:02d}-05"} for m in range(1, 13)]
            + [{"kind": "党课", "held_on": f"2023-{m:02d}-20", "by_secretary": True} for m in (3, 6, 9, 11)]
        )
        data.update(dues_on_time="1", secretary_trained=True, survey_satisfaction="1")
        data["sheets"] = {"self": {"records": 15, "venue": 15}, "superior": {"records": 15, "venue": 15 - i % 13}}
        records.append(data)
    expected = [
        {k: v for k, v in r.model_dump(mode="json").items() if k != "trace"} for r in party_gov.evaluate_many(records)
    ]
    # per department: n = 12, k = 2; the rest of the advanced ones move down
    assert sum(1 for r in expected if r["grade"] == "advanced") == 4
    path = tmp_path / "records.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    for extra in ([], ["--out", str(tmp_path / "out.jsonl")]):
        done = ind(PARTY_GOV, path, "--format", "jsonl", *extra)
        assert done.returncode == 0, done.stderr
        text = (tmp_path / "out.jsonl").read_text(encoding="utf-8") if extra else done.stdout
        got = [{k: v for k, v in json.loads(line).items() if k != "trace"} for line in text.splitlines()]
        assert got == expected


def test_cli_table_names_the_record_and_the_path(tmp_path: Path) -> None:
    data = worked()
    data["id"] = "B0042"
    data["meetings"][3]["held_on"] = "2023-13-01"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps([worked(), data], ensure_ascii=False), encoding="utf-8")
    done = ind(PARTY_GOV, path)
    assert done.returncode == 1
    rows = done.stdout.splitlines()
    assert len(rows) == 3  # header + one row per record, in order
    assert rows[1].startswith("B0001") and "78.00" in rows[1]
    assert rows[2].startswith("B0042") and "meetings[3].held_on: '2023-13-01' is not a date" in rows[2]
