"""AST to canonical `.ind` text, and the renderer the formatter shares.

Printing happens in two steps so that the formatter can put comments back without a
second printer: `layout.layout_module` turns the AST into `Line`s, and `render` writes
them out, choosing one-line or block forms, breaking a line wider than `WIDTH` where its
tokens allow (`breaking.lay`), and placing whatever comments it is given. `print_module`
is the two steps with no comments. Expressions print by `expr_text.print_expr`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from . import nodes as n
from .breaking import INDENT, lay
from .cells import display_width
from .expr_text import print_expr, quote
from .layout import Line, layout_module

WIDTH = 100
"""Lines wider than this break where their tokens allow: after the `=` of a `let` or
`outcome`, before the `and`/`or` links of a condition, before the operators of a long
expression (score, amounts, assess values, band tests), outermost first."""

COMPACT_WIDTH = 80
"""A block that may fold onto one line (a one-clause indicator, `{ judged }`; bands that look
values up, `{ "好": 4, "差": 0 }`) folds only when it stays this narrow."""


@dataclass(frozen=True, slots=True)
class Comment:
    """A `# ...` comment as found in the source (the formatter finds them; the printer places them)."""

    text: str
    line: int
    column: int
    own_line: bool
    blank_after: bool = False


@dataclass(slots=True)
class Notes:
    """The comments one `Line` carries, each list in source order."""

    above: list[Comment] = field(default_factory=list)  # own-line comments printed before it
    after: list[Comment] = field(default_factory=list)  # comments at the end of its first line
    inside_end: list[Comment] = field(default_factory=list)  # own-line comments before its `}`
    after_end: list[Comment] = field(default_factory=list)  # comments after its `}`
    blank_before: bool = False  # the source set it apart from the line before with a blank line


class _Writer:
    """Writes lines and the comments attached to them; owns the output list."""

    def __init__(self, notes: Mapping[Line, Notes]) -> None:
        self.notes = notes
        self.out: list[str] = []

    def blank_before(self, line: Line) -> bool:
        notes = self.notes.get(line)
        return line.blank_before or (notes is not None and notes.blank_before)

    def comments(self, comments: Sequence[Comment], indent: str, *, keep_blanks: bool) -> None:
        for index, comment in enumerate(comments):
            self.out.append(indent + comment.text)
            if keep_blanks and comment.blank_after and index < len(comments) - 1:
                self.out.append("")

    def line(self, line: Line, depth: int) -> None:
        indent = INDENT * depth
        notes = self.notes.get(line) or Notes()
        # Only the last comment after the first line can stay there; earlier ones (from
        # source lines that now merge into one) move above it, keeping source order.
        above = sorted([*notes.above, *notes.after], key=lambda c: (c.line, c.column))
        suffix = ""
        if notes.after and above[-1] is notes.after[-1]:
            suffix = "  " + above.pop().text
        for comment in above:
            self.out.append(indent + comment.text)
            if comment.blank_after:
                self.out.append("")
        if line.body is None:
            self.leaf(line, indent, suffix)
        else:
            self.block(line, depth, suffix, notes)

    def leaf(self, line: Line, indent: str, suffix: str) -> None:
        if line.tokens is None or display_width(indent + line.text) <= WIDTH:
            self.out.append(indent + line.text + suffix)
            return
        self.out.extend(lay(line.tokens, indent, WIDTH))
        self.out[-1] += suffix

    def opening(self, line: Line, indent: str, brace: str, suffix: str) -> None:
        """A block's head and its brace(s), broken like a leaf when too wide (`bands EXPR {`)."""
        if line.tokens is None or display_width(indent + line.text + brace) <= WIDTH:
            self.out.append(indent + line.text + brace + suffix)
            return
        self.out.extend(lay([*line.tokens, brace], indent, WIDTH))
        self.out[-1] += suffix

    def block(self, line: Line, depth: int, suffix: str, notes: Notes) -> None:
        indent = INDENT * depth
        body = line.body or ()
        end_suffix = "  " + notes.after_end[-1].text if notes.after_end else ""
        before_end = notes.inside_end + notes.after_end[:-1]
        if not body and not suffix and not before_end:
            self.opening(line, indent, " {}", end_suffix)
            return
        folds = (line.compact and len(body) == 1) or line.inline
        if folds and not suffix and not before_end and all(c.body is None and c not in self.notes for c in body):
            one = f"{indent}{line.text} {{ {', '.join(c.text for c in body)} }}"
            if display_width(one) <= COMPACT_WIDTH:
                self.out.append(one + end_suffix)
                return
        self.opening(line, indent, " {", suffix)
        for index, child in enumerate(body):
            if index and self.blank_before(child):
                self.out.append("")
            self.line(child, depth + 1)
        self.comments(before_end, indent + INDENT, keep_blanks=False)
        self.out.append(f"{indent}}}{end_suffix}")


def render(lines: Sequence[Line], notes: Mapping[Line, Notes] | None = None, end: Sequence[Comment] = ()) -> str:
    """Write top-level `lines` with their comments; `end` are comments after the last declaration."""
    writer = _Writer(notes or {})
    for line in lines:
        if writer.out and writer.blank_before(line):
            writer.out.append("")
        writer.line(line, 0)
    if end:
        if writer.out:
            writer.out.append("")
        writer.comments(end, "", keep_blanks=True)
    return "\n".join(writer.out) + "\n"


def print_module(imports: Sequence[n.Import], module: n.Module) -> str:
    """Canonical text of a file: the same tree always prints the same way, whatever its spans."""
    return render(layout_module(imports, module))


__all__ = ["WIDTH", "Comment", "Notes", "print_expr", "print_module", "quote", "render"]
