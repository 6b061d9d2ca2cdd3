"""The checker against a corpus of bad rulesets, one case per rule and per syntax-error family.

Each case under tests/corpus/bad/ states its diagnostics in `# expect: CODE line N "text" ...`
comment lines (see tests/corpus/README.md). A case passes when the set of (code, file, line) that
`check_paths` reports is exactly the stated one, every stated text is in the message or hint,
and the rendered report equals tests/golden/check/<case>.txt (`pytest --update-goldens`).
Odd bytes (empty, binary, invalid UTF-8, BOM, CRLF, deep nesting) are checked here too.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from support import clean_ruleset, project_with

from indicator_dsl.check.paths import CheckReport, check_paths
from indicator_dsl.check.renderers import render_text
from indicator_dsl.syntax.diagnostics import CODES, Diagnostic

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "corpus"
BAD = CORPUS / "bad"
GOLDEN = ROOT / "tests" / "golden" / "check"
SPEC_SCHEMA = CORPUS / "schema" / "branch.ind"

EXPECT = re.compile(r'^# expect: (?P<code>[EW]\d{3}) line (?P<line>\d+)(?P<texts>(?: +"(?:[^"\\]|\\.)*")*) *$')
TEXT = re.compile(r'"((?:[^"\\]|\\.)*)"')
# Codes no checked-in file can produce: an unreadable file, non-UTF-8 bytes and a file over the size
# limits are made at run time.
RUNTIME_ONLY = {"E001", "E002", "E003", "E314"}  # E314: only `--require-standards` (test_standards.py)
# and the bundle codes: only reading a `.tar.gz` (test_bundles.py), never checking a `.ind` file
RUNTIME_ONLY |= {"E020", "E021", "E022"}


@dataclass(frozen=True)
class Expectation:
    code: str
    path: str  # relative to the repository root, as diagnostics show it
    line: int
    texts: tuple[str, ...]


def case_paths() -> list[Path]:
    return sorted(p for p in BAD.iterdir() if p.is_dir() or p.suffix == ".ind")


def case_id(case: Path) -> str:
    return case.stem if case.is_file() else case.name


def case_files(case: Path) -> list[Path]:
    return [case] if case.is_file() else sorted(case.rglob("*.ind"))


def relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def expectations(case: Path) -> list[Expectation]:
    out: list[Expectation] = []
    for file in case_files(case):
        for line in file.read_bytes().decode("utf-8").splitlines():
            if not line.startswith("# expect"):
                continue
            match = EXPECT.match(line)
            assert match, f"{relative(file)}: malformed expectation {line!r}"
            texts = tuple(t.replace('\\"', '"') for t in TEXT.findall(match["texts"]))
            out.append(Expectation(match["code"], relative(file), int(match["line"]), texts))
    return out


def check_case(case: Path) -> CheckReport:
    return check_paths([relative(case)])


def key(d: Diagnostic) -> tuple[str, str, int]:
    return (d.code, d.span.path, d.span.line)


@pytest.fixture(autouse=True)
def at_repo_root(monkeypatch: pytest.MonkeyPatch) -> None:
    """Diagnostics show paths relative to the working folder: the repository root keeps them stable."""
    monkeypatch.chdir(ROOT)


CASES = case_paths()


# ---------------------------------------------------------------- the corpus itself


def test_corpus_has_a_case_for_every_rule() -> None:
    assert len(CASES) >= 45
    covered = {e.code for case in CASES for e in expectations(case)}
    assert covered | RUNTIME_ONLY == set(CODES), f"codes without a case: {sorted(set(CODES) - covered - RUNTIME_ONLY)}"
    assert not covered & RUNTIME_ONLY


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_case_states_what_it_expects(case: Path) -> None:
    stated = expectations(case)
    assert stated, f"{relative(case)} has no `# expect:` line"
    for e in stated:
        assert e.code in CODES
        assert e.texts, f"{e.path}: say which names the {e.code} message must contain"


def test_every_golden_belongs_to_a_case() -> None:
    names = {case_id(case) for case in CASES}
    stale = sorted(p.name for p in GOLDEN.glob("*.txt") if p.stem not in names)
    assert not stale, f"goldens without a case: {stale}"


# ---------------------------------------------------------------- each case


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_case_reports_exactly_what_it_expects(case: Path) -> None:
    report = check_case(case)
    stated = expectations(case)
    assert {key(d) for d in report.diagnostics} == {(e.code, e.path, e.line) for e in stated}
    for e in stated:
        [diagnostic] = [d for d in report.diagnostics if key(d) == (e.code, e.path, e.line)]
        shown = diagnostic.message + "\n" + (diagnostic.hint or "")
        for text in e.texts:
            assert text in shown, f"{e.path}:{e.line}: {text!r} not in {shown!r}"


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_case_renders_as_its_golden(case: Path, update_goldens: bool) -> None:
    report = check_case(case)
    rendered = render_text(report.diagnostics, report.sources)
    golden = GOLDEN / f"{case_id(case)}.txt"
    if update_goldens:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_bytes(rendered.encode("utf-8"))
        return
    assert golden.is_file(), f"missing golden {relative(golden)}: run pytest --update-goldens and review it"
    assert rendered == golden.read_bytes().decode("utf-8")


def test_goldens_show_root_relative_paths_and_the_caret_line() -> None:
    text = (GOLDEN / "unknown_field.txt").read_text(encoding="utf-8")
    assert text.startswith("tests/corpus/bad/unknown_field.ind:11:45: error[E201]: Meeting has no field `kinds`\n")
    assert "  = hint: did you mean `kind`?\n" in text
    assert str(ROOT) not in text


def where_found(d: Diagnostic) -> tuple[str, str, int]:
    # A cycle is reported where it closes, which depends on the file the check starts from.
    return ("E101", "", 0) if d.code == "E101" else key(d)


@pytest.mark.parametrize("case", [c for c in CASES if c.is_dir()], ids=case_id)
def test_folder_case_is_found_the_same_from_each_of_its_files(case: Path) -> None:
    """Checking a folder case file by file finds what checking the folder finds (no order effects)."""
    together = {where_found(d) for d in check_case(case).diagnostics}
    one_by_one: set[tuple[str, str, int]] = set()
    for file in case_files(case):
        one_by_one |= {where_found(d) for d in check_paths([relative(file)]).diagnostics}
    assert one_by_one == together


# ---------------------------------------------------------------- odd bytes and shapes


def clean_text() -> str:
    """Imports the spec's schema from the project root that `check_bytes` makes (`project_with`)."""
    return clean_ruleset(Path(SPEC_SCHEMA.name))


def check_bytes(tmp_path: Path, data: bytes, name: str = "input.ind") -> CheckReport:
    path = project_with(tmp_path, SPEC_SCHEMA) / name
    path.write_bytes(data)
    return check_paths([path])


def codes_lines(report: CheckReport) -> list[tuple[str, int]]:
    return [(d.code, d.span.line) for d in report.diagnostics]


def test_clean_ruleset_is_clean(tmp_path: Path) -> None:
    assert check_bytes(tmp_path, clean_text().encode()).diagnostics == []


def test_empty_file_is_one_end_of_file_error(tmp_path: Path) -> None:
    report = check_bytes(tmp_path, b"")
    assert codes_lines(report) == [("E012", 1)]
    assert "`ruleset`" in report.diagnostics[0].message


def test_comment_only_file_ends_too_early(tmp_path: Path) -> None:
    assert codes_lines(check_bytes(tmp_path, "# 只有注释\n# nothing else\n".encode())) == [("E012", 3)]


def test_binary_bytes_are_one_e002(tmp_path: Path) -> None:
    report = check_bytes(tmp_path, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    assert codes_lines(report) == [("E002", 1)]
    assert "binary" in report.diagnostics[0].message


def test_invalid_utf8_names_the_offset(tmp_path: Path) -> None:
    data = clean_text().encode("utf-8").replace("干净".encode(), "干净".encode("gbk"))
    report = check_bytes(tmp_path, data)
    assert codes_lines(report) == [("E002", 1)]
    offset = data.index("干净".encode("gbk"))
    assert f"offset {offset}" in report.diagnostics[0].message
    assert report.diagnostics[0].hint == "save the file as UTF-8"


def test_utf8_bom_is_dropped(tmp_path: Path) -> None:
    assert check_bytes(tmp_path, b"\xef\xbb\xbf" + clean_text().encode()).diagnostics == []


def test_crlf_line_endings_check_clean(tmp_path: Path) -> None:
    assert check_bytes(tmp_path, clean_text().replace("\n", "\r\n").encode()).diagnostics == []


def test_crlf_keeps_line_numbers_and_snippets(tmp_path: Path) -> None:
    text = clean_text().replace("not secretary_trained", "not secretary_traned").replace("\n", "\r\n")
    report = check_bytes(tmp_path, text.encode())
    assert codes_lines(report) == [("E200", 9)]
    rendered = render_text(report.diagnostics, report.sources)
    assert "\r" not in rendered
    assert "did you mean `secretary_trained`?" in rendered


def test_old_mac_line_endings_are_lines_too(tmp_path: Path) -> None:
    text = clean_text().replace("total 10", "total 11").replace("\n", "\r")
    assert codes_lines(check_bytes(tmp_path, text.encode())) == [("E301", 6)]


def test_five_thousand_nested_parentheses_are_one_e013(tmp_path: Path) -> None:
    text = clean_text().replace("not secretary_trained", "(" * 5000 + "true" + ")" * 5000)
    report = check_bytes(tmp_path, text.encode())
    assert codes_lines(report) == [("E013", 9)]
    [diagnostic] = report.diagnostics
    # the dimension's and the indicator's `{` are open already: the 63rd `(` is the 65th bracket
    assert diagnostic.span.column == len('  indicator training "书记轮训" max 10 { deduct 10 when ') + 63


@pytest.mark.parametrize(("parentheses", "codes"), [(62, []), (63, [("E013", 9)])])
def test_nesting_limit_is_sixty_four_brackets(tmp_path: Path, parentheses: int, codes: list[tuple[str, int]]) -> None:
    nested = "(" * parentheses + "not secretary_trained" + ")" * parentheses
    text = clean_text().replace("not secretary_trained", nested)
    assert codes_lines(check_bytes(tmp_path, text.encode())) == codes


def test_brackets_in_texts_and_comments_do_not_nest(tmp_path: Path) -> None:
    text = clean_text().replace('"书记轮训"', '"' + "(" * 100 + '"') + "# " + "[" * 100 + "\n"
    assert check_bytes(tmp_path, text.encode()).diagnostics == []


def test_a_very_long_expression_is_a_diagnostic_not_a_crash(tmp_path: Path) -> None:
    """20,000 `+` in a row need no brackets, but are too deep for the parser's or the checker's
    recursion: one E013, whichever stage gives up, and no RecursionError escapes."""
    text = clean_text().replace("not secretary_trained", " + ".join(["members"] * 20_000) + " > 0")
    report = check_bytes(tmp_path, text.encode())
    assert [d.code for d in report.diagnostics] == ["E013"]
    assert "too" in report.diagnostics[0].message and "nested" in report.diagnostics[0].message


def test_a_chain_too_deep_to_check_stops_only_its_own_file(tmp_path: Path) -> None:
    """Hundreds of `or` exceed Python's recursion: that ruleset gets E013, the next one is still checked."""
    deep = clean_text().replace("not secretary_trained", " or ".join(['department == "处"'] * 3000))
    project_with(tmp_path, SPEC_SCHEMA)
    (tmp_path / "a_deep.ind").write_text(deep, encoding="utf-8")
    (tmp_path / "b_wrong_total.ind").write_text(clean_text().replace("total 10", "total 11"), encoding="utf-8")
    report = check_paths([tmp_path])
    assert sorted((d.code, Path(d.span.path).name) for d in report.diagnostics) == [
        ("E013", "a_deep.ind"),
        ("E301", "b_wrong_total.ind"),
    ]


def test_a_long_token_is_cut_in_the_message(tmp_path: Path) -> None:
    report = check_bytes(tmp_path, b"x" * 100_000)
    [diagnostic] = report.diagnostics
    assert diagnostic.code == "E010"
    assert len(diagnostic.message) < 200
    assert diagnostic.message.startswith("unexpected `" + "x" * 40 + "…`")


def test_unreadable_file_is_e001(tmp_path: Path) -> None:
    """A FIFO stands for an unreadable file (root reads even chmod 000): it must not block the checker."""
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs on this platform")
    os.mkfifo(tmp_path / "pipe.ind")
    report = check_paths([tmp_path / "pipe.ind"])
    assert codes_lines(report) == [("E001", 1)]
    assert "not a regular file" in report.diagnostics[0].message


def test_file_over_the_size_limit_is_e003(tmp_path: Path) -> None:
    path = tmp_path / "huge.ind"
    with path.open("wb") as handle:  # sparse: no 21 MB are written
        handle.truncate(21 * 1024 * 1024)
    report = check_paths([path])
    assert codes_lines(report) == [("E003", 1)]
    assert "it has 22,020,096 bytes; a ruleset file may have at most 1,024 KB" in report.diagnostics[0].message


def test_bad_bytes_in_an_import_are_reported_at_the_import(tmp_path: Path) -> None:
    (tmp_path / "schema.ind").write_bytes(b"schema s\n\xff\xfe")
    (tmp_path / "rules.ind").write_text(clean_text().replace(SPEC_SCHEMA.name, "schema.ind"), encoding="utf-8")
    report = check_paths([tmp_path / "rules.ind"])
    assert [(d.code, Path(d.span.path).name, d.span.line) for d in report.diagnostics] == [("E002", "schema.ind", 1)]


def test_a_folder_is_every_ind_file_below_it_once(tmp_path: Path) -> None:
    project_with(tmp_path / "sub", SPEC_SCHEMA)
    (tmp_path / "sub" / "a.ind").write_text(clean_text().replace("total 10", "total 12"), encoding="utf-8")
    (tmp_path / "b.ind").write_bytes(b"")
    (tmp_path / "notes.txt").write_bytes(b"\x00 not checked")
    report = check_paths([tmp_path, tmp_path / "b.ind"])
    found = sorted((d.code, Path(d.span.path).name) for d in report.diagnostics)
    assert found == [("E012", "b.ind"), ("E301", "a.ind")]
