"""Loading the Lark grammar once.

The grammar ships inside the wheel (`indicator_dsl/grammars/indicator.lark`, forced in by
hatch); a source checkout reads the top-level `grammars/` folder instead, so the two
can never differ. The parser is built once per process behind `functools.cache` and
Lark's own cache makes the next process start fast.
"""

from __future__ import annotations

import functools
from pathlib import Path

from lark import Lark

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
    """LALR with the contextual lexer, so a keyword is read as a keyword only where the grammar
    can use it. (The basic lexer starts about 0.1 s faster and passed the suite; see
    docs/performance.md for why it is not the default yet.)"""
    return Lark(
        grammar_text(),
        parser="lalr",
        lexer="contextual",
        propagate_positions=True,
        maybe_placeholders=False,
        cache=True,
    )
