"""A ruleset's table assembled from its items: header items, lets, grading declarations and
dimensions, and for an extension the base's table inherited first, then changed by
`extend dimension`, `override indicator` and `remove indicator` (spec 7).

Every indicator keeps where it came from (base file:line or the extension's), so results
and traces can say which file a point was defined in. Problems are appended to the
caller's diagnostics, never raised.
"""

from __future__ import annotations

import dataclasses

from ..syntax import nodes as n
from ..syntax.diagnostics import Diagnostic, Related
from ..syntax.source import Span
from .resolved import ResolvedRuleset, TableDimension, TableIndicator
from .typecheck import did_you_mean


def close_name(name: str, options: list[str]) -> str | None:
    """ "Did you mean" for names of files, types, rulesets and parts (a looser cutoff)."""
    return did_you_mean(name, options, cutoff=0.6)


def duplicate(what: str, name: str, span: Span, first: Span) -> Diagnostic:
    """E104: a name declared twice, pointing at the first declaration."""
    return Diagnostic(
        "E104", f"{what} `{name}` is declared twice", span, related=(Related(first, "first declared here"),)
    )


def inherit(child: ResolvedRuleset, base: ResolvedRuleset) -> None:
    child.types = {**base.types, **child.types}
    child.record, child.period, child.total = base.record, base.period, base.total
    child.precision, child.rescale = base.precision, base.rescale
    child.lets = dict(base.lets)
    child.dimensions = [
        TableDimension(
            d.name,
            d.label,
            d.declared_max,
            d.weight,
            [TableIndicator(i.node, i.dimension, i.origin, "base") for i in d.indicators],
            list(d.lets),
            d.span,
        )
        for d in base.dimensions
    ]
    child.bonus, child.penalty, child.assess, child.grades = base.bonus, base.penalty, base.assess, base.grades
    child.vetoes, child.exempts, child.assigns = list(base.vetoes), list(base.exempts), list(base.assigns)
    child.quotas, child.outcomes = list(base.quotas), list(base.outcomes)
    child.relatives = list(base.relatives)
    child.removed = list(base.removed)
    for src in base.sources:
        if src not in child.sources:
            child.sources.append(src)


class Assembler:
    """Applies one file's ruleset items onto a (possibly inherited) resolved table."""

    def __init__(self, diagnostics: list[Diagnostic], target: ResolvedRuleset, *, extension: bool) -> None:
        self.diagnostics = diagnostics
        self.r = target
        self.extension = extension
        self.inherited = {d.name for d in target.dimensions} | {i.node.name for i in target.indicators()}
        self.seen_blocks: dict[str, Span] = {}
        self._parts: dict[str, Span] | None = None  # dimension and indicator names; None = rebuild

    def error(
        self, code: str, message: str, span: Span, hint: str | None = None, related: tuple[Related, ...] = ()
    ) -> None:
        self.diagnostics.append(Diagnostic(code, message, span, hint=hint, related=related))

    def apply(self, items: tuple[n.RulesetItem, ...]) -> None:
        for item in items:
            handler = getattr(self, f"_on_{type(item).__name__}")
            handler(item)

    def _single(self, kind: str, span: Span) -> bool:
        if kind in self.seen_blocks:
            self.diagnostics.append(duplicate(kind, kind, span, self.seen_blocks[kind]))
            return False
        self.seen_blocks[kind] = span
        return True

    # header items: a restatement in an extension replaces the base's value
    def _on_RecordDecl(self, item: n.RecordDecl) -> None:
        if self._single("record", item.span):
            self.r.record = item

    def _on_PeriodDecl(self, item: n.PeriodDecl) -> None:
        if self._single("period", item.span):
            self.r.period = item

    def _on_TotalDecl(self, item: n.TotalDecl) -> None:
        if self._single("total", item.span):
            self.r.total = item

    def _on_PrecisionDecl(self, item: n.PrecisionDecl) -> None:
        if self._single("precision", item.span):
            self.r.precision = item

    def _on_RescaleDecl(self, item: n.RescaleDecl) -> None:
        if self._single("rescale", item.span):
            self.r.rescale = item

    def _on_Assess(self, item: n.Assess) -> None:
        if self._single("assess", item.span):
            self.r.assess = item

    def _on_Grades(self, item: n.Grades) -> None:
        if self._single("grades", item.span):
            self.r.grades = item

    def _on_Bonus(self, item: n.Bonus) -> None:
        if self._single(item.kind, item.span):
            if item.kind == "penalty":
                self.r.penalty = item
            else:
                self.r.bonus = item

    def _named(self, kind: str, name: str, span: Span, existing: list[tuple[str, Span]]) -> bool:
        for other, other_span in existing:
            if other == name:
                if other_span.path != span.path and self.extension:
                    self.error(
                        "E105",
                        f"{kind} `{name}` is already declared by the base ruleset",
                        span,
                        hint="choose a new name",
                        related=(Related(other_span, "declared here"),),
                    )
                else:
                    self.diagnostics.append(duplicate(kind, name, span, other_span))
                return False
        return True

    def _on_Let(self, item: n.Let) -> None:
        if self._named("let", item.name, item.span, [(k, v.span) for k, v in self.r.lets.items()]):
            self.r.lets[item.name] = item

    def _on_Veto(self, item: n.Veto) -> None:
        if self._named("veto", item.name, item.span, [(v.name, v.span) for v in self.r.vetoes]):
            self.r.vetoes.append(item)

    def _on_Exempt(self, item: n.Exempt) -> None:
        self.r.exempts.append(item)

    def _on_Assign(self, item: n.Assign) -> None:
        if self._named("assign", item.name, item.span, [(a.name, a.span) for a in self.r.assigns]):
            self.r.assigns.append(item)

    def _on_Outcome(self, item: n.Outcome) -> None:
        if self._named("outcome", item.name, item.span, [(o.name, o.span) for o in self.r.outcomes]):
            self.r.outcomes.append(item)

    def _on_Relative(self, item: n.Relative) -> None:
        if self._named("relative rule", item.name, item.span, [(r.name, r.span) for r in self.r.relatives]):
            self.r.relatives.append(item)

    def _on_Quota(self, item: n.Quota) -> None:
        same = [q for q in self.r.quotas if (q.grades, q.direction) == (item.grades, item.direction)]
        for q in same:
            if q.span.path == item.span.path:
                what = f"{', '.join(item.grades)} {item.direction}"
                self.diagnostics.append(duplicate("quota", what, item.span, q.span))
                return
            self.r.quotas.remove(q)  # an extension's quota for the same grade replaces the base's
        self.r.quotas.append(item)

    # the table
    def _all_parts(self) -> dict[str, Span]:
        # Kept between calls (rebuilding it for every indicator was quadratic in the table's size);
        # override and remove reset it.
        if self._parts is None:
            self._parts = {d.name: d.span for d in self.r.dimensions}
            self._parts.update({i.node.name: i.origin for i in self.r.indicators()})
        return self._parts

    def _check_new_part(self, kind: str, name: str, span: Span) -> bool:
        """True when `name` is free; the caller then adds the part, so it is recorded as taken."""
        parts = self._all_parts()
        if name not in parts:
            parts[name] = span
            return True
        if name in self.inherited and self.extension:
            verb = "extend dimension" if kind == "dimension" else "override indicator"
            self.error(
                "E105",
                f"{kind} `{name}` is already in the base ruleset",
                span,
                hint=f"use `{verb} {name}` to change it, or choose a new name",
                related=(Related(parts[name], "declared here"),),
            )
        else:
            self.diagnostics.append(
                duplicate("dimension or indicator" if kind == "dimension" else kind, name, span, parts[name])
            )
        return False

    def _on_Dimension(self, item: n.Dimension) -> None:
        if not self._check_new_part("dimension", item.name, item.span):
            return
        dim = TableDimension(item.name, item.label, item.max, item.weight, [], [], item.span)
        self.r.dimensions.append(dim)
        for sub in item.items:
            if isinstance(sub, n.Let):
                dim.lets.append(sub)
            elif self._check_new_part("indicator", sub.name, sub.span):
                dim.indicators.append(TableIndicator(sub, item.name, sub.span, "declared"))

    def _require_extension(self, what: str, span: Span) -> bool:
        if self.extension:
            return True
        self.error(
            "E313",
            f"`{what}` only works in a ruleset that `extends` another",
            span,
            hint="add `extends BASE` to the ruleset line",
        )
        return False

    def _dimension(self, name: str, span: Span) -> TableDimension | None:
        for dim in self.r.dimensions:
            if dim.name == name:
                return dim
        if self.r.incomplete:
            return None  # the base could not be read (reported): its parts are unknown, not missing
        self.error(
            "E107",
            f"there is no dimension `{name}` to extend",
            span,
            hint=close_name(name, [d.name for d in self.r.dimensions]),
        )
        return None

    def _on_ExtendDimension(self, item: n.ExtendDimension) -> None:
        if not self._require_extension("extend dimension", item.span):
            return
        dim = self._dimension(item.name, item.span)
        if dim is None:
            return
        rejected = False
        for ind in item.indicators:
            if self._check_new_part("indicator", ind.name, ind.span):
                dim.indicators.append(TableIndicator(ind, dim.name, ind.span, "added"))
            else:
                rejected = True
        # A stated max counts the indicators as written; with one of them refused (E104/E105) the
        # sum cannot match, and a second error about it would only repeat the first.
        dim.declared_max = None if rejected else item.max
        dim.max_stated_here = item.max is not None

    def _find_indicator(self, name: str, span: Span, verb: str) -> tuple[TableDimension, int] | None:
        for dim in self.r.dimensions:
            for index, ind in enumerate(dim.indicators):
                if ind.node.name == name:
                    return dim, index
        if self.r.incomplete:
            return None  # as in `_dimension`
        names = [i.node.name for i in self.r.indicators()]
        self.error("E107", f"there is no indicator `{name}` to {verb}", span, hint=close_name(name, names))
        return None

    def _on_OverrideIndicator(self, item: n.OverrideIndicator) -> None:
        if not self._require_extension("override indicator", item.span):
            return
        found = self._find_indicator(item.indicator.name, item.span, "override")
        if found is None:
            return
        dim, index = found
        old = dim.indicators[index]
        node = item.indicator
        # An override that does not restate the label or the 评分标准 keeps the base's.
        node = dataclasses.replace(
            node,
            label=old.node.label if node.label is None else node.label,
            standard=old.node.standard if node.standard is None else node.standard,
        )
        dim.indicators[index] = TableIndicator(node, dim.name, item.span, "override")
        self._parts = None
        if not dim.max_stated_here and old.node.max.value != node.max.value:
            dim.declared_max = None

    def _on_RemoveIndicator(self, item: n.RemoveIndicator) -> None:
        if not self._require_extension("remove indicator", item.span):
            return
        if item.reason is None or not item.reason.strip():
            self.error(
                "E106",
                f"removing `{item.name}` needs a reason",
                item.span,
                hint=f'write `remove indicator {item.name} because "..."`',
            )
        found = self._find_indicator(item.name, item.span, "remove")
        if found is None:
            return
        dim, index = found
        del dim.indicators[index]
        self._parts = None
        if not dim.max_stated_here:
            dim.declared_max = None
        self.r.removed.append(item)
