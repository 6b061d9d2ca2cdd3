"""Text laid out in display cells, for carets under source lines and aligned columns.

A CJK or full-width character takes two cells (`unicodedata.east_asian_width` 'W'/'F'),
a combining mark none, a tab advances to the next multiple of `TAB_WIDTH`, and a
control character is shown as U+FFFD in one cell, so it can never move the cursor.
"""

from __future__ import annotations

import unicodedata

TAB_WIDTH = 4
_REPLACEMENT = "\ufffd"


def char_width(ch: str) -> int:
    """Display cells of one character (not a tab): 2 for wide/full-width, 0 for combining marks."""
    if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me"):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def display_width(text: str) -> int:
    """Display cells of `text` laid out from column 0 (tabs expanded to stops of `TAB_WIDTH`)."""
    return layout(text)[1][-1]


def _is_control(ch: str) -> bool:
    # Control characters in a source line would move the cursor or start a terminal escape
    # sequence; they are shown as U+FFFD, one cell wide.
    return ch != "\t" and unicodedata.category(ch) == "Cc"


def layout(text: str) -> tuple[str, list[int]]:
    """The line as displayed, and the display cell where each character starts.

    The list has `len(text) + 1` entries; the last is the width of the whole line, so a
    character range [i, j) covers cells [starts[i], starts[j]).
    """
    shown: list[str] = []
    starts: list[int] = []
    cell = 0
    for ch in text:
        starts.append(cell)
        if ch == "\t":
            width = TAB_WIDTH - cell % TAB_WIDTH
            shown.append(" " * width)
        elif _is_control(ch):
            width = 1
            shown.append(_REPLACEMENT)
        else:
            width = char_width(ch)
            shown.append(ch)
        cell += width
    starts.append(cell)
    return "".join(shown), starts
