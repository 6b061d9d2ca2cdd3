"""What resolving produces: one table per ruleset (with where each indicator came from),
schemas and catalogs, and the exact sums their stated figures are checked with.

`check/resolver.py` builds these from files; `check/extension.py` fills a ruleset's table
from its items and its base's; the checker, code generator and evaluators read them.
"""

from __future__ import annotations

import datetime
import decimal
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from ..syntax import nodes as n
from ..syntax.source import SourceFile, Span

# Sums of stated figures (maxes, weights) must be exact: the default 28 digits rounded a sum of large
# maxes and reported a total that does not add up (a false E301).
UNBOUNDED = decimal.Context(prec=decimal.MAX_PREC, Emax=decimal.MAX_EMAX, Emin=decimal.MIN_EMIN)


def figure(value: Decimal) -> str:
    """A stated figure as messages quote it: no exponent, no trailing zeros (`2.5`, `100`)."""
    return format(value.normalize(UNBOUNDED), "f")


def exact_sum(values: Iterable[Decimal]) -> Decimal:
    """The sum of decimals with no digit lost, whatever their size."""
    total = Decimal(0)
    for value in values:
        total = UNBOUNDED.add(total, value)
    return total


@dataclass(slots=True)
class TableIndicator:
    node: n.Indicator
    dimension: str
    origin: Span
    how: str  # "base", "added" (extend dimension), "override", or "declared" in this file


@dataclass(slots=True)
class TableDimension:
    name: str
    label: str | None
    declared_max: n.Number | None
    weight: n.Number | None
    indicators: list[TableIndicator]
    lets: list[n.Let]
    span: Span
    max_stated_here: bool = False  # `extend dimension D max N` in this file: N is checked against the final sum

    @property
    def max(self) -> Decimal:
        """The stated max where there is one, else the sum of the indicators (extensions)."""
        if self.declared_max is not None:
            return self.declared_max.value
        return exact_sum(i.node.max.value for i in self.indicators)


@dataclass(slots=True)
class ResolvedSchema:
    name: str
    source: SourceFile
    types: dict[str, n.TypeDecl]


@dataclass(slots=True)
class ResolvedRuleset:
    name: str
    label: str | None
    version: str | None
    node: n.Ruleset
    source: SourceFile
    sources: list[SourceFile]  # this file, its bases and schemas: all that defines it
    types: dict[str, n.TypeDecl] = field(default_factory=dict)
    base: ResolvedRuleset | None = None
    record: n.RecordDecl | None = None
    period: n.PeriodDecl | None = None
    as_of: datetime.date | None = None  # an in-year evaluation (`--as-of`): set by evaluate/period.py
    period_given: bool = False  # the period is the evaluation's (`--period`), not the declared one
    total: n.TotalDecl | None = None
    precision: n.PrecisionDecl | None = None
    rescale: n.RescaleDecl | None = None
    lets: dict[str, n.Let] = field(default_factory=dict)
    dimensions: list[TableDimension] = field(default_factory=list)
    bonus: n.Bonus | None = None
    penalty: n.Bonus | None = None  # a `penalty` block: kind "penalty"
    vetoes: list[n.Veto] = field(default_factory=list)
    exempts: list[n.Exempt] = field(default_factory=list)
    assigns: list[n.Assign] = field(default_factory=list)
    assess: n.Assess | None = None
    grades: n.Grades | None = None
    quotas: list[n.Quota] = field(default_factory=list)
    relatives: list[n.Relative] = field(default_factory=list)
    outcomes: list[n.Outcome] = field(default_factory=list)
    removed: list[n.RemoveIndicator] = field(default_factory=list)
    # An import or the base ruleset could not be read (already reported): the checker then skips
    # the errors that would only repeat it (unknown record type, unknown fields, missing total).
    incomplete: bool = False

    def indicators(self) -> list[TableIndicator]:
        return [i for d in self.dimensions for i in d.indicators]

    @property
    def precision_places(self) -> int:
        return self.precision.places if self.precision else 2

    @property
    def grade_names(self) -> list[str]:
        """The grades, best first."""
        return [rule.name for rule in self.grades.rules] if self.grades else []

    @property
    def table_sources(self) -> list[str]:
        """The sources scored by the indicator table: `table` without `assess`, else every
        assessment source without a value expression."""
        if self.assess is None:
            return ["table"]
        return [s.name for s in self.assess.sources if s.value is None]


@dataclass(slots=True)
class ResolvedCatalog:
    name: str
    label: str | None
    node: n.Catalog
    source: SourceFile
    rulesets: dict[str, ResolvedRuleset]
    sources: list[SourceFile]


Resolved = ResolvedSchema | ResolvedRuleset | ResolvedCatalog
