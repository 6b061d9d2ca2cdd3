"""The language reference and the author's guide cannot drift from the grammar and the rulesets.

- Every rule name, tree-node alias and terminal of `grammars/indicator.lark`, and every keyword
  literal (a quoted string that is a word), appears in `docs/reference.md` in backticks.
- Every function and every aggregate of the table of built-ins (`semantics.builtins`)
  is documented there, written as a call or a name in backticks.
- Every ```ind block of `docs/reference.md` and `docs/guide.md` is a complete file that parses;
  blocks fenced ```ind-fragment are pieces of a file and are skipped. Complete rulesets and
  catalogs must also check without errors, resolved from `rulesets/jiangsu/categories/` (so
  `import "../schema/branch.ind"` and `import "../common.ind"` reach the Jiangsu files).
- A block of any `docs/*.md` preceded by `<!-- quote: PATH -->` quotes PATH verbatim: each run
  of its lines between elisions (`...` lines) occurs in that file as consecutive lines, with
  the same indentation up to one shift for the whole run (the file's comment and blank lines
  may be left out), the runs in the same order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from indicator_dsl.check.paths import check_resolved, unique_sorted
from indicator_dsl.check.resolver import Resolver
from indicator_dsl.semantics.builtins import AGGREGATES, FUNCTIONS
from indicator_dsl.syntax.grammar import grammar_text, lark_parser
from indicator_dsl.syntax.parser import parse_source
from indicator_dsl.syntax.source import SourceFile

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "docs" / "reference.md"
GUIDE = ROOT / "docs" / "guide.md"
DOCS = (REFERENCE, GUIDE)
CHECK_BASE = ROOT / "rulesets" / "jiangsu" / "categories"

WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
FENCE = re.compile(r"^(?P<indent> *)(?P<ticks>`{3,})(?P<info>[^`\n]*)$")
QUOTE = re.compile(r"<!--\s*quote:\s*(?P<path>\S+)\s*-->")
ELISION = {"...", "…", "# ...", "# …"}


# ---------------------------------------------------------------- reading the grammar


def _grammar_without_comments_and_regexps() -> str:
    """The grammar text with `// comments` and `/regexp/` terminal bodies removed, so the quotes
    inside a regexp (the STRING terminal) are not read as keyword literals."""
    lines = []
    for line in grammar_text().splitlines():
        line = re.sub(r"//.*$", "", line)
        line = re.sub(r"(?<![\"\w])/(?:[^/\\\n]|\\.)+/[imslux]*", " ", line)
        lines.append(line)
    return "\n".join(lines)


def grammar_rule_names() -> set[str]:
    text = _grammar_without_comments_and_regexps()
    rules = set(re.findall(r"^\s*[?!]?([a-z_][a-z0-9_]*)(?:\.\d+)?\s*:", text, re.M))
    aliases = set(re.findall(r"->\s*([a-z_][a-z0-9_]*)", text))
    return rules | aliases


def grammar_terminal_names() -> set[str]:
    text = _grammar_without_comments_and_regexps()
    return set(re.findall(r"^\s*([A-Z_][A-Z0-9_]*)(?:\.\d+)?\s*:", text, re.M))


def grammar_keywords() -> set[str]:
    text = _grammar_without_comments_and_regexps()
    return {lit for lit in re.findall(r'"((?:[^"\\\n]|\\.)*)"', text) if WORD.fullmatch(lit)}


def test_extraction_agrees_with_lark() -> None:
    """The text extraction above sees what Lark itself builds from the grammar."""
    parser = lark_parser()
    lark_keywords = {
        t.pattern.value for t in parser.terminals if t.pattern.type == "str" and WORD.fullmatch(t.pattern.value)
    }
    assert grammar_keywords() == lark_keywords
    lark_rules = {str(r.origin.name) for r in parser.rules} | {str(r.alias) for r in parser.rules if r.alias}
    public = {name for name in lark_rules if not name.startswith("_")}
    assert public <= grammar_rule_names()
    assert {"start", "expr", "ruleset", "catalog", "schema"} <= grammar_rule_names()
    named_terminals = {t.name for t in parser.terminals if not t.name.startswith("_") and not t.name.startswith("__")}
    assert grammar_terminal_names() <= named_terminals | {"COMMENT"}
    assert len(grammar_keywords()) > 50


# ---------------------------------------------------------------- the reference names everything


def _reference() -> str:
    return REFERENCE.read_text(encoding="utf-8")


def _in_backticks(name: str, text: str) -> bool:
    return f"`{name}`" in text


@pytest.mark.parametrize("rule", sorted(grammar_rule_names()))
def test_every_grammar_rule_is_explained(rule: str) -> None:
    assert _in_backticks(rule, _reference()), f"grammar rule `{rule}` is not explained in docs/reference.md"


@pytest.mark.parametrize("terminal", sorted(grammar_terminal_names()))
def test_every_terminal_is_explained(terminal: str) -> None:
    assert _in_backticks(terminal, _reference()), f"terminal `{terminal}` is not explained in docs/reference.md"


@pytest.mark.parametrize("keyword", sorted(grammar_keywords()))
def test_every_keyword_is_documented(keyword: str) -> None:
    assert _in_backticks(keyword, _reference()), f"keyword `{keyword}` is not in backticks in docs/reference.md"


def _documented_callable(name: str, text: str) -> bool:
    return re.search(rf"`{re.escape(name)}(\(|`)", text) is not None


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_every_function_is_documented(function: str) -> None:
    assert _documented_callable(function, _reference()), f"function `{function}(...)` is not documented"


@pytest.mark.parametrize("aggregate", sorted(AGGREGATES))
def test_every_aggregate_is_documented(aggregate: str) -> None:
    text = _reference()
    pattern = rf"`{re.escape(aggregate)}\(\w+ in "
    assert re.search(pattern, text), f"aggregate `{aggregate}(x in L ...)` is not documented"


# ---------------------------------------------------------------- code blocks


@dataclass(frozen=True)
class Block:
    doc: Path
    line: int  # 1-based line of the opening fence
    info: str
    text: str
    quote: str | None  # the file a `<!-- quote: ... -->` marker names

    @property
    def where(self) -> str:
        return f"{self.doc.relative_to(ROOT)}:{self.line}"


def code_blocks(doc: Path) -> list[Block]:
    if not doc.is_file():
        return []  # test_docs_have_checked_examples reports it
    lines = doc.read_text(encoding="utf-8").splitlines()
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        match = FENCE.match(lines[i])
        if not match:
            i += 1
            continue
        ticks, info, indent = match["ticks"], match["info"].strip(), len(match["indent"])
        start = i
        body: list[str] = []
        i += 1
        while i < len(lines) and not re.match(rf"^ *{ticks}\s*$", lines[i]):
            body.append(lines[i][indent:] if lines[i][:indent].strip() == "" else lines[i])
            i += 1
        if i == len(lines):
            raise AssertionError(f"{doc.relative_to(ROOT)}:{start + 1}: code block is never closed")
        i += 1
        quote = None
        back = start - 1
        while back >= 0 and not lines[back].strip():
            back -= 1
        if back >= 0:
            marker = QUOTE.search(lines[back])
            quote = marker["path"] if marker else None
        blocks.append(Block(doc, start + 1, info, "\n".join(body) + "\n", quote))
    return blocks


def _all_blocks() -> list[Block]:
    return [b for doc in DOCS for b in code_blocks(doc)]


def _ind_blocks() -> list[Block]:
    return [b for b in _all_blocks() if b.info == "ind"]


def test_docs_have_checked_examples() -> None:
    for doc in DOCS:
        assert doc.is_file(), f"{doc.relative_to(ROOT)} is missing"
    blocks = _all_blocks()
    assert sum(1 for b in blocks if b.doc == REFERENCE and b.info == "ind") >= 5
    assert sum(1 for b in blocks if b.doc == GUIDE and b.info in ("ind", "ind-fragment")) >= 10
    assert any(b.quote for b in blocks if b.doc == GUIDE)
    unknown = [b.where for b in blocks if b.info.startswith("ind") and b.info not in ("ind", "ind-fragment")]
    assert not unknown, f"unknown fence language (use ind or ind-fragment): {unknown}"


@pytest.mark.parametrize("block", _ind_blocks(), ids=lambda b: b.where)
def test_complete_ind_blocks_parse(block: Block) -> None:
    result = parse_source(SourceFile(block.where, block.text))
    messages = [f"{d.code} {d.span.line}:{d.span.column} {d.message}" for d in result.diagnostics]
    assert result.module is not None and not messages, f"{block.where} does not parse: {messages}"


@pytest.mark.parametrize("block", _ind_blocks(), ids=lambda b: b.where)
def test_complete_ind_blocks_check(block: Block) -> None:
    resolver = Resolver()
    resolved = resolver.resolve_text(block.text, block.where, base_dir=CHECK_BASE)
    check_resolved(resolver, [resolved])
    errors = [
        f"{d.code} {d.span.path}:{d.span.line}:{d.span.column} {d.message}"
        for d in unique_sorted(resolver.diagnostics)
        if d.is_error
    ]
    assert resolved is not None and not errors, f"{block.where} does not check: {errors}"


def _quoted_blocks() -> list[Block]:
    return [b for doc in sorted((ROOT / "docs").glob("*.md")) for b in code_blocks(doc) if b.quote]


def _runs(text: str) -> list[list[str]]:
    """The block's lines split at elisions, blank lines at the ends of a run dropped."""
    runs: list[list[str]] = [[]]
    for line in text.splitlines():
        if line.strip() in ELISION:
            runs.append([])
        else:
            runs[-1].append(line.rstrip())
    trimmed = [_trim(run) for run in runs]
    return [run for run in trimmed if run]


def _trim(run: list[str]) -> list[str]:
    while run and not run[0]:
        run = run[1:]
    while run and not run[-1]:
        run = run[:-1]
    return run


def _occurs_at(run: list[str], lines: list[str], start: int) -> int | None:
    """Where `run` ends if it is `lines[start:]`'s first lines, shifted right by one amount
    (the file's comment and blank lines a quote may leave out), else None."""
    if start >= len(lines):
        return None
    shift = len(lines[start]) - len(run[0])
    if shift < 0 or not lines[start].endswith(run[0]):
        return None
    pad = " " * shift
    at = start
    for want in run:
        while at < len(lines) and lines[at] != pad + want and lines[at].strip()[:1] in ("", "#"):
            at += 1
        if at == len(lines) or lines[at] != pad + want:
            return None
        at += 1
    return at


@pytest.mark.parametrize("block", _quoted_blocks(), ids=lambda b: b.where)
def test_quoted_snippets_match_their_files(block: Block) -> None:
    assert block.quote is not None
    source = ROOT / block.quote
    assert source.is_file(), f"{block.where} quotes {block.quote}, which does not exist"
    lines = [line.rstrip() for line in source.read_text(encoding="utf-8").splitlines()]
    position = 0
    for run in _runs(block.text):
        found = next((e for i in range(position, len(lines)) if (e := _occurs_at(run, lines, i)) is not None), None)
        if found is None:
            pytest.fail(
                f"{block.where}: these lines are not in {block.quote} (after line {position}):\n" + "\n".join(run)
            )
        position = found


def test_a_quote_that_drifted_from_its_file_is_caught() -> None:
    lines = ["dimension d {", "  indicator a max 1 {", "    judged", "  }", "}"]
    assert _occurs_at(["indicator a max 1 {", "  judged"], lines, 1) == 3
    assert _occurs_at(["indicator a max 1 {", "  judged"], [*lines[:2], "    # why", *lines[2:]], 1) == 4
    assert _occurs_at(["indicator a max 1 {", "judged"], lines, 1) is None  # indentation changed
    assert _occurs_at(["indicator a max 1 {", "  }"], lines, 1) is None  # a line left out without `...`
    assert _runs("a\n...\n  b\n\n") == [["a"], ["  b"]]
