"""Expression nodes of the abstract syntax tree: literals, names, operators, calls, aggregates.

Frozen, slotted dataclasses, as every node (`nodes.py` holds the declarations and re-exports
these). `span` is excluded from equality so that trees from different texts compare equal when
they mean the same thing. Numbers keep their literal text so the printer can reproduce `95%`.
"""

from __future__ import annotations

import dataclasses
import datetime
from dataclasses import dataclass
from decimal import Decimal

from .source import NO_SPAN, Span


@dataclass(frozen=True, slots=True, kw_only=True)
class Number:
    value: Decimal
    text: str
    span: Span = dataclasses.field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class String:
    value: str
    span: Span = dataclasses.field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class DateLit:
    value: datetime.date
    span: Span = dataclasses.field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class Bool:
    value: bool
    span: Span = dataclasses.field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class NoneLit:
    span: Span = dataclasses.field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class ListLit:
    items: tuple[Expr, ...]
    span: Span = dataclasses.field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class Name:
    name: str
    span: Span = dataclasses.field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class Attribute:
    obj: Expr
    name: str
    span: Span = dataclasses.field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class PeriodRef:
    part: str
    span: Span = dataclasses.field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class HistoryRef:
    """`history(back).part`: the record's result of `back` years before (semantics/history.py)."""

    back: int
    part: str
    span: Span = dataclasses.field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class Unary:
    op: str  # "-" or "not"
    operand: Expr
    span: Span = dataclasses.field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class Binary:
    op: str  # + - * / == != < <= > >= and or in "not in" ??
    left: Expr
    right: Expr
    span: Span = dataclasses.field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class IsNone:
    operand: Expr
    negated: bool
    span: Span = dataclasses.field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class IfExpr:
    cond: Expr
    then: Expr
    else_: Expr
    span: Span = dataclasses.field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class Call:
    func: str
    args: tuple[Expr, ...]
    span: Span = dataclasses.field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class Aggregate:
    """`func(var in source where filter, value, by key)`; `value`/`by` as the function allows."""

    func: str
    var: str
    source: Expr
    where: Expr | None = None
    value: Expr | None = None
    by: Expr | None = None
    span: Span = dataclasses.field(default=NO_SPAN, compare=False, repr=False)


Expr = (
    Number
    | String
    | DateLit
    | Bool
    | NoneLit
    | ListLit
    | Name
    | Attribute
    | PeriodRef
    | HistoryRef
    | Unary
    | Binary
    | IsNone
    | IfExpr
    | Call
    | Aggregate
)
