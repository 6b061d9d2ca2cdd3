"""Compiled engines are cached by content, and the cache is bounded: a host that reloads edited
rulesets for months (`ind serve --watch`) keeps the most recently used engines, not every version
it ever compiled."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.support import ROOT, project_with

import indicator_dsl
from indicator_dsl import api

RULESET = ROOT / "benchmarks" / "party_gov.ind"
SCHEMA = ROOT / "benchmarks" / "schema" / "branch.ind"


def _version(folder: Path, version: str) -> Path:
    """A copy of the benchmark ruleset that differs only in its version (so in its content)."""
    path = folder / "party_gov.ind"
    text = RULESET.read_text(encoding="utf-8").replace('version "2023.1"', f'version "{version}"', 1)
    path.write_text(text.replace('import "schema/branch.ind"', 'import "branch.ind"'), encoding="utf-8")
    return path


def test_the_same_ruleset_loaded_twice_shares_its_engine(tmp_path: Path) -> None:
    path = _version(project_with(tmp_path, SCHEMA), "cache.1")
    first = indicator_dsl.load(path)
    second = indicator_dsl.load(path)
    assert isinstance(first, indicator_dsl.Ruleset) and isinstance(second, indicator_dsl.Ruleset)
    assert first.engine is second.engine


def test_the_cache_keeps_the_most_recently_used_engines_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(api, "_ENGINES", type(api._ENGINES)())
    monkeypatch.setattr(api, "MAX_CACHED_ENGINES", 2)
    folder = project_with(tmp_path, SCHEMA)
    models = []
    for version in ("a", "b", "c"):
        model = indicator_dsl.load(_version(folder, version))
        assert isinstance(model, indicator_dsl.Ruleset)
        models.append(model)
    assert len(api._ENGINES) == 2
    cached = list(api._ENGINES.values())
    assert cached == [models[1].engine, models[2].engine]  # "a", the oldest, was dropped
    again = indicator_dsl.load(_version(folder, "c"))
    assert isinstance(again, indicator_dsl.Ruleset) and again.engine is models[2].engine
    assert models[0].evaluate({"id": "B1"}).ruleset.version == "a"  # a model keeps its own engine
