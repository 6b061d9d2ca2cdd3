"""A table conformed for the columnar plan: every field checked, only the fields it reads kept.

`tables.Conformer` says, for each field of the record schema, how a column is read and which
rows the schema refuses (those rows are scored by the Python backend, which reports them).
Every field of every row is still checked here, but a field the plan never reads (a meeting's
`attendance` in the benchmark ruleset) is only checked, not converted, and the records kept
in a list or struct hold only the fields the plan reads (`ColumnarPlan.reads`): converting
every field of five million meetings was most of the cost of conforming.

A column whose type holds only values the schema accepts (a typed decimal that always fits,
an Enum of exactly the enum's members, a date column) is not checked row by row
(`tables.NEVER`), so a field the plan does not read is then not read at all.

A decimal written as text is read on one fast path: at most 20 whole digits and at most
`DECIMAL_PLACES` places, an optional sign, nothing else (`FAST_DECIMAL`), which polars casts
to `Decimal(38, DECIMAL_PLACES)` exactly; so a field the plan does not read is checked by
that pattern alone. Any other text (spaces around it, an exponent, more places) is refused
here and read by the Python backend, which reads every form `semantics.records` accepts.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Mapping
from typing import Any

import polars as pl

from ..codegen.columnar_exprs import DECIMAL_PLACES
from ..syntax import nodes as n
from .tables import (
    BAD,
    DECIMAL,
    RAW,
    RAW_ERROR,
    RAW_LINE,
    ROW,
    SHEETS,
    SHEETS_JSON,
    Conformer,
    Expected,
    _sheets,
    either,
    members_enum,
)

FAST_DECIMAL = rf"^[+-]?[0-9]{{1,20}}(\.[0-9]{{1,{DECIMAL_PLACES}}})?$"
Reads = Collection[tuple[str, str]]  # (record type, field name)


class ReadConformer(Conformer):
    """`tables.Conformer` keeping, in records, only the fields the plan reads, with decimal
    text read on the fast path. Its `types` are the record types narrowed to those fields
    (the converted columns' types); `full` keeps every field, each still checked."""

    def __init__(self, types: Mapping[str, n.TypeDecl], reads: Reads) -> None:
        super().__init__({name: _narrowed(decl, reads) for name, decl in types.items()})
        self.full = types

    def field(self, expr: pl.Expr, fld: n.FieldDecl, dtype: Any) -> tuple[pl.Expr, pl.Expr]:
        """As `Conformer.field`, but a required field is refused where its value is absent, not
        where its converted value is null: the conversion's own refusal covers the rest, and
        a list evaluation shares no work, so the test on the converted value parsed again."""
        if fld.default is not None or isinstance(fld.type, n.OptionalType) or dtype == pl.Null:
            return super().field(expr, fld, dtype)
        converted, bad = super().field(expr, dataclasses.replace(fld, type=n.OptionalType(inner=fld.type)), dtype)
        return converted, either(bad, expr.is_null())

    def value(self, expr: pl.Expr, ref: n.TypeRef, dtype: Any) -> tuple[pl.Expr, pl.Expr]:
        inner = ref.inner if isinstance(ref, n.OptionalType) else ref
        if isinstance(inner, n.NamedType) and inner.name == "decimal" and dtype == pl.String:
            return expr.cast(DECIMAL, strict=False), ~expr.str.contains(FAST_DECIMAL)
        return super().value(expr, ref, dtype)

    def record(self, expr: pl.Expr, name: str, dtype: Any) -> tuple[pl.Expr, pl.Expr]:
        if not isinstance(dtype, pl.Struct):
            return super().record(expr, name, dtype)
        present = dict(dtype.to_schema())
        kept = {f.name for f in self.types[name].fields}
        columns: list[pl.Expr] = []
        refused: list[pl.Expr] = []
        for fld in self.full[name].fields:
            source = expr.struct.field(fld.name) if fld.name in present else pl.lit(None)
            converted, bad = self.field(source, fld, present.get(fld.name, pl.Null()))
            if fld.name in kept:
                columns.append(converted.alias(fld.name))
            refused.append(bad)
        return pl.struct(columns), either(*refused)


def _narrowed(decl: n.TypeDecl, reads: Reads) -> n.TypeDecl:
    """A record type with only the fields the plan reads (all of them when it reads none: a
    list only counted)."""
    kept = tuple(f for f in decl.fields if (decl.name, f.name) in reads)
    return dataclasses.replace(decl, fields=kept or decl.fields)


def conform_read(
    schema: pl.Schema, types: Mapping[str, n.TypeDecl], root: str, expected: Expected, reads: Reads
) -> list[pl.Expr]:
    """The columns of a table of `schema` as the plan reads them (those in `reads`), its row
    number (`ROW`), the judged scores of plain sheets, and the refused rows (`BAD`), as
    `tables.conform` gives them."""
    conformer = ReadConformer(types, reads)
    columns, refused = _sheets(pl.DataFrame(schema=schema), expected)
    columns.append(pl.int_range(pl.len(), dtype=pl.Int64).alias(ROW))
    known = {f.name for f in types[root].fields} | {SHEETS, SHEETS_JSON, RAW, RAW_LINE, RAW_ERROR}
    refused += [pl.col(name).is_not_null() for name in schema if name not in known]
    for fld in types[root].fields:
        if fld.name in schema:
            converted, bad = conformer.field(pl.col(fld.name), fld, schema[fld.name])
        else:
            converted, bad = conformer.field(pl.lit(None), fld, pl.Null())
        if (root, fld.name) in reads:
            if fld.name in schema and members_enum(fld.type, schema[fld.name]):  # a record's own: as text
                converted = converted.cast(pl.String)  # (quota groups, outcomes), a cast of one value per row
            columns.append(converted.alias(fld.name))
        refused.append(bad)
    columns.append(either(*refused).fill_null(True).alias(BAD))
    return columns
