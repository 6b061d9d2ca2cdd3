"""Source text and positions.

Spans are byte-free character offsets into a `SourceFile`; line and column are
kept too because every diagnostic needs them and recomputing is wasteful. Columns
are 1-based character columns; display width (CJK is two cells) is the renderer's job.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True, slots=True)
class SourceFile:
    """A named text the pipeline read; `path` is what users see in messages."""

    path: str
    text: str
    _line_starts: list[int] = field(default_factory=list, compare=False, repr=False)

    def __post_init__(self) -> None:
        starts = [0]
        starts.extend(i + 1 for i, ch in enumerate(self.text) if ch == "\n")
        self._line_starts.extend(starts)

    def line_col(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) of a character offset; offsets past the end clamp to EOF."""
        offset = max(0, min(offset, len(self.text)))
        line = bisect.bisect_right(self._line_starts, offset) - 1
        return line + 1, offset - self._line_starts[line] + 1

    def line_text(self, line: int) -> str:
        """The text of a 1-based line without its line break."""
        if line < 1 or line > len(self._line_starts):
            return ""
        start = self._line_starts[line - 1]
        end = self._line_starts[line] - 1 if line < len(self._line_starts) else len(self.text)
        return self.text[start:end].rstrip("\r")

    @property
    def line_count(self) -> int:
        return len(self._line_starts)


@dataclass(frozen=True, slots=True)
class Span:
    """Where a piece of syntax sits: file path plus start/end line and column (1-based)."""

    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    start: int = 0
    end: int = 0

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"

    @staticmethod
    def at(source: SourceFile, start: int, end: int) -> Span:
        line, column = source.line_col(start)
        end_line, end_column = source.line_col(end)
        return Span(source.path, line, column, end_line, end_column, start, end)


NO_SPAN = Span("<builtin>", 0, 0, 0, 0)


class Spanned(Protocol):
    """Anything a diagnostic can point at: AST nodes, resolved dimensions."""

    @property
    def span(self) -> Span: ...
