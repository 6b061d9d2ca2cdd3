"""The abstract syntax tree: declarations (schema, ruleset, catalog), and the expression
nodes of `expr_nodes.py` re-exported, so `nodes` names every node.

Frozen, slotted dataclasses. `span` is excluded from equality so that trees from
different texts (a file and its formatted print) compare equal when they mean the
same thing. Numbers keep their literal text so the printer can reproduce `95%`.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from .expr_nodes import (
    Aggregate,
    Attribute,
    Binary,
    Bool,
    Call,
    DateLit,
    Expr,
    HistoryRef,
    IfExpr,
    IsNone,
    ListLit,
    Name,
    NoneLit,
    Number,
    PeriodRef,
    String,
    Unary,
)
from .schema_nodes import (
    EnumType,
    FieldDecl,
    FieldRange,
    Import,
    ListType,
    NamedType,
    OptionalType,
    Schema,
    TypeDecl,
    TypeRef,
)
from .source import NO_SPAN, Span

PointsKind = Literal["deduct", "award"]
VetoAction = Literal["cap", "force"]
QuotaDirection = Literal["at most", "at least"]
QuotaRounding = Literal["floor", "half up", "ceil"]
Ties = Literal["demote", "admit"]
BandKind = Literal["compare", "equal", "when", "else"]

# ---------------------------------------------------------------- ruleset pieces


@dataclass(frozen=True, slots=True, kw_only=True)
class Let:
    name: str
    expr: Expr
    span: Span = dataclasses.field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class Points:
    """`deduct|award AMOUNT [per E [up to C]] [when COND]`."""

    kind: PointsKind
    amount: Expr
    per: Expr | None = None
    up_to: Expr | None = None
    when: Expr | None = None
    span: Span = dataclasses.field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class BandEntry:
    kind: BandKind
    score: Number
    op: str | None = None
    test: Expr | None = None
    span: Span = dataclasses.field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class Bands:
    subject: Expr | None
    entries: tuple[BandEntry, ...]
    span: Span = dataclasses.field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class ScoreFormula:
    expr: Expr
    span: Span = dataclasses.field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class Judged:
    by: str | None = None
    reason_required: bool = False
    span: Span = dataclasses.field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class Adjust:
    """`adjust [by SOURCE] up to N [reason required]`: an assessor's adjustment of the
    indicator's computed score, within ±N, read from the sheets."""

    bound: Number
    by: str | None = None
    reason_required: bool = False
    span: Span = dataclasses.field(default=NO_SPAN, compare=False, repr=False)


Clause = Points | Bands | ScoreFormula | Judged | Adjust


@dataclass(frozen=True, slots=True, kw_only=True)
class Indicator:
    name: str
    label: str | None
    max: Number
    uncapped: bool = False
    applies: Expr | None = None
    standard: str | None = None  # the 评分标准 text a branch secretary reads
    lets: tuple[Let, ...] = ()
    clauses: tuple[Clause, ...] = ()
    span: Span = dataclasses.field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class Dimension:
    name: str
    label: str | None
    max: Number
    weight: Number | None = None
    items: tuple[Indicator | Let, ...] = ()
    span: Span = dataclasses.field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class BonusItem:
    name: str
    label: str | None
    clause: Points
    span: Span = dataclasses.field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class Bonus:
    """`bonus` (items award, added to the total) or `penalty` (items deduct, taken from it),
    each with its own cap."""

    name: str | None
    label: str | None
    max: Number
    items: tuple[BonusItem, ...]
    kind: Literal["bonus", "penalty"] = "bonus"
    span: Span = dataclasses.field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class Veto:
    name: str
    label: str | None
    when: Expr
    action: VetoAction
    grade: str
    span: Span = dataclasses.field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class Exempt:
    name: str | None
    label: str | None
    when: Expr
    span: Span = dataclasses.field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class Assign:
    name: str
    label: str | None
    when: Expr
    grade: str
    span: Span = dataclasses.field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class Source:
    name: str
    label: str | None
    weight: Number
    value: Expr | None = None
    missing: str | None = None  # `when missing exclude|error`; None: not stated (error)
    corrects: bool = False  # `may correct`: its sheet may correct computed indicators
    span: Span = dataclasses.field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class Assess:
    sources: tuple[Source, ...]
    span: Span = dataclasses.field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class GradeRule:
    name: str
    label: str | None
    when: Expr | None  # None means `otherwise`
    span: Span = dataclasses.field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class Grades:
    rules: tuple[GradeRule, ...]
    span: Span = dataclasses.field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class QuotaMinimum:
    """`at least PLACES place(s) when MEMBERS or more`: a floor on k for a large enough group."""

    places: int
    members: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Quota:
    grades: tuple[str, ...]  # one grade, or adjacent grades counted together
    direction: QuotaDirection
    share: Number
    rounding: QuotaRounding | None = None  # None: floor for `at most`, ceil for `at least`
    minimum: QuotaMinimum | None = None
    within: str | None = None
    replaces: bool = False  # a catalog quota that sets aside the routed rulesets' quotas
    where: Expr | None = None
    ties: Ties | None = None  # None is a check error
    hard: bool = False  # an adjustment by people that breaks it is refused
    span: Span = dataclasses.field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class Outcome:
    name: str
    label: str | None
    expr: Expr
    span: Span = dataclasses.field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordDecl:
    type_name: str
    span: Span = dataclasses.field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class PeriodDecl:
    start: datetime.date
    end: datetime.date
    span: Span = dataclasses.field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class TotalDecl:
    value: Number
    span: Span = dataclasses.field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class PrecisionDecl:
    places: int
    span: Span = dataclasses.field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class RescaleDecl:
    to: Number
    span: Span = dataclasses.field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class ExtendDimension:
    name: str
    max: Number | None
    indicators: tuple[Indicator, ...]
    span: Span = dataclasses.field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class OverrideIndicator:
    indicator: Indicator
    span: Span = dataclasses.field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class RemoveIndicator:
    name: str
    reason: str | None
    span: Span = dataclasses.field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class Relative:
    """`relative NAME "label" award|deduct N when top P% | below mean by M of MEASURE within FIELD`:
    points for a record's place among the records of its group, given in the population stage."""

    name: str
    label: str | None
    kind: PointsKind
    points: Number
    test: Literal["top", "below"]
    bound: Number  # the share for `top`, the margin for `below mean by`
    measure: str
    within: str | None
    span: Span = dataclasses.field(default=NO_SPAN, compare=False, repr=False)


RulesetItem = (
    RecordDecl
    | PeriodDecl
    | TotalDecl
    | PrecisionDecl
    | RescaleDecl
    | Let
    | Dimension
    | Bonus
    | Veto
    | Exempt
    | Assign
    | Assess
    | Grades
    | Quota
    | Outcome
    | ExtendDimension
    | OverrideIndicator
    | RemoveIndicator
    | Relative
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Ruleset:
    name: str
    label: str | None
    version: str | None
    extends: str | None
    imports: tuple[Import, ...]
    items: tuple[RulesetItem, ...]
    span: Span = dataclasses.field(default=NO_SPAN, compare=False, repr=False)


# ---------------------------------------------------------------- catalog


@dataclass(frozen=True, slots=True, kw_only=True)
class RouteEntry:
    value: str
    target: str
    span: Span = dataclasses.field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class RouteTable:
    field: str
    entries: tuple[RouteEntry, ...]
    span: Span = dataclasses.field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class RouteWhen:
    cond: Expr
    target: str
    span: Span = dataclasses.field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class Nomination:
    """`nomination NAME "label" from GRADES at most N per FIELD exclude when COND`: the records
    at GRADES after quotas and adjustments, at most N per value of FIELD, highest total first."""

    name: str
    label: str | None
    grades: tuple[str, ...]
    places: int
    per: str
    exclude: Expr | None = None
    span: Span = dataclasses.field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class Catalog:
    name: str
    label: str | None
    imports: tuple[Import, ...]
    items: tuple[RouteTable | RouteWhen | Quota | Nomination, ...]
    span: Span = dataclasses.field(default=NO_SPAN, compare=False, repr=False)


Module = Schema | Ruleset | Catalog


def walk(node: object) -> Iterator[object]:
    """Every node below `node` (itself included), iteratively: deep trees never recurse here."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        if not dataclasses.is_dataclass(current):
            continue
        for f in dataclasses.fields(current):
            value = getattr(current, f.name)
            for item in value if isinstance(value, tuple) else (value,):
                if dataclasses.is_dataclass(item):
                    stack.append(item)


__all__ = [
    "Adjust",
    "Aggregate",
    "Assess",
    "Assign",
    "Attribute",
    "BandEntry",
    "BandKind",
    "Bands",
    "Binary",
    "Bonus",
    "BonusItem",
    "Bool",
    "Call",
    "Catalog",
    "Clause",
    "DateLit",
    "Dimension",
    "EnumType",
    "Exempt",
    "Expr",
    "ExtendDimension",
    "FieldDecl",
    "FieldRange",
    "GradeRule",
    "Grades",
    "HistoryRef",
    "IfExpr",
    "Import",
    "Indicator",
    "IsNone",
    "Judged",
    "Let",
    "ListLit",
    "ListType",
    "Module",
    "Name",
    "NamedType",
    "Nomination",
    "NoneLit",
    "Number",
    "OptionalType",
    "Outcome",
    "OverrideIndicator",
    "PeriodDecl",
    "PeriodRef",
    "Points",
    "PointsKind",
    "PrecisionDecl",
    "Quota",
    "QuotaDirection",
    "QuotaMinimum",
    "QuotaRounding",
    "RecordDecl",
    "RemoveIndicator",
    "RescaleDecl",
    "RouteEntry",
    "RouteTable",
    "RouteWhen",
    "Ruleset",
    "RulesetItem",
    "Schema",
    "ScoreFormula",
    "Source",
    "String",
    "Ties",
    "TotalDecl",
    "TypeDecl",
    "TypeRef",
    "Unary",
    "Veto",
    "VetoAction",
    "walk",
]
