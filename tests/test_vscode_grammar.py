"""The VS Code extension (editors/vscode): its TextMate grammar highlights exactly the language's
keywords (those of grammars/indicator.lark, as Lark builds them) and built-ins, its manifest
points at its files, and it packages into a .vsix with the npm toolchain."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from indicator_dsl.semantics.builtins import AGGREGATES, FUNCTIONS
from indicator_dsl.syntax.grammar import lark_parser

ROOT = Path(__file__).resolve().parents[1]
EXTENSION = ROOT / "editors" / "vscode"
GRAMMAR = json.loads((EXTENSION / "syntaxes" / "ind.tmLanguage.json").read_text(encoding="utf-8"))
WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def alternatives(pattern: str) -> set[str]:
    """The words of a `\\b(?:a|b|c)\\b` pattern."""
    match = re.fullmatch(r"\\b\(\?:([A-Za-z_|]+)\)\\b(?:\(\?=.*\))?", pattern)
    assert match, pattern
    return set(match[1].split("|"))


def lark_keywords() -> set[str]:
    terminals = lark_parser().terminals
    return {t.pattern.value for t in terminals if t.pattern.type == "str" and WORD.fullmatch(t.pattern.value)}


def test_the_grammar_highlights_exactly_the_languages_keywords() -> None:
    groups = GRAMMAR["repository"]["keywords"]["patterns"]
    words = [alternatives(group["match"]) for group in groups]
    highlighted = set().union(*words)
    assert sum(len(w) for w in words) == len(highlighted), "a keyword is in two groups"
    assert highlighted == lark_keywords()
    assert len(highlighted) >= 80


def test_the_builtins_are_the_semantics_table() -> None:
    assert alternatives(GRAMMAR["repository"]["builtin"]["match"]) == set(FUNCTIONS) | set(AGGREGATES)


def test_the_patterns_mark_what_they_should() -> None:
    repository = GRAMMAR["repository"]
    line = 'indicator election "按期换届" max 5 { deduct 5 when months_between(a, period.end) > 36 }  # 换届'
    assert re.search(repository["comment"]["match"], line)[0] == "# 换届"  # type: ignore[index]
    declaration = re.search(repository["declaration"]["match"], line)
    assert declaration is not None and declaration.groups() == ("indicator", "election")
    assert re.search(repository["builtin"]["match"], line)[0] == "months_between"  # type: ignore[index]
    assert [m[0] for m in re.finditer(repository["number"]["match"], "95% 2.5 2023")] == ["95%", "2.5", "2023"]
    assert re.fullmatch(repository["date"]["match"], "2023-12-31")


def test_the_manifest_points_at_the_extensions_files() -> None:
    manifest = json.loads((EXTENSION / "package.json").read_text(encoding="utf-8"))
    (language,) = manifest["contributes"]["languages"]
    (grammar,) = manifest["contributes"]["grammars"]
    assert language["id"] == grammar["language"] == "ind" and language["extensions"] == [".ind"]
    assert grammar["scopeName"] == GRAMMAR["scopeName"] == "source.ind"
    for relative in (manifest["main"], language["configuration"], grammar["path"]):
        assert (EXTENSION / relative).is_file(), relative
    assert manifest["contributes"]["configuration"]["properties"]["ind.server.args"]["default"] == ["lsp"]
    assert "vscode-languageclient" in manifest["dependencies"]
    configuration = json.loads((EXTENSION / "language-configuration.json").read_text(encoding="utf-8"))
    assert configuration["comments"] == {"lineComment": "#"}


@pytest.mark.skipif(
    shutil.which("npm") is None, reason="packaging needs Node.js 20+ and npm: apt-get install nodejs npm"
)
def test_the_extension_packages_into_a_vsix(tmp_path: Path) -> None:
    work = tmp_path / "vscode"
    shutil.copytree(EXTENSION, work, ignore=shutil.ignore_patterns("node_modules", "*.vsix"))
    install = subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund"], cwd=work, capture_output=True, text=True, check=False
    )
    if install.returncode:
        pytest.skip(f"npm install failed (is the npm registry reachable?): {install.stderr[-300:]}")
    package = subprocess.run(
        ["npx", "--no-install", "vsce", "package", "--out", "ind.vsix"],
        cwd=work,
        capture_output=True,
        text=True,
        check=False,
    )
    assert package.returncode == 0, package.stdout + package.stderr
    with zipfile.ZipFile(work / "ind.vsix") as vsix:
        names = set(vsix.namelist())
    assert {"extension/package.json", "extension/extension.js", "extension/syntaxes/ind.tmLanguage.json"} <= names
    assert any(n.startswith("extension/node_modules/vscode-languageclient/") for n in names)
    assert not any("/@vscode/vsce/" in n for n in names)  # build tools stay out
