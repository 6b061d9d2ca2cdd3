"""Lines of generated Python source, indented as they are written, each with the `.ind`
span it evaluates (the line map an error inside generated code is traced back through)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..syntax.source import Span


@dataclass(slots=True)
class Emitter:
    """Generated lines, and for each the span that was current (`span`) when it was written."""

    lines: list[str] = field(default_factory=list)
    spans: list[Span | None] = field(default_factory=list)
    depth: int = 0
    span: Span | None = None

    def line(self, text: str) -> None:
        for part in text.split("\n"):
            self.lines.append("    " * self.depth + part)
            self.spans.append(self.span)
