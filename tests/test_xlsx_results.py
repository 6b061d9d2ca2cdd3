"""Results as a workbook (`ind eval --format xlsx`, `ind report --xlsx`), read back with openpyxl
and compared cell by cell with the JSON results of the same batch."""

from __future__ import annotations

import json
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from tests.support import EVAL_RULESETS, ROOT, project_with, run_ind

from indicator_dsl.syntax.cells import display_width

openpyxl = pytest.importorskip("openpyxl", reason="pip install -e '.[office]'")
pytest.importorskip("xlsxwriter", reason="pip install -e '.[office]'")

CATALOG = ROOT / "rulesets" / "jiangsu" / "catalog.ind"
SAMPLE = ROOT / "examples" / "province" / "sample.jsonl"
LIST_HEADERS = [
    "支部编号", "支部名称", "所属部门单位", "支部类型", "指标表", "总分", "等次", "建设工程", "评比表彰推荐对象",
    "等次变动", "失分最多的指标", "推荐", "问题",
]  # fmt: skip
GRADE_LABELS = {"advanced": "先进", "standard": "达标", "lagging": "后进"}


@pytest.fixture(scope="module")
def scored(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, list[dict[str, Any]]]:
    folder = tmp_path_factory.mktemp("results")
    out = folder / "results.xlsx"
    done = run_ind("eval", CATALOG, SAMPLE, "--format", "xlsx", "--out", out)
    assert done.returncode == 0, done.stderr
    results = json.loads(run_ind("eval", CATALOG, SAMPLE, "--format", "json").stdout)
    return openpyxl.load_workbook(out), results


def _rows(sheet: Any) -> list[dict[str, Any]]:
    headers = [c.value for c in sheet[1]]
    return [dict(zip(headers, (c.value for c in row), strict=True)) for row in sheet.iter_rows(min_row=2)]


def _width(sheet: Any, column: int) -> float:
    """A column's width (openpyxl keeps adjacent columns of one width under the first one's letter)."""
    return next(d.width for d in sheet.column_dimensions.values() if d.min <= column <= d.max)


def _number(value: Any) -> Decimal:
    """A number cell as the decimal it was written from (the shortest text of its double)."""
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


def test_the_sheets_and_their_frozen_fitting_headers(scored: tuple[Any, list[dict[str, Any]]]) -> None:
    book, _ = scored
    assert book.sheetnames == ["名单", "先进", "达标", "后进", "后进原因", "推荐对象", "汇总"]
    listing = book["名单"]
    assert [c.value for c in listing[1]] == LIST_HEADERS
    for sheet in book:
        assert sheet.freeze_panes == "A2"
        for cell in sheet[1]:
            assert _width(sheet, cell.column) >= display_width(cell.value) + 2  # a CJK header fits its column
    names = [c.value for c in listing["B"][1:]]
    widest = max(display_width(name) for name in names)
    assert int(_width(listing, 2)) == min(60, widest + 2)  # XlsxWriter adds the cell padding (0.71)


def test_every_result_is_in_the_list_cell_by_cell(scored: tuple[Any, list[dict[str, Any]]]) -> None:
    book, results = scored
    rows = {row["支部编号"]: row for row in _rows(book["名单"])}
    assert len(rows) == len(results) == 50
    for result in results:
        row = rows[result["id"]]
        assert isinstance(row["总分"], int | float) and _number(row["总分"]) == Decimal(result["total"])
        assert row["等次"] == result["grade_label"]
        assert row["建设工程"] == result["outcomes"]["programme"]
        assert row["评比表彰推荐对象"] == ("是" if result["outcomes"]["nominee"] else "否")
        moved = [s for s in result["steps"] if s["step"] in ("veto", "quota", "adjustment", "assign", "exempt")]
        assert (row["等次变动"] or "").count("名额限制") == sum(1 for s in moved if s["step"] == "quota")
        for step in moved:
            assert step["reason"] in row["等次变动"]
        assert (row["推荐"] or "") == "、".join(n["label"] for n in result.get("nominations", []))
    assert {c.number_format for c in book["名单"]["F"][1:]} == {"0.00"}  # shown with the ruleset's 2 places
    department = [row["所属部门单位"] for row in _rows(book["名单"])]
    assert department == sorted(department)  # listed by department


def test_each_grade_has_its_sheet_and_the_lagging_their_reasons(scored: tuple[Any, list[dict[str, Any]]]) -> None:
    book, results = scored
    for grade, label in GRADE_LABELS.items():
        ids = sorted(row["支部编号"] for row in _rows(book[label]))
        assert ids == sorted(r["id"] for r in results if r["grade"] == grade)
    lagging = _rows(book["后进原因"])
    assert sorted(r["支部编号"] for r in lagging) == sorted(r["id"] for r in results if r["grade"] == "lagging")
    for row in lagging:
        result = next(r for r in results if r["id"] == row["支部编号"])
        assert (row["否决事项"] or "") == "、".join(result["vetoes"])
        assert row["失分最多的指标"]  # a lagging branch lost points somewhere
    nominees = _rows(book["推荐对象"])
    expected = [(r["id"], n["reason"]) for r in results for n in r.get("nominations", [])]
    assert sorted((n["支部编号"], n["推荐依据"]) for n in nominees) == sorted(expected)
    summary = {row["所属部门单位"]: row for row in _rows(book["汇总"])}
    assert summary["全部"]["数量"] == 50
    counts = Counter(r["grade_label"] for r in results)
    assert {label: summary["全部"][label] for label in GRADE_LABELS.values()} == {
        label: counts[label] for label in GRADE_LABELS.values()
    }


def test_a_ruleset_without_grades_lists_totals(tmp_path: Path) -> None:
    project_with(tmp_path, EVAL_RULESETS.parent / "schema" / "unit.ind")
    (tmp_path / "weighted.ind").write_text(
        (EVAL_RULESETS / "weighted.ind").read_text(encoding="utf-8").replace("../schema/unit.ind", "unit.ind"),
        encoding="utf-8",
    )
    records = tmp_path / "units.jsonl"
    records.write_text(
        '{"id": "u1", "points": 9, "extra": 15}\n{"id": "u2", "points": "4.5", "extra": 3, "has_party_cadre": false}\n',
        encoding="utf-8",
    )
    out = tmp_path / "units.xlsx"
    done = run_ind("report", tmp_path / "weighted.ind", records, "--out", tmp_path / "r.html", "--xlsx", out)
    assert done.returncode == 0, done.stderr
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["名单", "汇总"]
    rows = _rows(book["名单"])
    # u2: 40% × 4.5/9 + 60% × (3 + 0)/20 of 100
    assert [(r["编号"], _number(r["总分"])) for r in rows] == [("u1", Decimal(100)), ("u2", Decimal(29))]
    assert "等次" not in rows[0]


def test_xlsx_results_need_a_file() -> None:
    done = run_ind("eval", CATALOG, SAMPLE, "--format", "xlsx")
    assert (done.returncode, done.stdout, done.stderr) == (2, "", "ind eval: --format xlsx needs --out FILE.xlsx\n")
