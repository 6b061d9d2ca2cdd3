"""“Did you mean”: the closest name among the options, within bounds a hostile ruleset cannot
turn into minutes of work."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .types import Type

# "Did you mean" compares a name with every option (difflib, a few microseconds each): 3,000 unknown
# names against 3,000 fields took half a minute. The search is skipped for more options than this,
# for names longer than a typo of a name, and once a check has spent its comparisons.
MAX_SUGGESTION_OPTIONS = 1000
MAX_SUGGESTION_LENGTH = 80
SUGGESTION_BUDGET = 50_000
_budget: ContextVar[list[int] | None] = ContextVar("suggestion_budget", default=None)


@contextmanager
def bounded_suggestions() -> Iterator[None]:
    """Within this block, all "did you mean" searches together make at most SUGGESTION_BUDGET comparisons."""
    token = _budget.set([SUGGESTION_BUDGET])
    try:
        yield
    finally:
        _budget.reset(token)


def closest(name: str, options: Iterable[str], cutoff: float = 0.5) -> str | None:
    """The option most like `name` (difflib ratio at least `cutoff`), or None, within the bounds above."""
    choices = [o for o in options if len(o) <= MAX_SUGGESTION_LENGTH]
    if not choices or len(choices) > MAX_SUGGESTION_OPTIONS or len(name) > MAX_SUGGESTION_LENGTH:
        return None
    left = _budget.get()
    if left is not None:
        if left[0] < len(choices):
            return None
        left[0] -= len(choices)
    found = difflib.get_close_matches(name, choices, n=1, cutoff=cutoff)
    return found[0] if found else None


def did_you_mean(name: str, options: Iterable[str], cutoff: float = 0.5) -> str | None:
    best = closest(name, options, cutoff)
    return f"did you mean `{best}`?" if best else None


def field_listing(name: str, fields: Mapping[str, Type], limit: int = 12) -> str:
    """A type's fields, for an unknown name nothing is close to: those whose type the name
    names come first (`date` lists the date fields first), then the rest in declared order."""
    words = set(name.lower().split("_"))
    ranked = sorted(fields, key=lambda f: fields[f].kind not in words)

    def shown(field: str) -> str:
        return field if len(field) <= MAX_SUGGESTION_LENGTH else field[:MAX_SUGGESTION_LENGTH] + "…"

    listed = ", ".join(f"`{shown(f)}` ({fields[f]})" for f in ranked[:limit])
    more = f" and {len(ranked) - limit} more" if len(ranked) > limit else ""
    return f"its fields: {listed}{more}"
