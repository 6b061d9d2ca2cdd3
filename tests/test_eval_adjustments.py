"""Adjustments by people (综合评定), applied after quotas: own grade step with its reason,
checked against the quotas (warning, or refused for a `hard` quota), bad rows named, on both
backends and through `ind eval --adjustments`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support import project_with
from test_eval_grading import BACKENDS, QUOTA_TEMPLATE, SCHEMA, filler, grades_of, quota_ruleset, unit

from indicator_dsl.cli.main import main

QUOTA = "quota advanced at most 20% ties demote"
# n = 10, k = 2: A1 98 and A2 95 keep advanced, A3 93 is moved to standard by the quota
RECORDS = [unit("A1", "98"), unit("A2", "95"), unit("A3", "93"), *filler(6), unit("L1", "50")]


def by(batch: object, rid: str) -> object:
    return next(r for r in batch.results if r.id == rid)  # type: ignore[attr-defined]


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_adjustment_is_its_own_step_after_quotas(tmp_path_factory: pytest.TempPathFactory, backend: str) -> None:
    rs = quota_ruleset(tmp_path_factory, QUOTA, backend)
    adjustment = {"id": "L1", "grade": "standard", "reason": "整改到位", "by": "机关党委"}
    batch = rs.evaluate_many(RECORDS, adjustments=[adjustment], trace=True)
    assert batch.problems == []
    l1 = by(batch, "L1")
    assert l1.grade == "standard" and l1.grade_by_rules == "lagging"  # type: ignore[attr-defined]
    last = l1.steps[-1]  # type: ignore[attr-defined]
    assert (last.step, last.before, last.after, last.reason) == (
        "adjustment",
        "lagging",
        "standard",
        "adjustment by 机关党委: 整改到位",
    )
    assert l1.warnings == []  # type: ignore[attr-defined]  # no quota on standard


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_adjustment_that_breaks_a_quota_is_a_warning(tmp_path_factory: pytest.TempPathFactory, backend: str) -> None:
    rs = quota_ruleset(tmp_path_factory, QUOTA, backend)
    # A3 back to advanced: three hold it, k = 2
    adjustment = {"id": "A3", "grade": "advanced", "reason": "市级表彰", "by": "机关党委"}
    batch = rs.evaluate_many(RECORDS, adjustments=[adjustment])
    a3 = by(batch, "A3")
    assert a3.grade == "advanced"  # type: ignore[attr-defined]
    assert [(s.step, s.before, s.after) for s in a3.steps] == [  # type: ignore[attr-defined]
        ("rules", None, "advanced"),
        ("quota", "advanced", "standard"),
        ("adjustment", "standard", "advanced"),
    ]
    assert a3.warnings == ["adjustment breaks quota advanced at most 20% (3 hold it, k = 2)"]  # type: ignore[attr-defined]
    assert batch.problems == []


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_hard_quota_refuses_the_adjustment(tmp_path_factory: pytest.TempPathFactory, backend: str) -> None:
    rs = quota_ruleset(tmp_path_factory, QUOTA + " hard", backend)
    adjustments = [
        {"id": "A3", "grade": "advanced", "reason": "市级表彰", "by": "机关党委"},
        {"id": "A2", "grade": "standard", "reason": "群众意见", "by": "机关党委"},
    ]
    batch = rs.evaluate_many(RECORDS, adjustments=adjustments)
    got = grades_of(batch)
    assert (got["A3"], got["A2"]) == ("standard", "standard")  # the first refused, the second applied
    assert batch.problems == [
        "adjustment 1: adjustment of 'A3' refused: it breaks quota advanced at most 20% (3 hold it, k = 2)"
    ]


@pytest.mark.parametrize("backend", BACKENDS)
def test_bad_rows_are_named_and_the_rest_applied(tmp_path_factory: pytest.TempPathFactory, backend: str) -> None:
    rs = quota_ruleset(tmp_path_factory, QUOTA, backend)
    adjustments = [
        {"id": "NOPE", "grade": "standard", "reason": "r", "by": "b"},
        {"id": "L1", "grade": "excellent", "reason": "r", "by": "b"},
        {"id": "L1", "grade": "standard", "reason": "", "by": "b"},
        {"id": "L1", "grade": "standard", "reason": "整改到位", "by": "机关党委"},
    ]
    batch = rs.evaluate_many(RECORDS, adjustments=adjustments)
    assert batch.problems == [
        "adjustment 3: `reason` is missing or empty",
        "adjustment 1: `id` 'NOPE' matches no record",
        "adjustment 2: `grade` 'excellent' is not a grade of quotas (advanced, standard, lagging)",
    ]
    assert grades_of(batch)["L1"] == "standard"


def test_ind_eval_takes_an_adjustments_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = project_with(tmp_path, SCHEMA)
    ruleset = root / "quotas.ind"
    ruleset.write_text(QUOTA_TEMPLATE.format(schema=SCHEMA.name, quotas=QUOTA), encoding="utf-8")
    records = root / "records.json"
    records.write_text(json.dumps(RECORDS), encoding="utf-8")
    adjustments = root / "adjustments.csv"
    adjustments.write_text(
        "id,grade,reason,by\nL1,standard,整改到位,机关党委\n\nGHOST,standard,x,y\nA1,,x,y\n", encoding="utf-8"
    )
    code = main(["eval", str(ruleset), str(records), "--adjustments", str(adjustments), "--explain", "L1"])
    out, err = capsys.readouterr()
    assert code == 1
    assert "adjustment: lagging → standard  adjustment by 机关党委: 整改到位" in out
    assert f"ind eval: {adjustments} line 5: `grade` is missing or empty" in err
    assert f"ind eval: {adjustments} line 4: `id` 'GHOST' matches no record" in err
    good = root / "good.yaml"
    good.write_text("- {id: L1, grade: standard, reason: 整改到位, by: 机关党委}\n", encoding="utf-8")
    assert main(["eval", str(ruleset), str(records), "--adjustments", str(good), "--format", "json"]) == 0
    results = {r["id"]: r for r in json.loads(capsys.readouterr().out)}
    assert results["L1"]["grade"] == "standard" and results["L1"]["steps"][-1]["step"] == "adjustment"


def test_adjustments_in_worker_processes_match_one_process(tmp_path_factory: pytest.TempPathFactory) -> None:
    rs = quota_ruleset(tmp_path_factory, QUOTA)
    adjustments = [{"id": "A3", "grade": "advanced", "reason": "市级表彰", "by": "机关党委"}]
    one = rs.evaluate_many(RECORDS, adjustments=adjustments)
    two = rs.evaluate_many(RECORDS, adjustments=adjustments, workers=2)
    assert [r.model_dump() for r in two.results] == [r.model_dump() for r in one.results]
    assert grades_of(two)["A3"] == "advanced" and two.problems == one.problems == []
