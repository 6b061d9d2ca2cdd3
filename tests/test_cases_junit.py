"""`ind test --format junit` read back by a JUnit reader (junitparser), and `--min-coverage`."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from support import EVAL_RULESETS, project_with

from indicator_dsl.cli.main import main

junitparser = pytest.importorskip("junitparser", reason="pip install -e '.[dev]' (junitparser reads the XML)")

SCHEMA = EVAL_RULESETS.parent / "schema" / "unit.ind"
COMBINE = (EVAL_RULESETS / "combine.ind").read_text(encoding="utf-8").replace("../schema/unit.ind", "../unit.ind")
RECORD = "{id: C1, points: 95, survey_satisfaction: '0.9', honors: [优秀]}"  # total 98.60, advanced
CASES = f"""ruleset: ../rules/stars.ind
cases:
  - name: passes
    record: {RECORD}
    expect: {{total: 98.6, grade: advanced}}
  - name: wrong total & grade <先进>
    record: {RECORD}
    expect: {{total: 97, grade: standard}}
  - name: also passes
    record: {RECORD}
    expect: {{grade: advanced}}
"""


def project(tmp_path: Path) -> Path:
    root = project_with(tmp_path / "proj", SCHEMA)
    (root / "rules").mkdir()
    (root / "rules" / "stars.ind").write_text(COMBINE, encoding="utf-8")
    (root / "tests").mkdir()
    (root / "tests" / "a.yaml").write_text(CASES, encoding="utf-8")
    (root / "tests" / "b.yaml").write_text("ruleset: nowhere\ncases:\n  - record: {id: X}\n", encoding="utf-8")
    return root


def run_junit(root: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str, str]:
    code = main(["test", str(root / "tests"), "--format", "junit", *extra])
    out, err = capsys.readouterr()
    return code, out, err


def test_one_testcase_per_case_and_failures_carry_expected_and_actual(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = project(tmp_path)
    code, out, err = run_junit(root, capsys)
    assert code == 1
    path = tmp_path / "junit.xml"
    path.write_text(out, encoding="utf-8")
    xml = junitparser.JUnitXml.fromfile(str(path))
    suites = {suite.name: suite for suite in xml}
    a = suites[str(root / "tests" / "a.yaml")]
    assert (a.tests, a.failures, a.errors) == (3, 1, 0)
    cases = {case.name: case for case in a}
    assert list(cases) == ["passes", "wrong total & grade <先进>", "also passes"]
    assert cases["passes"].is_passed and cases["also passes"].is_passed
    (failure,) = cases["wrong total & grade <先进>"].result
    assert isinstance(failure, junitparser.Failure)
    assert failure.message == "total: expected 97, got 98.60"
    assert failure.text.splitlines() == [
        "total",
        "  expected: 97",
        "  actual:   98.60",
        "grade",
        "  expected: standard",
        "  actual:   advanced",
    ]
    b = suites[str(root / "tests" / "b.yaml")]
    (problem,) = list(b)
    assert isinstance(problem.result[0], junitparser.Error)
    assert "cannot find ruleset `nowhere`" in problem.result[0].message
    assert "FAIL" in err and "1 passed" not in out  # the text report goes to stderr


def test_the_document_has_the_junit_schema_structure(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run_junit(project(tmp_path), capsys)
    root = ET.fromstring(out.encode("utf-8"))
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("4", "1", "1")
    for suite in root:
        assert suite.tag == "testsuite" and {"name", "tests", "failures", "errors", "skipped"} <= set(suite.attrib)
        assert int(suite.get("tests", "")) == len(suite)
        for case in suite:
            assert case.tag == "testcase" and {"classname", "name"} <= set(case.attrib)
            assert all(child.tag in ("failure", "error") and "message" in child.attrib for child in case)


def test_shipped_cases_as_junit_all_pass(capsys: pytest.CaptureFixture[str]) -> None:
    rulesets = Path(__file__).resolve().parents[1] / "rulesets"
    code = main(["test", str(rulesets), "--format", "junit"])
    out, _ = capsys.readouterr()
    root = ET.fromstring(out.encode("utf-8"))
    assert code == 0 and root.get("failures") == "0" and root.get("errors") == "0"
    assert int(root.get("tests", "0")) >= 200


def test_min_coverage_fails_a_suite_that_exercises_too_little(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = project(tmp_path)
    (root / "tests" / "b.yaml").unlink()
    (root / "tests" / "a.yaml").write_text(CASES.replace("total: 97, grade: standard", "total: 98.6"), encoding="utf-8")
    assert main(["test", str(root / "tests"), "--coverage"]) == 0
    listing = capsys.readouterr().out
    covered, total = (int(x) for x in listing.split("coverage combine: ")[1].split(" ")[0].split("/"))
    assert 0 < covered < total
    share = math.floor(covered * 10000 / total) / 100  # the share, cut to two places
    assert main(["test", str(root / "tests"), "--min-coverage", f"{share:.2f}"]) == 0
    capsys.readouterr()
    assert main(["test", str(root / "tests"), "--min-coverage", f"{share + 0.01:.2f}"]) == 1
    assert f"FAIL coverage combine: {covered}/{total} exercised, below" in capsys.readouterr().out
