"""The HTML report as a page (the browser test, test_report_browser.py, clicks through it): titled by
the label, headings in the ruleset's language and never a field name, a legend for every colour,
moved records marked, totals for a ruleset without grades, nothing fetched from the network."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from tests.support import EVAL_RULESETS, ROOT

import indicator_dsl
from indicator_dsl.evaluate.inputs import read_records
from indicator_dsl.outputs.branch_rows import batch_view
from indicator_dsl.outputs.report import build_report

CATALOG = ROOT / "rulesets" / "jiangsu" / "catalog.ind"
SAMPLE = ROOT / "examples" / "province" / "sample.jsonl"


@pytest.fixture(scope="module")
def province() -> tuple[str, list[Any]]:
    model = indicator_dsl.load(CATALOG)
    batch = model.evaluate_many(read_records(SAMPLE))
    links = {"B0001": ("整改计划", "plans/B0001.html")}
    return build_report(batch_view(model, batch.results, batch.attributes), links=links), batch.results


def _headings(page: str) -> list[str]:
    return re.findall(r"<h[12]>(.*?)</h[12]>", page) + re.findall(r"<th[^>]*>(.*?)</th>", page)


def test_the_title_is_the_catalogs_label_and_headings_are_chinese(province: tuple[str, list[Any]]) -> None:
    page, _ = province
    assert "<title>江苏省级机关党支部分类达标定级 2023</title>" in page
    assert "<h1>江苏省级机关党支部分类达标定级 2023</h1>" in page
    headings = _headings(page)
    assert {"图例", "等次分布", "按所属部门单位", "按支部类型", "名单", "失分最多的指标", "无法评分的记录"} <= set(
        headings
    )
    fields = {"department", "category", "programme", "nominee", "id", "name", "ruleset", "total", "grade"}
    assert [h for h in headings if re.search(r"[a-z_]{3,}", h) or h in fields] == []
    assert "共 50 个党支部,其中 0 个无法评分。" in page


def test_every_colour_on_the_page_is_in_the_legend(province: tuple[str, list[Any]]) -> None:
    page, _ = province
    legend = page[page.index("<h2>图例</h2>") : page.index("</div></div>", page.index("<h2>图例</h2>"))]
    body = page[page.index("<table id=branches") :]
    used = set(re.findall(r"(?:background|fill|border-left-color):\s*\"?(#[0-9a-f]{6})", body))
    used |= set(re.findall(r'fill="(#[0-9a-f]{6})"', page))
    in_legend = set(re.findall(r"background:(#[0-9a-f]{6})", legend))
    assert used and used <= in_legend
    assert "先进" in legend and "名额限制" in legend


def test_moved_records_are_marked_as_such(province: tuple[str, list[Any]]) -> None:
    page, results = province
    moved = [r for r in results if any(s.step == "quota" for s in r.steps)]
    assert len(moved) == 10
    assert page.count(">名额限制</i>") == len(moved) + 1  # one badge per moved record, one in the legend
    rows = re.findall(r'<tr class=row [^>]*data-moved="([^"]*)"', page)
    assert rows.count("名额限制") == len(moved)


def test_a_row_carries_its_filters_and_its_details(province: tuple[str, list[Any]]) -> None:
    page, results = province
    first = re.search(r"<tr class=row [^>]*>", page)
    assert first is not None
    assert 'data-i-department="省广电局"' in first.group() and 'data-grade="达标"' in first.group()
    assert 'data-o-programme="提升工程"' in first.group()
    data = json.loads(page.split('<script type="application/json" id="details">')[1].split("</script>")[0])
    detail = data["rows"]["0"]
    assert detail["link"] == ["整改计划", "plans/B0001.html"]
    table = data["tables"][detail["t"]]
    assert table["head"] == ["指标", "维度", "满分", "得分(党支部自评)", "得分(上级党组织考评)"]
    assert len(table["rows"]) == len(detail["scores"])
    scored = results[0].sources["superior"]["indicators"]
    first_name = next(iter(scored))
    assert detail["scores"][0][1] == str(scored[first_name])


def test_the_page_fetches_nothing(province: tuple[str, list[Any]]) -> None:
    page, _ = province
    assert re.findall(r"(?:src|href)=\"?https?:", page) == [] and "@import" not in page
    assert "default-src 'none'" in page  # the page's own policy forbids any fetch


def test_a_ruleset_without_grades_shows_totals_not_exempt(tmp_path: Path) -> None:
    model = indicator_dsl.load(EVAL_RULESETS / "weighted.ind")
    records = [{"id": "u1", "points": 9, "extra": 15}, {"id": "u2", "points": "4.5", "extra": 3}]
    batch = model.evaluate_many(records)
    page = build_report(batch_view(model, batch.results, batch.attributes))
    assert "总分分布" in page and "不参加定级" not in page and "<svg" not in page
    assert "<td>全部</td><td class=n>2</td><td class=n>72.00</td><td class=n>44.00</td><td class=n>100.00</td>" in page


def test_english_labels_give_english_headings(tmp_path: Path) -> None:
    (tmp_path / ".indroot").write_bytes(b"")
    (tmp_path / "shop.ind").write_text(
        'schema shop "Shops"\ntype Shop "Shop" {\n  id: text "Shop id"\n  region: enum("N", "S") "Region"\n'
        '  clean: bool "Clean"\n}\n',
        encoding="utf-8",
    )
    (tmp_path / "audit.ind").write_text(
        'import "shop.ind"\nruleset audit "Shop audit" version "1"\nrecord Shop\n'
        "period 2024-01-01 to 2024-12-31\ntotal 10\n"
        'dimension care "Care" max 10 {\n  indicator tidy "Tidiness" max 10 { deduct 10 when not clean }\n}\n'
        'grades {\n  good "Good" when total >= 5\n  poor "Poor" otherwise\n}\n',
        encoding="utf-8",
    )
    model = indicator_dsl.load(tmp_path / "audit.ind")
    shops = [("s1", "N", True), ("s2", "S", False), ("s3", "N", False)]
    batch = model.evaluate_many([{"id": i, "region": r, "clean": c} for i, r, c in shops])
    page = build_report(batch_view(model, batch.results, batch.attributes))
    headings = _headings(page)
    assert "<title>Shop audit</title>" in page and {"Legend", "Grade shares", "By Region", "List"} <= set(headings)
    assert re.findall(r"[\u4e00-\u9fff]", "".join(headings)) == []
