"""Lints of an indicator's fixed amounts against its `max`: a `max 0` that no clause can move
off 0 (E311), points the clamp always cuts and awards that never reach the max (W503)."""

from __future__ import annotations

from collections.abc import Callable

from ..syntax import nodes as n
from ..syntax.diagnostics import Diagnostic
from .resolved import exact_sum, figure


def max_zero_points(ind: n.Indicator, report: Callable[[Diagnostic], None]) -> None:
    """E311: a `deduct` (or a capped `award`) in an indicator with `max 0` can never move
    its score off 0, whatever the record holds."""
    if ind.max.value != 0:
        return
    for clause in ind.clauses:
        if isinstance(clause, n.Points) and (clause.kind == "deduct" or not ind.uncapped):
            does = "has nothing to take" if clause.kind == "deduct" else "is clamped to 0"
            hint = (
                "a deduction starts at the indicator's max: write the points it can lose, `max N`"
                if clause.kind == "deduct"
                else "write the points it can reach, `max N`, or mark it `uncapped`"
            )
            message = f"indicator `{ind.name}` has max 0, so `{clause.kind}` {does}: it always scores 0"
            report(Diagnostic("E311", message, clause.span, hint=hint))
            return


def suspicious_points(ind: n.Indicator, report: Callable[[Diagnostic], None]) -> None:
    """W503: fixed points the clamp always cuts, or awards that can never reach the max."""
    points = [c for c in ind.clauses if isinstance(c, n.Points)]
    fixed = [c for c in points if c.per is None and isinstance(c.amount, n.Number)]
    top = ind.max.value
    for clause in fixed:
        assert isinstance(clause.amount, n.Number)
        uncapped_award = ind.uncapped and clause.kind == "award"
        if clause.amount.value > top and not uncapped_award:
            report(
                Diagnostic(
                    "W503",
                    f"`{clause.kind} {clause.amount.text}` is more than the max {figure(top)} of `{ind.name}`; "
                    "the score is clamped, so the extra points never count",
                    clause.amount.span,
                    hint=f"write `{clause.kind} {figure(top)}`",
                )
            )
    awards = [c for c in points if c.kind == "award"]
    negative = any(isinstance(c.amount, n.Number) and c.amount.value < 0 for c in points)  # E311 already
    if awards and len(fixed) == len(points) == len(awards) and not negative:
        reachable = exact_sum(c.amount.value for c in awards if isinstance(c.amount, n.Number))
        if reachable < top:
            report(
                Diagnostic(
                    "W503",
                    f"the awards of `{ind.name}` add up to {figure(reachable)}, so it can never reach its "
                    f"max {figure(top)}",
                    ind.max.span,
                    hint=f"write `max {figure(reachable)}` or award more",
                )
            )
