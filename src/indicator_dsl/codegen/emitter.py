"""Lines of generated Python source, indented as they are written."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class Emitter:
    lines: list[str] = field(default_factory=list)
    depth: int = 0

    def line(self, text: str) -> None:
        self.lines.append("    " * self.depth + text)
