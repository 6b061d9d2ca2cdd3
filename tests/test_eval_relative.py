"""Population-relative rules (issue 12, item 6): `relative NAME award|deduct N when top P% |
below mean by M of MEASURE within FIELD`, ranked in the population stage with exact figures,
traced the same on both backends, the record graded again with its points; the checker
refuses a rule that ranks by the grade its points change (E316)."""

from __future__ import annotations

import json
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import pytest
from support import EVAL_RULESETS, ROOT, eval_ruleset, project_with, run_ind

BACKENDS = ["compiled", "interpreted"]
RECORDS: list[dict[str, Any]] = json.loads(
    (ROOT / "tests" / "eval_fixtures" / "records" / "relative.json").read_text(encoding="utf-8")
)


def scored(records: list[dict[str, Any]], backend: str, **options: Any) -> dict[str, Any]:
    batch = eval_ruleset("relative", backend).evaluate_many(records, trace=True, **options)
    return {r.id: r for r in batch.results}


def relative_entries(result: Any) -> list[tuple[str, D, dict[str, Any]]]:
    return [(e.indicator, e.effect, e.reads) for e in result.trace if e.kind == "relative"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_ranking_checked_by_hand(backend: str) -> None:
    results = scored(RECORDS, backend)
    # 甲: totals 10, 9, 9, 8, 5, 3 (A7 cannot be scored: not in the group), n = 6.
    # top 30%: n × 30% = 1.8, so rank 1 only: A1 (10) → 10 + 2 = 12.00.
    # mean 44 / 6 = 7.333…; below by 3 means below 4.333…: A6 (3) → 3 − 1 = 2.00; A5 (5) is not.
    assert relative_entries(results["A1"]) == [
        ("top_third", D("2"), {"total": D("10.00"), "rank": 1, "group size": 6, "top": D("1.8")})
    ]
    assert (results["A1"].total, results["A1"].grade) == (D("12.00"), "advanced")
    assert [(r.total, relative_entries(r)) for r in (results["A2"], results["A3"], results["A5"])] == [
        (D("9.00"), []),
        (D("9.00"), []),
        (D("5.00"), []),
    ]
    ((name, effect, reads),) = relative_entries(results["A6"])
    assert (name, effect, reads["group size"]) == ("behind", D("-1"), 6)
    assert reads["group mean"] == D("7." + "3" * 59)  # 44 / 6 at the exact context (60 digits)
    assert (results["A6"].total, results["A6"].grade) == (D("2.00"), "standard")
    assert results["A7"].total is None and results["A7"].errors
    # 乙: 8.5, 8, 7, 6; n × 30% = 1.2: B1 is in, and its 8.5 + 2 = 10.50 makes it 先进 (the
    # grade is derived again from the new total); mean 7.375 − 3 = 4.375: no one below.
    assert (results["B1"].total, results["B1"].grade) == (D("10.50"), "advanced")
    assert [s.step for s in results["B1"].steps] == ["rules"]
    assert (results["B2"].total, results["B2"].grade) == (D("8.00"), "standard")


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_group_of_one_gives_no_points(backend: str) -> None:
    # 丙 holds C1 alone: rank 1 > 1 × 30%, and 9 is not below its own mean.
    result = scored(RECORDS, backend)["C1"]
    assert (result.total, relative_entries(result)) == (D("9.00"), [])


@pytest.mark.parametrize("backend", BACKENDS)
def test_ties_at_the_line_are_all_in_whatever_the_order(backend: str) -> None:
    # 丁: 9, 9, 8, 7; n × 30% = 1.2; both 9s have rank 1 (one above them: none), both get 2.
    group = [{"id": f"T{i}", "points": p, "department": "丁"} for i, p in enumerate([8, 9, 7, 9], 1)]
    forward = scored(group, backend)
    backward = scored(list(reversed(group)), backend)
    assert {k: r.total for k, r in forward.items()} == {
        "T1": D("8.00"),
        "T2": D("11.00"),
        "T3": D("7.00"),
        "T4": D("11.00"),
    }
    assert {k: r.total for k, r in backward.items()} == {k: r.total for k, r in forward.items()}


def test_both_backends_give_the_same_results_and_traces() -> None:
    compiled, interpreted = scored(RECORDS, "compiled"), scored(RECORDS, "interpreted")
    assert {k: r.model_dump() for k, r in compiled.items()} == {k: r.model_dump() for k, r in interpreted.items()}


def test_a_relative_rule_needs_the_batch_so_workers_score_it_in_one_process() -> None:
    one = scored(RECORDS, "compiled")
    two = scored(RECORDS, "compiled", workers=2)
    assert {k: r.model_dump() for k, r in two.items()} == {k: r.model_dump() for k, r in one.items()}


def test_a_single_evaluation_has_no_group_and_no_relative_points() -> None:
    result = eval_ruleset("relative").evaluate(RECORDS[0])
    assert (result.total, result.grade) == (D("10.00"), "advanced")


def test_explain_shows_the_relative_step() -> None:
    from indicator_dsl.outputs.explain import explain

    result = scored(RECORDS, "compiled")["A1"]
    text = explain(result, eval_ruleset("relative").engine.plan)
    assert "本部门前30%加2分 (top_third)" in text


RULESET = """import "unit.ind"

ruleset bad "相对" version "1"
record Unit
total 10

dimension a "评定" max 10 {{
  indicator computed "计算项" max 10 {{ score points }}
}}

{line}

grades {{
  advanced "先进" when total >= 9
  standard "达标" otherwise
}}
"""


@pytest.mark.parametrize(
    ("line", "code", "text"),
    [
        ("relative r award 1 when top 10% of grade within department", "E316", "ranks by `grade`"),
        ("relative r award 1 when top 10% of totl within department", "E200", "did you mean `total`?"),
        ("relative r award 1 when top 10% of total within departmnt", "E201", "not a field of the record"),
        ("relative r award 1 when top 150% of total", "E311", "at most 100%"),
    ],
)
def test_the_checker_refuses_bad_relative_rules(tmp_path: Path, line: str, code: str, text: str) -> None:
    root = project_with(tmp_path, EVAL_RULESETS.parent / "schema" / "unit.ind")
    path = root / "bad.ind"
    path.write_text(RULESET.format(line=line), encoding="utf-8")
    out = run_ind("check", path, cwd=root)
    assert out.returncode == 1
    assert f"error[{code}]" in out.stdout and text in out.stdout


def test_ind_eval_does_not_stream_a_ruleset_with_relative_rules(tmp_path: Path) -> None:
    records = tmp_path / "records.jsonl"
    records.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in RECORDS), encoding="utf-8")
    out = tmp_path / "results.jsonl"
    ruleset = EVAL_RULESETS / "relative.ind"
    done = run_ind("eval", ruleset, records, "--format", "jsonl", "--out", out, "--workers", "2", cwd=ROOT)
    assert done.returncode == 1  # A7 cannot be scored
    totals = {r["id"]: r["total"] for r in map(json.loads, out.read_text(encoding="utf-8").splitlines())}
    assert (totals["A1"], totals["A6"], totals["B1"], totals["A7"]) == ("12.00", "2.00", "10.50", None)
