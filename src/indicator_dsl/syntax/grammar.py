"""The grammar and the parser generated from it.

`grammars/indicator.lark` is the source of truth. The parser that runs is `_standalone.py`,
generated from it by `python -m indicator_dsl.syntax.build_parser` and committed (a test fails
when the two disagree). Starting it reads no cache and no pickle and does not import Lark: the
tables are Python literals in the module, so nothing outside the package is read at start-up
and a file planted in a shared temp directory can never run.

The grammar text itself ships inside the wheel (`indicator_dsl/grammars/indicator.lark`,
forced in by hatch) for readers and tools; a source checkout reads the top-level `grammars/`
folder instead, so the two can never differ.
"""

from __future__ import annotations

import functools
from pathlib import Path

from ._standalone import Lark, Lark_StandAlone

GRAMMAR_NAME = "indicator.lark"


def grammar_path() -> Path:
    """The packaged grammar beside this module (a wheel), else the checkout's `grammars/`.

    A plain path next to `__file__` is what `importlib.resources` resolves to for an installed
    package; asking it directly saves importing `importlib.resources` (tens of ms at start-up)."""
    packaged = Path(__file__).parents[1] / "grammars" / GRAMMAR_NAME
    if packaged.is_file():
        return packaged
    return Path(__file__).resolve().parents[3] / "grammars" / GRAMMAR_NAME


def grammar_text() -> str:
    return grammar_path().read_text(encoding="utf-8")


@functools.cache
def lark_parser() -> Lark:
    """The generated LALR parser (options in `build_parser.OPTIONS`), built once per process."""
    parser: Lark = Lark_StandAlone()
    return parser
