"""`ind lsp` driven over its protocol, as an editor drives it: a subprocess on stdio
(tests/lsp_client.py), initialize → didOpen → publishDiagnostics, hover, definition,
completion, formatting, document symbols; on the shipped rulesets and on broken ones (every
file of the bad corpus: the diagnostics equal `ind check --format json`'s)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("pygls", reason="the language server needs pygls: pip install -e '.[lsp]'")

from lsp_client import Client, uri

from indicator_dsl.syntax.formatter import format_source
from indicator_dsl.syntax.source import SourceFile

ROOT = Path(__file__).resolve().parents[1]
JIANGSU = ROOT / "rulesets" / "jiangsu"
RETIRED = JIANGSU / "categories" / "retired.ind"
COMMON = JIANGSU / "common.ind"
SCHEMA = JIANGSU / "schema" / "branch.ind"
BAD = sorted((ROOT / "tests" / "corpus" / "bad").rglob("*.ind"))


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    lsp = Client(ROOT)
    lsp.initialize(ROOT)
    try:
        yield lsp
    finally:
        lsp.close()


def position(path: Path, needle: str, offset: int = 1, nth: int = 0) -> tuple[int, int]:
    """0-based (line, character) `offset` characters into the `nth` occurrence of `needle`."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
        for match in re.finditer(re.escape(needle), line):
            if nth == 0:
                return number, match.start() + offset
            nth -= 1
    raise AssertionError(f"{needle} not in {path}")


def line_of(path: Path, pattern: str) -> int:
    """The 0-based line of the first match of `pattern`."""
    return next(i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines()) if re.search(pattern, line))


def as_check_json(diagnostic: dict[str, Any]) -> tuple[object, ...]:
    message, _, hint = diagnostic["message"].partition("\nhint: ")
    start, end = diagnostic["range"]["start"], diagnostic["range"]["end"]
    severity = "error" if diagnostic["severity"] == 1 else "warning"
    return (
        diagnostic["code"],
        severity,
        start["line"] + 1,
        start["character"] + 1,
        end["line"] + 1,
        end["character"] + 1,
        message,
        hint or None,
    )


def ind_check_json(path: Path) -> list[tuple[object, ...]]:
    run = subprocess.run(
        [sys.executable, "-m", "indicator_dsl", "check", "--format", "json", str(path.relative_to(ROOT))],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    entries = json.loads(run.stdout)
    return [
        (e["code"], e["severity"], e["line"], e["column"], e["end_line"], e["end_column"], e["message"], e["hint"])
        for e in entries
        if (ROOT / e["file"]).resolve() == path.resolve()
    ]


# ---------------------------------------------------------------- initialize and diagnostics


def test_initialize_announces_every_feature() -> None:
    lsp = Client(ROOT)
    try:
        capabilities = lsp.initialize(ROOT)["capabilities"]
    finally:
        lsp.close()
    for feature in ("hoverProvider", "definitionProvider", "documentFormattingProvider", "documentSymbolProvider"):
        assert capabilities.get(feature), feature
    assert set(capabilities["completionProvider"]["triggerCharacters"]) == {".", '"'}


def test_a_shipped_ruleset_opens_without_diagnostics(client: Client) -> None:
    client.open(RETIRED)
    assert client.diagnostics(RETIRED) == []


@pytest.mark.parametrize("path", BAD, ids=[str(p.relative_to(ROOT / "tests" / "corpus" / "bad")) for p in BAD])
def test_broken_rulesets_get_the_diagnostics_of_ind_check(client: Client, path: Path) -> None:
    client.open(path)
    got = sorted(as_check_json(d) for d in client.diagnostics(path))
    assert got == sorted(ind_check_json(path))


def test_the_bad_corpus_gives_diagnostics_at_all() -> None:
    assert len(BAD) >= 50
    assert sum(1 for p in BAD[:20] if ind_check_json(p)) >= 10


def test_diagnostics_follow_typing_and_unsaved_imports(client: Client, tmp_path: Path) -> None:
    project = tmp_path / "p"
    (project / "schema").mkdir(parents=True)
    (project / ".indroot").write_text("", encoding="utf-8")
    schema = project / "schema" / "s.ind"
    schema.write_text('schema s\n\ntype R {\n  n: int "人数"\n}\n', encoding="utf-8")
    table = project / "t.ind"
    good = (
        'import "schema/s.ind"\n\nruleset t\nrecord R\ntotal 5\n\n'
        "dimension d max 5 {\n  indicator a max 5 { deduct 5 when n < 3 }\n}\n"
    )
    table.write_text(good, encoding="utf-8")
    client.open(table)
    assert client.diagnostics(table) == []
    client.change(table, good.replace("n < 3", "members < 3"), 2)  # checked after the pause
    codes = [d["code"] for d in client.diagnostics_after_typing(table)]
    assert codes and all(c.startswith("E") for c in codes)
    client.change(table, good, 3)
    assert client.diagnostics_after_typing(table) == []
    # An unsaved edit of the imported schema counts: `n` is gone from the buffer, not the file.
    client.open(schema, 'schema s\n\ntype R {\n  m: int "人数"\n}\n')
    client.diagnostics(schema)
    client.change(table, good + "\n", 4)
    unknown = client.diagnostics_after_typing(table)
    assert [d["range"]["start"]["line"] for d in unknown] == [7]
    assert "`n`" in unknown[0]["message"] or "n" in unknown[0]["message"]


# ---------------------------------------------------------------- hover and definition


def test_hover_on_an_overridden_indicator_shows_its_chain_and_standard(client: Client) -> None:
    client.open(RETIRED)
    line, character = position(RETIRED, "override indicator theme_day", offset=20)
    text = client.at("textDocument/hover", RETIRED, line, character)["contents"]["value"]
    assert "indicator **theme_day** 主题党日(每两月1次) — max 6, dimension `activities`" in text
    assert f"overridden in `retired` at `rulesets/jiangsu/categories/retired.ind:{line + 1}`" in text
    assert f"declared in `common` at `rulesets/jiangsu/common.ind:{line_of(COMMON, 'indicator theme_day') + 1}`" in text
    assert "评分标准: " in text


def test_definition_of_an_override_goes_to_what_it_overrides(client: Client) -> None:
    client.open(RETIRED)
    line, character = position(RETIRED, "override indicator theme_day", offset=20)
    location = client.at("textDocument/definition", RETIRED, line, character)
    assert location["uri"] == uri(COMMON)
    assert location["range"]["start"]["line"] == line_of(COMMON, r"indicator theme_day ")


def test_hover_and_definition_of_a_field_inside_an_aggregate(client: Client) -> None:
    client.open(RETIRED)
    line, character = position(RETIRED, "m.held_on", offset=3)
    hover = client.at("textDocument/hover", RETIRED, line, character)["contents"]["value"]
    assert hover.startswith("**held_on**: `date` — 召开日期")
    assert "`Meeting` in `rulesets/jiangsu/schema/branch.ind`" in hover
    location = client.at("textDocument/definition", RETIRED, line, character)
    assert location["uri"] == uri(SCHEMA)
    held_on = line_of(SCHEMA, r"^\s+held_on:")
    assert location["range"] == {"start": {"line": held_on, "character": 2}, "end": {"line": held_on, "character": 9}}


def test_definition_of_extends_imports_and_lets(client: Client) -> None:
    client.open(RETIRED)
    line, character = position(RETIRED, "extends common", offset=10)
    assert client.at("textDocument/definition", RETIRED, line, character)["range"]["start"]["line"] == line_of(
        COMMON, "^ruleset common"
    )
    line, character = position(RETIRED, 'import "../common.ind"', offset=10)
    assert client.at("textDocument/definition", RETIRED, line, character)["uri"] == uri(COMMON)
    line, character = position(RETIRED, "not has_committee", offset=6)
    location = client.at("textDocument/definition", RETIRED, line, character)
    assert (location["uri"], location["range"]["start"]["line"]) == (
        uri(COMMON),
        line_of(COMMON, r"let has_committee ="),
    )


def test_hover_on_a_function_and_a_grade(client: Client) -> None:
    client.open(COMMON)
    line, character = position(COMMON, "months_between(", offset=3)
    text = client.at("textDocument/hover", COMMON, line, character)["contents"]["value"]
    assert "months_between(date, date) → int" in text
    line, character = position(COMMON, "cap lagging", offset=6)
    grade = client.at("textDocument/hover", COMMON, line, character)["contents"]["value"]
    assert grade.startswith("grade **lagging** 后进 (3 of 3, best first)")
    assert client.at("textDocument/definition", COMMON, line, character)["range"]["start"]["line"] == line_of(
        COMMON, r"^\s+lagging\s"
    )


# ---------------------------------------------------------------- completion, formatting, symbols


def labels(result: dict[str, Any]) -> set[str]:
    return {item["label"] for item in result["items"]}


def test_completion_offers_fields_enum_values_keywords_and_grades(client: Client, tmp_path: Path) -> None:
    text = RETIRED.read_text(encoding="utf-8")
    typing = text + 'let probe = count(m in meetings where m.kind == "'
    client.open(RETIRED)
    client.change(RETIRED, typing, 10)
    client.diagnostics_after_typing(RETIRED)
    last = len(typing.splitlines()) - 1
    end = len(typing.splitlines()[-1])
    values = labels(client.at("textDocument/completion", RETIRED, last, end))
    assert {"支部党员大会", "支委会", "主题党日", "民主评议党员"} <= values
    members = labels(client.at("textDocument/completion", RETIRED, last, end - len('kind == "')))
    assert {"kind", "held_on", "attendance", "by_secretary"} <= members
    assert "committee" not in members  # a Branch field, not a Meeting's
    general = labels(client.at("textDocument/completion", RETIRED, last, len("let probe = ")))
    assert {"indicator", "bands", "deduct", "veto", "advanced", "lagging", "meetings", "count", "floor"} <= general
    client.change(RETIRED, text, 11)
    assert client.diagnostics_after_typing(RETIRED) == []


def test_formatting_returns_the_formatters_text(client: Client, tmp_path: Path) -> None:
    path = tmp_path / "messy.ind"
    messy = "ruleset   r\nlet a=1\n"
    path.write_text(messy, encoding="utf-8")
    client.open(path)
    edits = client.request(
        "textDocument/formatting",
        {"textDocument": {"uri": uri(path)}, "options": {"tabSize": 2, "insertSpaces": True}},
    )
    assert [e["newText"] for e in edits] == [format_source(SourceFile("x", messy)).text]
    assert edits[0]["range"]["start"] == {"line": 0, "character": 0}


def test_document_symbols_outline_dimensions_and_indicators(client: Client) -> None:
    client.open(COMMON)
    symbols = client.request("textDocument/documentSymbol", {"textDocument": {"uri": uri(COMMON)}})
    by_name = {s["name"]: s for s in symbols}
    organisation = by_name["organisation"]
    assert organisation["detail"] == "基本组织 max 15"
    assert [c["name"] for c in organisation["children"]][:2] == ["committee_setup", "election"]
    assert {"team", "activities", "institutions", "support", "grades"} <= set(by_name)
