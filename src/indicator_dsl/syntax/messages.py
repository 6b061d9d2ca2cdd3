"""Turning the generated parser's failures into messages for ruleset authors.

Lark reports terminal names (`RBRACE`, `__ANON_3`); authors think in words and
punctuation. The common slips (full-width punctuation, `=` for `==`, `&&`) get a hint.
"""

from __future__ import annotations

from ._standalone import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken
from .diagnostics import Diagnostic
from .grammar import lark_parser
from .source import SourceFile, Span

_FULL_WIDTH = {
    "，": ",",
    "：": ":",
    "（": "(",
    "）": ")",
    "“": '"',
    "”": '"',
    "；": ";",
    "【": "[",
    "】": "]",
    "＝": "=",
    "＞": ">",
    "＜": "<",
    "％": "%",
    "｛": "{",
    "｝": "}",
}
_WORDS = {
    "NAME": "a name",
    "STRING": 'a quoted text ("...")',
    "INT": "a whole number",
    "NUMBER": "a number",
    "PERCENT": "a percentage",
    "DATE": "a date (YYYY-MM-DD)",
    "COMPARE_OP": "a comparison (== != < <= > >=)",
    "$END": "end of file",
}
_MAX_LISTED = 10
_MAX_SHOWN = 40  # a token longer than this (a 10 MB run of letters) is cut in the message


def _shown(text: str) -> str:
    return text if len(text) <= _MAX_SHOWN else text[:_MAX_SHOWN] + "…"


def _terminal_word(name: str) -> str:
    if name in _WORDS:
        return _WORDS[name]
    try:
        pattern = lark_parser().get_terminal(name).pattern
    except KeyError:
        return name
    if pattern.type == "str":
        return f"`{pattern.value}`"
    return name.lower()


def _expected(names: set[str]) -> str:
    words = sorted({_terminal_word(name) for name in names}, key=lambda w: (not w.startswith("a "), w))
    if len(words) > _MAX_LISTED:
        return ", ".join(words[:_MAX_LISTED]) + ", …"
    return ", ".join(words)


def _hint_for(found: str, expected: set[str]) -> str | None:
    if found in _FULL_WIDTH:
        return f"use the ASCII `{_FULL_WIDTH[found]}` instead of the full-width `{found}`"
    if found == "=" and "COMPARE_OP" in expected:
        return "compare with `==`; a single `=` only names a value"
    if found in ("&", "&&"):
        return "write `and`"
    if found in ("|", "||"):
        return "write `or`"
    if found == "!":
        return "write `not`, or `!=` to compare"
    if found == "'":
        return 'texts are written in double quotes: "..."'
    return None


def describe_unexpected(source: SourceFile, error: UnexpectedInput) -> Diagnostic:
    if isinstance(error, UnexpectedCharacters):
        position = error.pos_in_stream or 0
        found = source.text[position] if position < len(source.text) else ""
        span = Span.at(source, position, position + 1)
        if found == '"':
            return Diagnostic("E011", "this text is never closed", span, hint='close it with `"` on the same line')
        parser = getattr(error, "interactive_parser", None)
        expected = set(parser.accepts()) if parser is not None else set(error.allowed or ())
        return Diagnostic(
            "E011",
            f"unexpected character `{found}`" + (f"; expected {_expected(expected)}" if expected else ""),
            span,
            hint=_hint_for(found, expected),
        )
    if isinstance(error, UnexpectedEOF):
        end = len(source.text)
        return Diagnostic(
            "E012",
            f"the file ends too early; expected {_expected(set(error.expected))}",
            Span.at(source, end, end),
            hint="a `{` may be missing its `}`",
        )
    assert isinstance(error, UnexpectedToken)
    token = error.token
    expected = set(error.accepts or error.expected)
    if token.type == "$END":
        end = len(source.text)
        return Diagnostic(
            "E012",
            f"the file ends too early; expected {_expected(expected)}",
            Span.at(source, end, end),
            hint="a `{` may be missing its `}`" if "RBRACE" in expected else None,
        )
    start = token.start_pos or 0
    span = Span.at(source, start, token.end_pos if token.end_pos is not None else start + len(str(token)))
    return Diagnostic(
        "E010",
        f"unexpected `{_shown(str(token))}`; expected {_expected(expected)}",
        span,
        hint=_hint_for(str(token), expected),
    )
