"""The synthetic province through the Jiangsu catalog: the shares come from the rules, not the quota.

Issue 11, item 8: final 先进 17 ± 3 %, 达标 78 ± 3 %, 后进 5 ± 3 %; at most a quarter of the
branches that meet the 先进 rules moved down by a quota; quota groups are departments (the
catalog's quota replaces the category tables'), and every department of 10 or more graded
branches has at least one 先进. The generator is seeded, so the counts are pinned exactly.
"""

from __future__ import annotations

import sys
from decimal import Decimal
from pathlib import Path

import pytest

import indicator_dsl
from indicator_dsl.api import Catalog
from indicator_dsl.evaluate.batch import Batch

ROOT = Path(__file__).resolve().parents[1]
for folder in (ROOT / "examples", ROOT / "examples" / "province"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

import generate  # noqa: E402 - the generator lives in examples/province
import main_job  # noqa: E402 - the main job lives in examples

CATALOG_QUOTA = "quota: advanced at most 20% at least 1 place when 10 or more within department = "


@pytest.fixture(scope="module")
def province() -> tuple[Catalog, Batch]:
    catalog = indicator_dsl.load(main_job.CATALOG)
    assert isinstance(catalog, Catalog)
    return catalog, catalog.evaluate_many(generate.generate_province())


def test_the_grade_shares_are_the_targets(province: tuple[Catalog, Batch]) -> None:
    _, batch = province
    overall = batch.summary()[0]
    assert overall.count == 6280
    assert overall.grades == {"advanced": 1122, "standard": 4817, "lagging": 315, "exempt": 26}
    shares = overall.shares
    assert shares["advanced"] == Decimal("17.9") and abs(shares["advanced"] - 17) <= 3
    assert shares["standard"] == Decimal("76.7") and abs(shares["standard"] - 78) <= 3
    assert shares["lagging"] == Decimal("5.0") and abs(shares["lagging"] - 5) <= 3


def test_the_quota_moves_at_most_a_quarter_of_those_the_rules_make_advanced(province: tuple[Catalog, Batch]) -> None:
    catalog, batch = province
    figures = main_job.quota_figures(catalog, batch)
    assert (figures.qualified, figures.moved, figures.moved_share) == (1361, 239, Decimal("17.6"))
    assert figures.moved * 4 <= figures.qualified
    assert figures.qualified - figures.moved == batch.summary()[0].grades["advanced"]


def test_quota_groups_are_departments_and_none_is_left_without_a_place(province: tuple[Catalog, Batch]) -> None:
    catalog, batch = province
    figures = main_job.quota_figures(catalog, batch)
    assert figures.zero_place_groups == []
    assert figures.departments_without == []
    moves = batch.quota_moves()
    # only the catalog's department-wide quota moved anyone: the category tables' own is set aside
    assert all(reason.startswith(CATALOG_QUOTA) for reason in moves)
    assert (len(moves), sum(moves.values())) == (49, 239)
    departments = {str(a["department"]) for a in batch.attributes}
    assert {reason.removeprefix(CATALOG_QUOTA) for reason in moves} <= departments


def test_the_main_job_prints_the_quota_figures(
    province: tuple[Catalog, Batch], capsys: pytest.CaptureFixture[str]
) -> None:
    catalog, batch = province
    main_job.print_quota_figures(main_job.quota_figures(catalog, batch))
    assert capsys.readouterr().out.splitlines() == [
        "",
        "先进 by the rules: 1361 branches; moved down by a quota: 239 (17.6%)",
        "quota groups (departments) with no place for a 先进: 0",
        "departments of 10+ graded branches without a 先进: 0",
    ]
