"""The HTML report opened in a real browser, as a person uses it: Debian's chromium, driven by
Playwright's Python package (never its own downloaded browsers), headless, with a fresh profile
and no network. No console errors; filtering by department and grade narrows the list to exactly
the matching records; sorting by total orders the rows; a row opens its scores; a screenshot is
saved under pytest's temporary folder (its path printed: `pytest -s` shows it)."""

from __future__ import annotations

import os
import shutil
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from tests.support import ROOT

import indicator_dsl
from indicator_dsl.evaluate.inputs import read_records
from indicator_dsl.outputs.branch_rows import batch_view
from indicator_dsl.outputs.report import build_report

CHROMIUM = Path(os.environ.get("IND_CHROMIUM", "/usr/bin/chromium"))
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
CATALOG = ROOT / "rulesets" / "jiangsu" / "catalog.ind"
SAMPLE = ROOT / "examples" / "province" / "sample.jsonl"

if not CHROMIUM.exists():
    pytest.skip(
        f"no browser at {CHROMIUM}: apt-get install chromium (Debian), or set IND_CHROMIUM to a Chromium binary",
        allow_module_level=True,
    )
sync_api = pytest.importorskip("playwright.sync_api", reason="pip install -e '.[dev]' (Playwright's Python package)")


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Any]]:
    model = indicator_dsl.load(CATALOG)
    batch = model.evaluate_many(read_records(SAMPLE))
    page = build_report(batch_view(model, batch.results, batch.attributes))
    out = tmp_path_factory.mktemp("report") / "report.html"
    out.write_text(page, encoding="utf-8")
    return out, batch.results


@pytest.fixture(scope="module")
def browser_page(report: tuple[Path, list[Any]], tmp_path_factory: pytest.TempPathFactory) -> Any:
    profile = tmp_path_factory.mktemp("profile")
    with sync_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=str(CHROMIUM),
            headless=True,
            args=ARGS,
            viewport={"width": 1300, "height": 900},
            offline=True,
        )
        page = context.new_page()
        problems: list[str] = []
        page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.on("request", lambda request: None if request.url.startswith("file:") else problems.append(request.url))
        page.goto(report[0].as_uri())
        page.wait_for_selector("#branches tbody tr.row")
        yield page, problems
        context.close()
    shutil.rmtree(profile, ignore_errors=True)


def _visible_ids(page: Any) -> list[str]:
    return list(
        page.eval_on_selector_all(
            "#branches tbody tr.row:not([hidden])", "rows => rows.map(r => r.cells[0].textContent)"
        )
    )


def test_the_page_opens_without_errors_or_requests(browser_page: Any, report: tuple[Path, list[Any]]) -> None:
    page, problems = browser_page
    assert problems == []
    assert page.title() == "江苏省级机关党支部分类达标定级 2023"
    assert len(_visible_ids(page)) == 50 and page.text_content("#shown") == "50"


def test_filtering_by_department_and_grade_narrows_the_list(
    browser_page: Any, report: tuple[Path, list[Any]], tmp_path_factory: pytest.TempPathFactory
) -> None:
    page, problems = browser_page
    records = list(read_records(SAMPLE))
    results = report[1]
    page.select_option("select[data-filter=grade]", "后进")
    assert sorted(_visible_ids(page)) == sorted(r.id for r in results if r.grade == "lagging")
    page.select_option("select[data-filter=grade]", "")
    department = "省卫生健康委"
    page.select_option("select[data-filter=i-department]", department)
    expected = sorted(r["id"] for r in records if r["department"] == department)
    assert sorted(_visible_ids(page)) == expected and page.text_content("#shown") == str(len(expected))
    page.select_option("select[data-filter=grade]", "先进")
    both = [
        r.id for r, d in zip(results, records, strict=True) if d["department"] == department and r.grade == "advanced"
    ]
    assert sorted(_visible_ids(page)) == sorted(both) and both
    shot = tmp_path_factory.mktemp("screens") / "filtered.png"
    page.locator("h2", has_text="名单").scroll_into_view_if_needed()
    page.screenshot(path=str(shot), full_page=False)
    assert shot.stat().st_size > 10_000
    print(f"screenshot: {shot}")
    page.select_option("select[data-filter=grade]", "")
    page.select_option("select[data-filter=i-department]", "")
    page.fill("#search", "B0016")
    assert _visible_ids(page) == ["B0016"]
    page.fill("#search", "")
    assert problems == []


def test_sorting_by_total_orders_the_rows_and_a_row_opens_its_scores(
    browser_page: Any, report: tuple[Path, list[Any]], tmp_path_factory: pytest.TempPathFactory
) -> None:
    page, problems = browser_page
    results = {r.id: r for r in report[1]}
    header = page.locator("#branches thead th", has_text="总分")
    header.click()
    ascending = _visible_ids(page)
    totals = [results[i].total for i in ascending]
    assert totals == sorted(totals, key=lambda t: Decimal(-1) if t is None else t)
    header.click()
    descending = _visible_ids(page)
    assert [results[i].total for i in descending] == sorted(totals, reverse=True, key=lambda t: t or Decimal(-1))
    assert page.get_attribute("#branches thead th.n", "aria-sort") == "descending"
    top = descending[0]
    page.locator("#branches tbody tr.row").first.click()
    detail = page.locator("#branches tbody tr.detail")
    assert detail.count() == 1
    text = detail.text_content() or ""
    assert f"总分 {results[top].total}" in text and "得分(上级党组织考评)" in text
    scores = results[top].sources["superior"]["indicators"]
    cells = page.eval_on_selector_all("tr.detail table tr", "rows => rows.slice(1).map(r => r.cells[4].textContent)")
    assert cells == [("—" if v is None else str(v)) for v in scores.values()]
    shot = tmp_path_factory.mktemp("screens") / "opened.png"
    page.screenshot(path=str(shot), full_page=False)
    print(f"screenshot: {shot}")
    page.locator("#branches tbody tr.row").first.click()
    assert page.locator("#branches tbody tr.detail").count() == 0
    assert problems == []
