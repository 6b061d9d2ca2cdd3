"""Value sources whose inputs are missing: `when missing exclude` renormalises the other
weights exactly, `when missing error` (the default) is the record's error naming the field.
Every figure is worked out by hand beside it; both backends must give it."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from support import EVAL_RULESETS, project_with

import indicator_dsl
from indicator_dsl.outputs.explain import explain
from indicator_dsl.syntax.formatter import format_source
from indicator_dsl.syntax.source import SourceFile

D = Decimal
BACKENDS = ["compiled", "interpreted"]
SCHEMA = EVAL_RULESETS.parent / "schema" / "unit.ind"

RULESET = """import "unit.ind"

ruleset sources "测评缺失" version "t1"
record Unit
total 100
precision 2

dimension a "基本" max 100 {{
  indicator rest "其他" max 100 {{ score points }}
}}

assess {{
  review "考评" weight 50%
  extra_source "附加" weight 20% = extra
  survey "测评" weight 30% = survey_satisfaction * 100{rule}
}}

grades {{
  advanced "先进" when total >= 75 and (survey is none or survey >= 60)
  lagging "后进" otherwise
}}
"""


def load(tmp_path: Path, rule: str, backend: str) -> indicator_dsl.Ruleset:
    folder = project_with(tmp_path, SCHEMA)
    (folder / "sources.ind").write_text(RULESET.format(rule=rule), encoding="utf-8")
    rs = indicator_dsl.load(folder / "sources.ind", backend=backend)
    assert isinstance(rs, indicator_dsl.Ruleset), rs
    return rs


def evaluate(rs: indicator_dsl.Ruleset, **fields: Any) -> Any:
    return rs.evaluate({"id": "U1", "points": 80, "extra": 66, **fields}, trace=True)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("rule", ["", " when missing exclude", " when missing error"])
def test_a_present_survey_counts_at_its_stated_weight(tmp_path: Path, backend: str, rule: str) -> None:
    # 0.5 × 80 + 0.2 × 66 + 0.3 × 90 = 40 + 13.2 + 27 = 80.20
    result = evaluate(load(tmp_path, rule, backend), survey_satisfaction="0.9")
    assert result.errors == []
    assert result.total == D("80.20")
    assert result.sources["survey"] == {"value": D("90.00")}
    assert not [t for t in result.trace if t.kind == "missing"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_excluded_survey_renormalises_the_other_weights(tmp_path: Path, backend: str) -> None:
    # (0.5 × 80 + 0.2 × 66) / (0.5 + 0.2) = 53.2 / 0.7 = 76.00; weights 5/7 and 2/7
    result = evaluate(load(tmp_path, " when missing exclude", backend))
    assert result.errors == []
    assert result.total == D("76.00")
    assert result.grade == "advanced"  # `survey is none` holds in the grade condition
    survey = result.sources["survey"]
    assert survey["value"] is None
    assert "`survey_satisfaction` is missing" in survey["excluded"]
    review, extra = result.sources["review"]["weight"], result.sources["extra_source"]["weight"]
    assert str(review).startswith("0.714285714285") and str(extra).startswith("0.285714285714")
    [entry] = [t for t in result.trace if t.kind == "missing"]
    assert entry.source == "survey" and entry.effect == D("53.2") / D("0.7")
    assert entry.reads == {"weight review": review, "weight extra_source": extra}
    text = explain(result)
    assert "不计入 excluded: `survey_satisfaction` is missing" in text
    assert "[review] 总分 table 80.00   权重 weight 0.714285…" in text  # cut (not rounded) to six places


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("rule", ["", " when missing error"])
def test_a_missing_input_is_the_records_error_by_default(tmp_path: Path, backend: str, rule: str) -> None:
    result = evaluate(load(tmp_path, rule, backend))
    assert result.total is None
    [error] = result.errors
    assert error.path == "survey_satisfaction"
    assert "source `survey` has no value: `survey_satisfaction` is missing" in error.message


def test_a_fallback_states_what_happens(tmp_path: Path) -> None:
    # `?? 0` is the ruleset's own statement: no input can be missing, the survey counts 0
    folder = project_with(tmp_path, SCHEMA)
    text = RULESET.format(rule="").replace("survey_satisfaction * 100", "(survey_satisfaction ?? 0) * 100")
    (folder / "sources.ind").write_text(text, encoding="utf-8")
    rs = indicator_dsl.load(folder / "sources.ind")
    assert isinstance(rs, indicator_dsl.Ruleset)
    assert evaluate(rs).total == D("53.20")  # 40 + 13.2 + 0


def test_the_clause_round_trips_through_the_formatter() -> None:
    text = RULESET.format(rule=" when missing exclude")
    formatted = format_source(SourceFile("in.ind", text)).text
    assert formatted is not None and "= survey_satisfaction * 100 when missing exclude\n" in formatted
    assert format_source(SourceFile("in.ind", formatted)).text == formatted


VOTES = """import "unit.ind"

ruleset votes "计票测评" version "t1"
record Unit
total 100
precision 2

dimension a "基本" max 100 {
  indicator rest "其他" max 100 { score points }
}

assess {
  review "考评" weight 80%
  survey "测评" weight 20% = if n + violations >= 5 then rating([n, violations, e, 0], [100, 80, 60, 0]) else none
    when missing exclude
}
"""


def load_votes(tmp_path: Path, backend: str) -> indicator_dsl.Ruleset:
    folder = project_with(tmp_path, SCHEMA)
    (folder / "votes.ind").write_text(VOTES, encoding="utf-8")
    rs = indicator_dsl.load(folder / "votes.ind", backend=backend)
    assert isinstance(rs, indicator_dsl.Ruleset), rs
    return rs


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_tally_is_rated_per_option(tmp_path: Path, backend: str) -> None:
    # votes 好 4, 较好 2, 一般 2: (400 + 160 + 120) / 8 = 85; total 0.8 × 80 + 0.2 × 85 = 64 + 17 = 81.00
    result = load_votes(tmp_path, backend).evaluate({"id": "U1", "points": 80, "n": 4, "violations": 2, "e": 2})
    assert result.errors == []
    assert result.sources["survey"] == {"value": D("85.00")}
    assert result.total == D("81.00")


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_source_that_gives_none_is_excluded_too(tmp_path: Path, backend: str) -> None:
    # turnout 3 + 1 < 5: the expression gives none; review alone: 80 / 0.8 × 0.8 = 80.00
    result = load_votes(tmp_path, backend).evaluate({"id": "U1", "points": 80, "n": 3, "violations": 1})
    assert result.errors == []
    assert result.sources["survey"]["excluded"].startswith("its expression gave none: excluded")
    assert result.sources["review"]["weight"] == D(1)
    assert result.total == D("80.00")


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_tally_without_votes_is_the_records_error(tmp_path: Path, backend: str) -> None:
    rs = load_votes(tmp_path, backend)
    text = VOTES.replace("if n + violations >= 5 then ", "").replace(" else none", "")
    (tmp_path / "votes.ind").write_text(text, encoding="utf-8")
    rs = indicator_dsl.load(tmp_path / "votes.ind", backend=backend)
    assert isinstance(rs, indicator_dsl.Ruleset), rs
    [error] = rs.evaluate({"id": "U1", "points": 80}).errors
    assert "rating(...) of a tally with no votes" in error.message
