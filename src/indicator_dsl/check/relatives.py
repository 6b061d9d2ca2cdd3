"""Population-relative rules (`relative NAME award N when top P% of MEASURE within FIELD`).

A relative rule ranks each graded record among its group by a score the first pass computed
(the total before any relative points, a bonus, a source, or a part when there is one table
source) and gives it points, which the population stage adds to its total before grading it
again. So `grade` depends on relative points, and a rule that ranks `of grade` would close a
cycle (E316). The measure must be a score (E200 names an unknown one, with a suggestion); the
group is a field of the record (E201); the share lies in (0%, 100%] and the points and the
margin are not negative (E311). A name declared twice is reported where rules are collected
(`extension.py`, E104/E105).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ..syntax import nodes as n
from ..syntax.diagnostics import Diagnostic
from .suggestions import did_you_mean
from .typecheck import Scope

Report = Callable[[Diagnostic], None]
SCORES = ("total", "bonus", "penalty")


def measures(scope: Scope) -> list[str]:
    """The names a relative rule may rank by in this ruleset."""
    names = [*SCORES, *sorted(scope.values.keys() - {*SCORES, "grade"})]
    return names + (sorted(scope.parts) if len(scope.table_sources) == 1 else [])


def check_relatives(rules: Sequence[n.Relative], scope: Scope, report: Report, incomplete: bool) -> None:
    allowed = measures(scope)
    for rule in rules:
        if rule.measure == "grade":
            report(
                Diagnostic(
                    "E316",
                    f"relative rule `{rule.name}` ranks by `grade`, but its points change the total the grades"
                    " read: the grade would depend on itself",
                    rule.span,
                    hint="rank by a score: `of total` (before relative points), a source or a dimension",
                )
            )
        elif rule.measure not in allowed:
            hint = did_you_mean(rule.measure, allowed) or "rank by " + ", ".join(f"`{m}`" for m in allowed[:6])
            report(Diagnostic("E200", f"relative rule ranks by unknown score `{rule.measure}`", rule.span, hint=hint))
        if rule.within is not None and rule.within not in scope.fields and not incomplete:
            report(
                Diagnostic(
                    "E201",
                    f"relative rule groups by `{rule.within}`, which is not a field of the record",
                    rule.span,
                    hint=did_you_mean(rule.within, scope.fields),
                )
            )
        if rule.points.value < 0 or rule.bound.value < 0:
            report(Diagnostic("E311", f"relative rule `{rule.name}`: points and margins are not negative", rule.span))
        if rule.test == "top" and not 0 < rule.bound.value <= 1:
            report(Diagnostic("E311", f"`top {rule.bound.text}` must be a share above 0% and at most 100%", rule.span))
