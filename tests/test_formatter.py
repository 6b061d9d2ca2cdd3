"""`format_source` and `ind fmt`: idempotent, meaning-preserving, comments kept.

Goldens live in tests/golden/fmt as NAME.in.ind / NAME.out.ind; set IND_UPDATE_GOLDENS=1
to rewrite the .out.ind files from the current formatter (then read the diff).
"""

from __future__ import annotations

import functools
import os
import stat
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support import SPEC_EXAMPLES
from test_printer import CATALOGS, IMPORTS, RULESETS, SCHEMAS

from indicator_dsl.check.loader import UnreadableFile
from indicator_dsl.cli import fmt as fmt_module
from indicator_dsl.cli.fmt import main as fmt_main
from indicator_dsl.syntax import printer
from indicator_dsl.syntax.formatter import FormatResult, find_comments, format_source
from indicator_dsl.syntax.parser import parse_source
from indicator_dsl.syntax.printer import print_module
from indicator_dsl.syntax.source import SourceFile

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted(SPEC_EXAMPLES.rglob("*.ind"))
GOLDEN = ROOT / "tests" / "golden" / "fmt"
GOLDEN_INPUTS = sorted(GOLDEN.glob("*.in.ind"))
REPO_FILES = sorted([*(ROOT / "rulesets").rglob("*.ind"), *(ROOT / "tests" / "corpus").rglob("*.ind")])


def spec_fragments() -> list[str]:
    """The `.ind` fragments of LANGUAGE.md (examples/spec/fragments.md), each completed into a file
    that parses. The complete examples are files of examples/spec, in EXAMPLES."""
    blocks: list[str] = []
    block: list[str] | None = None
    language = ""
    for line in (SPEC_EXAMPLES / "fragments.md").read_text(encoding="utf-8").splitlines(keepends=True):
        if line.startswith("```") and block is None:
            block, language = [], line[3:].strip()
        elif line.startswith("```") and block is not None:
            if not language:
                blocks.append("".join(block))
            block = None
        elif block is not None:
            block.append(line)
    files: list[str] = []
    for code in blocks:
        first = code.split()[0]
        if first in ("#", "indicator"):
            files.append(f"ruleset fragment\n\ndimension d max 100 {{\n{code}}}\n")
        elif first == "exempt":
            files.append(f"ruleset fragment\n{code}")
        elif first == "catalog":
            files.append("".join(line for line in code.splitlines(True) if not line.strip().startswith("...")))
    return files


FRAGMENTS = spec_fragments()
ALL_SOURCES = [p.read_text(encoding="utf-8") for p in EXAMPLES] + FRAGMENTS


def fmt(text: str) -> str:
    result = format_source(SourceFile("in.ind", text))
    assert result.text is not None, result.diagnostics
    return result.text


def tree(text: str) -> object:
    result = parse_source(SourceFile("x.ind", text))
    assert result.module is not None, result.diagnostics
    return result.imports, result.module


def comment_texts(text: str) -> list[str]:
    return [c.text for c in find_comments(text)]


def test_the_spec_has_the_fragments_these_tests_expect() -> None:
    assert [p.relative_to(SPEC_EXAMPLES).as_posix() for p in EXAMPLES] == [
        "rulesets/finance.ind",
        "rulesets/party_gov.ind",
        "schema/branch.ind",
    ]
    assert len(FRAGMENTS) == 3  # rule shapes, grading shapes, catalog


@pytest.mark.parametrize(
    "text", ALL_SOURCES, ids=[p.name for p in EXAMPLES] + [f"fragment{i}" for i in range(len(FRAGMENTS))]
)
def test_spec_files_format_idempotently_and_keep_their_meaning(text: str) -> None:
    once = fmt(text)
    assert fmt(once) == once
    assert tree(once) == tree(text)
    assert comment_texts(once) == comment_texts(text)


def test_the_spec_examples_are_already_canonical() -> None:
    text = (SPEC_EXAMPLES / "rulesets" / "party_gov.ind").read_text(encoding="utf-8")
    assert fmt(text) == text


def test_the_spec_schema_differs_only_by_its_long_enum_broken_within_the_width() -> None:
    text = (SPEC_EXAMPLES / "schema" / "branch.ind").read_text(encoding="utf-8")
    long = '"社会组织", "离退休干部") "支部类型"'
    assert long in text
    assert fmt(text) == text.replace(long, '"社会组织",\n    "离退休干部") "支部类型"')


def test_finance_differs_only_by_blank_lines_between_blocks() -> None:
    text = (SPEC_EXAMPLES / "rulesets" / "finance.ind").read_text(encoding="utf-8")
    assert fmt(text) == text.replace("}\noverride", "}\n\noverride").replace("}\nremove", "}\n\nremove")


@pytest.mark.parametrize("path", REPO_FILES, ids=[str(p.relative_to(ROOT)) for p in REPO_FILES])
def test_repository_files_format_idempotently_and_keep_their_meaning(path: Path) -> None:
    text = path.read_bytes().decode("utf-8-sig")
    parsed = parse_source(SourceFile("x.ind", text))
    if parsed.module is None:  # a syntax-error fixture: the formatter gives it back untouched
        assert format_source(SourceFile("x.ind", text)) == FormatResult(None, parsed.diagnostics)
        return
    once = fmt(text)
    assert fmt(once) == once
    assert tree(once) == (parsed.imports, parsed.module)
    assert comment_texts(once) == comment_texts(text)


def test_without_comments_the_formatter_is_the_printer() -> None:
    for text in ALL_SOURCES:
        if not find_comments(text):
            result = parse_source(SourceFile("x.ind", text))
            assert result.module is not None
            assert fmt(text) == print_module(result.imports, result.module)


# ---------------------------------------------------------------- goldens


@pytest.mark.parametrize("path", GOLDEN_INPUTS, ids=[p.name.removesuffix(".in.ind") for p in GOLDEN_INPUTS])
def test_golden(path: Path) -> None:
    text = path.read_bytes().decode("utf-8")  # bytes: the CRLF golden must reach the formatter as CRLF
    expected_path = path.with_name(path.name.replace(".in.ind", ".out.ind"))
    got = fmt(text)
    if os.environ.get("IND_UPDATE_GOLDENS") == "1":
        expected_path.write_bytes(got.encode("utf-8"))
    assert got == expected_path.read_bytes().decode("utf-8")
    assert fmt(got) == got
    assert tree(got) == tree(text)
    assert comment_texts(got) == comment_texts(text)


def test_there_are_goldens_for_crlf_comments_and_commas() -> None:
    names = {p.name for p in GOLDEN_INPUTS}
    assert {"crlf.in.ind", "comments.in.ind", "commas.in.ind", "spacing.in.ind"} <= names
    assert b"\r\n" in (GOLDEN / "crlf.in.ind").read_bytes()


# ---------------------------------------------------------------- comments


@st.composite
def commented(draw: st.DrawFn, text: str) -> tuple[str, list[str]]:
    """`text` with comments added at the ends of lines and on lines of their own."""
    lines = text.split("\n")
    own = draw(st.sets(st.integers(0, len(lines) - 1), max_size=8))
    ends = draw(st.sets(st.sampled_from([i for i, line in enumerate(lines) if line.strip()]), max_size=8))
    word = draw(st.text(st.sampled_from(list('ab #"中{}')), max_size=4))
    out: list[str] = []
    for index, line in enumerate(lines):
        if index in own:
            out.append(f"{['', '  ', chr(9)][index % 3]}# own{index} {word}")
            if index % 2:
                out.append("")
        out.append(f"{line} # end{index} {word}" if index in ends else line)
    text = "\n".join(out)
    return text, comment_texts(text)


def survives(text: str, comments: list[str], meaning: object = None) -> None:
    """Format `text`: the comments and the meaning (`tree(text)` unless given) stay, a second run changes nothing."""
    once = fmt(text)
    assert comment_texts(once) == comments
    assert fmt(once) == once
    assert tree(once) == (meaning if meaning is not None else tree(text))


@functools.cache
def uncommented_tree(index: int) -> object:
    return tree(ALL_SOURCES[index])


@settings(max_examples=40, deadline=None)
@given(st.integers(0, max(0, len(ALL_SOURCES) - 1)).flatmap(lambda i: st.tuples(st.just(i), commented(ALL_SOURCES[i]))))
def test_comments_survive_in_order(case: tuple[int, tuple[str, list[str]]]) -> None:
    index, (text, comments) = case
    survives(text, comments, uncommented_tree(index))


@st.composite
def squashed(draw: st.DrawFn, text: str) -> str:
    """`text` with some line breaks turned into spaces, so one source line holds several items."""
    lines = text.split("\n")
    joins = draw(st.sets(st.integers(1, max(1, len(lines) - 1)), max_size=len(lines)))
    return "".join((" " if index in joins else "\n") + line for index, line in enumerate(lines))[1:]


GENERATED_FILES = st.one_of(
    st.tuples(IMPORTS, RULESETS), st.tuples(IMPORTS, SCHEMAS), st.tuples(IMPORTS, CATALOGS)
).map(lambda parts: print_module(*parts))


@settings(max_examples=50, deadline=None)
@given(GENERATED_FILES.flatmap(squashed).flatmap(commented))
def test_comments_survive_in_generated_files_of_every_kind(case: tuple[str, list[str]]) -> None:
    survives(*case)


@settings(max_examples=30, deadline=None)
@given(GENERATED_FILES.flatmap(squashed).flatmap(commented))
def test_comments_survive_where_every_breakable_line_breaks(case: tuple[str, list[str]]) -> None:
    with mock.patch.object(printer, "WIDTH", 12):
        survives(*case)


def test_comment_marks_inside_strings_are_not_comments() -> None:
    text = 'ruleset r "# not a comment"\nlet a = "say \\"#\\"" # real\n'
    assert comment_texts(text) == ["# real"]
    assert fmt(text) == 'ruleset r "# not a comment"\n\nlet a = "say \\"#\\""  # real\n'


def test_compact_blocks_open_up_for_comments_inside_them() -> None:
    text = "ruleset r\ndimension d max 1 {\n  indicator i max 1 {\n    # why\n    judged\n  }\n}\n"
    assert fmt(text) == "ruleset r\n\n" + text.split("\n", 1)[1]
    assert fmt("ruleset r\ndimension d max 1 { indicator i max 1 { judged } # after\n}\n") == (
        "ruleset r\n\ndimension d max 1 {\n  indicator i max 1 { judged }  # after\n}\n"
    )


def test_comment_inside_an_empty_block_opens_it() -> None:
    assert fmt("ruleset r\nassess { # none yet\n}\ngrades {\n# none\n}\n") == (
        "ruleset r\n\nassess {  # none yet\n}\n\ngrades {\n  # none\n}\n"
    )


def test_comment_lines_between_parts_of_a_broken_line_move_above_it() -> None:
    text = "ruleset r\noutcome o =\n  # the rule\n  if a then 1  # first\n  else 2  # second\n"
    assert fmt(text) == "ruleset r\n\n# the rule\n# first\noutcome o = if a then 1 else 2  # second\n"


# ---------------------------------------------------------------- errors and edge cases


def test_syntax_errors_give_diagnostics_and_no_text() -> None:
    result = format_source(SourceFile("bad.ind", "ruleset r\nlet a = (1 +\n"))
    assert result.text is None
    assert [d.code for d in result.diagnostics] == ["E012"]


def test_long_or_chains_format_without_recursion() -> None:
    chain = " or ".join(["x"] * 1500)  # deeper than Python's default recursion limit
    assert fmt(f"ruleset r\nlet a = {chain}\n") == "ruleset r\n\nlet a =\n  x\n" + "  or x\n" * 1499


def test_negative_band_scores_keep_their_sign() -> None:
    text = "ruleset r\n\ndimension d max 1 {\n  indicator i max 1 {\n    bands x {\n      >= 1: -1\n    }\n  }\n}\n"
    assert fmt(text) == text
    keyed = "ruleset r\n\ndimension d max 1 {\n  indicator i max 1 {\n    bands x { else: -1 }\n  }\n}\n"
    assert fmt(keyed) == keyed


# ---------------------------------------------------------------- ind fmt


MESSY = "ruleset   r\nlet a=1\n"
CLEAN = "ruleset r\n\nlet a = 1\n"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8"))
    return path


def test_cli_rewrites_files_in_folders_recursively(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    messy = write(tmp_path / "a" / "b" / "messy.ind", MESSY)
    clean = write(tmp_path / "clean.ind", CLEAN)
    other = write(tmp_path / "notes.txt", MESSY)
    messy.chmod(0o640)
    assert fmt_main([str(tmp_path)]) == 0
    assert messy.read_text(encoding="utf-8") == CLEAN
    assert stat.S_IMODE(messy.stat().st_mode) == 0o640
    assert clean.read_text(encoding="utf-8") == CLEAN
    assert other.read_text(encoding="utf-8") == MESSY
    assert capsys.readouterr().out == f"reformatted {messy}\n"
    assert sorted(p.name for p in messy.parent.iterdir()) == ["messy.ind"]  # no temporary file left


def test_cli_check_lists_changes_and_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    messy = write(tmp_path / "messy.ind", MESSY)
    clean = write(tmp_path / "clean.ind", CLEAN)
    assert fmt_main(["--check", str(messy), str(clean)]) == 1
    assert messy.read_text(encoding="utf-8") == MESSY
    assert capsys.readouterr().out == f"would reformat {messy}\n"
    assert fmt_main(["--check", str(clean)]) == 0


def test_cli_diff_prints_a_unified_diff(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    messy = write(tmp_path / "messy.ind", MESSY)
    assert fmt_main(["--diff", str(messy)]) == 0
    out = capsys.readouterr().out
    assert messy.read_text(encoding="utf-8") == MESSY
    assert out.splitlines() == [
        f"--- {messy} (original)",
        f"+++ {messy} (formatted)",
        "@@ -1,2 +1,3 @@",
        "-ruleset   r",
        "-let a=1",
        "+ruleset r",
        "+",
        "+let a = 1",
    ]
    assert fmt_main(["--check", "--diff", str(messy)]) == 1


def test_cli_rewrites_crlf_as_lf(tmp_path: Path) -> None:
    path = tmp_path / "crlf.ind"
    path.write_bytes(CLEAN.replace("\n", "\r\n").encode("utf-8"))
    assert fmt_main(["--check", str(path)]) == 1
    assert fmt_main([str(path)]) == 0
    assert path.read_bytes() == CLEAN.encode("utf-8")


def test_cli_reports_syntax_errors_and_leaves_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = write(tmp_path / "bad.ind", "ruleset r\nlet a = \n")
    good = write(tmp_path / "good.ind", MESSY)
    assert fmt_main([str(bad), str(good)]) == 1
    assert bad.read_text(encoding="utf-8") == "ruleset r\nlet a = \n"
    assert good.read_text(encoding="utf-8") == CLEAN
    err = capsys.readouterr().err
    assert f"{bad}:3:1: error[E012]" in err


def test_cli_non_utf8_files_get_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    latin = tmp_path / "latin.ind"
    latin.write_bytes('ruleset r "caf\xe9"\n'.encode("latin-1"))
    assert fmt_main([str(latin)]) == 1
    err = capsys.readouterr().err
    assert err == f"ind fmt: {latin}: the file is not valid UTF-8 (bad byte at offset 14)\n"


def test_cli_unreadable_files_get_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    locked = write(tmp_path / "locked.ind", CLEAN)

    def refuse(path: Path) -> bytes:
        raise UnreadableFile("Permission denied")

    monkeypatch.setattr(fmt_module, "read_ruleset_bytes", refuse)  # root reads anything, so refuse by hand
    assert fmt_main([str(locked)]) == 1
    assert capsys.readouterr().err == f"ind fmt: {locked}: cannot read file: Permission denied\n"


def test_cli_write_failure_leaves_the_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    messy = write(tmp_path / "messy.ind", MESSY)

    def fail(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", fail)
    assert fmt_main([str(messy)]) == 1
    assert messy.read_text(encoding="utf-8") == MESSY
    assert [p.name for p in tmp_path.iterdir()] == ["messy.ind"]
    assert capsys.readouterr().err == f"ind fmt: {messy}: cannot write file: No space left on device\n"


@pytest.mark.parametrize(
    "argv", [[], ["--nope", "x.ind"], ["does/not/exist.ind"]], ids=["no paths", "bad option", "missing path"]
)
def test_cli_usage_errors_exit_2(
    argv: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert fmt_main(argv) == 2
    assert capsys.readouterr().err


def test_cli_folder_without_ind_files_is_a_usage_error(tmp_path: Path) -> None:
    assert fmt_main([str(tmp_path)]) == 2


# ---------------------------------------------------------------- long expressions

# The issue's `let`: three lines in the source, 326 characters joined.
LONG_LET = (
    "ruleset r\n"
    'let gap_ok = count(m in meetings where m.kind == "支部党员大会" and in_period(m.held_on)'
    " and m.attendance >= 0.8)\n"
    '  >= 4 and count(m in meetings where m.kind == "支委会" and in_period(m.held_on)) >= 12\n'
    "  and (last_election is none or months_between(last_election, period.end) <= term_years * 12)\n"
)
LONG_CHAIN = " and ".join(f'count(m in meetings where m.kind == "会议{i}") >= {i}' for i in range(6))
LONG_SUM = " + ".join(f'count(m in meetings where m.kind == "会议{i}") * {i}' for i in range(6))
CONTEXTS = {
    "let": f"let v = {LONG_CHAIN}",
    "outcome": f"outcome o = {LONG_CHAIN}",
    "score": f"dimension d max 5 {{ indicator i max 5 {{ score {LONG_SUM} }} }}",
    "deduct when": f"dimension d max 5 {{ indicator i max 5 {{ deduct {LONG_SUM} when {LONG_CHAIN} }} }}",
    "award per": f"dimension d max 5 {{ indicator i max 5 {{ award 1 per {LONG_SUM} up to 5 }} }}",
    "band when": f"dimension d max 5 {{ indicator i max 5 {{ bands {{ when {LONG_CHAIN}: 5 else: 0 }} }} }}",
    "band compare": f"dimension d max 5 {{ indicator i max 5 {{ bands {LONG_SUM} {{ >= {LONG_SUM}: 5 else: 0 }} }} }}",
    "grades": f"grades {{ good when {LONG_CHAIN} bad when not ({LONG_CHAIN}) fair otherwise }}",
    "veto": f"veto v when {LONG_SUM} > 3 cap fair",
    "exempt": f"exempt e when {LONG_CHAIN}",
    "assign": f"assign a when {LONG_CHAIN} grade good",
    "assess": f"assess {{ s weight 50% t weight 50% = {LONG_SUM} }}",
    "quota": f"quota good at most 10% where {LONG_CHAIN} ties demote",
    "bonus item": f"bonus max 5 {{ item b award {LONG_SUM} when {LONG_CHAIN} }}",
    "applies": f"dimension d max 5 {{ indicator i max 5 applies when {LONG_CHAIN} {{ judged }} }}",
    "route": f"route {LONG_CHAIN} => t",
}


def test_a_long_let_breaks_at_its_links_within_the_width() -> None:
    out = fmt(LONG_LET)
    assert tree(out) == tree(LONG_LET) and fmt(out) == out
    assert out == (
        "ruleset r\n"
        "\n"
        "let gap_ok =\n"
        "  count(m in meetings\n"
        '      where m.kind == "支部党员大会" and in_period(m.held_on) and m.attendance >= 0.8) >= 4\n'
        '  and count(m in meetings where m.kind == "支委会" and in_period(m.held_on)) >= 12\n'
        "  and (last_election is none or months_between(last_election, period.end) <= term_years * 12)\n"
    )


@pytest.mark.parametrize("context", list(CONTEXTS))
def test_long_expressions_break_to_the_width_in_every_context(context: str) -> None:
    text = f"{'catalog c' if context == 'route' else 'ruleset r'}\n{CONTEXTS[context]}\n"
    out = fmt(text)
    assert tree(out) == tree(text), out
    assert fmt(out) == out
    widths = [printer.display_width(line) for line in out.splitlines()]
    assert max(widths) <= printer.WIDTH, out
    assert len(widths) > 4, out  # it did break


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(list(CONTEXTS)), st.integers(16, 90))
def test_long_expressions_at_any_width_keep_their_meaning_and_settle(context: str, width: int) -> None:
    text = f"{'catalog c' if context == 'route' else 'ruleset r'}\n{CONTEXTS[context]}\n"
    with mock.patch.object(printer, "WIDTH", width):
        out = fmt(text)
        assert fmt(out) == out
    assert tree(out) == tree(text)


# ---------------------------------------------------------------- layout choices (docs/decisions.md)


def test_blank_lines_inside_blocks_and_between_runs_stay_one_each() -> None:
    text = "schema s\n\ntype T {\n  a: int\n\n\n  # group two\n  b: int\n  c: int\n\n  d: int\n}\n"
    assert fmt(text) == "schema s\n\ntype T {\n  a: int\n\n  # group two\n  b: int\n  c: int\n\n  d: int\n}\n"
    rules = "ruleset r\n\nveto a when x cap low\n\nveto b when y cap low\nveto c when z cap low\n"
    assert fmt(rules) == rules
    assert fmt(rules.replace("\n\nveto b", "\nveto b")) == rules.replace("\n\nveto b", "\nveto b")


def test_a_long_enum_breaks_after_its_commas_within_the_width() -> None:
    members = ", ".join(f'"选项{i:02d}"' for i in range(20))
    got = fmt(f'schema s\n\ntype T {{\n  kind: enum({members}) "类型"\n}}\n')
    lines = got.splitlines()
    assert len(lines) == 7
    assert lines[3].startswith('  kind: enum("选项00", ') and lines[3].endswith(",")
    assert lines[-2].startswith('    "选项') and lines[-2].endswith('"选项19") "类型"')
    assert all(len(line) + sum(1 for ch in line if ord(ch) > 0x2E7F) <= 100 for line in lines)
    assert tree(got) == tree(f'schema s\n\ntype T {{\n  kind: enum({members}) "类型"\n}}\n')


def test_keyed_bands_fold_onto_one_line_when_they_fit_and_thresholds_never_do() -> None:
    keyed = (
        'ruleset r\n\ndimension d max 4 {\n  indicator i max 4 {\n    bands v { "独立": 4, "共享": 3, else: 0 }\n'
        "  }\n}\n"
    )
    assert fmt(keyed.replace(', "共享"', '\n"共享"').replace(", else", "\nelse")) == keyed
    wide = ", ".join(f'"很长的选项名称{i}": {i}' for i in range(6))
    opened = fmt(keyed.replace('"独立": 4, "共享": 3', wide))
    assert opened.count("\n      ") == 7  # six keys and the else, one a line
    thresholds = (
        "ruleset r\n\ndimension d max 4 {\n  indicator i max 4 {\n    bands v {\n      >= 1: 4\n    }\n  }\n}\n"
    )
    assert fmt(thresholds) == thresholds


def test_a_comparison_under_not_keeps_its_brackets() -> None:
    text = 'ruleset r\n\nlet a = not ("书记" in committee)\nlet b = not (x is none)\nlet c = not x\n'
    assert fmt(text) == text
    assert fmt(text.replace('not ("书记" in committee)', 'not "书记" in committee')) == text
