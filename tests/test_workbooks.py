"""Data-entry workbooks: the template's layout and validation, records written to a workbook and
read back scoring exactly as the JSON they came from, and a bad cell reported by sheet and cell."""

from __future__ import annotations

import json
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from tests.support import EVAL_RULESETS, ROOT, run_ind

import indicator_dsl
from indicator_dsl.evaluate.inputs import InputError, read_records
from indicator_dsl.evaluate.workbook_read import column_letter
from indicator_dsl.outputs.workbook_template import write_workbook

openpyxl = pytest.importorskip("openpyxl", reason="pip install -e '.[office]'")
pytest.importorskip("python_calamine", reason="pip install -e '.[office]'")
pytest.importorskip("xlsxwriter", reason="pip install -e '.[office]'")

CATALOG = ROOT / "rulesets" / "jiangsu" / "catalog.ind"
SAMPLE = ROOT / "examples" / "province" / "sample.jsonl"
FIXTURE_RECORDS = ROOT / "tests" / "eval_fixtures" / "records"


def _dumped(model: Any, records: list[Any]) -> list[dict[str, Any]]:
    return [r.model_dump(mode="json") for r in model.evaluate_many(records).results]


@pytest.fixture(scope="module")
def catalog() -> Any:
    return indicator_dsl.load(CATALOG)


@pytest.fixture(scope="module")
def sample() -> list[Any]:
    return list(read_records(SAMPLE))


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory, catalog: Any, sample: list[Any]) -> Path:
    out = tmp_path_factory.mktemp("workbooks") / "province.xlsx"
    assert write_workbook(out, catalog.workbook_layout(), sample) == 50
    return out


def test_the_template_has_a_sheet_per_record_list_and_per_judging_source(catalog: Any) -> None:
    layout = catalog.workbook_layout()
    assert layout.title == "江苏省级机关党支部分类达标定级 2023"
    assert [(s.title, s.kind, s.field) for s in layout.sheets] == [
        ("党支部", "records", None),
        ("党员名册", "list", "members"),
        ("组织生活记录", "list", "meetings"),
        ("谈心谈话记录", "list", "talks"),
        ("实事项目", "list", "projects"),
        ("违纪违规与责任事故", "list", "violations"),
        ("党支部自评", "scores", "self"),
        ("上级党组织考评", "scores", "superior"),
        ("核正", "corrections", None),
    ]
    meetings = layout.sheets[2]
    assert [c.header for c in meetings.columns] == [
        "支部编号", "会议类型", "召开日期", "到会率", "书记讲党课", "会议记录完整", "上级党组织派员指导",
    ]  # fmt: skip
    branch = layout.sheets[0]
    headers = [c.header for c in branch.columns]
    assert "党员群众测评票数(未开展测评为空).党员票数.好" in headers  # nested record types flattened
    assert "members" not in headers and "支委会组成" in headers  # a list of choices stays in one cell


def test_the_template_validates_choices_dates_and_ranges(tmp_path: Path) -> None:
    out = tmp_path / "template.xlsx"
    done = run_ind("template", CATALOG, "--out", out)
    assert done.returncode == 0, done.stderr
    book = openpyxl.load_workbook(out)
    assert book.sheetnames[0] == "填写说明" and book["选项"].sheet_state == "hidden"
    sheet = book["组织生活记录"]
    assert sheet.freeze_panes == "A2"
    rules = {str(v.sqref).split(":")[0]: v for v in sheet.data_validations.dataValidation}
    kind = rules["B2"]
    options = [row[0].value for row in book["选项"][kind.formula1.split("!")[1].replace("$", "")]]
    assert kind.type == "list" and options == [
        "支部党员大会", "支委会", "党小组会", "党课", "主题党日", "组织生活会", "民主评议党员",
    ]  # fmt: skip
    assert rules["C2"].type == "date"
    assert (rules["D2"].type, rules["D2"].formula1, rules["D2"].formula2) == ("decimal", "0", "1")  # in 0..1
    assert rules["E2"].type == "list" and rules["E2"].formula1 == '"是,否"'
    superior = book["上级党组织考评"]
    headers = [c.value for c in superior[1]]
    integration = column_letter(headers.index("党建与业务融合"))
    score = next(v for v in superior.data_validations.dataValidation if str(v.sqref).startswith(integration + "2"))
    assert (score.type, score.formula1, score.formula2) == ("decimal", "0", "4")
    notes = [row[2].value for row in book["填写说明"].iter_rows(min_row=2) if row[1].value == "到会率"]
    assert notes == ["数字,范围 0~1;可空"]


def test_the_province_sample_read_back_from_a_workbook_scores_as_its_json(
    catalog: Any, sample: list[Any], filled: Path
) -> None:
    back = list(catalog.read_workbook(filled))
    assert [type(r) for r in back] == [dict] * 50
    assert _dumped(catalog, back) == _dumped(catalog, sample)


@pytest.mark.parametrize(
    "name",
    sorted(p.stem for p in FIXTURE_RECORDS.glob("*.json") if (EVAL_RULESETS / p.name).with_suffix(".ind").exists()),
)
def test_fixture_records_read_back_from_a_workbook_score_as_their_json(tmp_path: Path, name: str) -> None:
    """Every fixture ruleset: nested lists (a JSON cell), lists of numbers, judged scores with
    reasons, adjustments, corrections; a record the JSON path fails also fails read back."""
    model = indicator_dsl.load(EVAL_RULESETS / f"{name}.ind")
    records = [r for r in read_records(FIXTURE_RECORDS / f"{name}.json") if isinstance(r, dict)]
    out = tmp_path / f"{name}.xlsx"
    write_workbook(out, model.workbook_layout(), records)
    back = list(model.read_workbook(out))
    expected, got = _dumped(model, records), _dumped(model, back)
    assert len(got) == len(expected)
    for want, have in zip(expected, got, strict=True):
        assert have["id"] == want["id"]
        if want["errors"]:  # both fail (the workbook's error names the cell, the JSON's the field)
            assert have["errors"]
        else:
            assert have == want


def test_a_bad_cell_is_named_by_sheet_and_cell_and_the_rest_are_scored(
    tmp_path: Path, catalog: Any, sample: list[Any], filled: Path
) -> None:
    book = openpyxl.load_workbook(filled)
    meetings = book["组织生活记录"]
    meetings["C12"] = "2023-02-30"  # not a date
    owner = meetings["A12"].value
    assert meetings["A13"].value == owner  # both cells belong to the same branch
    meetings["B13"] = "茶话会"  # not one of the choices
    book["党支部"]["C3"] = None  # 所属部门单位 is required
    second = book["党支部"]["A3"].value
    book["实事项目"].append(["B9999", "无主项目", "为民服务", "是"])  # no such record
    broken = tmp_path / "broken.xlsx"
    book.save(broken)
    back = list(catalog.read_workbook(broken))
    errors = {r.id: (r.where, r.message) for r in back if isinstance(r, InputError)}
    assert errors[owner][0] == "组织生活记录!C12"
    assert errors[owner][1].startswith("不是有效日期 (not a date, YYYY-MM-DD)")
    choice = "“茶话会”不是可选值之一: 支部党员大会、支委会、党小组会、党课、主题党日、组织生活会、民主评议党员"
    assert f"组织生活记录!B13: {choice}" in errors[owner][1]  # every problem of a record, together
    assert errors[second] == ("党支部!C3", "必填 (required)")
    orphan = [r for r in back if isinstance(r, InputError) and r.id is None]
    assert [(r.where, r.message) for r in orphan] == [
        (f"实事项目!A{book['实事项目'].max_row}", "编号“B9999”不在记录表中 (no record with this id)")
    ]
    results = catalog.evaluate_many(back).results
    failed = {r.id for r in results if r.errors}
    assert failed == {owner, second, None}
    assert next(r for r in results if r.id == owner).errors[0].message.startswith("组织生活记录!C12: 不是有效日期")
    assert sum(1 for r in results if not r.errors) == 48  # the other records are scored


def test_exact_decimals_survive_the_workbook(tmp_path: Path) -> None:
    """A decimal a double holds is a number cell; one it cannot hold is text: both read back exactly."""
    model = indicator_dsl.load(EVAL_RULESETS / "shapes.ind")
    record = {"id": "X1", "survey_satisfaction": "0.123456789012345678", "extra": "2.5", "x": "7"}
    out = tmp_path / "exact.xlsx"
    write_workbook(out, model.workbook_layout(), [record])
    cells = {c.value: c.data_type for c in next(iter(openpyxl.load_workbook(out)["单位"].iter_rows(min_row=2)))}
    assert cells["0.123456789012345678"] == "s" and cells[2.5] == "n" and cells[7] == "n"
    (back,) = model.read_workbook(out)
    assert back["survey_satisfaction"] == Decimal("0.123456789012345678") and back["extra"] == Decimal("2.5")
    assert back["x"] == 7


def test_ind_convert_fills_a_workbook_and_reads_it_back(tmp_path: Path, catalog: Any, sample: list[Any]) -> None:
    out, lines = tmp_path / "review.xlsx", tmp_path / "back.jsonl"
    done = run_ind("convert", CATALOG, SAMPLE, "--to", "xlsx", "--out", out)
    assert (done.returncode, done.stdout) == (0, f"ind convert: 50 record(s) written to {out}\n"), done.stderr
    done = run_ind("convert", CATALOG, out, "--to", "jsonl", "--out", lines)
    assert done.returncode == 0, done.stderr
    back = [json.loads(line) for line in lines.read_text(encoding="utf-8").splitlines()]
    assert back[0]["id"] == "B0001"
    for got, sent in zip(back[0]["meetings"], sample[0]["meetings"], strict=True):
        assert got.keys() == sent.keys() and (got["kind"], got["held_on"]) == (sent["kind"], sent["held_on"])
        if "attendance" in sent:  # "1.00" is written as the number 1 and read back as 1
            assert Decimal(got["attendance"]) == Decimal(sent["attendance"])
    assert back[0]["sheets"] == {
        source: {name: str(score) for name, score in scores.items()} for source, scores in sample[0]["sheets"].items()
    }
    assert _dumped(catalog, back) == _dumped(catalog, sample)
    scored = run_ind("eval", CATALOG, out, "--format", "jsonl")
    from_json = run_ind("eval", CATALOG, SAMPLE, "--format", "jsonl")
    assert scored.returncode == from_json.returncode and scored.stdout == from_json.stdout


def test_a_file_that_is_not_a_workbook_is_a_usage_error(tmp_path: Path) -> None:
    fake = tmp_path / "records.xlsx"
    fake.write_text("not a workbook", encoding="utf-8")
    done = run_ind("eval", CATALOG, fake)
    assert done.returncode == 2 and "not a readable .xlsx workbook" in done.stderr


def test_the_province_template_filled_by_a_script_scores_as_the_json(
    tmp_path: Path, catalog: Any, sample: list[Any]
) -> None:
    """examples/province/workbook_roundtrip.py on the committed sample: the empty template (our
    writer) filled by openpyxl as an office would, read back (calamine), identical results."""
    sys.path.insert(0, str(ROOT / "examples" / "province"))
    try:
        import workbook_roundtrip
    finally:
        sys.path.remove(str(ROOT / "examples" / "province"))
    assert workbook_roundtrip.main([str(SAMPLE), "--out", str(tmp_path / "sample.xlsx")]) == 0
    back = list(catalog.read_workbook(tmp_path / "sample.xlsx"))
    assert _dumped(catalog, back) == _dumped(catalog, sample)
