"""Writing record tables as Parquet: typed columns, and any number of records in chunks.

`typed(frame, schema)` turns a table whose numbers and dates are text (as `records_frame`
makes it) into typed columns (ints, dates, decimals at a declared scale), exactly or not at
all: a value the type cannot hold without loss is a ValueError naming its column. The
columnar reader reads a typed decimal or date without parsing text, which is most of what
conforming a text table costs.

`write_chunks(frames, path)` writes tables one after another as one Parquet file with
memory that does not grow with their number: each table is written to a scratch file beside
`path`, then all are streamed into `path`, their columns and struct fields united (a field
absent from a chunk is null there), in order.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import polars as pl

from ..files import publish, temporary

WIDE = pl.Decimal(38, 18)  # decimals are read at this scale to see whether a declared scale holds them


def _widened(dtype: Any) -> Any:
    """`dtype` with every decimal at the WIDE scale."""
    if isinstance(dtype, pl.Decimal):
        return WIDE
    if isinstance(dtype, pl.List):
        return pl.List(_widened(dtype.inner))
    if isinstance(dtype, pl.Struct):
        return pl.Struct({f.name: _widened(f.dtype) for f in dtype.fields})
    return dtype


def _cast(expr: pl.Expr, source: Any, target: Any) -> pl.Expr:
    """`expr` (of type `source`) as `target`, strictly: dates from ISO text, a struct's
    fields by name (a field it lacks as null), list items one by one."""
    if isinstance(target, pl.List):
        if not isinstance(source, pl.List):
            return expr.cast(target)
        return expr.list.eval(_cast(pl.element(), source.inner, target.inner))
    if isinstance(target, pl.Struct):
        if not isinstance(source, pl.Struct):
            return expr.cast(target)
        present = {f.name: f.dtype for f in source.fields}
        fields = [
            _cast(expr.struct.field(f.name), present[f.name], f.dtype).alias(f.name)
            if f.name in present
            else pl.lit(None, dtype=f.dtype).alias(f.name)
            for f in target.fields
        ]
        return pl.when(expr.is_not_null()).then(pl.struct(fields))
    if source == pl.String and target == pl.Date:
        return expr.str.to_date("%Y-%m-%d")
    if source == pl.String and target != pl.String:
        return expr.str.strip_chars().cast(target)
    return expr.cast(target)


def typed(frame: pl.DataFrame, schema: pl.Schema | dict[str, Any]) -> pl.DataFrame:
    """The columns of `schema` (absent ones as nulls) cast exactly from `frame`'s; columns of
    `frame` that `schema` does not name are kept as they are. Raises ValueError naming the
    first column holding a value its type cannot hold exactly (text that is no number or
    date, a decimal with more places than its scale)."""
    columns: list[pl.Series] = []
    for name, dtype in schema.items():
        if name not in frame.columns:
            columns.append(pl.Series(name, [None] * frame.height, dtype=dtype))
            continue
        source = frame.schema[name]
        try:
            target, wide = frame.select(
                _cast(pl.col(name), source, dtype).alias("target"),
                _cast(pl.col(name), source, _widened(dtype)).alias("wide"),
            ).get_columns()
        except pl.exceptions.PolarsError as error:
            first = str(error).splitlines()[0]
            raise ValueError(f"column {name!r}: not every value is a {dtype}: {first}") from None
        if not target.cast(_widened(dtype)).equals(wide):
            raise ValueError(f"column {name!r}: a value has more places than {dtype} holds")
        columns.append(target.alias(name))
    kept = [frame.get_column(name) for name in frame.columns if name not in schema]
    return pl.DataFrame([*columns, *kept])


def write_chunks(frames: Iterable[pl.DataFrame], path: str | Path) -> int:
    """Tables written as one Parquet file, in order, one row group or more each, holding one
    table at a time; returns the number of rows. Columns are united by name (`diagonal_relaxed`)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        parts: list[Path] = []
        rows = 0
        for frame in frames:
            parts.append(scratch / f"{len(parts):06d}.parquet")
            frame.write_parquet(parts[-1], compression="lz4")
            rows += frame.height
        with temporary(target) as part:
            if parts:
                scans = [pl.scan_parquet(p) for p in parts]
                pl.concat(scans, how="diagonal_relaxed").sink_parquet(part)
            else:
                pl.DataFrame().write_parquet(part)
            publish(part, target)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return rows
