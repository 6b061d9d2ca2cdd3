"""Records as tables: the Arrow schema of a record type, reading Parquet, Arrow IPC and JSON
lines into polars, and conforming a table to the schema exactly.

A decimal is never read through a float. JSON lines are parsed with numbers kept as their
text; a table's decimal column may be text, an Arrow decimal, an integer, or a float (read by
its shortest repr, as `semantics.records` reads one). `conform()` turns any of these into the
columns the columnar plan reads (decimals as `Decimal(38, DECIMAL_PLACES)`) and flags each
row the schema refuses: a required field missing, a value of the wrong kind, an enum value
not listed, a value outside the field's declared range, a decimal with more places than the
columnar plan reads. Flagged rows are scored by the Python backend, which reports every
problem with the row's number and the field, as for any record.
"""

from __future__ import annotations

import functools
import json
import operator
from collections.abc import Iterable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa

from ..codegen.columnar_exprs import DECIMAL_PLACES, judged_column
from ..syntax import nodes as n
from .inputs import InputError, numbered_lines

DECIMAL = pl.Decimal(38, DECIMAL_PLACES)
PARSE_PLACES = 18  # decimals are parsed at this scale, then refused when they need more than DECIMAL_PLACES
ROW = "__row"  # the record's position in its table (0-based), kept through scoring
BAD = "__bad"  # the schema refuses the row: the Python backend reports why
SHEETS = "sheets"  # assessors' sheets: a struct of sheets, each a struct of plain scores
SHEETS_JSON = "__sheets_json"  # sheets no struct can hold (reasons, corrections), as JSON text
RAW = "__raw"  # a JSON-lines row's own text and line number: the Python backend reads it as `ind eval` does
RAW_LINE = "__raw_line"
RAW_ERROR = "__raw_error"  # why a line could not be read at all (not UTF-8)
Expected = Mapping[str, list[tuple[str, Decimal]]]  # source -> judged indicators and their maxima
NEVER = pl.lit(False)  # a refusal no row can meet: the column's type guarantees the value
ENUM_COMPARED = 8  # an enum of at most this many members is checked by comparisons
WHOLE_DIGITS = 38 - DECIMAL_PLACES  # a typed decimal with at most these whole digits always fits DECIMAL


def never(refused: pl.Expr) -> bool:
    """Whether a refusal is `NEVER` (so the column need not be read to check it)."""
    return refused.meta.eq(NEVER)


def either(*refusals: pl.Expr) -> pl.Expr:
    """Rows any of `refusals` refuses, leaving out those that refuse none (`NEVER`)."""
    kept = [r for r in refusals if not never(r)]
    if not kept:
        return NEVER
    return kept[0] if len(kept) == 1 else pl.any_horizontal(kept)


def polars_type(ref: n.TypeRef, types: Mapping[str, n.TypeDecl]) -> pl.DataType:
    """The column type of a field as the columnar plan reads it."""
    if isinstance(ref, n.OptionalType):
        return polars_type(ref.inner, types)
    if isinstance(ref, n.ListType):
        return pl.List(polars_type(ref.item, types))
    if isinstance(ref, n.EnumType):
        return pl.String()
    primitive: dict[str, pl.DataType] = {
        "int": pl.Int64(),
        "decimal": DECIMAL,
        "text": pl.String(),
        "date": pl.Date(),
        "bool": pl.Boolean(),
    }
    if ref.name in primitive:
        return primitive[ref.name]
    decl = types[ref.name]
    return pl.Struct({f.name: polars_type(f.type, types) for f in decl.fields})


def record_schema(types: Mapping[str, n.TypeDecl], root: str) -> pl.Schema:
    return pl.Schema({f.name: polars_type(f.type, types) for f in types[root].fields})


def arrow_schema(types: Mapping[str, n.TypeDecl], root: str, expected: Expected | None = None) -> pa.Schema:
    """The record type as an Arrow schema (`ind schema --format arrow`): required fields not
    nullable, lists of records as lists of structs, decimals as decimal128(38, 9), and the
    plain judged scores of `expected` (source -> indicators) as a `sheets` struct."""
    schema = record_schema(types, root)
    if expected:
        schema[SHEETS] = pl.Struct(
            {s: pl.Struct({name: DECIMAL for name, _ in names}) for s, names in expected.items()}
        )
    empty = pl.DataFrame(schema=schema).to_arrow()
    required = {f.name for f in types[root].fields if not isinstance(f.type, n.OptionalType) and f.default is None}
    fields = [f.with_nullable(f.name not in required) for f in empty.schema]
    return pa.schema(fields, metadata={"record_type": root})


# ---------------------------------------------------------------- reading


def _plain_sheets(sheets: Any) -> bool:
    """Sheets of plain scores only (source -> indicator -> number), as a struct column holds them."""
    return isinstance(sheets, dict) and all(
        isinstance(sheet, dict) and all(isinstance(v, str) for v in sheet.values()) for sheet in sheets.values()
    )


def _json_row(row: Any, *, text: bool = False) -> Any:
    """A JSON record with numbers as text (`text`: they were parsed as text already); sheets
    that are not plain scores kept as JSON text."""
    if not isinstance(row, dict):
        return row
    out = row if text else _text_numbers(row)
    if SHEETS in out and out[SHEETS] is not None and not _plain_sheets(out[SHEETS]):
        out[SHEETS_JSON] = json.dumps(row[SHEETS], ensure_ascii=False)
        out[SHEETS] = None
    return out


def _json_line(number: int, line: str | InputError) -> dict[str, Any]:
    """One JSON line as a table row (numbers as text), with its text and number kept for the
    Python backend; a line that is no JSON object is a row of nulls it reports."""
    kept: dict[str, Any] = {RAW_LINE: number}
    if isinstance(line, str):
        kept[RAW] = line
    else:
        kept[RAW_ERROR] = line.message
    try:
        row = json.loads(line, parse_float=str, parse_int=str, parse_constant=str) if isinstance(line, str) else None
    except ValueError:
        row = None
    if not isinstance(row, dict):
        return kept
    return {**_json_row(row, text=True), **kept}


def _text_numbers(value: Any) -> Any:
    """A JSON value with every number as its text (decimals stay exact; ints are cast back)."""
    if isinstance(value, dict):
        return {k: _text_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_text_numbers(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    return str(value)


def read_table(source: Any) -> pl.DataFrame:
    """A table of records from a polars DataFrame, a pyarrow Table, or a file: `.parquet`,
    `.arrow`/`.feather`/`.ipc`, `.jsonl`/`.ndjson` (numbers kept as text), `.json` (a list)."""
    if isinstance(source, pl.DataFrame):
        return source
    if isinstance(source, pa.Table):
        frame = pl.from_arrow(source)
        assert isinstance(frame, pl.DataFrame)
        return frame
    path = Path(source)
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return pl.read_parquet(path)
    if suffix in (".arrow", ".feather", ".ipc"):
        return pl.read_ipc(path)
    if suffix in (".jsonl", ".ndjson"):
        return _from_rows([_json_line(number, line) for number, line in numbered_lines([path])])
    if suffix == ".json":
        rows = json.loads(path.read_text(encoding="utf-8-sig"), parse_float=str, parse_int=str, parse_constant=str)
        return _from_rows([_json_row(row, text=True) for row in rows])
    raise ValueError(f"{path}: read Parquet, Arrow IPC (.arrow), JSON lines (.jsonl) or JSON (.json)")


def records_frame(records: Iterable[Any]) -> pl.DataFrame:
    """Records shaped as JSON (dicts, lists, text, numbers, Decimals) as the table the columnar
    reader makes of them: numbers as their exact text, sheets that are not plain scores as JSON."""
    return _from_rows([_json_row(record) for record in records])


def _from_rows(rows: list[Any]) -> pl.DataFrame:
    """Rows whose scalars are all text, bool or null: one String/Boolean/List/Struct column each."""
    if not rows:
        return pl.DataFrame()
    return pl.DataFrame(rows, infer_schema_length=None, strict=False)


# ---------------------------------------------------------------- conforming


def _decimal(expr: pl.Expr, dtype: Any) -> tuple[pl.Expr, pl.Expr]:
    """A column of decimals at DECIMAL_PLACES, and the rows where it could not be read exactly."""
    if dtype.is_integer():
        return expr.cast(DECIMAL), NEVER
    if isinstance(dtype, pl.Decimal):  # typed: no text; refused when it needs more places or digits
        scale = dtype.scale or 0
        if scale <= DECIMAL_PLACES and (dtype.precision or 38) - scale <= WHOLE_DIGITS:
            return expr.cast(DECIMAL), NEVER  # every value of the type fits: nothing to check
        value = expr.cast(DECIMAL, strict=False)
        if (dtype.scale or 0) > DECIMAL_PLACES:
            value = pl.when(expr.to_physical() % (10 ** ((dtype.scale or 0) - DECIMAL_PLACES)) == 0).then(value)
        return value, expr.is_not_null() & value.is_null()
    text = expr.cast(pl.String) if dtype.is_float() else expr.cast(pl.String).str.strip_chars()
    wide = text.cast(pl.Decimal(38, PARSE_PLACES), strict=False)
    inexact = (wide.to_physical() % (10 ** (PARSE_PLACES - DECIMAL_PLACES))) != 0
    bad = (text.is_not_null() & wide.is_null()) | inexact.fill_null(False)
    if dtype.is_float():
        bad = bad | expr.is_nan() | expr.is_infinite()
    return wide.cast(DECIMAL), bad


def members_enum(ref: n.TypeRef, dtype: Any) -> bool:
    """Whether `dtype` is an Enum whose categories are exactly the members of the enum `ref`:
    its values need no check, and the plan compares them as they are (casting the 50 million
    meetings of the benchmark to text cost more than checking the text)."""
    inner = ref.inner if isinstance(ref, n.OptionalType) else ref
    return (
        isinstance(inner, n.EnumType)
        and isinstance(dtype, pl.Enum)
        and set(dtype.categories.to_list()) == set(inner.members)
    )


def _member(text: pl.Expr, members: tuple[str, ...]) -> pl.Expr:
    """Whether `text` is one of `members`: a few comparisons cost less than a hashed `is_in`
    (of the 50 million meetings of the benchmark, 0.4 s against 0.65 s)."""
    if len(members) > ENUM_COMPARED:
        return text.is_in(list(members))
    return functools.reduce(operator.or_, [text == member for member in members])


class Conformer:
    """Builds, for one record type, the expression of each column as the plan reads it and of
    whether each row is refused."""

    def __init__(self, types: Mapping[str, n.TypeDecl]) -> None:
        self.types = types

    def value(self, expr: pl.Expr, ref: n.TypeRef, dtype: Any) -> tuple[pl.Expr, pl.Expr]:
        """(converted, refused) for a non-null value of type `ref` read from `dtype`."""
        if isinstance(ref, n.OptionalType):
            return self.value(expr, ref.inner, dtype)
        if isinstance(ref, n.ListType):
            if not isinstance(dtype, pl.List):
                return pl.lit(None, dtype=polars_type(ref, self.types)), expr.is_not_null()
            item, bad = self.value(pl.element(), ref.item, dtype.inner)
            nulls = pl.element().is_null() if not isinstance(ref.item, n.OptionalType) else NEVER
            refused = either(NEVER if never(bad) else bad.fill_null(False), nulls)
            if never(refused):
                return expr.list.eval(item), NEVER
            return expr.list.eval(item), expr.list.eval(refused).list.any().fill_null(False)
        if isinstance(ref, n.EnumType):
            if members_enum(ref, dtype):  # typed: every value is a member already
                return expr, NEVER
            text = expr if dtype == pl.String else expr.cast(pl.String, strict=False)
            return text, ~_member(text, ref.members).fill_null(False)
        if ref.name == "decimal":
            return _decimal(expr, dtype)
        if ref.name in ("int", "text", "date", "bool"):
            target = polars_type(ref, self.types)
            if dtype == target:
                return expr, NEVER
            if ref.name == "int" and dtype == pl.String:
                text = expr.str.strip_chars()
                ok = text.str.contains(r"^[+-]?[0-9]+$")
                return text.cast(pl.Int64, strict=False), ~ok.fill_null(False) | text.cast(
                    pl.Int64, strict=False
                ).is_null()
            if ref.name == "date" and dtype == pl.String:
                parsed = expr.str.strptime(pl.Date, "%Y-%m-%d", strict=False)
                return parsed, parsed.is_null()
            if ref.name == "bool" or ref.name == "date" or (dtype == pl.String and ref.name != "text"):
                return pl.lit(None, dtype=target), pl.lit(True)
            if ref.name == "int" and dtype.is_integer():
                return expr.cast(pl.Int64), NEVER
            return pl.lit(None, dtype=target), pl.lit(True)
        return self.record(expr, ref.name, dtype)

    def target(self, ref: n.TypeRef, dtype: Any) -> pl.DataType:
        """The type of a field's column as read from `dtype`: `polars_type`, but an Enum of the
        enum's members (`members_enum`) stays an Enum, in lists and records too."""
        inner = ref.inner if isinstance(ref, n.OptionalType) else ref
        if members_enum(inner, dtype):
            assert isinstance(dtype, pl.DataType)
            return dtype
        if isinstance(inner, n.ListType) and isinstance(dtype, pl.List):
            return pl.List(self.target(inner.item, dtype.inner))
        if isinstance(inner, n.NamedType) and inner.name in self.types and isinstance(dtype, pl.Struct):
            present = dict(dtype.to_schema())
            fields = self.types[inner.name].fields
            return pl.Struct({f.name: self.target(f.type, present.get(f.name, pl.Null())) for f in fields})
        return polars_type(ref, self.types)

    def record(self, expr: pl.Expr, name: str, dtype: Any) -> tuple[pl.Expr, pl.Expr]:
        present = dict(dtype.to_schema()) if isinstance(dtype, pl.Struct) else {}
        columns: list[pl.Expr] = []
        refused: list[pl.Expr] = [] if isinstance(dtype, pl.Struct) else [pl.lit(True)]
        for fld in self.types[name].fields:
            if fld.name in present:
                converted, bad = self.field(expr.struct.field(fld.name), fld, present[fld.name])
            else:
                converted, bad = self.field(pl.lit(None), fld, pl.Null())
            columns.append(converted.alias(fld.name))
            refused.append(bad)
        converted = pl.when(expr.is_not_null()).then(pl.struct(columns))  # a null record stays null
        return converted, either(*refused)

    def field(self, expr: pl.Expr, fld: n.FieldDecl, dtype: Any) -> tuple[pl.Expr, pl.Expr]:
        """A field's column (its default where absent) and the rows it refuses."""
        target = self.target(fld.type, dtype)
        if dtype == pl.Null:
            converted, bad, missing = pl.lit(None, dtype=target), NEVER, pl.lit(True)
        else:
            converted, bad = self.value(expr, fld.type, dtype)
            bad = NEVER if never(bad) else expr.is_not_null() & bad.fill_null(True)
            missing = expr.is_null()  # a value that is there but cannot be read is refused by `bad`
        if fld.range is not None:
            low, high = pl.lit(fld.range.low.value), pl.lit(fld.range.high.value)
            if isinstance(target, pl.Decimal):
                low, high = low.cast(target), high.cast(target)
            bad = either(bad, ~converted.is_between(low, high).fill_null(True))
        if fld.default is not None:
            converted = converted.fill_null(_literal(fld.default, target))
        elif not isinstance(fld.type, n.OptionalType):
            bad = either(bad, missing)
        return converted if dtype == target else converted.cast(target), bad


def _literal(expr: n.Expr, target: pl.DataType) -> pl.Expr:
    if isinstance(expr, n.ListLit):
        return pl.lit([getattr(x, "value", None) for x in expr.items], dtype=target)
    value = getattr(expr, "value", None)
    if isinstance(value, Decimal):
        return pl.lit(str(value)).cast(target)
    return pl.lit(value, dtype=target)


def _sheets(frame: pl.DataFrame, expected: Expected) -> tuple[list[pl.Expr], list[pl.Expr]]:
    """The judged score columns, and the rows whose sheets are not exactly the plain scores
    expected (each present, in 0..max, no other entry): the Python backend reads those."""
    columns: list[pl.Expr] = []
    refused: list[pl.Expr] = []
    if SHEETS_JSON in frame.columns:
        refused.append(pl.col(SHEETS_JSON).is_not_null())
    dtype = frame.schema.get(SHEETS)
    sheets: dict[str, Any] = dict(dtype.to_schema()) if isinstance(dtype, pl.Struct) else {}
    if dtype is not None and not isinstance(dtype, pl.Struct | pl.Null):
        refused.append(pl.col(SHEETS).is_not_null())
    if expected:
        refused.append(pl.col(SHEETS).is_null() if SHEETS in frame.columns else pl.lit(True))
    for source, sheet_type in sheets.items():
        sheet = pl.col(SHEETS).struct.field(source)
        entries = dict(sheet_type.to_schema()) if isinstance(sheet_type, pl.Struct) else {}
        wanted = {name for name, _ in expected.get(source, [])}
        if not isinstance(sheet_type, pl.Struct):
            refused.append(sheet.is_not_null())
        refused += [sheet.struct.field(name).is_not_null() for name in entries if name not in wanted]
    for source, names in expected.items():
        for name, top in names:
            if source not in sheets or name not in dict(sheets[source].to_schema()):
                refused.append(pl.lit(True))
                columns.append(pl.lit(None, dtype=DECIMAL).alias(judged_column(source, name)))
                continue
            raw = pl.col(SHEETS).struct.field(source).struct.field(name)
            score, bad = _decimal(raw, dict(sheets[source].to_schema())[name])
            refused.append(
                raw.is_null() | bad | ~score.is_between(pl.lit(0).cast(DECIMAL), pl.lit(str(top)).cast(DECIMAL))
            )
            columns.append(score.alias(judged_column(source, name)))
    for source in sheets:
        if source not in expected:
            refused.append(pl.col(SHEETS).struct.field(source).is_not_null())
    return columns, refused


def conform(
    frame: pl.DataFrame, types: Mapping[str, n.TypeDecl], root: str, expected: Expected | None = None
) -> pl.DataFrame:
    """The table's columns as the plan reads them, its row number (`ROW`), the judged scores of
    plain sheets, and the refused rows (`BAD`): a row the schema refuses, with a column the
    schema does not know, or with sheets the plan does not read (the Python backend does)."""
    conformer = Conformer(types)
    columns, refused = _sheets(frame, expected or {})
    columns.append(pl.int_range(pl.len(), dtype=pl.Int64).alias(ROW))
    known = {f.name for f in types[root].fields} | {SHEETS, SHEETS_JSON, RAW, RAW_LINE, RAW_ERROR}
    refused += [pl.col(name).is_not_null() for name in frame.columns if name not in known]
    for fld in types[root].fields:
        if fld.name in frame.columns:
            converted, bad = conformer.field(pl.col(fld.name), fld, frame.schema[fld.name])
        else:
            converted, bad = conformer.field(pl.lit(None), fld, pl.Null())
        columns.append(converted.alias(fld.name))
        refused.append(bad)
    columns.append(either(*refused).fill_null(True).alias(BAD))
    return frame.select(columns)
