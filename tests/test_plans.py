"""Gap plans on a small hand-made table whose figures are checked by hand, then by brute force.

The table (total 20, no proration): 会议 `award 1 per` 支委会 up to 4, 台账 judged (max 6),
制度 `award 2.5 per` system up to 5, 党务干部 5 unless there is none; self 25 %, superior 75 %.
The base record: 2 meetings, 1 system, no cadre, 台账 self 6 / superior 4, so
self = 2 + 6 + 2.5 + 0 = 10.5, superior = 2 + 4 + 2.5 + 0 = 8.5, total = 0.25 × 10.5 + 0.75 × 8.5 = 9.00 (差).
Full recovery adds to the total: 党务干部 5, 制度 2.5, 会议 2, 台账 0.75 × 2 = 1.5.
"""

from __future__ import annotations

import itertools
import json
import random
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import pytest
from support import EVAL_RULESETS, eval_ruleset, project_with, run_ind

import indicator_dsl
from indicator_dsl.outputs.checkup import build_checkup
from indicator_dsl.outputs.plans import PLAN_FORMATS, plan_json
from indicator_dsl.planning.losses import effect_text

BACKENDS = ["compiled", "interpreted"]
SCHEMA = EVAL_RULESETS.parent / "schema" / "unit.ind"
TABLE = """\
import "unit.ind"

ruleset small "小表" version "t1"
record Unit
period 2023-01-01 to 2023-12-31
total 20
precision 2

dimension a "组织" max 10 {
  indicator meetings "支委会" max 4 {
    standard "每召开1次支委会得1分,最高4分。"
    award 1 per count(m in meetings where m.kind == "支委会") up to 4
  }
  indicator records "台账" max 6 { judged }
}
dimension b "保障" max 10 {
  indicator systems_ok "制度" max 5 { award 2.5 per len(systems) up to 5 }
  indicator cadre "党务干部" max 5 {
    standard "配备党务干部的得5分。"
    deduct 5 when not has_party_cadre
  }
}

assess {
  self     "自评"     weight 25%
  superior "上级考评" weight 75%
}

veto discipline "违纪" when violations > 0 cap fair

grades {
  good "好" when total >= 18 and superior >= 17
  fair "中" when total >= 12.9
  poor "差" otherwise
}

quota good at most 50% ties demote
"""
MEETING = {"kind": "支委会", "held_on": "2023-03-01"}


def base(**changes: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": "U1",
        "meetings": [MEETING, MEETING],
        "systems": ["三会一课"],
        "has_party_cadre": False,
        "sheets": {"self": {"records": 6}, "superior": {"records": 4}},
    }
    record.update(changes)
    return record


@pytest.fixture(scope="module")
def table_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = project_with(tmp_path_factory.mktemp("plans"), SCHEMA)
    path = folder / "small.ind"
    path.write_text(TABLE, encoding="utf-8")
    return path


def load(path: Path, backend: str) -> indicator_dsl.Ruleset:
    model = indicator_dsl.load(path, backend=backend)
    assert isinstance(model, indicator_dsl.Ruleset)
    return model


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_next_grade_by_hand(table_path: Path, backend: str) -> None:
    rs = load(table_path, backend)
    plan = rs.plan(base())
    assert (plan.grade, plan.target, plan.total, plan.reachable) == ("poor", "fair", D("9.00"), True)
    # only 党务干部 reaches 12.9 alone (9 + 5 = 14); it must reach v with 9 + v >= 12.9: v = 3.9 in both sources
    assert [(c.source, c.indicator, c.before, c.to) for c in plan.changes] == [
        ("self", "cadre", D("0"), D("3.90")),
        ("superior", "cadre", D("0"), D("3.90")),
    ]
    assert (plan.indicators, plan.points, plan.total_after) == (1, D("7.80"), D("12.90"))
    assert [(c.text, c.holds, c.short) for c in plan.conditions] == [("total >= 12.9", False, D("3.90"))]
    # losses ranked by their weighted effect on the total: superior's 党务干部 is 0.75 × 5
    ranked = [(loss.source, loss.indicator, loss.effect) for loss in plan.lost]
    assert ranked[:3] == [
        ("superior", "cadre", D("3.75")),
        ("superior", "systems_ok", D("1.875")),
        ("superior", "meetings", D("1.50")),
    ]
    assert ("superior", "records", D("1.50")) in ranked and ("self", "cadre", D("1.25")) in ranked
    cadre = next(loss for loss in plan.lost if (loss.source, loss.indicator) == ("superior", "cadre"))
    assert cadre.standard == "配备党务干部的得5分。"
    assert [(r.id, r.kind, r.clause) for r in cadre.reasons] == [
        ("small/cadre/1", "deduct", "deduct 5 when not has_party_cadre")
    ]
    assert cadre.reasons[0].text == "第1条扣分规则生效,扣5分(读取 has_party_cadre = 否)"
    judged = next(loss for loss in plan.lost if loss.indicator == "records")
    assert judged.source == "superior" and judged.reasons[0].text == "上级考评:评定4分(满分6)"


@pytest.mark.parametrize("backend", BACKENDS)
def test_two_grades_up_by_hand(table_path: Path, backend: str) -> None:
    """`good` needs total >= 18 and superior >= 17 (superior 8.5 now). Of the 3-sets, {cadre, systems,
    meetings} (19 points lost) and {cadre, records, systems} (17) reach; {cadre, meetings, records} gives
    superior 19.5 but total 17.5. The plan takes the one with fewer points, every value at its maximum."""
    rs = load(table_path, backend)
    plan = rs.plan(base(), to="good")
    assert plan.reachable and plan.indicators == 3
    assert sorted({c.indicator for c in plan.changes}) == ["cadre", "records", "systems_ok"]
    assert {(c.source, c.indicator): c.to for c in plan.changes} == {
        ("self", "cadre"): D("5"),
        ("superior", "cadre"): D("5"),
        ("self", "systems_ok"): D("5"),
        ("superior", "systems_ok"): D("5"),
        ("superior", "records"): D("6"),
    }
    assert (plan.points, plan.total_after) == (D("17"), D("18.00"))
    assert [(c.text, c.holds, c.short) for c in plan.conditions] == [
        ("total >= 18", False, D("9.00")),
        ("superior >= 17", False, D("8.50")),
    ]


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_veto_holds_the_branch_down(table_path: Path, backend: str) -> None:
    rs = load(table_path, backend)
    plan = rs.plan(base(violations=1, has_party_cadre=True), to="good")
    assert [(h.kind, h.name, h.label, h.grade) for h in plan.holding] == [("veto", "discipline", "违纪", "fair")]
    assert plan.reachable is False and plan.changes == []


def test_the_quota_room_in_a_batch(table_path: Path) -> None:
    """Two graded branches, `good at most 50%`: one place, held by A (20.00); B can reach good
    by the rules with a total of 18.00, which does not pass A's."""
    rs = load(table_path, "compiled")
    full = {"meetings": [MEETING] * 4, "systems": ["a", "b"], "has_party_cadre": True}
    a = base(id="A", **full, sheets={"self": {"records": 6}, "superior": {"records": 6}})
    b = base(id="B", **{**full, "has_party_cadre": False})
    planned = rs.plans([a, b], to="good")
    assert [r.grade for r in planned.batch.results] == ["good", "fair"]
    plan = next(p for p in planned.plans if p.id == "B")
    quota = plan.quotas[0]
    assert (quota.members, quota.places, quota.holders, quota.allows) == (2, 1, 1, False)
    assert "20.00" in quota.text


LADDER = ["good", "fair", "poor"]
TOPS = {"meetings": D(4), "records": D(6), "systems_ok": D(5), "cadre": D(5)}


def reaches(rs: indicator_dsl.Ruleset, record: dict[str, Any], changes: list[dict[str, Any]], target: str) -> bool:
    grade = rs.what_if(record, changes).grade
    return grade is not None and LADDER.index(grade) <= LADDER.index(target)


def recovered(now: dict[tuple[str, str], D], subset: tuple[str, ...]) -> list[dict[str, Any]]:
    """Every indicator of `subset` at its maximum in each source where it lost points."""
    return [{"source": s, "indicator": i, "to": TOPS[i]} for (s, i) in now if i in subset]


def lost(now: dict[tuple[str, str], D], subset: tuple[str, ...]) -> D:
    return sum((TOPS[i] - v for (_, i), v in now.items() if i in subset), D(0))


def random_record(rng: random.Random, n: int) -> dict[str, Any]:
    superior = str(D(rng.randint(0, 12)) / 2)
    return base(
        id=f"R{n}",
        meetings=[MEETING] * rng.randint(0, 4),
        systems=["x"] * rng.randint(0, 2),
        has_party_cadre=rng.random() < 0.5,
        sheets={"self": {"records": rng.randint(0, 6)}, "superior": {"records": superior}},
    )


@pytest.mark.parametrize("backend", BACKENDS)
def test_plans_are_minimal_by_brute_force(table_path: Path, backend: str) -> None:
    """Random records: the plan's changes reach the target through what_if; no set of fewer
    indicators reaches it at full recovery; none of as many with fewer lost points does; and
    no indicator's value can be a quantum lower."""
    rs = load(table_path, backend)
    rng = random.Random(12)
    checked = 0
    for n in range(40):
        record = random_record(rng, n)
        for target in ("fair", "good"):
            plan = rs.plan(record, to=target)
            if not plan.reachable or not plan.changes:
                continue
            checked += 1
            assert reaches(rs, record, plan.what_if_changes(), target)
            now = {(loss.source, loss.indicator): loss.score for loss in plan.lost}
            chosen = tuple(sorted({c.indicator for c in plan.changes}))
            for size in range(1, len(chosen)):
                for subset in itertools.combinations(TOPS, size):
                    assert not reaches(rs, record, recovered(now, subset), target), (record["id"], target, subset)
            for same in itertools.combinations(TOPS, len(chosen)):
                if lost(now, same) < lost(now, chosen):
                    assert not reaches(rs, record, recovered(now, same), target), (record["id"], target, same)
            for name in chosen:
                lower = [dict(c) for c in plan.what_if_changes()]
                for change in lower:
                    if change["indicator"] == name:
                        change["to"] = max(change["from"], change["to"] - D("0.01"))
                assert not reaches(rs, record, lower, target), (record["id"], target, name)
    assert checked >= 30


@pytest.mark.parametrize("fmt", ["text", "json", "jsonl", "csv", "html"])
def test_every_format_renders(table_path: Path, fmt: str) -> None:
    rs = load(table_path, "compiled")
    plans = [
        rs.plan(base()),
        rs.plan(base(violations=1), to="good"),
        rs.plan(base(id="X", **{"has_party_cadre": True}), to="poor"),
    ]
    text = PLAN_FORMATS[fmt](plans, {"small": rs.engine.plan})
    assert "U1" in text
    if fmt == "csv":
        assert text.splitlines()[1] == "U1,poor,fair,True,9.00,12.90,self,cadre,0,3.90"


def test_the_json_plan_is_what_if_s_input(table_path: Path) -> None:
    rs = load(table_path, "compiled")
    data = plan_json(rs.plan(base()), rs.engine.plan)
    assert {"id", "grade", "target", "reachable", "changes"} <= set(data)
    assert data["changes"][0] == {"source": "self", "indicator": "cadre", "from": "0", "to": "3.90"}
    after = rs.what_if(base(), json.loads(json.dumps(data["changes"])))
    assert (after.total, after.grade) == (D("12.90"), "fair")


def test_ind_plan_writes_json(table_path: Path, tmp_path: Path) -> None:
    records = tmp_path / "records.jsonl"
    records.write_text(json.dumps(base(), ensure_ascii=False) + "\n", encoding="utf-8")
    done = run_ind("plan", table_path, records, "--format", "json")
    assert done.returncode == 0, done.stderr
    (plan,) = json.loads(done.stdout)
    assert (plan["id"], plan["grade"], plan["target"], plan["reachable"], plan["total_after"]) == (
        "U1",
        "poor",
        "fair",
        True,
        "12.90",
    )
    out = tmp_path / "plans.csv"
    done = run_ind("plan", table_path, records, "--format", "csv", "--out", out)
    assert done.returncode == 0 and "1 plan(s) written" in done.stdout
    assert out.read_text(encoding="utf-8").splitlines()[1] == "U1,poor,fair,True,9.00,12.90,self,cadre,0,3.90"
    bad = run_ind("plan", table_path, records, "--to", "excellent")
    assert bad.returncode == 2 and "`excellent` is not a grade of small" in bad.stderr


WEIGHTED = """\
import "unit.ind"

ruleset weighted_small "加权小表" version "t1"
record Unit
period 2023-01-01 to 2023-12-31
total 100
precision 1

dimension team "班子" max 9 weight 40% {
  indicator leaders "班子" max 9 { score points }
}
dimension work "工作" max 20 weight 60% {
  indicator tasks "任务" max 15 { score extra }
  indicator cadre "党务干部" max 5 applies when category == "党政机关" {
    deduct 5 when not has_party_cadre
  }
}

bonus "加分" max 2 {
  item honor "荣誉" award 3 when "荣誉" in honors
}

grades {
  good "好" when total >= 90
  ok "中" otherwise
}
"""


@pytest.mark.parametrize("backend", BACKENDS)
def test_weights_proration_bonus_cap_and_rounding_by_hand(table_path: Path, backend: str) -> None:
    """One table source, dimension weights, 党务干部 not applicable (工作 out of 15), bonus 3 capped
    at 2: total = 100 × (0.4 × 6/9 + 0.6 × 10/15) + 2 = 68.67 (shown 68.7). 任务 alone gives
    +20 (88.7), 班子 alone +13.33: both are needed. 任务 weighs less per point (4 against
    4.44), so it is lowered first, 班子 at 9: 42 + 4t >= 89.95 (graded at one place, half up)
    gives t = 12.0 (11.9 gives 89.6); then 班子 with t = 12: 50 + 4.44 l >= 89.95 gives 9.0
    (8.9 gives 89.56). Without the cap t would be 11.8."""
    path = table_path.parent / "weighted_small.ind"
    path.write_text(WEIGHTED, encoding="utf-8")
    rs = load(path, backend)
    record = {"id": "W", "points": 6, "extra": 10, "category": "国有企业", "honors": ["荣誉"]}
    plan = rs.plan(record)
    assert (plan.grade, plan.target, plan.total) == ("ok", "good", D("68.7"))
    assert [(loss.indicator, effect_text(rs.engine.plan, loss.effect)) for loss in plan.lost] == [
        ("tasks", D("20.000")),
        ("leaders", D("13.333")),
    ]
    assert [(c.source, c.indicator, c.before, c.to) for c in plan.changes] == [
        ("table", "tasks", D("10"), D("12.0")),
        ("table", "leaders", D("6"), D("9")),
    ]
    assert (plan.indicators, plan.points, plan.total_after) == (2, D("5.0"), D("90.0"))
    assert rs.what_if(record, plan.what_if_changes()).total == D("90.0")
    lower = [{**c, "to": c["to"] - D("0.1")} if c["indicator"] == "tasks" else c for c in plan.what_if_changes()]
    assert rs.what_if(record, lower).total == D("89.6")


def test_records_without_a_plan_say_why(table_path: Path) -> None:
    rs = load(table_path, "compiled")
    good = base(meetings=[MEETING] * 4, systems=["a", "b"], has_party_cadre=True)
    good["sheets"] = {"self": {"records": 6}, "superior": {"records": 6}}
    best = rs.plan(good)
    assert (best.grade, best.target, best.reachable, best.note) == (
        "good",
        None,
        None,
        "已是最高等次 already at the best grade",
    )
    broken = rs.plan({"id": "E", "meetings": "none"})
    assert (broken.grade, broken.reachable, broken.note) == (None, None, "无法评分 the record has errors")
    grades = load(EVAL_RULESETS / "grading.ind", "compiled")
    exempt = grades.plan({"id": "N", "founded_on": "2023-06-01", "points": 50})
    assert (exempt.grade, exempt.note) == (None, "不参加定级 exempt")


def test_the_text_plan_by_hand(table_path: Path) -> None:
    rs = load(table_path, "compiled")
    lines = PLAN_FORMATS["text"]([rs.plan(base())], {"small": rs.engine.plan}).splitlines()
    assert lines[:7] == [
        "支部 U1  差  总分 9.00",
        "  目标 target: 中",
        "  ✗ 未满足 total >= 12.9  (total = 9.00,差 3.90)",
        "  失分 lost points (按对总分的影响排序):",
        "    党务干部 [上级考评] 0/5, 影响总分 3.7500",
        "      评分标准: 配备党务干部的得5分。",
        "      small/cadre/1: 第1条扣分规则生效,扣5分(读取 has_party_cadre = 否)",
    ]
    assert lines[-3:] == [
        "  最少需提升 1 项指标 (共 7.80 分), 总分可达 12.90:",
        "    党务干部 [自评] 0 → 3.90",
        "    党务干部 [上级考评] 0 → 3.90",
    ]


def test_the_check_up_page_by_hand(table_path: Path) -> None:
    """Two branches of one table: U1 (superior 组织 6, 保障 2.5) and V (superior 组织 10,
    保障 10): the 同类 average of superior's 组织 is 8.00, the best 10."""
    rs = load(table_path, "compiled")
    full = {"meetings": [MEETING] * 4, "systems": ["a", "b"], "has_party_cadre": True}
    records = [base(), base(id="V", **full, sheets={"self": {"records": 6}, "superior": {"records": 6}})]
    planned = rs.plans(records)
    result = planned.batch.results[0]
    page = build_checkup(result, planned.batch.attributes[0], planned.plans[0], rs.engine.plan, planned.batch.results)
    row = '<tr><td>组织</td><td>上级考评</td><td class="n">10</td><td class="n">6.00</td><td class="n">8.00</td>'
    assert row + '<td class="n">10.00</td>' in page
    assert "总分 <b>9.00</b>(同类平均 14.50,最高 20.00,2 个支部)" in page
    assert "评分标准:配备党务干部的得5分。" in page and "最少需提升 1 项指标(共 7.80 分),总分可达 12.90。" in page
    assert "<script" not in page and "http" not in page


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_condition_on_one_source_s_indicator_by_hand(backend: str) -> None:
    """judged.ind: good when total >= 24 and superior.innovation >= 4. With innovation 3 (judged
    by superior, so 3 in both tables): self 8 + 3 + 9 + 5 = 25, superior 6 + 3 + 7 + 5 = 21,
    total 0.3 × 25 + 0.6 × 21 = 20.10. innovation must be in the set; with 台账 (+3.0, 10 points
    lost) or 阵地 (+2.1, 8 points lost) it reaches: 阵地 is taken. Lowered in turn: innovation
    (0.9 a point) needs 20.1 + 2.1 + 0.9 (v - 3) >= 23.995, v = 5.00 (4.99 gives 23.99); then
    阵地 at 10.00 (9.99 gives 23.99)."""
    rs = eval_ruleset("judged", backend)
    sheets = {
        "self": {"records": 8, "venue": {"score": 9, "reason": "阵地达标"}},
        "superior": {"records": 6, "innovation": 3, "venue": {"score": 7, "reason": "经费不足"}},
    }
    plan = rs.plan({"id": "J", "points": 5, "sheets": sheets})
    assert (plan.grade, plan.target, plan.total, plan.total_after, plan.points) == (
        "fair",
        "good",
        D("20.10"),
        D("24.00"),
        D("8.00"),
    )
    assert [(c.source, c.indicator, c.before, c.to) for c in plan.changes] == [
        ("self", "venue", D("9"), D("10.00")),
        ("superior", "venue", D("7"), D("10.00")),
        ("self", "innovation", D("3"), D("5.00")),
        ("superior", "innovation", D("3"), D("5.00")),
    ]
    assert [(c.text, c.short) for c in plan.failing] == [
        ("total >= 24", D("3.90")),
        ("superior.innovation >= 4", D("1")),
    ]
