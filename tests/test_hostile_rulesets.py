"""Rulesets written by an attacker: they may not read files outside the project, hang, or take
memory and time out of proportion to their size (issue 9, sections 2, 6 and the Trojan Source item of 7).

Each test pins what the engine answers (codes, lines, counts); none measures time.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support import SPEC_EXAMPLES, clean_ruleset, project_with

import indicator_dsl
from indicator_dsl.check import loader, suggestions
from indicator_dsl.check.loader import BIDI_CONTROLS, MAX_BIDI_WARNINGS, MAX_TOKENS, scan_text
from indicator_dsl.check.paths import check_paths
from indicator_dsl.check.project import project_root
from indicator_dsl.check.resolved import exact_sum
from indicator_dsl.check.resolver import MAX_IMPORT_DEPTH
from indicator_dsl.cli.main import main
from indicator_dsl.syntax.diagnostics import RulesetError
from indicator_dsl.syntax.source import SourceFile

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "tests" / "corpus" / "schema" / "branch.ind"
SECRET = "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI-do-not-print"
FORMATS = ["text", "json", "sarif", "github"]


def ruleset_importing(*imports: str, total: str = "10") -> str:
    """The clean ruleset, importing the spec schema from `branch.ind` beside it plus `imports`."""
    text = clean_ruleset(Path("branch.ind")).replace("total 10", f"total {total}")
    return "".join(f'import "{i}"\n' for i in imports) + text


def codes(report: indicator_dsl.check.paths.CheckReport) -> list[tuple[str, int]]:
    return [(d.code, d.span.line) for d in report.diagnostics]


def ind(*args: str | Path) -> int:
    return main([str(a) for a in args])


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """tmp/project (a project root holding the spec schema) and tmp/secret/ beside it."""
    (tmp_path / "secret").mkdir()
    (tmp_path / "secret" / ".env").write_text(SECRET + "\n", encoding="utf-8")
    (tmp_path / "secret" / "keys.ind").write_text(SECRET + "\n", encoding="utf-8")
    return project_with(tmp_path / "project", SCHEMA)


# ---------------------------------------------------------------- 6. imports stay in the project


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_import_outside_the_project_quotes_nothing_from_it(
    project: Path, fmt: str, capsys: pytest.CaptureFixture[str]
) -> None:
    rules = project / "rules.ind"
    rules.write_text(ruleset_importing("../secret/.env", "../secret/keys.ind", str(project.parent / "secret/keys.ind")))
    assert ind("check", "--format", fmt, rules) == 1
    out = capsys.readouterr()
    assert SECRET not in out.out + out.err
    assert "wJalrXUtnFEMI" not in out.out + out.err
    assert codes(check_paths([rules])) == [("E110", 1), ("E109", 2), ("E109", 3)]


def test_a_link_inside_the_project_to_a_file_outside_is_outside(project: Path) -> None:
    (project / "keys.ind").symlink_to(project.parent / "secret" / "keys.ind")
    rules = project / "rules.ind"
    rules.write_text(ruleset_importing("keys.ind"))
    report = check_paths([rules])
    assert codes(report) == [("E109", 1)]
    assert SECRET not in str(report.diagnostics) and str(project.parent / "secret") not in str(report.diagnostics)


def test_a_link_loop_is_a_diagnostic_not_a_traceback(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "a.ind").symlink_to(project / "b.ind")
    (project / "b.ind").symlink_to(project / "a.ind")
    rules = project / "rules.ind"
    rules.write_text(ruleset_importing("a.ind"))
    report = check_paths([rules])
    assert codes(report) == [("E001", 1)]
    assert "symbolic links form a loop" in report.diagnostics[0].message
    assert ind("check", project) == 1  # the folder holds the loop itself: skipped, the import reported
    assert "Traceback" not in capsys.readouterr().err


@pytest.mark.parametrize("command", ["check", "fmt", "eval"])
def test_a_link_loop_named_on_the_command_line_is_e001(
    tmp_path: Path, command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "x.ind").symlink_to(tmp_path / "x.ind")
    (tmp_path / "r.jsonl").write_text('{"id": "a"}\n')
    assert ind(command, tmp_path / "x.ind", *([tmp_path / "r.jsonl"] if command == "eval" else [])) in (1, 2)
    out = capsys.readouterr()
    assert "symbolic links form a loop" in out.out + out.err
    assert "internal error" not in out.err
    with pytest.raises(RulesetError, match="symbolic links form a loop"):
        indicator_dsl.load(tmp_path / "x.ind")


def test_load_refuses_an_import_outside_and_accepts_a_wider_root(project: Path) -> None:
    rules = project / "rules.ind"
    rules.write_text(ruleset_importing().replace('import "branch.ind"', 'import "../beside/branch.ind"'))
    project_with(project.parent / "beside", SCHEMA)
    with pytest.raises(RulesetError) as refused:
        indicator_dsl.load(rules)
    assert [d.code for d in refused.value.diagnostics] == ["E109"]
    assert isinstance(indicator_dsl.load(rules, root=project.parent), indicator_dsl.Ruleset)
    with pytest.raises(RulesetError):
        indicator_dsl.load(rules.read_text(encoding="utf-8"), root=project)  # text: relative to the cwd
    assert ind("check", "--root", project.parent, rules) == 0
    assert ind("check", rules) == 1


def test_the_root_is_the_nearest_folder_with_a_catalog_or_a_marker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    deep = tmp_path / "p" / "departments" / "x"
    deep.mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "p" / "departments")  # the working folder is only the last resort
    assert project_root(deep / "r.ind") == deep.parent
    monkeypatch.chdir(ROOT)
    # not below the working folder: the folder above its own (`rulesets/` beside `schema/`)
    assert project_root(deep / "r.ind") == deep.parent
    (tmp_path / "p" / "catalog.ind").write_text("")
    assert project_root(deep / "r.ind") == tmp_path / "p"
    (deep.parent / ".indroot").write_text("")
    assert project_root(deep / "r.ind") == deep.parent
    assert project_root(deep / "r.ind", explicit=tmp_path) == tmp_path


def test_the_specs_own_layout_checks_from_anywhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # `rulesets/party_gov.ind` imports `../schema/branch.ind` with no marker anywhere: checked
    # from another folder, the root was `rulesets/` alone and the spec's example failed with E109
    spec = tmp_path / "examples"
    for folder in ("rulesets", "schema", "records"):
        (spec / folder).mkdir(parents=True)
        for file in (SPEC_EXAMPLES / folder).iterdir():
            (spec / folder / file.name).write_bytes(file.read_bytes())
    monkeypatch.chdir(ROOT)
    rulesets = [spec / "rulesets" / "party_gov.ind", spec / "rulesets" / "finance.ind"]
    assert [d for d in check_paths(rulesets).diagnostics if d.is_error] == []
    record = json.loads((spec / "records" / "worked_example.json").read_text(encoding="utf-8"))
    result = indicator_dsl.load(rulesets[0]).evaluate(record)
    assert (result.total, result.grade) == (Decimal("78.00"), "standard")


def test_the_shipped_catalog_is_its_own_project() -> None:
    """rulesets/jiangsu holds catalog.ind: a department file reaches `../categories/` and `../common.ind`."""
    report = check_paths([ROOT / "rulesets" / "jiangsu" / "departments" / "finance.ind"])
    assert [d for d in report.diagnostics if d.is_error] == []


def test_a_catalog_route_found_by_name_stays_inside_the_root(project: Path) -> None:
    outside = project.parent / "elsewhere"
    outside.mkdir()
    (outside / "other.ind").write_text(ruleset_importing().replace("ruleset clean", "ruleset other"))
    (project / "sub").mkdir()
    (project / "sub" / "other.ind").symlink_to(outside / "other.ind")
    catalog = project / "organs.ind"
    catalog.write_text('catalog organs "组织"\nroute department == "省财政厅" => other\n', encoding="utf-8")
    report = check_paths([catalog])
    assert ("E108", 2) in codes(report)
    (project / "sub" / "other.ind").unlink()
    (project / "sub" / "other.ind").write_text((outside / "other.ind").read_text())
    assert ("E108", 2) not in codes(check_paths([catalog]))  # the same file inside the root is found


# ---------------------------------------------------------------- 6. one guarded reader


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
@pytest.mark.parametrize("command", ["check", "fmt", "eval"])
def test_a_fifo_is_refused_by_every_command(tmp_path: Path, command: str) -> None:
    os.mkfifo(tmp_path / "pipe.ind")
    records = tmp_path / "r.jsonl"
    records.write_text('{"id": "a"}\n')
    args = [command, str(tmp_path / "pipe.ind")] + ([str(records)] if command == "eval" else [])
    done = subprocess.run(
        [sys.executable, "-m", "indicator_dsl", *args], capture_output=True, text=True, timeout=60, cwd=tmp_path
    )
    assert done.returncode in (1, 2)
    assert "not a regular file" in done.stdout + done.stderr
    assert "Traceback" not in done.stderr


def test_fmt_refuses_a_link_to_dev_zero(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    if not Path("/dev/zero").exists():
        pytest.skip("no /dev/zero")
    (tmp_path / "zero.ind").symlink_to("/dev/zero")
    assert ind("fmt", "--check", tmp_path / "zero.ind") == 1
    assert "outside the project root" in capsys.readouterr().err
    assert ind("fmt", "--check", "--root", "/", tmp_path / "zero.ind") == 1  # inside: the reader refuses it
    assert capsys.readouterr().err == f"ind fmt: {tmp_path / 'zero.ind'}: cannot read file: not a regular file\n"


def test_a_file_over_the_byte_limit_is_e003_for_check_fmt_and_load(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    big = tmp_path / "big.ind"
    big.write_bytes(b'ruleset u "' + b"a" * (10 * 1024 * 1024))
    assert codes(check_paths([big])) == [("E003", 1)]
    assert "10,485,771 bytes" in check_paths([big]).diagnostics[0].message
    with pytest.raises(RulesetError) as refused:
        indicator_dsl.load(big)
    assert [d.code for d in refused.value.diagnostics] == ["E003"]
    assert ind("fmt", big) == 1
    assert "may have at most 1,024 KB" in capsys.readouterr().err


def test_a_file_over_the_token_limit_is_e003_before_parsing(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    rules = project / "long.ind"
    rules.write_text(ruleset_importing().replace("not secretary_trained", " + ".join(["members"] * 60_000) + " > 0"))
    assert rules.stat().st_size < loader.MAX_FILE_BYTES
    parsed: list[str] = []
    monkeypatch.setattr(loader, "parse_source", lambda source: parsed.append(source.path))
    report = check_paths([rules])
    assert codes(report) == [("E003", 9)]
    assert f"more than {MAX_TOKENS:,} tokens" in report.diagnostics[0].message
    assert parsed == []
    assert ind("fmt", "--check", rules) == 1
    assert f"long.ind:9:{report.diagnostics[0].span.column}: the file has more than" in capsys.readouterr().err


# ---------------------------------------------------------------- 6. literals and exact sums


@pytest.mark.parametrize(
    ("literal", "digits"), [("9" * 5000, 5000), ("0." + "0" * 4999 + "1", 5001), ("12345678901234567890123456789", 29)]
)
def test_a_number_literal_past_28_digits_is_e014(
    project: Path, literal: str, digits: int, capsys: pytest.CaptureFixture[str]
) -> None:
    rules = project / "big.ind"
    rules.write_text(ruleset_importing().replace("not secretary_trained", f"members > {literal}"))
    report = check_paths([rules])
    assert codes(report) == [("E014", 9)]
    assert f"this number has {digits:,} digits; a number may have at most 28" in report.diagnostics[0].message
    records = project / "r.jsonl"
    records.write_text('{"id": "a"}\n')
    assert ind("eval", rules, records) == 2
    assert "internal error" not in capsys.readouterr().err


def test_28_digits_still_check_and_evaluate(project: Path) -> None:
    rules = project / "edge.ind"
    rules.write_text(ruleset_importing().replace("not secretary_trained", "members > 9999999999999999999999999999"))
    assert check_paths([rules]).diagnostics == []
    rs = indicator_dsl.load(rules)
    assert isinstance(rs, indicator_dsl.Ruleset)


def test_sums_of_large_maxes_are_exact(project: Path) -> None:
    """28 digits plus 0.4 need 29: the default decimal context rounded the sum back to the stated
    max and said nothing; the exact sum shows the mismatch (E300), digit for digit."""
    top = "9" * 28
    rules = project / "large.ind"
    rules.write_text(
        ruleset_importing(total=top)
        .replace(
            'max 10 {\n  indicator training "书记轮训" max 10',
            f'max {top} {{\n  indicator training "书记轮训" max {top}',
        )
        .replace("\n}\n", '\n  indicator other "其他" max 0.4 { deduct 0.4 when members > 1 }\n}\n')
    )
    [e300] = check_paths([rules]).diagnostics
    assert (e300.code, e300.span.line) == ("E300", 8)
    assert f"its indicators add up to {top}.4 ({top} + 0.4)" in e300.message
    rules.write_text(rules.read_text().replace("max 0.4 { deduct 0.4 when members > 1 }", "max 0 { score 0 }"))
    assert check_paths([rules]).diagnostics == []


def test_exact_sum_keeps_every_digit() -> None:
    values = [Decimal("9" * 28), Decimal("0." + "0" * 27 + "1"), Decimal("1E+40")]
    assert exact_sum(values) == Decimal("10000000000009999999999999999999999999999.0000000000000000000000000001")
    assert sum(values, Decimal(0)) != exact_sum(values)  # what the default context gave


# ---------------------------------------------------------------- 2. size that multiplies


def diamond(folder: Path, levels: int) -> Path:
    """Two files a_i, b_i per level, each importing both of the next level twice; top imports level 0."""
    (folder / f"a{levels}.ind").write_text(f'import "branch.ind"\nschema a{levels} "x"\n')
    (folder / f"b{levels}.ind").write_text(f'import "branch.ind"\nschema b{levels} "x"\n')
    for i in range(levels - 1, -1, -1):
        again = f'import "a{i + 1}.ind"\nimport "b{i + 1}.ind"\n'
        for side in "ab":
            (folder / f"{side}{i}.ind").write_text(f'{again}{again}schema {side}{i} "x"\n')
    top = folder / "top.ind"
    top.write_text(ruleset_importing("a0.ind", "b0.ind"))
    return top


def test_a_diamond_of_imports_parses_each_file_once(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """2^40 paths lead from the top to the schema; each of the 83 files is read and parsed once."""
    top = diamond(project, 40)
    parsed: list[str] = []
    real_parse = loader.parse_source

    def counting(source: SourceFile) -> object:
        parsed.append(source.path)
        return real_parse(source)

    monkeypatch.setattr(loader, "parse_source", counting)
    assert check_paths([top]).diagnostics == []
    assert len(parsed) == len(set(parsed)) == 2 * 41 + 2  # a/b per level, the schema and the top
    assert isinstance(indicator_dsl.load(top), indicator_dsl.Ruleset)


def test_imports_nested_past_the_limit_are_one_e013_not_a_recursion_error(project: Path) -> None:
    top = diamond(project, 100)
    report = check_paths([top])
    deepest = {(Path(d.span.path).name, d.code) for d in report.diagnostics if d.code == "E013"}
    depth = MAX_IMPORT_DEPTH - 2  # top.ind is level -1 of the chain, a0 level 0
    assert deepest == {(f"a{depth}.ind", "E013"), (f"b{depth}.ind", "E013")}
    assert all(f"more than {MAX_IMPORT_DEPTH} files deep" in d.message for d in report.diagnostics if d.code == "E013")


def test_a_long_extends_chain_checks_and_loads(project: Path) -> None:
    (project / "r0.ind").write_text(ruleset_importing().replace("ruleset clean", "ruleset r0"))
    for i in range(1, 100):
        (project / f"r{i}.ind").write_text(
            f'import "r{i - 1}.ind"\nruleset r{i} "链" version "1" extends r{i - 1}\n'
            f'override indicator training "书记轮训" max 10 {{ deduct {i % 10} when not secretary_trained }}\n'
        )
    assert check_paths([project / "r49.ind"]).diagnostics == []
    rs = indicator_dsl.load(project / "r49.ind")
    assert isinstance(rs, indicator_dsl.Ruleset)
    assert rs.name == "r49"
    # 100 levels: the import that goes past the limit is the one error; the levels above it do not
    # repeat it (no base to extend, no indicator to override)
    report = check_paths([project / "r99.ind"])
    assert [(d.code, Path(d.span.path).name, d.span.line) for d in report.diagnostics] == [
        ("E013", f"r{99 - (MAX_IMPORT_DEPTH - 1)}.ind", 1)
    ]


def test_did_you_mean_is_skipped_past_the_option_limit() -> None:
    few = [f"field_{i:04d}" for i in range(suggestions.MAX_SUGGESTION_OPTIONS)]
    assert suggestions.closest("field_0007x", few) == "field_0007"
    assert suggestions.closest("field_0007x", [*few, "one_more"]) is None
    assert suggestions.closest("x" * (suggestions.MAX_SUGGESTION_LENGTH + 1), ["x"]) is None


def test_did_you_mean_stops_when_the_budget_is_spent(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(suggestions, "SUGGESTION_BUDGET", 25)
    options = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa"]
    with suggestions.bounded_suggestions():
        found = [suggestions.closest(name, options) for name in ["alpah", "betta", "gama", "delat"]]
    assert found == ["alpha", "beta", None, None]  # 10 comparisons each: the third would pass 25
    assert suggestions.closest("gama", options) == "gamma"  # outside a check, no budget


def test_thousands_of_unknown_names_get_hints_only_within_the_budget(project: Path) -> None:
    fields = "\n".join(f"  f{i:04d}: int" for i in range(900))
    (project / "wide.ind").write_text(f'schema wide "w"\ntype Wide "w" {{\n  id: text\n{fields}\n}}\n')
    clauses = "\n".join(f"    deduct 1 when f{i:04d}x > 0" for i in range(3000))
    rules = project / "unknown.ind"
    rules.write_text(
        'import "wide.ind"\nruleset dym "d" version "1"\nrecord Wide\nperiod 2023-01-01 to 2023-12-31\ntotal 10\n'
        f'dimension a "a" max 10 {{\n  indicator i "i" max 10 {{\n{clauses}\n  }}\n}}\n'
    )
    report = check_paths([rules])
    assert len(report.diagnostics) == 3000 and {d.code for d in report.diagnostics} == {"E200"}
    hinted = [d for d in report.diagnostics if d.hint]
    assert len(hinted) == suggestions.SUGGESTION_BUDGET // 901  # the options: 900 fields and `id`
    assert hinted[0].hint == "did you mean `f0000`?"


# ---------------------------------------------------------------- 7. Trojan Source


@pytest.mark.parametrize("char", sorted(BIDI_CONTROLS))
def test_each_bidi_control_in_a_comment_or_text_is_w504(project: Path, char: str) -> None:
    rules = project / "trojan.ind"
    text = (
        ruleset_importing().replace("total 10", f"total 10  # note {char} here").replace("基本队伍", f"基本{char}队伍")
    )
    rules.write_text(text, encoding="utf-8")
    report = check_paths([rules])
    assert [(d.code, d.span.line, d.span.column) for d in report.diagnostics] == [
        ("W504", 6, 18),
        ("W504", 8, 19),
    ]
    assert f"U+{ord(char):04X}" in report.diagnostics[0].message and "comment" in report.diagnostics[0].message
    assert "text" in report.diagnostics[1].message
    assert isinstance(indicator_dsl.load(rules), indicator_dsl.Ruleset)  # a warning: the ruleset still loads


def test_w504_names_at_most_ten_lines_and_counts_the_rest() -> None:
    text = "".join(f"# line {i} \u202e\n" for i in range(25))
    found = scan_text(SourceFile("t.ind", text))
    assert [d.span.line for d in found] == [*range(1, MAX_BIDI_WARNINGS + 1), MAX_BIDI_WARNINGS + 1]
    assert found[-1].message == "15 more lines hold invisible bidirectional control characters"


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet=st.sampled_from(["#", '"', "\n", "a", "1", ".", " ", "\\", *sorted(BIDI_CONTROLS)]), max_size=200)
)
def test_every_w504_points_at_a_control_character(text: str) -> None:
    source = SourceFile("t.ind", text)
    found = scan_text(source)
    warnings = [d for d in found if d.code == "W504" and "more lines" not in d.message]
    assert len(warnings) <= MAX_BIDI_WARNINGS
    for d in warnings:
        assert text[d.span.start] in BIDI_CONTROLS
    lines = [d.span.line for d in warnings]
    assert lines == sorted(set(lines))
