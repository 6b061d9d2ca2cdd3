"""Two consecutive synthetic years of the province: year 2024 built on 2023's results (issue 12).

The generator's second year (examples/province/next_year.py) moves branches the way 转化工程
and 提升工程 do; 2024 is scored with the period as a parameter, 2023's results as history and
2023's rectification items, and `compare` counts the movements. The generators are seeded, so
the figures are pinned.
"""

from __future__ import annotations

import datetime
import json
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import indicator_dsl
from indicator_dsl.api import Catalog
from indicator_dsl.evaluate.rectification import Rectification, read_items
from indicator_dsl.outputs.compare import compare

ROOT = Path(__file__).resolve().parents[1]
for folder in (ROOT / "examples", ROOT / "examples" / "province"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

import generate  # noqa: E402 - the generator lives in examples/province
import main_job  # noqa: E402 - the main job lives in examples
import next_year  # noqa: E402

N = 400


class Years:
    def __init__(self) -> None:
        self.records_2023 = generate.generate_province(N)
        first = indicator_dsl.load(main_job.CATALOG)
        assert isinstance(first, Catalog)
        self.results_2023 = [r.model_dump(mode="json") for r in first.evaluate_many(self.records_2023).results]
        self.records_2024, items = next_year.next_year(self.records_2023, self.results_2023)
        self.items: Rectification = read_items(items, [f"item {k}" for k in range(1, len(items) + 1)])
        second = indicator_dsl.load(
            main_job.CATALOG, period=2024, history=[self.results_2023], rectification=self.items
        )
        assert isinstance(second, Catalog)
        self.second = second
        self.results_2024 = [r.model_dump(mode="json") for r in second.evaluate_many(self.records_2024).results]
        self.order = [g.name for g in next(iter(second.engines.values())).plan.grades]


@pytest.fixture(scope="module")
def years() -> Years:
    return Years()


def grades(results: list[dict[str, Any]]) -> dict[str | None, int]:
    counted: dict[str | None, int] = {}
    for r in results:
        counted[r["grade"]] = counted.get(r["grade"], 0) + 1
    return counted


def test_the_second_year_is_scored_for_2024_with_2023_as_history(years: Years) -> None:
    assert years.second.history is not None and years.second.history.problems == ()
    assert {r["ruleset"]["period"] for r in years.results_2024} == {"2024-01-01..2024-12-31"}
    assert grades(years.results_2023) == {"advanced": 33, "standard": 347, "lagging": 19, None: 1}
    assert grades(years.results_2024) == {"advanced": 30, "standard": 346, "lagging": 24}


def test_rectification_items_of_the_lagging_branches(years: Years) -> None:
    lagging = {r["id"] for r in years.results_2023 if r["grade"] == "lagging"}
    assert {i.branch for i in years.items.items} == lagging
    assert years.items.problems == ()
    rectified = years.items.rectified()
    # three items per 后进 branch; 14 of the 19 branches signed every item off in time
    assert (len(years.items.items), sum(rectified.values()), len(rectified)) == (57, 14, 19)
    overdue = years.items.overdue(datetime.date(2024, 6, 30))
    assert len(overdue) == 5
    assert all(i.deadline < datetime.date(2024, 6, 30) and i.signed_off is None for i in overdue)


def test_unrectified_branches_are_held_at_standard(years: Years) -> None:
    rectified = years.items.rectified()
    vetoed = {r["id"] for r in years.results_2024 if "unrectified" in r.get("vetoes", [])}
    assert vetoed == {branch for branch, done in rectified.items() if not done}
    assert len(vetoed) == 5


def test_movements_between_the_two_years(years: Years) -> None:
    result = compare(years.results_2023, years.results_2024, grade_order=years.order)
    assert len(result.versions[0]) == len(result.versions[1]) == 13
    assert "party_gov 2023.1" in result.versions[0] and "party_gov 2023.1" in result.versions[1]
    assert (result.matched, result.only_before, result.only_after) == (400, 0, 0)
    # the branch exempt in 2023 has no movement
    assert result.overall.as_dict() == {"up": 9, "down": 17, "same": 373}
    assert result.groups["ruleset"]["party_gov"].as_dict() == {"up": 4, "down": 7, "same": 170}
    assert result.groups["ruleset"]["public_institution"].as_dict() == {"up": 1, "down": 6, "same": 100}
    # committees elected in 2021 reach the end of their term: the largest mean change
    assert result.indicators[0] == ("self.election", Decimal("-1.42"), 399)
    assert result.indicators[2] == ("self.theme_day", Decimal("-0.12"), 399)
    moves: dict[tuple[str | None, str | None], int] = {}
    before = {r["id"]: r["grade"] for r in years.results_2023}
    for r in years.results_2024:
        moves[(before[r["id"]], r["grade"])] = moves.get((before[r["id"]], r["grade"]), 0) + 1
    assert (moves[("lagging", "standard")], moves[("standard", "lagging")]) == (5, 10)


def test_the_main_job_runs_the_second_year(years: Years, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The main job builds year two from year one's results file, scores it with history and
    rectification, prints the movements and the items overdue at mid-year, and writes them."""
    (tmp_path / "results.jsonl").write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in years.results_2023), encoding="utf-8"
    )
    batch = main_job.write_second_year(years.records_2023, tmp_path)
    out = capsys.readouterr().out.splitlines()
    assert "  比上年 against 2023: 升 up 9, 降 down 17, 持平 same 373" in out
    assert (
        "  整改事项 rectification items: 57 of 19 后进 branches; overdue on 2024-06-30: 5; "
        "held at 达标 as unrectified: 5" in out
    )
    folder = tmp_path / "year2"
    written = [json.loads(line) for line in (folder / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [(r["id"], r["grade"]) for r in written] == [(r["id"], r["grade"]) for r in years.results_2024]
    assert len(batch.results) == N and batch.failed == []
    comparison = json.loads((folder / "comparison.json").read_text(encoding="utf-8"))
    assert comparison["movements"] == {"up": 9, "down": 17, "same": 373}
    assert comparison["unrectified"] == 5
    assert [i["id"] for i in comparison["overdue"]] == [i.id for i in years.items.overdue(datetime.date(2024, 6, 30))]
    assert set(comparison["groups"]) == {"ruleset", "department", "category"}
    assert "升 up 9   降 down 17   持平 same 373" in (folder / "comparison.txt").read_text(encoding="utf-8")
    items = (folder / "rectification.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(items) == 57 and len((folder / "province.jsonl").read_text(encoding="utf-8").splitlines()) == N
