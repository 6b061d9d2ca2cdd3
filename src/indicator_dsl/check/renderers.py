"""Diagnostics as text, JSON, SARIF 2.1.0 and GitHub Actions annotations.

Pure functions: each takes `Diagnostic` values and returns a string; nothing here
prints or reads files. Output keeps the order it is given (stages already report root
causes first); `diagnostics.sort_key` is there for callers that want file order.
Every non-empty result ends with a newline, so write it with `sys.stdout.write`.

Text snippets are laid out in *display cells*, not characters: a CJK or full-width
character takes two cells (`unicodedata.east_asian_width` 'W'/'F'), a combining mark
none, and a tab advances to the next multiple of `TAB_WIDTH` cells. The tab is expanded
in the shown line and the carets are computed from the same layout, so they always sit
under the span.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from urllib.parse import quote

from ..syntax.cells import TAB_WIDTH, char_width, display_width, layout
from ..syntax.diagnostics import CODES, Diagnostic, Severity
from ..syntax.source import SourceFile, Span

TOOL_NAME = "indicator_dsl"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"

_RESET = "\x1b[0m"
_BOLD = "\x1b[1m"
_BLUE = "\x1b[1;34m"
_SEVERITY_COLOR = {Severity.ERROR: "\x1b[1;31m", Severity.WARNING: "\x1b[1;33m"}
_WINDOWS_DRIVE = re.compile(r"^[A-Za-z]:/")


def _underline(starts: list[int], span: Span) -> tuple[int, int]:
    """(offset, caret count) in cells for `span` on its first line; at least one caret.

    Columns are 1-based characters, `end_column` exclusive. A span that runs onto later
    lines is underlined to the end of its first line; a column past the end of the line
    (the end-of-file position) points just after the last character.
    """
    length = len(starts) - 1
    first = min(max(span.column - 1, 0), length)
    last = length if span.end_line > span.line else min(max(span.end_column - 1, first), length)
    return starts[first], max(starts[last] - starts[first], 1)


# --------------------------------------------------------------------------- text


def _paint(text: str, style: str, color: bool) -> str:
    return f"{style}{text}{_RESET}" if color and text else text


def _where(span: Span) -> str:
    return str(span) if span.line >= 1 else span.path


_MAX_SHOWN = 240  # characters of a source line shown around a span; longer lines are clipped
_CONTEXT = 60


def _clip(text: str, span: Span) -> tuple[str, Span]:
    """A window of a very long line around the span, marked with `…`, and the span moved into it."""
    if len(text) <= _MAX_SHOWN:
        return text, span
    start = 0 if span.column + _CONTEXT <= _MAX_SHOWN else span.column - 1 - _CONTEXT
    end = min(len(text), start + _MAX_SHOWN)
    prefix = "…" if start > 0 else ""
    window = prefix + text[start:end] + ("…" if end < len(text) else "")
    shift = start - len(prefix)
    last = span.end_column if span.end_line == span.line else len(text) + 1
    moved = replace(
        span,
        column=span.column - shift,
        end_line=span.line,
        end_column=max(span.column - shift, min(last, end + 1) - shift),
    )
    return window, moved


def _snippet(span: Span, source: SourceFile | None, style: str, color: bool) -> list[str]:
    if source is None or span.line < 1 or span.line > source.line_count:
        return []
    text, span = _clip(source.line_text(span.line), span)
    shown, starts = layout(text)
    offset, carets = _underline(starts, span)
    number = str(span.line)
    gutter = _paint(f"  {number} |", _BLUE, color)
    blank = _paint(" " * (len(number) + 2) + " |", _BLUE, color)
    return [
        f"{gutter} {shown}" if shown else gutter,
        f"{blank} {' ' * offset}{_paint('^' * carets, style, color)}",
    ]


def _summary(diagnostics: Sequence[Diagnostic]) -> str:
    errors = sum(1 for d in diagnostics if d.is_error)
    warnings = len(diagnostics) - errors
    parts = []
    if errors:
        parts.append(f"{errors} error" + ("s" if errors != 1 else ""))
    if warnings:
        parts.append(f"{warnings} warning" + ("s" if warnings != 1 else ""))
    return ", ".join(parts)


def render_text(diagnostics: Sequence[Diagnostic], sources: Mapping[str, SourceFile], *, color: bool = False) -> str:
    """Compiler-style report: header, source line with carets, hint, docs pointer, notes; then a summary.

    ```
    rules/a.ind:3:18: error[E200]: unknown name `membrs`
      3 |   deduct 10 when membrs > 3
        |                  ^^^^^^
      = hint: did you mean `members`?
      = see docs/errors/E200.md
      note: schema/branch.ind:14:3: `members` is declared here

    1 error
    ```

    The snippet is left out when the file is not in `sources` or the line is not in it.
    Returns "" for no diagnostics.
    """
    if not diagnostics:
        return ""
    blocks: list[str] = []
    for diagnostic in diagnostics:
        severity = diagnostic.severity
        style = _SEVERITY_COLOR[severity]
        span = diagnostic.span
        label = _paint(f"{severity.value}[{diagnostic.code}]", style, color)
        lines = [f"{_paint(_where(span) + ':', _BOLD, color)} {label}{_paint(': ' + diagnostic.message, _BOLD, color)}"]
        lines.extend(_snippet(span, sources.get(span.path), style, color))
        equals = _paint("=", _BLUE, color)
        if diagnostic.hint:
            lines.append(f"  {equals} hint: {diagnostic.hint}")
        if diagnostic.code in CODES:
            lines.append(f"  {equals} see {_docs_path(diagnostic.code)}")
        lines.extend(f"  {_paint('note', _BOLD, color)}: {_where(r.span)}: {r.message}" for r in diagnostic.related)
        blocks.append("\n".join(lines) + "\n")
    blocks.append(_paint(_summary(diagnostics), _BOLD, color) + "\n")
    return "\n".join(blocks)


def _docs_path(code: str) -> str:
    return f"docs/errors/{code}.md"


# --------------------------------------------------------------------------- JSON


def _as_dict(diagnostic: Diagnostic) -> dict[str, object]:
    span = diagnostic.span
    return {
        "code": diagnostic.code,
        "severity": diagnostic.severity.value,
        "title": CODES.get(diagnostic.code, ""),
        "message": diagnostic.message,
        "file": span.path,
        "line": span.line,
        "column": span.column,
        "end_line": span.end_line,
        "end_column": span.end_column,
        "hint": diagnostic.hint,
        "related": [
            {"file": r.span.path, "line": r.span.line, "column": r.span.column, "message": r.message}
            for r in diagnostic.related
        ],
    }


def render_json(diagnostics: Sequence[Diagnostic]) -> str:
    """A JSON array, one object per diagnostic; non-ASCII text (Chinese names) stays readable."""
    return json.dumps([_as_dict(d) for d in diagnostics], ensure_ascii=False, indent=2) + "\n"


# --------------------------------------------------------------------------- SARIF


def artifact_uri(path: str) -> str:
    """A SARIF `artifactLocation.uri` for a path: forward slashes, percent-encoded (RFC 3986).

    Relative paths stay relative (code scanning resolves them against the repository root);
    absolute paths become `file:` URIs.
    """
    posix = path.replace("\\", "/")
    if _WINDOWS_DRIVE.match(posix):
        return "file:///" + quote(posix, safe="/:")
    if posix.startswith("/"):
        return "file://" + quote(posix, safe="/")
    return quote(posix, safe="/")


def _physical(span: Span) -> dict[str, object]:
    # SARIF forbids a region that ends before it starts; a malformed span becomes empty instead.
    column = max(span.column, 1)
    end_line = max(span.end_line, span.line)
    end_column = max(span.end_column, column if end_line == span.line else 1)
    return {
        "artifactLocation": {"uri": artifact_uri(span.path)},
        "region": {"startLine": span.line, "startColumn": column, "endLine": end_line, "endColumn": end_column},
    }


def _full_message(diagnostic: Diagnostic) -> str:
    return diagnostic.message + (f"\nhint: {diagnostic.hint}" if diagnostic.hint else "")


def render_sarif(diagnostics: Sequence[Diagnostic], *, tool_version: str) -> str:
    """A SARIF 2.1.0 log with one run: one rule per code used, one result per diagnostic.

    Columns are Unicode code points (`columnKind`), `endColumn` exclusive, as in `Span`.
    Diagnostics without a position (line 0, e.g. `<builtin>`) get no location.
    """
    codes = sorted({d.code for d in diagnostics})
    index = {code: i for i, code in enumerate(codes)}
    rules = [
        {
            "id": code,
            "shortDescription": {"text": CODES.get(code, code)},
            "helpUri": _docs_path(code),
        }
        for code in codes
    ]
    results: list[dict[str, object]] = []
    for diagnostic in diagnostics:
        result: dict[str, object] = {
            "ruleId": diagnostic.code,
            "ruleIndex": index[diagnostic.code],
            "level": diagnostic.severity.value,
            "message": {"text": _full_message(diagnostic)},
            "locations": [{"physicalLocation": _physical(diagnostic.span)}] if diagnostic.span.line >= 1 else [],
        }
        related = [
            {"id": i, "physicalLocation": _physical(r.span), "message": {"text": r.message}}
            for i, r in enumerate(diagnostic.related)
            if r.span.line >= 1
        ]
        if related:
            result["relatedLocations"] = related
        results.append(result)
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {"name": TOOL_NAME, "version": tool_version, "rules": rules}},
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }
    return json.dumps(log, ensure_ascii=False, indent=2) + "\n"


# --------------------------------------------------------------------------- GitHub


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(diagnostics: Sequence[Diagnostic]) -> str:
    """GitHub Actions workflow commands (`::error file=…,line=…::message`), one per line.

    GitHub takes columns only for single-line annotations, and its `endColumn` is the last
    column *inside* the annotation (it defaults to `col`), so it is `Span.end_column - 1`.
    Hint and related notes follow the message on their own lines (`%0A`).
    """
    out: list[str] = []
    for diagnostic in diagnostics:
        span = diagnostic.span
        props: list[tuple[str, str]] = []
        if span.line >= 1:
            end_line = max(span.end_line, span.line)
            props += [("file", span.path.replace("\\", "/")), ("line", str(span.line))]
            if end_line == span.line:
                column = max(span.column, 1)
                props += [("col", str(column)), ("endLine", str(end_line))]
                props.append(("endColumn", str(max(span.end_column - 1, column))))
            else:
                props.append(("endLine", str(end_line)))
        title = f"{diagnostic.code} {CODES[diagnostic.code]}" if diagnostic.code in CODES else diagnostic.code
        props.append(("title", title))
        message = _full_message(diagnostic)
        message += "".join(f"\nnote: {_where(r.span)}: {r.message}" for r in diagnostic.related)
        rendered = ",".join(f"{key}={_escape_property(value)}" for key, value in props)
        out.append(f"::{diagnostic.severity.value} {rendered}::{_escape_data(message)}\n")
    return "".join(out)


__all__ = [
    "TAB_WIDTH",
    "artifact_uri",
    "char_width",
    "display_width",
    "render_github",
    "render_json",
    "render_sarif",
    "render_text",
]
