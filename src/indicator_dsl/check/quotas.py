"""Checks a quota needs whether a ruleset or a catalog states it: a share between 0% and
100%, a minimum of places that a group can hold, and `replaces rulesets` only in a catalog."""

from __future__ import annotations

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
