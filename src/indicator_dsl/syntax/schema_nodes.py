"""Schema nodes: record types and their fields, as `schema` files declare them.

Re-exported by `nodes.py`, where every other stage finds them (`n.FieldDecl`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from .expr_nodes import Expr, Number
from .source import NO_SPAN, Span


@dataclass(frozen=True, slots=True, kw_only=True)
class NamedType:
    name: str
    span: Span = dataclasses.field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class EnumType:
    members: tuple[str, ...]
    span: Span = dataclasses.field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class ListType:
    item: TypeRef
    span: Span = dataclasses.field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class OptionalType:
    inner: TypeRef
    span: Span = dataclasses.field(default=NO_SPAN, compare=False, repr=False)


TypeRef = NamedType | EnumType | ListType | OptionalType


@dataclass(frozen=True, slots=True, kw_only=True)
class FieldRange:
    """`in LOW..HIGH` after a number field's type: the values a record may hold (both included)."""

    low: Number
    high: Number
    span: Span = dataclasses.field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class FieldDecl:
    name: str
    type: TypeRef
    range: FieldRange | None = None
    default: Expr | None = None
    label: str | None = None
    span: Span = dataclasses.field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class TypeDecl:
    name: str
    label: str | None
    fields: tuple[FieldDecl, ...]
    span: Span = dataclasses.field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class Import:
    path: str
    span: Span = dataclasses.field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class Schema:
    name: str
    label: str | None
    imports: tuple[Import, ...]
    types: tuple[TypeDecl, ...]
    span: Span = dataclasses.field(default=NO_SPAN, compare=False, repr=False)
