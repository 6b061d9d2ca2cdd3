"""Checks a quota needs whether a ruleset or a catalog states it: a share between 0% and
100%, a minimum of places that a group can hold, `replaces rulesets` only in a catalog; and,
against a ruleset's grade ladder, grades counted together that stand next to each other and
an `at least` that has a grade above it to draw from."""

from __future__ import annotations

from collections.abc import Sequence

from ..syntax import nodes as n
from ..syntax.diagnostics import Diagnostic


def quota_shape(quota: n.Quota, *, in_catalog: bool) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    if not 0 <= quota.share.value <= 1:
        found.append(
            Diagnostic("E311", f"a quota share must be between 0% and 100%, not {quota.share.text}", quota.share.span)
        )
    minimum = quota.minimum
    if minimum is not None and not 1 <= minimum.places <= minimum.members:
        found.append(
            Diagnostic(
                "E311",
                f"a quota minimum must be at least 1 place and at most the group size {minimum.members}, "
                f"not {minimum.places}",
                quota.span,
                hint="write e.g. `at least 1 place when 10 or more`",
            )
        )
    if quota.replaces and not in_catalog:
        found.append(
            Diagnostic(
                "E311",
                "`replaces rulesets` belongs to a catalog quota; a ruleset's quota has no rulesets under it",
                quota.span,
                hint="move this quota into the catalog, or drop `replaces rulesets`",
            )
        )
    return found


def quota_ladder(quota: n.Quota, ladder: Sequence[str]) -> list[Diagnostic]:
    """Grades of one quota must be adjacent on the ladder (an unknown grade is E211 elsewhere)."""
    places = sorted(ladder.index(g) for g in quota.grades if g in ladder)
    if len(places) < len(quota.grades) or not places:
        return []
    found: list[Diagnostic] = []
    if len(set(places)) < len(places) or places[-1] - places[0] != len(places) - 1:
        found.append(
            Diagnostic(
                "E311",
                f"grades counted together by one quota must stand next to each other, not "
                f"{', '.join(f'`{g}`' for g in quota.grades)}",
                quota.span,
                hint=f"the grades in order: {', '.join(ladder)}",
            )
        )
    elif quota.direction == "at least" and places[0] == 0:
        found.append(
            Diagnostic(
                "E311",
                f"`at least` on the top grade `{ladder[0]}` has no grade above it to draw from",
                quota.span,
            )
        )
    return found
