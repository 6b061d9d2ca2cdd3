"""The 评分标准 of an indicator (`standard "…"`): parsed and printed, kept or restated by an
`override`, carried by the plan, printed by `--explain`, shown by the report, and required by
`ind check --require-standards` (E314)."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import ROOT, project_with

import indicator_dsl
from indicator_dsl.cli.main import main
from indicator_dsl.outputs.explain import explain
from indicator_dsl.outputs.report import weakest
from indicator_dsl.syntax import nodes as n
from indicator_dsl.syntax.parser import parse_source
from indicator_dsl.syntax.printer import print_module
from indicator_dsl.syntax.source import SourceFile

SCHEMA = ROOT / "tests" / "corpus" / "good" / "schema" / "branch.ind"

BASE = """\
import "branch.ind"

ruleset base "基础" version "1"
record Branch
period 2023-01-01 to 2023-12-31
total 10

dimension team "基本队伍" max 10 {
  indicator training "书记轮训" max 6 {
    standard "书记参加年度轮训的得6分;未参加的不得分。"
    deduct 6 when not secretary_trained
  }
  indicator size "人数" max 4 { award 4 when members >= 3 }
}
"""

EXTENDED = """\
import "base.ind"

ruleset extended "扩展" version "1" extends base
override indicator training "书记轮训" max 6 { deduct 3 when not secretary_trained }
override indicator size "人数" max 4 {
  standard "支部有3名以上党员的得4分。"
  award 4 when members >= 3
}
"""


RECORD = {
    "id": "B1",
    "department": "省委办公厅",
    "category": "党政机关",
    "members": 2,
    "committee_size": 0,
    "meetings": [],
    "dues_on_time": 1,
    "secretary_trained": False,
}


def project(tmp_path: Path) -> Path:
    root = project_with(tmp_path, SCHEMA)
    (root / "base.ind").write_text(BASE, encoding="utf-8")
    (root / "extended.ind").write_text(EXTENDED, encoding="utf-8")
    return root


def load(path: Path) -> indicator_dsl.Ruleset:
    model = indicator_dsl.load(path)
    assert isinstance(model, indicator_dsl.Ruleset)
    return model


def test_standard_is_the_first_line_inside_the_braces_and_prints_back() -> None:
    parsed = parse_source(SourceFile("base.ind", BASE))
    assert parsed.module is not None
    dimension = next(x for x in parsed.module.items if isinstance(x, n.Dimension))
    training = dimension.items[0]
    assert isinstance(training, n.Indicator)
    assert training.standard == "书记参加年度轮训的得6分;未参加的不得分。"
    printed = print_module(parsed.imports, parsed.module)
    assert (
        '    standard "书记参加年度轮训的得6分;未参加的不得分。"\n    deduct 6 when not secretary_trained\n' in printed
    )
    assert 'indicator size "人数" max 4 { award 4 when members >= 3 }' in printed


def test_standard_after_a_clause_is_a_syntax_error(tmp_path: Path) -> None:
    text = BASE.replace(
        '    standard "书记参加年度轮训的得6分;未参加的不得分。"\n    deduct 6 when not secretary_trained\n',
        '    deduct 6 when not secretary_trained\n    standard "晚了"\n',
    )
    parsed = parse_source(SourceFile("late.ind", text))
    assert parsed.module is None and parsed.diagnostics[0].span.line == 11


def test_plan_carries_the_standard_and_an_override_keeps_or_restates_it(tmp_path: Path) -> None:
    root = project(tmp_path)
    base = {i.name: i.standard for i in load(root / "base.ind").engine.plan.indicators}
    assert base == {"training": "书记参加年度轮训的得6分;未参加的不得分。", "size": None}
    extended = {i.name: i.standard for i in load(root / "extended.ind").engine.plan.indicators}
    assert extended == {"training": "书记参加年度轮训的得6分;未参加的不得分。", "size": "支部有3名以上党员的得4分。"}


def test_explain_prints_the_standard_under_its_indicator(tmp_path: Path) -> None:
    model = load(project(tmp_path) / "base.ind")
    record = RECORD
    text = explain(model.evaluate(record, trace=True), model.engine.plan)
    lines = text.splitlines()
    head = next(k for k, line in enumerate(lines) if line.startswith("    书记轮训 (training) 0"))
    assert lines[head + 1] == "      评分标准 standard: 书记参加年度轮训的得6分;未参加的不得分。"
    assert "评分标准" not in explain(model.evaluate(record, trace=True))  # no plan: nothing to show
    assert text.count("评分标准") == 1  # `size` states none


def test_report_lists_the_standard_of_an_indicator_losing_points(tmp_path: Path) -> None:
    model = load(project(tmp_path) / "base.ind")
    result = model.evaluate(RECORD)
    weak = {w.name: w for w in weakest([result], {"base": model.engine.plan})}
    assert weak["training"].standard == "书记参加年度轮训的得6分;未参加的不得分。"
    assert weak["training"].lost_share == 100 and weak["size"].standard is None


def test_require_standards_reports_each_indicator_without_one_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = project(tmp_path)
    assert main(["check", str(root / "base.ind"), str(root / "extended.ind")]) == 0
    capsys.readouterr()
    assert main(["check", "--require-standards", str(root / "base.ind"), str(root / "extended.ind")]) == 1
    out = capsys.readouterr().out
    # base.size has none (line 13); extended restates it; extended.training keeps base's.
    assert out.count("error[E314]") == 1
    assert "base.ind:13:3: error[E314]: indicator `size` has no 评分标准 (`standard`)" in out


def test_shipped_jiangsu_common_states_every_standard(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--require-standards", str(ROOT / "rulesets" / "jiangsu" / "common.ind")]) == 0
