"""`ind fmt`: the canonical layout of a file, with its comments kept.

The grammar drops comments, so they are found again in the text and tied to the lines
the printer produces, by source position:

- a comment after code belongs to the last declaration, clause or entry that starts
  at or before its line (or to a `}` on that line) and stays at the end of its line;
  when several land on one printed line, the last stays and the others go above it;
- a comment on a line of its own belongs to the next declaration, clause or entry and
  is printed above it; inside an item without a block that the source spread over
  several lines (a long `let`, a condition), it goes above that item; before a `}`
  with nothing after it in the block, it stays before the `}`; after everything, it
  stays at the end of the file.

Comments keep their text and their order, except that a comment on an own line inside
a multi-line declaration header (between `indicator ... max 5` and its `{`) moves into
the block, after any comment at the end of the header.

A blank line the source put between two declarations, clauses, entries or fields of one
block stays (one, however many there were), so authors can group fields of a type or
lines of a block. Everything else about the layout comes from the printer, so a file
formats the same way however else it was spaced, and formatting twice changes nothing.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from .diagnostics import Diagnostic
from .layout import Line, layout_module
from .parser import parse_source
from .printer import Comment, Notes, render
from .source import SourceFile


@dataclass(frozen=True, slots=True)
class FormatResult:
    """`text` is the formatted file, or None when the file has syntax errors (see `diagnostics`)."""

    text: str | None
    diagnostics: list[Diagnostic]


def find_comments(text: str) -> list[Comment]:
    """Every `# ...` outside string literals, in order, without trailing whitespace.

    Strings cannot span lines and know only backslash escapes, so a character scan
    agrees with the grammar's lexer on any text that parsed.
    """
    found: list[Comment] = []
    line, line_start, index = 1, 0, 0
    in_string = False
    while index < len(text):
        ch = text[index]
        if ch == "\n":
            line, line_start, in_string = line + 1, index + 1, False
        elif in_string:
            if ch == "\\":
                index += 1
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch == "#":
            end = text.find("\n", index)
            end = len(text) if end < 0 else end
            next_end = text.find("\n", end + 1)
            following = text[end + 1 : len(text) if next_end < 0 else next_end]
            found.append(
                Comment(
                    text=text[index:end].rstrip(),
                    line=line,
                    column=index - line_start + 1,
                    own_line=not text[line_start:index].strip(),
                    blank_after=end < len(text) and next_end >= 0 and not following.strip(),
                )
            )
            index = end
            continue
        index += 1
    return found


@dataclass(frozen=True, slots=True)
class _Anchor:
    """A place a comment can attach to: the start of a line, or the `}` that closes its block."""

    line: int
    column: int
    target: Line
    closing: bool


def _anchors(lines: Sequence[Line]) -> Iterator[_Anchor]:
    for line in lines:
        span = line.span
        yield _Anchor(span.line, span.column, line, closing=False)
        if line.body is not None:
            yield from _anchors(line.body)
            yield _Anchor(span.end_line, span.end_column, line, closing=True)


def _inside_leaf(anchor: _Anchor, comment: Comment) -> bool:
    """Whether the comment sits between the source lines of one item that prints as one line."""
    return not anchor.closing and anchor.target.body is None and anchor.target.span.end_line > comment.line


def attach(comments: Sequence[Comment], lines: Sequence[Line]) -> tuple[dict[Line, Notes], list[Comment]]:
    """Which line each comment goes with (see the module docstring); also the comments left for the end."""
    anchors = sorted(_anchors(lines), key=lambda a: (a.line, a.column))
    starts = [a.line for a in anchors]
    notes: dict[Line, Notes] = {}
    end: list[Comment] = []

    def notes_of(line: Line) -> Notes:
        return notes.setdefault(line, Notes())

    for comment in comments:
        if not comment.own_line:
            # Code precedes the comment on its line, so some anchor starts at or before it.
            anchor = anchors[bisect.bisect_right(starts, comment.line) - 1]
            (notes_of(anchor.target).after_end if anchor.closing else notes_of(anchor.target).after).append(comment)
            continue
        position = bisect.bisect_left(starts, comment.line)
        previous = anchors[position - 1] if position else None
        if previous and _inside_leaf(previous, comment):
            notes_of(previous.target).above.append(comment)
        elif position == len(anchors):
            end.append(comment)
        elif anchors[position].closing:
            notes_of(anchors[position].target).inside_end.append(comment)
        else:
            notes_of(anchors[position].target).above.append(comment)
    return notes, end


def keep_blank_lines(text: str, lines: Sequence[Line], notes: dict[Line, Notes]) -> None:
    """Mark each line the source set apart from the one before it (in the same block) with a
    blank line, counting the comments printed above it as its start."""
    blank = {number for number, content in enumerate(text.split("\n"), start=1) if not content.strip()}

    def walk(siblings: Sequence[Line]) -> None:
        for previous, line in itertools.pairwise(siblings):
            above = notes[line].above if line in notes else []
            start = min([line.span.line, *(c.line for c in above)])
            if any(number in blank for number in range(previous.span.end_line + 1, start)):
                notes.setdefault(line, Notes()).blank_before = True
        for line in siblings:
            if line.body:
                walk(line.body)

    walk(lines)


def format_source(source: SourceFile) -> FormatResult:
    """Format one file; a file with syntax errors comes back with its diagnostics and no text."""
    parsed = parse_source(source)
    if parsed.module is None or any(d.is_error for d in parsed.diagnostics):
        return FormatResult(None, parsed.diagnostics)
    lines = layout_module(parsed.imports, parsed.module)
    notes, end = attach(find_comments(source.text), lines)
    keep_blank_lines(source.text, lines, notes)
    return FormatResult(render(lines, notes, end), parsed.diagnostics)


__all__ = ["FormatResult", "attach", "find_comments", "format_source", "keep_blank_lines"]
