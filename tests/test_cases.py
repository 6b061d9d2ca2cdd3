"""`ind test`: how a YAML file finds its ruleset, a malformed case as a positioned message
(never a traceback), and coverage of bonus items, grade rules, vetoes and quota lines."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import EVAL_RULESETS, project_with

import indicator_dsl
from indicator_dsl.cases import SuiteReport, coverage_units, exercised, find_ruleset, run_file, run_paths
from indicator_dsl.cli.main import main

SCHEMA = EVAL_RULESETS.parent / "schema" / "unit.ind"
COMBINE = (EVAL_RULESETS / "combine.ind").read_text(encoding="utf-8").replace("../schema/unit.ind", "../unit.ind")
RECORD = "{id: C1, points: 95, survey_satisfaction: '0.9', honors: [优秀]}"
# C1 by hand: cadre 3 (the schema's defaults: category 党政机关, a cadre in post) + rest 95 = table 98;
# 70% × 98 + 30% × survey 90 = 95.6; honour award 3 → total 98.60, advanced.


def project(tmp_path: Path) -> Path:
    root = project_with(tmp_path / "proj", SCHEMA)
    (root / "rules").mkdir()
    (root / "rules" / "stars.ind").write_text(COMBINE, encoding="utf-8")  # file name ≠ ruleset name
    (root / "tests").mkdir()
    return root


def suite(root: Path, text: str, name: str = "t.yaml") -> SuiteReport:
    path = root / "tests" / name
    path.write_text(text, encoding="utf-8")
    report = SuiteReport()
    run_file(path, report)
    return report


def failures(report: SuiteReport) -> list[str]:
    return [f for case in report.cases for f in case.failures]


# ---------------------------------------------------------------- finding the ruleset


def test_a_ruleset_is_found_by_its_declared_name_whatever_its_file_is_called(tmp_path: Path) -> None:
    root = project(tmp_path)
    report = suite(root, f"ruleset: combine\ncases:\n  - name: c1\n    record: {RECORD}\n    expect: {{total: 98.6}}\n")
    assert report.problems == [] and failures(report) == []
    assert len(report.cases) == 1


def test_a_ruleset_is_found_by_its_path_relative_to_the_test_file(tmp_path: Path) -> None:
    root = project(tmp_path)
    report = suite(
        root, f"ruleset: ../rules/stars.ind\ncases:\n  - record: {RECORD}\n    expect: {{grade: advanced}}\n"
    )
    assert report.problems == [] and failures(report) == []


def test_a_missing_ruleset_names_what_was_looked_at(tmp_path: Path) -> None:
    root = project(tmp_path)
    report = suite(root, "# stars\nruleset: t7_stars\ncases: []\n")
    (problem,) = report.problems
    assert problem.startswith(f"{root / 'tests' / 't.yaml'}:2: cannot find ruleset `t7_stars`; looked for the file ")
    assert "a file `t7_stars.ind` or a header `ruleset t7_stars` in 2 .ind file(s) below " in problem
    assert str(root) in problem and "ruleset: ../stars.ind" in problem
    path, looked = find_ruleset(root / "tests" / "t.yaml", "../rules/nothing.ind")
    assert path is None and looked == [
        f"the file {root / 'tests' / '../rules/nothing.ind'} (a path is read relative to the test file)"
    ]


def test_the_search_for_a_name_stays_inside_the_project(tmp_path: Path) -> None:
    root = project(tmp_path)
    (tmp_path / "outside.ind").write_text(COMBINE.replace("ruleset combine", "ruleset outside"), encoding="utf-8")
    path, looked = find_ruleset(root / "tests" / "t.yaml", "outside")
    assert path is None and f"below {root / 'tests'}, {root}" in looked[-1]


# ---------------------------------------------------------------- malformed cases


MALFORMED = f"""\
ruleset: combine
cases:
  - name: value source as a number
    record: {RECORD}
    expect:
      sources: {{survey: 90}}
  - just a string
  - name: expect as a list
    record: {RECORD}
    expect: [1, 2]
  - name: empty record file
    record: empty.yaml
    expect: {{total: 1}}
  - name: indicators as a number
    record: {RECORD}
    expect: {{indicators: 5}}
  - name: no record
    expect: {{total: 1}}
  - name: unknown expectation
    record: {RECORD}
    expect: {{score: 1}}
  - name: a value source expected right
    record: {RECORD}
    expect: {{sources: {{survey: {{value: 90}}, review: {{table: 98}}}}}}
"""


def test_each_malformed_case_is_a_message_at_its_yaml_line(tmp_path: Path) -> None:
    root = project(tmp_path)
    (root / "tests" / "empty.yaml").write_text("", encoding="utf-8")
    report = suite(root, MALFORMED)
    at = str(root / "tests" / "t.yaml")
    assert report.problems == []
    assert [case.failures for case in report.cases] == [
        [
            f"{at}:6: `sources.survey:` (a table source's `table:`, a value source's `value:`) is a mapping, "
            "e.g. `sources: {self: {table: 95}, survey: {value: 88}}`; got 90"
        ],
        [f"{at}:7: a case is a mapping with `name`, `record` and `expect`; got just a string"],
        [f"{at}:10: `expect:` is a mapping, e.g. `expect: {{total: 95, grade: advanced}}`; got [1, 2]"],
        [f"{at}:12: record file {root / 'tests' / 'empty.yaml'} holds no mapping of fields (it is empty or a list)"],
        [f"{at}:16: `indicators:` is a mapping, e.g. `indicators: {{name: 5}}`; got 5"],
        [f"{at}:17: a case needs `record:` (a file path or a mapping of fields)"],
        [
            f"{at}:21: unknown expectation `score` (one of total, bonus, penalty, grade, grade_by_rules, "
            "grade_after_veto, exempt, vetoes, indicators, dimensions, sources, outcomes, errors)"
        ],
        [],
    ]


def test_a_wrong_value_source_expectation_says_what_the_source_holds(tmp_path: Path) -> None:
    root = project(tmp_path)
    report = suite(
        root, f"ruleset: combine\ncases:\n  - record: {RECORD}\n    expect: {{sources: {{survey: {{table: 90}}}}}}\n"
    )
    assert failures(report) == ["sources.survey.table: not in this source (value)"]


def test_the_cli_reports_a_malformed_case_and_exits_1(tmp_path: Path, capsys: Any) -> None:
    root = project(tmp_path)
    (root / "tests" / "t.yaml").write_text("ruleset: combine\ncases:\n  - 3\n", encoding="utf-8")
    assert main(["test", str(root / "tests")]) == 1
    out = capsys.readouterr().out
    assert "t.yaml:3: a case is a mapping with `name`, `record` and `expect`; got 3" in out
    assert "0 passed, 1 failed" in out


_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
    st.sampled_from(["record", "expect", "sources", "survey", "indicators", "errors", "vetoes", "total", "empty.yaml"]),
    st.dates(min_value=datetime.date(1900, 1, 1), max_value=datetime.date(2100, 1, 1)),
)
_KEYS = st.sampled_from(
    (
        *("name", "record", "patch", "sheets", "expect", "total", "grade", "sources", "survey", "review", "value"),
        *("table", "indicators", "dimensions", "outcomes", "errors", "vetoes", "cadre", "rest", "id", "points"),
    )
)
_YAMLISH = st.recursive(
    _SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_KEYS, inner, max_size=4), max_leaves=20
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    cases=st.one_of(_YAMLISH, st.lists(_YAMLISH, max_size=4)),
    ruleset=st.one_of(st.just("combine"), st.just("../rules/stars.ind"), _YAMLISH),
)
def test_any_yaml_shaped_case_file_is_reported_never_raised(tmp_path: Path, cases: Any, ruleset: Any) -> None:
    root = tmp_path / "proj"
    if not root.exists():  # one project for every example (hypothesis reuses the test's tmp_path)
        project(tmp_path)
        (root / "tests" / "empty.yaml").write_text("", encoding="utf-8")
    text = yaml.safe_dump({"ruleset": ruleset, "cases": cases}, allow_unicode=True)
    report = suite(root, text)  # must not raise
    assert all(isinstance(f, str) for f in failures(report)) and all(isinstance(p, str) for p in report.problems)


# ---------------------------------------------------------------- coverage


def test_coverage_counts_bonus_items_grade_rules_vetoes_and_quota_lines() -> None:
    jiangsu = Path(__file__).resolve().parents[1] / "rulesets" / "jiangsu"
    report = run_paths([jiangsu / "tests" / "common.yaml"])
    units = report.clauses["common"]
    others = sorted(unit for part, unit in units if not part)
    assert others == [
        "bonus item brand",
        "bonus item model_unit",
        "bonus item organs_model",
        "bonus item provincial_model",
        "bonus item star_member",
        "bonus item vanguard",
        "grade rule advanced",
        "grade rule lagging",
        "grade rule standard",
        "quota advanced at most 20% within department",
        "veto discipline",
        "veto eight_rules",
        "veto no_life_meeting",
        "veto unrectified",
    ]
    assert len(units) == 68 and units <= report.fired["common"]


def test_coverage_lists_what_no_case_exercised(tmp_path: Path) -> None:
    root = project(tmp_path)
    report = suite(root, f"ruleset: combine\ncases:\n  - record: {RECORD}\n    expect: {{grade: advanced}}\n")
    missed = sorted(report.clauses["combine"] - report.fired["combine"])
    assert ("", "bonus item practice") in missed and ("", "bonus item special") in missed
    assert ("", "bonus item honour") not in missed
    assert ("", "grade rule standard") in missed and ("", "grade rule advanced") not in missed


def test_a_failing_case_shows_its_trace_with_figures_cut(tmp_path: Path) -> None:
    root = project(tmp_path)
    record = "{id: C9, points: '3.33333333333333333333'}"
    report = suite(root, f"ruleset: combine\ncases:\n  - record: {record}\n    expect: {{indicators: {{rest: 3}}}}\n")
    (case,) = report.cases
    assert case.failures == ["review.rest: expected 3, got 3.33"]
    assert case.trace_lines == [
        f"rest [{root / 'rules' / 'stars.ind'}:17] score #1 fired=True points=3.333333… → 3.333333…"
    ]


def test_a_ruleset_name_with_a_control_character_is_shown_escaped(tmp_path: Path) -> None:
    root = project(tmp_path)
    report = suite(root, 'ruleset: "t7\\0\\e[2J"\ncases: []\n')
    (problem,) = report.problems
    assert "\x00" not in problem and "\x1b" not in problem
    assert "cannot find ruleset `'t7\\x00\\x1b[2J'`" in problem


def test_coverage_counts_penalty_items() -> None:
    model = indicator_dsl.load(EVAL_RULESETS / "deductions.ind")
    assert isinstance(model, indicator_dsl.Ruleset)
    units = {unit for part, unit in coverage_units(model) if not part}
    assert {"penalty item lessons_short", "penalty item violation", "bonus item honours"} <= units
    # D2 holds 3 党课 in the period: 4 − 3 = 1 short → 3 points taken; no violations.
    record = json.loads((EVAL_RULESETS.parent / "records" / "deductions.json").read_text(encoding="utf-8"))[1]
    fired = {unit for part, unit in exercised(model, model.evaluate(record, trace=True)) if not part}
    assert "penalty item lessons_short" in fired and "penalty item violation" not in fired
    assert "bonus item honours" in fired


# ---------------------------------------------------------------- period, as_of and history


def test_the_jiangsu_history_cases_pass_and_read_last_years_results() -> None:
    jiangsu = Path(__file__).resolve().parents[1] / "rulesets" / "jiangsu"
    report = run_paths([jiangsu / "tests" / "common.yaml"])
    assert report.problems == [] and report.failed == []
    named = [c.name for c in report.cases if "(history)" in c.name or "(period)" in c.name]
    assert len(named) == 6


HISTORY_MISTAKES = f"""ruleset: combine
cases:
  - record: {RECORD}
    history: {{grade: lagging}}
  - record: {RECORD}
    history: [{{grade: lagging, score: 80}}]
  - record: {RECORD}
    history:
      - null
      - {{grade: 后进}}
  - record: {RECORD}
    history: [{{total: many}}]
  - record: {RECORD}
    history: [{{rectified: "yes"}}]
  - record: {{points: 95, survey_satisfaction: '0.9'}}
    history: [null]
  - record: {RECORD}
    period: 20x4
  - record: {RECORD}
    as_of: June
  - record: {RECORD}
    period: 2024
    as_of: 2023-06-30
  - record: ../../outside.yaml
  - record: /etc/hostname
  - record: {RECORD}
    history: [{{grade: standard, total: 80, exempt: false, rectified: true}}, null]
    period: 2023
    as_of: 2023-06-30
    expect: {{grade: advanced}}
"""


def test_a_cases_history_period_and_as_of_are_checked_at_their_line(tmp_path: Path) -> None:
    root = project(tmp_path)
    (tmp_path / "outside.yaml").write_text("id: X\npoints: 95\n", encoding="utf-8")
    report = suite(root, HISTORY_MISTAKES)
    at = str(root / "tests" / "t.yaml")
    assert report.problems == []
    top = root.resolve()
    assert [case.failures for case in report.cases] == [
        [
            f"{at}:4: `history:` is a list of earlier years, last year first, e.g. "
            "`history: [{grade: lagging, rectified: false}]` (null: no result that year)"
        ],
        [f"{at}:6: history: unknown part `score` (one of grade, total, exempt, rectified)"],
        [f"{at}:10: history: grade `后进` is not a grade of the ruleset (advanced, lagging, standard)"],
        [f"{at}:12: history: total is a number, not 'many'"],
        [f"{at}:14: history: rectified is true or false"],
        [f"{at}:16: `history:` is the record's past, found by its id: the record needs an `id`"],
        [f"{at}:18: `period:` a period is a year (2026) or FIRST..LAST (2026-01-01..2026-12-31), not '20x4'"],
        [f"{at}:20: `as_of:` is a date (2026-06-30), not 'June'"],
        [f"{at}:23: as of 2023-06-30 is before the period starts (2024-01-01)"],
        [f"{at}:24: record file ../../outside.yaml lies outside the project root {top}; name a file inside it"],
        [f"{at}:25: record file /etc/hostname lies outside the project root {top}; name a file inside it"],
        [],
    ]
