"""Fuzzing the checker: whatever the text, `check_paths` returns diagnostics and never raises.

Two sources of inputs:
- mutations of real files (the spec's rulesets in examples/spec and the good corpus): tokens and lines deleted,
  duplicated or swapped, random characters inserted (CJK, full-width and ASCII punctuation,
  keywords), the text truncated; and, separately, names and numbers replaced by others of the
  same kind, which keeps the syntax and so fuzzes the resolver and the type checker. Mutants are
  written inside a copy of the good corpus so that their relative imports still resolve.
- `hypothesis.extra.lark.from_lark` on the project's grammar: random files the grammar accepts.
  They must also be accepted by the real parser (no E010/E011/E012): the grammar, the lexer
  and the parser's keyword handling agree.

Each input must be checked within PER_INPUT_SECONDS. The whole file stays under ~40 s.
"""

from __future__ import annotations

import datetime
import re
import shutil
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.lark import from_lark
from lark import Lark
from support import SPEC_EXAMPLES, project_with

from indicator_dsl.check.paths import CheckReport, check_paths
from indicator_dsl.check.renderers import render_json, render_text
from indicator_dsl.syntax.diagnostics import CODES
from indicator_dsl.syntax.grammar import grammar_text, lark_parser

ROOT = Path(__file__).resolve().parents[1]
GOOD = ROOT / "tests" / "corpus" / "good"
PER_INPUT_SECONDS = 2.0
SYNTAX_CODES = {"E010", "E011", "E012"}

FUZZ_SETTINGS = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    database=None,
)


def seed_files() -> list[Path]:
    """Rulesets and catalogs to mutate (the files a mutant replaces, so imports keep resolving)."""
    return sorted(p for p in GOOD.rglob("*.ind") if "schema" not in p.parts)


SEEDS = seed_files()


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private copy of the good corpus and of the spec's examples to write mutants into (a project
    root, so that their imports reach each other's schemas)."""
    root = project_with(tmp_path_factory.mktemp("fuzz"))
    shutil.copytree(GOOD, root / "good")
    shutil.copytree(SPEC_EXAMPLES, root / "spec")
    return root


def seed_paths(workspace: Path) -> list[Path]:
    paths = [workspace / "good" / p.relative_to(GOOD) for p in SEEDS]
    # not the mutants written beside them (`_mutant.ind`): a seed must be a clean file
    return paths + sorted(p for p in (workspace / "spec" / "rulesets").glob("*.ind") if not p.name.startswith("_"))


def check_text(path: Path, text: str) -> CheckReport:
    """Check `text` as the file at `path`, asserting the invariants every run must keep."""
    path.write_bytes(text.encode("utf-8", errors="surrogatepass"))
    start = time.monotonic()
    report = check_paths([path])
    seconds = time.monotonic() - start
    assert seconds < PER_INPUT_SECONDS, f"checking took {seconds:.2f}s"
    for diagnostic in report.diagnostics:
        assert diagnostic.code in CODES
        assert diagnostic.message
        assert diagnostic.span.line >= 1
        span = diagnostic.span
        assert (span.line, span.column) <= (span.end_line, span.end_column)
    # rendering is part of what a user sees: it must not fail either
    render_text(report.diagnostics, report.sources)
    render_json(report.diagnostics)
    return report


# ---------------------------------------------------------------- mutations of real files

TOKEN = re.compile(r'"[^"\n]*"|[^\W\d]\w*|\d{4}-\d{2}-\d{2}|\d+(?:\.\d+)?%?|\s+|.', re.S)
KEYWORDS = [
    "and",
    "or",
    "not",
    "when",
    "else",
    "otherwise",
    "none",
    "is",
    "in",
    "per",
    "up to",
    "by",
    "where",
    "max",
    "indicator",
    "dimension",
    "bands",
    "deduct",
    "award",
    "score",
    "judged",
    "extends",
    "import",
    "?? 0",
    "period.end",
    "count(m in meetings",
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    ",",
    ":",
    "==",
    "=",
    '"',
    "#",
]
INSERTED = st.one_of(
    st.text(alphabet="党支部委会员好差，：（）“”；【】＝＞＜％｛｝、。", min_size=1, max_size=4),
    st.text(alphabet="{}()[]\"'=<>!&|#%,.:+-*/?\\;@$^~`", min_size=1, max_size=4),
    st.text(alphabet="0123456789.-% \n\t\r", min_size=1, max_size=6),
    st.sampled_from(KEYWORDS),
    st.text(min_size=1, max_size=3),  # anything, controls and astral characters included
)
# Literals on the edges of the checker's rules (sums, shares, dates, huge values), by kind so that
# a replacement keeps the syntax: an int stays an int, a percentage a percentage.
LITERALS = {
    "int": ["0", "1", "3", "10", "100", "9" * 30],
    "decimal": ["0.0", "0.5", "99.99"],
    "percent": ["0%", "33.3%", "95%", "120%"],
    "date": ["2023-02-30", "2023-06-30", "1999-12-31", "2024-02-29"],
}
WORD = re.compile(r"[^\W\d]\w*")
KEYWORDS_OF_GRAMMAR = frozenset(
    str(t.pattern.value) for t in lark_parser().terminals if t.pattern.type == "str" and WORD.fullmatch(t.pattern.value)
)


def literal_kind(token: str) -> str:
    if "-" in token:
        return "date"
    if token.endswith("%"):
        return "percent"
    return "decimal" if "." in token else "int"


# An operation: (kind, two positions in [0, 1) scaled to the current text, a text to insert).
# `rename` (one name for another of the file) and `renumber` keep the syntax, so that mutants
# reach the resolver and the type checker instead of stopping at the parser.
Operation = tuple[str, float, float, str]
ALL_KINDS = [
    "delete_token",
    "duplicate_token",
    "swap_tokens",
    "delete_line",
    "duplicate_line",
    "swap_lines",
    "insert",
    "truncate",
    "rename",
    "renumber",
]


def operations(kinds: list[str], max_size: int) -> st.SearchStrategy[list[Operation]]:
    position = st.floats(0, 1, exclude_max=True)
    one = st.tuples(st.sampled_from(kinds), position, position, INSERTED)
    return st.lists(one, min_size=1, max_size=max_size)


def _swap(items: list[str], i: int, j: int) -> list[str]:
    items = list(items)
    items[i], items[j] = items[j], items[i]
    return items


def mutate(text: str, operations: list[Operation]) -> str:
    for kind, a, b, inserted in operations:
        if kind.endswith("_token"):
            tokens = TOKEN.findall(text) or [""]
            i, j = int(a * len(tokens)), int(b * len(tokens))
            if kind == "delete_token":
                tokens = tokens[:i] + tokens[i + 1 :]
            elif kind == "duplicate_token":
                tokens = tokens[: i + 1] + tokens[i:]
            text = "".join(tokens)
        elif kind in ("rename", "renumber"):
            tokens = TOKEN.findall(text)
            names = [k for k, t in enumerate(tokens) if WORD.fullmatch(t) and t not in KEYWORDS_OF_GRAMMAR]
            targets = names if kind == "rename" else [k for k, t in enumerate(tokens) if t[:1].isdigit()]
            if targets:
                at = targets[int(a * len(targets))]
                if kind == "rename":
                    tokens[at] = tokens[names[int(b * len(names))]]
                else:
                    choices = LITERALS[literal_kind(tokens[at])]
                    tokens[at] = choices[int(b * len(choices))]
            text = "".join(tokens)
        elif kind == "swap_tokens":
            tokens = TOKEN.findall(text) or [""]
            text = "".join(_swap(tokens, int(a * len(tokens)), int(b * len(tokens))))
        elif kind.endswith("_line") or kind == "swap_lines":
            lines = text.split("\n")
            i, j = int(a * len(lines)), int(b * len(lines))
            if kind == "delete_line":
                lines = lines[:i] + lines[i + 1 :]
            elif kind == "duplicate_line":
                lines = lines[: i + 1] + lines[i:]
            else:
                lines = _swap(lines, i, j)
            text = "\n".join(lines)
        elif kind == "insert":
            at = int(a * (len(text) + 1))
            text = text[:at] + inserted + text[at:]
        else:  # truncate
            text = text[: int(a * len(text))]
    return text


def test_mutation_operators_do_what_they_say() -> None:
    text = 'indicator a "甲" max 3 {\n  score 1\n}'
    assert mutate(text, [("delete_token", 0.0, 0.0, "")]) == ' a "甲" max 3 {\n  score 1\n}'
    assert mutate(text, [("duplicate_line", 0.5, 0.0, "")]) == 'indicator a "甲" max 3 {\n  score 1\n  score 1\n}'
    assert mutate(text, [("swap_lines", 0.0, 0.9, "")]) == '}\n  score 1\nindicator a "甲" max 3 {'
    assert mutate(text, [("insert", 0.0, 0.0, "，")]) == "，" + text
    assert mutate(text, [("truncate", 0.5, 0.0, "")]) == text[: len(text) // 2]
    assert mutate(text, [("rename", 0.0, 0.0, "")]) == text  # `indicator`, `max`, `score` are keywords
    assert mutate("a b", [("rename", 0.0, 0.5, "")]) == "b b"
    assert mutate(text, [("renumber", 0.5, 0.0, "")]) == text.replace("score 1", "score 0")
    assert mutate("period 2023-01-01", [("renumber", 0.0, 0.0, "")]) == "period 2023-02-30"
    assert TOKEN.findall('max 95% "党课" m.kind 2023-06-30') == [
        "max",
        " ",
        "95%",
        " ",
        '"党课"',
        " ",
        "m",
        ".",
        "kind",
        " ",
        "2023-06-30",
    ]


def test_every_seed_checks_clean(workspace: Path) -> None:
    """Mutants start from clean files, so every diagnostic they get is caused by the mutation."""
    for path in seed_paths(workspace):
        assert check_paths([path]).diagnostics == [], path


def check_mutant(workspace: Path, seed: int, ops: list[Operation]) -> CheckReport:
    seeds = seed_paths(workspace)
    original = seeds[seed % len(seeds)]
    return check_text(original.with_name("_mutant.ind"), mutate(original.read_text(encoding="utf-8"), ops))


@settings(FUZZ_SETTINGS, max_examples=400)
@given(seed=st.integers(min_value=0), ops=operations(ALL_KINDS, max_size=4))
def test_mutated_rulesets_never_crash_the_checker(workspace: Path, seed: int, ops: list[Operation]) -> None:
    check_mutant(workspace, seed, ops)


@settings(FUZZ_SETTINGS, max_examples=250)
@given(seed=st.integers(min_value=0), ops=operations(["rename", "renumber"], max_size=6))
def test_renamed_rulesets_never_crash_the_checker(workspace: Path, seed: int, ops: list[Operation]) -> None:
    """Names and numbers swapped for others keep the syntax: these mutants exercise the resolver,
    the type checker and the structural rules, where most of the checker's logic is."""
    report = check_mutant(workspace, seed, ops)
    assert not {d.code for d in report.diagnostics} & {"E010", "E011", "E012", "E013"}


# ---------------------------------------------------------------- files the grammar generates


def generation_parser() -> Lark:
    """A grammar instance for `from_lark` (the generated parser keeps no grammar object)."""
    return Lark(grammar_text(), parser="lalr", lexer="basic")


PRINTABLE = st.characters(blacklist_categories=("Cc", "Cs"))
NAME_CHARS = "abcdefghijklmnopqrstuvwxyz_党支部会议委员甲乙"


def grammar_strategy() -> st.SearchStrategy[str]:
    """Every terminal is drawn with spaces around it, so neighbours never fuse into one token;
    names avoid keywords, dates are real dates, and texts and comments hold no line breaks
    (the loader reads a lone CR as a line end)."""
    gen = generation_parser()
    word = re.compile(r"[^\W\d]\w*")
    keywords = {t.pattern.value for t in gen.terminals if t.pattern.type == "str" and word.fullmatch(t.pattern.value)}
    explicit: dict[str, st.SearchStrategy[str]] = {}
    for terminal in gen.terminals:
        if terminal.pattern.type == "str":
            explicit[terminal.name] = st.just(f" {terminal.pattern.value} ")
        elif terminal.name == "NAME":
            explicit["NAME"] = (
                st.text(alphabet=NAME_CHARS, min_size=1, max_size=8)
                .filter(lambda s: not s[0].isdigit() and s not in keywords)
                .map(lambda s: f" {s} ")
            )
        elif terminal.name == "DATE":
            explicit["DATE"] = st.dates(datetime.date(1990, 1, 1), datetime.date(2035, 12, 31)).map(lambda d: f" {d} ")
        elif terminal.name == "STRING":
            explicit["STRING"] = st.text(alphabet=PRINTABLE, max_size=8).map(
                lambda s: ' "' + s.replace("\\", "\\\\").replace('"', '\\"') + '" '
            )
        elif terminal.name == "COMMENT":
            explicit["COMMENT"] = st.text(alphabet=PRINTABLE, max_size=8).map(lambda s: f"\n#{s}\n")
        elif terminal.name == "WS":
            explicit["WS"] = st.sampled_from([" ", "\n", "\t", "\r\n"])
        else:
            regex = st.from_regex(terminal.pattern.to_regexp(), fullmatch=True)
            explicit[terminal.name] = regex.map(lambda s: f" {s} ")
    return from_lark(gen, explicit=explicit)


def test_generation_parser_has_the_same_terminals_as_the_real_one() -> None:
    assert {t.name for t in generation_parser().terminals} == {t.name for t in lark_parser().terminals}


@FUZZ_SETTINGS
@given(text=grammar_strategy())
def test_grammar_generated_files_parse_and_never_crash_the_checker(workspace: Path, text: str) -> None:
    report = check_text(workspace / "good" / "rulesets" / "_generated.ind", text)
    syntax = [d for d in report.diagnostics if d.code in SYNTAX_CODES]
    assert not syntax, f"the grammar accepts this text but the parser does not: {syntax[0].message}"
