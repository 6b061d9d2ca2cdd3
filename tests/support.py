"""Helpers more than one test module needs (kept here so each is written once)."""

from __future__ import annotations

import subprocess
import sys
from functools import cache
from pathlib import Path

import indicator_dsl

ROOT = Path(__file__).resolve().parents[1]
EVAL_RULESETS = ROOT / "tests" / "eval_fixtures" / "rulesets"
# The language specification's complete examples, copied into the repository (examples/spec/README.md):
# the suite reads these, never the specification itself.
SPEC_EXAMPLES = ROOT / "examples" / "spec"

_CLEAN_RULESET = """\
import "{schema}"

ruleset clean "干净的规则集" version "1"
record Branch
period 2023-01-01 to 2023-12-31
total 10

dimension team "基本队伍" max 10 {{
  indicator training "书记轮训" max 10 {{ deduct 10 when not secretary_trained }}
}}
"""


def clean_ruleset(schema: Path) -> str:
    """A small ruleset that checks clean against the spec's branch schema at `schema`."""
    return _CLEAN_RULESET.format(schema=schema.as_posix())


def project_with(folder: Path, *schemas: Path) -> Path:
    """Make `folder` a project root (an `.indroot` marker) holding copies of `schemas`, which files
    written below it may import (imports may not leave the project); returns the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / ".indroot").write_bytes(b"")
    for schema in schemas:
        (folder / schema.name).write_bytes(schema.read_bytes())
    return folder


@cache
def eval_ruleset(name: str, backend: str = "compiled") -> indicator_dsl.Ruleset:
    """A fixture ruleset from tests/eval_fixtures/rulesets, loaded once per backend."""
    rs = indicator_dsl.load(EVAL_RULESETS / f"{name}.ind", backend=backend)
    assert isinstance(rs, indicator_dsl.Ruleset)
    return rs


def run_ind(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """`ind ARGS...` through the real entry point in a new process, its output as text."""
    return subprocess.run(
        [sys.executable, "-m", "indicator_dsl", *map(str, args)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=180,
        cwd=cwd,
    )
