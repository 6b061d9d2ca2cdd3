"""`ind check --require-standards`: every indicator of a table states its 评分标准 (E314).

A ruleset that a 机关工委 publishes is read by branch secretaries; an indicator without its
`standard` sentence would reach them as code only. The check is asked for, not default: a
ruleset under development may leave the sentences for later.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..syntax.diagnostics import Diagnostic
from .resolved import Resolved, ResolvedCatalog, ResolvedRuleset


def missing_standards(modules: Iterable[Resolved]) -> list[Diagnostic]:
    """E314 at each indicator, in the tables of `modules` (a catalog's rulesets included), that
    has no `standard`; an inherited indicator is reported once, where it is declared."""
    rulesets: list[ResolvedRuleset] = []
    for module in modules:
        if isinstance(module, ResolvedCatalog):
            rulesets.extend(module.rulesets.values())
        elif isinstance(module, ResolvedRuleset):
            rulesets.append(module)
    out: dict[tuple[str, int, int], Diagnostic] = {}
    for ruleset in rulesets:
        for ind in ruleset.indicators():
            span = ind.node.span
            key = (span.path, span.line, span.column)
            if ind.node.standard is None and key not in out:
                out[key] = Diagnostic(
                    "E314",
                    f"indicator `{ind.node.name}` has no 评分标准 (`standard`)",
                    span,
                    hint='write `standard "…"` as the first line inside its braces: what earns or loses points',
                )
    return list(out.values())
