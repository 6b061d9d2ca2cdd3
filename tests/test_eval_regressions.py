"""Regressions found after the main suites were written, each pinned on both backends."""

from __future__ import annotations

import dataclasses
import decimal
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from support import project_with

import indicator_dsl
from indicator_dsl.evaluate import compiled
from indicator_dsl.semantics.arithmetic import EXACT

STAR = Path(__file__).parent / "eval_fixtures" / "regressions" / "star.ind"


def branch(**changes: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": "U1",
        "department": "D",
        "category": "党政机关",
        "secretary_rating": "好",
        "activities": [{"reported": True}] * 5,
        "systems": ["组织生活", "学习"],
        "lesson_attendance": "0.85",
        "activist_ratio": "0.55",
        "founded_on": "2020-01-01",
        "survey_satisfaction": "0.9",
        "sheets": {"superior": {"innovation": {"score": 9, "reason": "党建品牌获省级推广"}}},
    }
    record.update(changes)
    return record


@pytest.fixture(params=["compiled", "interpreted"])
def star(request: pytest.FixtureRequest) -> Any:
    return indicator_dsl.load(STAR, backend=request.param)


def test_a_plain_number_is_refused_where_a_reason_is_required(star: Any) -> None:
    result = star.evaluate(branch(sheets={"superior": {"innovation": 9}}))
    assert [(e.path, "reason" in e.message) for e in result.errors] == [("sheets.superior.innovation", True)]
    assert result.total is None


def test_weighted_dimensions_with_a_judge_serving_both_sources(star: Any) -> None:
    # team 3 + 0 + 5 + 9 = 17 of 20; work 20 + 3 + 4 = 27 of 31;
    # (40% × 17/20 + 60% × 27/31) × 100 = 86.258… → 86.3, in both sources, so the total too.
    result = star.evaluate(branch())
    assert result.sources["self"]["dimensions"] == {"team": Decimal("17.0"), "work": Decimal("27.0")}
    assert result.sources["superior"]["table"] == Decimal("86.3")
    assert result.total == Decimal("86.3")
    assert result.grade == "four_star"
    assert result.sources["superior"]["reasons"] == {"innovation": "党建品牌获省级推广"}


def test_quota_at_least_with_ties_demote_moves_everyone_at_the_line(star: Any) -> None:
    # 10 branches: k = ceil(10 × 10%) = 1 one-star needed; the two lowest are tied at 80.5,
    # so `ties demote` moves both into one_star.
    records = [branch(id=f"U{i}", lesson_attendance=str(Decimal("0.5") + Decimal("0.05") * i)) for i in range(10)]
    grades = [(r.id, str(r.total), r.grade) for r in star.evaluate_many(records).results]
    assert grades[:3] == [("U0", "80.5", "one_star"), ("U1", "80.5", "one_star"), ("U2", "82.4", "four_star")]
    assert sum(1 for _, _, grade in grades if grade == "one_star") == 2


HALF_UP = Path(__file__).parent / "eval_fixtures" / "regressions" / "half_up.ind"


@pytest.mark.parametrize("context", ["default", "exact"])
@pytest.mark.parametrize("backend", ["compiled", "interpreted"])
def test_grades_compare_the_total_rounded_half_up_whatever_the_callers_context(backend: str, context: str) -> None:
    # 88.5 at precision 0 is 89 (half-up), so `good when total >= 89` holds; under the default
    # context (half-even) the compiled per-record path once graded 88, `fair`.
    rs = indicator_dsl.load(HALF_UP, backend=backend)
    assert isinstance(rs, indicator_dsl.Ruleset)
    with decimal.localcontext(decimal.Context() if context == "default" else EXACT):
        engine, pending = rs.route({"id": "U1", "points": "88.5"}, None, trace=False)
        result = engine.finish(pending)
        assert (result.total, result.grade, result.outcomes["shown"]) == (Decimal("89"), "good", Decimal("89"))
        assert rs.evaluate({"id": "U1", "points": "88.5"}).grade == "good"


SCHEMA = Path(__file__).parent / "eval_fixtures" / "schema" / "unit.ind"
OVERFLOW = """\
import "{schema}"

ruleset overflow "溢出" version "t1"
record Unit
total 10

dimension d "维度" max 10 {{
  indicator plain "平常" max 5 {{ award 5 }}
  indicator squared "平方" max 5 {{
    score x * x
  }}
}}

outcome tenth "十分之一" = round(x, 1)
"""


@pytest.mark.parametrize("backend", ["compiled", "interpreted"])
def test_an_error_inside_generated_code_names_the_clause_it_came_from(tmp_path: Path, backend: str) -> None:
    path = tmp_path / "overflow.ind"
    project_with(tmp_path, SCHEMA)  # imports may not leave the project: the schema is copied in
    path.write_text(OVERFLOW.format(schema=SCHEMA.name), encoding="utf-8")
    rs = indicator_dsl.load(path, backend=backend)
    # x × x overflows the exact context: the record's error points at `score x * x` (line 10, column 5)
    result = rs.evaluate({"id": "U1", "x": "1e600000"})
    assert [e.message for e in result.errors] == [
        f"arithmetic overflow: a value is beyond the range of exact arithmetic (at {path}:10:5)"
    ]
    # round(x, 1) of 1e100 needs more than 60 digits: the outcome on line 14 is named
    result = rs.evaluate({"id": "U1", "x": "1e100"})
    assert [e.message for e in result.errors] == [
        f"outcome: invalid arithmetic: a value with more than 60 digits, or not a number (at {path}:14:1)"
    ]
    assert rs.evaluate({"id": "U1", "x": "2"}).total == Decimal("9.00")  # 5 + 2 × 2


@pytest.mark.parametrize(
    ("old", "new", "when"),
    [("def score(r, S, T, C):", "def score(r, S, T, C:", "load"), ("_Scored(", "_Unscored(", "evaluate")],
)
def test_a_code_generation_bug_is_an_internal_error_never_a_diagnostic(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, old: str, new: str, when: str
) -> None:
    # generated code that does not compile (once reported as E013 "too deeply nested") or that
    # names a helper it was not given: CodegenBug, whose message says what it is
    generate = compiled.generate

    def broken(*args: Any, **kwargs: Any) -> Any:
        module = generate(*args, **kwargs)
        assert old in module.code
        return dataclasses.replace(module, code=module.code.replace(old, new))

    monkeypatch.setattr(compiled, "generate", broken)
    path = tmp_path / f"bug_{when}.ind"
    project_with(tmp_path, SCHEMA)  # imports may not leave the project: the schema is copied in
    path.write_text(OVERFLOW.format(schema=SCHEMA.name), encoding="utf-8")
    with pytest.raises(compiled.CodegenBug, match="code generation bug"):
        indicator_dsl.load(path).evaluate({"id": "U1", "x": "2"})


@pytest.mark.parametrize("backend", ["compiled", "interpreted"])
def test_traces_are_the_same_on_both_backends(backend: str) -> None:
    # the interpreter once traced `score` clauses as `scoreformula`, with no reads and no clamp entries
    rs = indicator_dsl.load(Path(__file__).parent / "eval_fixtures" / "rulesets" / "uncapped.ind", backend=backend)
    result = rs.evaluate({"id": "U1", "points": "120", "activist_ratio": "0.1"}, trace=True)
    assert result.trace is not None
    assert [(t.indicator, t.kind, t.reads, t.effect, t.note) for t in result.trace] == [
        ("base", "score", {"points": Decimal("120")}, Decimal("120"), None),
        ("base", "clamp", {}, Decimal("94"), "lowered to max"),
        ("activists", "score", {"activist_ratio": Decimal("0.1")}, Decimal("1"), None),
        ("growth", "score", {"activist_ratio": Decimal("0.1")}, Decimal("-17"), None),
        ("growth", "clamp", {}, Decimal("0"), "raised to 0"),
    ]


def test_the_interpreted_backend_compiles_nothing_for_a_catalog(monkeypatch: pytest.MonkeyPatch) -> None:
    # catalog routes and quota `where`s were compiled even with backend="interpreted"
    def no_code(*_: Any) -> Any:
        raise AssertionError("generated code was run for the interpreted backend")

    from indicator_dsl.evaluate import router

    monkeypatch.setattr(router, "generated_functions", no_code)
    monkeypatch.setattr(compiled, "generated_functions", no_code)
    root = Path(__file__).resolve().parents[1]
    catalog = indicator_dsl.load(root / "rulesets" / "jiangsu" / "catalog.ind", backend="interpreted")
    lines = (root / "examples" / "province" / "sample.jsonl").read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines[:20]]
    batch = catalog.evaluate_many(records)
    assert [r.errors for r in batch] == [[] for _ in records]
    assert len({r.ruleset.name for r in batch}) > 1  # routed to several category rulesets


def test_a_rulesets_sha256_is_its_content_wherever_it_lies(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the hash named in results covered the path as typed: the same files gave another
    # sha256 by absolute path, by relative path and in another folder
    for folder in ("a", "b"):
        project_with(tmp_path / folder, SCHEMA)
        (tmp_path / folder / "overflow.ind").write_text(OVERFLOW.format(schema=SCHEMA.name), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    loads = [
        indicator_dsl.load(tmp_path / "a" / "overflow.ind"),
        indicator_dsl.load("a/overflow.ind"),
        indicator_dsl.load(tmp_path / "b" / "overflow.ind"),
    ]
    results = [rs.evaluate({"id": "U1", "x": "1e600000"}) for rs in loads]
    assert len({r.ruleset.sha256 for r in results}) == 1
    # each plan still names its own files in errors and traces
    assert "b/overflow.ind:10:5" in results[2].errors[0].message
    assert "a/overflow.ind:10:5" in results[1].errors[0].message
