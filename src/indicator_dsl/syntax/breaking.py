"""Breaking one long printed line into several, at the places the printer marked.

The printer writes an item (a `let`, a condition, a score formula) as a list of tokens:
text, and `Break`s where a space may become a line break. A break's `depth` says how deep
in the expression it lies: -1 after a head (`let x =`, `when`), 0 at the outermost node
(before the operators of its chain, its `else`s, its `where`, after its commas), one more
for each node inside it. `lay` breaks
the outermost level first and goes deeper only for a part still too wide:

- at a head break, the head stays on the first line and the rest goes on the next;
- at the links of an `and`/`or` chain and the `else`s of an `if`, every link gets its own line;
- elsewhere (before an operator, a `then` or a `where`, after a comma), as much as fits shares
  a line, including the last line of a part that had to break.

Lines after the first are indented one step more than the line they continue. Breaking
only ever turns a space into a line break and indentation, which the grammar ignores, so
the text parses to the same tree; and the layout depends only on the tokens and the width,
so formatting twice changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .cells import display_width

INDENT = "  "

MAX_LEVELS = 40
"""Nesting levels `lay` goes into; a part nested deeper stays on one line, however wide."""


@dataclass(frozen=True, slots=True)
class Break:
    """A space where the line may break: `depth` as in the module docstring; `each`: once
    its level breaks, the part after it starts a line of its own (`and`/`or` links, `else`s)."""

    depth: int
    each: bool = False


Token = str | Break

HEAD = Break(-1)
"""The break after a head: `let x =`, `outcome o =`, a `when` whose condition is no chain."""


def flat(tokens: Sequence[Token]) -> str:
    """The tokens on one line."""
    return "".join(" " if isinstance(token, Break) else token for token in tokens)


def lay(tokens: Sequence[Token], indent: str, width: int) -> list[str]:
    """The tokens as lines, each with its indentation, within `width` columns where the
    breaks allow (a part without breaks may stay wider)."""
    return _lay(list(tokens), indent, indent + INDENT, width, 0)


def _lay(tokens: list[Token], indent: str, cont: str, width: int, level: int) -> list[str]:
    """Lines of `tokens`: the first at `indent`, the lines continuing it at `cont`."""
    depths = [token.depth for token in tokens if isinstance(token, Break)]
    if not depths or level >= MAX_LEVELS or display_width(indent + flat(tokens)) <= width:
        return [indent + flat(tokens)]
    depth = min(depths)
    parts: list[list[Token]] = [[]]
    own_line = [False]  # per part: whether the break before it is an `each` one
    for token in tokens:
        if isinstance(token, Break) and token.depth == depth:
            parts.append([])
            own_line.append(token.each)
        else:
            parts[-1].append(token)
    if depth == HEAD.depth:
        head, *rest = parts
        return [indent + flat(head)] + [line for part in rest for line in _lay_rest(part, cont, width, level)]
    inner = cont + INDENT  # a part's own continuation sits deeper than the chain's
    lines: list[str] = []
    current: list[Token] | None = parts[0]
    current_indent = indent
    for part, each in zip(parts[1:], own_line[1:], strict=True):
        if current is not None:
            joined = [*current, " ", *part]
            if not each and display_width(current_indent + flat(joined)) <= width:
                current = joined
                continue
            lines += _lay(current, current_indent, inner, width, level + 1)
            current = None
        if not each and display_width(lines[-1] + " " + flat(part)) <= width:
            lines[-1] += " " + flat(part)  # a short operand closes the line a broken one ended
            continue
        current, current_indent = part, cont
    return lines + (_lay(current, current_indent, inner, width, level + 1) if current is not None else [])


def _lay_rest(tokens: list[Token], indent: str, width: int, level: int) -> list[str]:
    """What follows a head, on lines of its own: a chain whose links each take a line lines up
    under its first link (`let x =` / `  a` / `  and b`; `if a` / `then b` / `else c`);
    anything else continues deeper."""
    breaks = [token for token in tokens if isinstance(token, Break)]
    outermost = min((b.depth for b in breaks), default=None)
    chain = any(b.each for b in breaks if b.depth == outermost)
    cont = indent if chain else indent + INDENT
    return _lay(tokens, indent, cont, width, level + 1)


__all__ = ["HEAD", "INDENT", "Break", "Token", "flat", "lay"]
