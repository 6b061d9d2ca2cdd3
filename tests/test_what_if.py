"""`Model.what_if`: indicator scores set by hand, applied as corrections are (after judged scores
and adjustments), on both backends alike; a change that cannot apply is the record's error."""

from __future__ import annotations

import itertools
import json
import random
from collections import Counter
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import pytest
from support import ROOT, eval_ruleset

import indicator_dsl
from indicator_dsl.outputs.plans import plan_json

BACKENDS = ["compiled", "interpreted"]
SHEETS = {
    "self": {"records": 8, "venue": {"score": 9, "reason": "阵地达标"}},
    "superior": {"records": 6, "innovation": 4, "venue": {"score": 7, "reason": "经费不足"}},
}
SAMPLE = ROOT / "examples" / "province" / "sample.jsonl"


@pytest.mark.parametrize("backend", BACKENDS)
def test_judged_computed_and_all_sources(backend: str) -> None:
    rs = eval_ruleset("judged", backend)
    record = {"id": "J", "points": 5, "sheets": SHEETS}
    assert rs.evaluate(record).total == D("21.00")  # 0.3 × 26 + 0.6 × 22
    # `innovation` is judged by superior only (4 in both tables): set to 5 in self's table alone
    # adds 0.3 × 1; `computed` to 2 in every table source takes 0.3 × 3 + 0.6 × 3: 21 + 0.3 - 2.7
    result = rs.what_if(
        record,
        [{"source": "self", "indicator": "innovation", "to": 5}, {"indicator": "computed", "from": 5, "to": "2"}],
    )
    assert result.errors == []
    assert result.total == D("18.60")
    assert result.sources["self"]["indicators"]["innovation"] == D("5.00")
    assert result.sources["superior"]["indicators"]["innovation"] == D("4.00")
    assert result.sources["superior"]["corrections"]["computed"] == {
        "from": D("5.00"),
        "to": D("2.00"),
        "reason": "what if",
        "evidence": [],
    }


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_adjusted_indicator_is_set_after_its_adjustment(backend: str) -> None:
    rs = eval_ruleset("adjusted", backend)
    sheets = {"self": {"discipline": {"adjust": -1, "reason": "迟报"}}, "superior": {"discipline": 0, "others": 0}}
    record = {"id": "A", "violations": 1, "n": 2, "sheets": sheets}
    before = rs.evaluate(record)
    after = rs.what_if(record, [{"source": "self", "indicator": "discipline", "to": 6}])
    assert before.sources["self"]["indicators"]["discipline"] == D("3.00")  # 6 - 2 - 1
    assert after.sources["self"]["indicators"]["discipline"] == D("6.00")
    assert after.total - before.total == D("1.20")  # 0.4 × 3


@pytest.mark.parametrize("backend", BACKENDS)
def test_changes_that_cannot_apply_are_the_record_s_errors(backend: str) -> None:
    rs = eval_ruleset("judged", backend)
    record = {"id": "J", "points": 5, "sheets": SHEETS}
    result = rs.what_if(
        record,
        [
            {"source": "survey", "indicator": "records", "to": 1},
            {"indicator": "nothing", "to": 1},
            {"source": "self", "indicator": "records", "to": 11},
            {"source": "self", "indicator": "records", "to": "many"},
        ],
    )
    assert [(e.path, e.message) for e in result.errors] == [
        ("what_if.survey.records", "`survey` is not a table source; they are self, superior"),
        ("what_if.*.nothing", "`nothing` is not an indicator of judged"),
        ("what_if.self.records", "11 is not a score in 0..10"),
        ("what_if.self.records", "'many' is not a score in 0..10"),
    ]
    with pytest.raises(ValueError, match="change 1: unknown key by"):
        rs.what_if(record, [{"indicator": "records", "to": 1, "by": "me"}])


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_indicator_that_does_not_apply_cannot_be_set(backend: str) -> None:
    rs = eval_ruleset("adjusted", backend)
    sheets = {"self": {"discipline": 0}, "superior": {"discipline": 0}}
    result = rs.what_if({"id": "A", "n": 0, "sheets": sheets}, [{"indicator": "others", "to": 1}])
    assert [(e.path, e.message) for e in result.errors] == [
        ("what_if.*.others", "`others` does not apply to this record; it has no score to set")
    ]


def _records() -> list[dict[str, Any]]:
    return [json.loads(line) for line in SAMPLE.read_text(encoding="utf-8").splitlines()]


def test_compiled_equals_interpreted_for_what_if() -> None:
    """Every sample branch with random changes (every table source or one, any applicable
    indicator, any value in range): both backends give the same result, trace included."""
    catalog = ROOT / "rulesets" / "jiangsu" / "catalog.ind"
    compiled = indicator_dsl.load(catalog)
    interpreted = indicator_dsl.load(catalog, backend="interpreted")
    rng = random.Random(7)
    for record in _records():
        scored = compiled.evaluate(record)
        table = compiled.engines[scored.ruleset.name].plan
        sources = [s.name for s in table.sources if s.is_table]
        present = [i for i in table.indicators if scored.sources[sources[0]]["indicators"][i.name] is not None]
        changes = [
            {
                "source": rng.choice([None, *sources]),
                "indicator": info.name,
                "to": str(D(rng.randint(0, int(info.max * 4))) / 4),
            }
            for info in rng.sample(present, 4)
        ]
        a = compiled.what_if(record, changes, trace=True)
        b = interpreted.what_if(record, changes, trace=True)
        assert a.errors == [] and a.model_dump() == b.model_dump(), record["id"]


def test_every_sample_plan_is_kept_and_minimal() -> None:
    """Every 达标 and 后进 branch of the committed sample (50 branches): applying the plan's changes
    reaches its target, and no set of one indicator fewer reaches it at full recovery."""
    model = indicator_dsl.load(ROOT / "rulesets" / "jiangsu" / "catalog.ind")
    records = _records()
    by_id = {r["id"]: r for r in records}
    planned = model.plans(records, grades=["standard", "lagging"])
    assert len(planned.plans) == sum(1 for r in planned.batch.results if r.grade in ("standard", "lagging"))
    shapes = Counter((p.grade, p.reachable, p.indicators) for p in planned.plans)
    assert sorted(shapes.items()) == [
        (("lagging", True, 1), 2),
        (("standard", False, 0), 2),
        (("standard", True, 0), 10),  # 先进 by the rules, moved down by the department's quota
        (("standard", True, 1), 13),
        (("standard", True, 2), 7),
        (("standard", True, 3), 5),
        (("standard", True, 4), 6),
        (("standard", True, 5), 2),
        (("standard", True, 7), 1),
    ]
    b9 = next(p for p in planned.plans if p.id == "B0009")
    assert (b9.grade, b9.total, b9.total_after, b9.points) == ("lagging", D("74.17"), D("75.00"), D("2.14"))
    assert [(c.source, c.indicator, c.before, c.to) for c in b9.changes] == [
        ("self", "member_meeting", D("2"), D("3.07")),
        ("superior", "member_meeting", D("2"), D("3.07")),
    ]
    assert [(c.text, c.short) for c in b9.failing] == [("total >= 75", D("0.83"))]
    kept = 0
    for plan in planned.plans:
        if not plan.changes:
            continue
        record = by_id[plan.id]
        ladder = [g.name for g in model.engines[plan.ruleset].plan.grades]
        goal = ladder.index(plan.target or "")
        after = model.what_if(record, plan.what_if_changes())
        assert after.grade is not None and ladder.index(after.grade) <= goal, plan.id
        kept += 1
        if plan.indicators > 3:
            continue
        now = [(loss.source, loss.indicator, loss.max) for loss in plan.lost]
        for smaller in itertools.combinations(sorted({i for _, i, _ in now}), plan.indicators - 1):
            changes = [{"source": s, "indicator": i, "to": top} for s, i, top in now if i in smaller]
            tried = model.what_if(record, changes)
            assert tried.grade is None or ladder.index(tried.grade) > goal, (plan.id, smaller)
    assert kept >= 20


FIXTURES = ROOT / "tests" / "eval_fixtures"
# the fixture record files of a ruleset of their name (finance.json and party_gov.json are a catalog's)
FIXTURE_RECORDS = [
    p for p in sorted((FIXTURES / "records").glob("*.json")) if (FIXTURES / "rulesets" / f"{p.stem}.ind").exists()
]


@pytest.mark.parametrize("records", FIXTURE_RECORDS, ids=lambda p: p.stem)
def test_plans_agree_across_backends(records: Path) -> None:
    """Every fixture ruleset's records: the same plan from the compiled and the interpreted
    backend, losses, conditions and changes included."""
    ruleset = FIXTURES / "rulesets" / f"{records.stem}.ind"
    compiled = indicator_dsl.load(ruleset)
    interpreted = indicator_dsl.load(ruleset, backend="interpreted")
    assert isinstance(compiled, indicator_dsl.Ruleset)
    for record in json.loads(records.read_text(encoding="utf-8")):
        assert plan_json(compiled.plan(record), compiled.engine.plan) == plan_json(
            interpreted.plan(record), compiled.engine.plan
        ), record.get("id")


def test_sample_plans_agree_across_backends() -> None:
    catalog = ROOT / "rulesets" / "jiangsu" / "catalog.ind"
    compiled = indicator_dsl.load(catalog)
    interpreted = indicator_dsl.load(catalog, backend="interpreted")
    for record in _records()[:5]:
        a, b = compiled.plan(record), interpreted.plan(record)
        table = compiled.engines[a.ruleset].plan
        assert plan_json(a, table) == plan_json(b, table), record["id"]
