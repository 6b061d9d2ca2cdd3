"""The synthetic province through the Jiangsu catalog: the shares come from the rules, not the quota.

Issue 11, item 8: final 先进 17 ± 3 %, 达标 78 ± 3 %, 后进 5 ± 3 %; at most a quarter of the
branches that meet the 先进 rules moved down by a quota; quota groups are departments (the
catalog's quota replaces the category tables'), and every department of 10 or more graded
branches has at least one 先进. The generator is seeded, so the counts are pinned exactly.
"""

from __future__ import annotations

import json
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
    assert overall.grades == {"advanced": 1098, "standard": 4847, "lagging": 310, "exempt": 25}
    shares = overall.shares
    assert shares["advanced"] == Decimal("17.5") and abs(shares["advanced"] - 17) <= 3
    assert shares["standard"] == Decimal("77.2") and abs(shares["standard"] - 78) <= 3
    assert shares["lagging"] == Decimal("4.9") and abs(shares["lagging"] - 5) <= 3


def test_the_quota_moves_at_most_a_quarter_of_those_the_rules_make_advanced(province: tuple[Catalog, Batch]) -> None:
    catalog, batch = province
    figures = main_job.quota_figures(catalog, batch)
    assert (figures.qualified, figures.moved, figures.moved_share) == (1319, 221, Decimal("16.8"))
    assert figures.moved * 4 <= figures.qualified
    assert figures.qualified - figures.moved == batch.summary()[0].grades["advanced"]


def test_quota_groups_are_departments_and_none_is_left_without_a_place(province: tuple[Catalog, Batch]) -> None:
    catalog, batch = province
    figures = main_job.quota_figures(catalog, batch)
    assert figures.zero_place_groups == []
    # every department of 10+ graded branches has a 先进: its 示范党支部 meets the rules (the quota
    # gives places, it does not make 先进; 省乡村振兴局's best scored 88.91 before the generator
    # modelled the 示范党支部)
    assert figures.departments_without == []
    moves = batch.quota_moves()
    # only the catalog's department-wide quota moved anyone: the category tables' own is set aside
    assert all(reason.startswith(CATALOG_QUOTA) for reason in moves)
    assert (len(moves), sum(moves.values())) == (48, 221)
    departments = {str(a["department"]) for a in batch.attributes}
    assert {reason.removeprefix(CATALOG_QUOTA) for reason in moves} <= departments


def test_the_main_job_prints_the_quota_figures(
    province: tuple[Catalog, Batch], capsys: pytest.CaptureFixture[str]
) -> None:
    catalog, batch = province
    main_job.print_quota_figures(main_job.quota_figures(catalog, batch))
    assert capsys.readouterr().out.splitlines() == [
        "",
        "先进 by the rules: 1319 branches; moved down by a quota: 221 (16.8%)",
        "quota groups (departments) with no place for a 先进: 0",
        "departments of 10+ graded branches without a 先进: 0",
    ]


def test_the_main_job_writes_plans_and_three_check_ups(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A generated province of 200 branches: plans of every 达标 and 后进 branch, each kept by
    what_if (its changes reach the target), and three 支部体检报告 pages."""
    catalog = indicator_dsl.load(main_job.CATALOG)
    assert isinstance(catalog, Catalog)
    records = generate.generate_province(n=200)
    batch = catalog.evaluate_many(records)
    main_job.write_plans(catalog, records, batch, tmp_path)
    lines = (tmp_path / "plans.jsonl").read_text(encoding="utf-8").splitlines()
    planned = [r for r in batch.results if r.grade in ("standard", "lagging")]
    assert len(lines) == len(planned) == 187
    by_id = {r["id"]: r for r in records}
    reached = 0
    for line in lines:
        plan = json.loads(line)
        if plan["changes"]:
            after = catalog.what_if(by_id[plan["id"]], plan["changes"])
            ladder = [g.name for g in catalog.engines[after.ruleset.name].plan.grades]
            assert after.grade is not None and ladder.index(after.grade) <= ladder.index(plan["target"]), plan["id"]
            reached += 1
    assert reached == 136  # the other 33 reachable ones meet the 先进 rules already (moved by the quota)
    pages = sorted((tmp_path / "checkup").glob("*.html"))
    assert len(pages) == 3
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert "支部体检报告" in text and "各维度得分" in text and "建设工程" in text and "http" not in text
    assert "整改提升计划 plans: 187 branches in " in (out := capsys.readouterr().out) and "169 can reach" in out


def test_the_synthetic_superiors_correct_and_the_province_chooses_about_100_teams(
    province: tuple[Catalog, Batch],
) -> None:
    _, batch = province
    corrected = [r for r in batch.results if r.sources.get("superior", {}).get("corrections")]
    assert len(corrected) == 102
    entry = corrected[0].sources["superior"]["corrections"]["secretary_training"]
    assert (entry["from"], entry["to"], entry["evidence"]) == (Decimal("4.00"), Decimal("0.00"), ["书记轮训签到表"])
    records = generate.generate_province()
    assert sum(1 for r in records if r.get("vanguard_chosen")) == 108
    # 模范机关 is the unit's honor: one lead branch per honored unit carries the bonus
    leads = [r["department"] for r in records if r.get("unit_lead_branch")]
    assert len(leads) == len(set(leads)) == 8


def test_the_main_job_prints_the_quota_rule_in_chinese(
    province: tuple[Catalog, Batch], capsys: pytest.CaptureFixture[str]
) -> None:
    catalog, batch = province
    main_job.print_summary(catalog, batch, 1.0)
    out = capsys.readouterr().out
    assert "   221  先进不超过20%(按部门,10个及以上参评支部至少1个名额)" in out.splitlines()
    assert "at most" not in out


def test_every_routed_table_can_make_a_branch_advanced(province: tuple[Catalog, Batch]) -> None:
    """No category or department table makes 先进 unreachable: each has branches meeting its 先进 rules."""
    catalog, batch = province
    qualified: dict[str, int] = dict.fromkeys(catalog.engines, 0)
    for result in batch.results:
        moved = any(s.step == "quota" and s.before == "advanced" for s in result.steps)
        qualified[result.ruleset.name] += moved or result.grade == "advanced"
    assert qualified == {
        "party_gov": 813,
        "soe": 19,
        "public_institution": 234,
        "university": 36,
        "hospital": 7,
        "research": 46,
        "social_org": 9,
        "retired": 16,
        "finance": 12,
        "education": 23,
        "health": 39,
        "sasac": 63,
        "veteran": 2,
    }
