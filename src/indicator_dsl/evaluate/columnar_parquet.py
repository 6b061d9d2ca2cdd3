"""A Parquet file read for the columnar plan: only the leaf columns its query reads.

polars reads a list of records (the benchmark's `meetings`) whole, every field of every
record, even when a query reads two of them; decoding a meeting's `attendance`, a decimal
the plan never reads and whose type needs no check, was about half of reading the table.
Parquet stores each field of a nested record as a leaf column of its own, so pyarrow reads
only the leaves asked for, row group by row group.

Which leaves a query needs is found on the schema alone, not by inspecting expressions: the
top-level columns its expressions name (`Expr.meta.root_names`), and, within those, each
field of a record is left out when the query's schema still resolves without it (polars
refuses a `struct.field` of a field that is not there, `StructFieldNotFoundError`). The
narrowed table is used only when it is exactly the narrowed schema (same names and types,
an Enum included) and the whole query runs on an empty table of it; otherwise, and for the
rows the Python backend scores, polars scans the whole file as before.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import polars as pl

Leaf = tuple[str, ...]  # a field's path: a column, then field names (lists are not named)


@dataclass(frozen=True, slots=True)
class Narrowing:
    """What a query reads of a Parquet file: its schema narrowed (`narrow`), the columns read
    whole (`whole`) and the Parquet leaf paths of the columns narrowed (`leaves`)."""

    narrow: pl.Schema
    whole: list[str]
    leaves: list[str]


@dataclass(frozen=True, slots=True)
class ParquetTable:
    """A Parquet file of records to score, or the records `rows` of it (a slice): scanned by
    polars (`lazy`), or, when its rows are whole row groups, read narrowed to what a query
    reads (`narrowed`); a slice (`ahead`, `batches`) can hold what the query reads of it, `read`
    ahead."""

    path: Path
    rows: range | None = None
    read: pl.DataFrame | None = field(default=None, compare=False, repr=False)

    def lazy(self) -> pl.LazyFrame:
        scan = pl.scan_parquet(self.path)
        return scan if self.rows is None else scan.slice(self.rows.start, len(self.rows))

    def collect_schema(self) -> pl.Schema:
        return self.lazy().collect_schema()

    def groups(self) -> range | None:
        """The row groups that are the table's rows (every one of the file when no rows are
        given); None when the rows start or end within a row group."""
        starts = row_groups(self.path)
        if self.rows is None:
            return range(len(starts) - 1)
        if self.rows.start not in starts or self.rows.stop not in starts:
            return None
        return range(starts.index(self.rows.start), starts.index(self.rows.stop))

    def narrowing(self, exprs: Sequence[pl.Expr]) -> Narrowing | None:
        """What `exprs` read of the file; None when the narrowed read cannot stand for the
        whole one, or leaves out only whole columns (polars' scan reads no others)."""
        import pyarrow.parquet as pq

        schema = self.collect_schema()
        kept = needed(schema, exprs)
        parquet = pq.ParquetFile(str(self.path))
        paths = leaf_paths(schema, [parquet.schema.column(i).path for i in range(len(parquet.schema))])
        if kept is None or paths is None:
            return None
        narrow, leaves = kept
        cut = [name for name, dtype in narrow.items() if dtype != schema[name]]
        if not cut:
            return None
        whole = [name for name in narrow if name not in cut]
        return Narrowing(narrow, whole, [paths[leaf] for leaf in leaves if leaf[0] in cut])

    def narrowed(self, exprs: Sequence[pl.Expr]) -> pl.DataFrame | pl.LazyFrame:
        """The columns and record fields `exprs` read, as a DataFrame (`read` ahead, if it was);
        the table scanned (a LazyFrame) when the narrowed read cannot stand for it or its rows
        are part of a row group (pyarrow reads whole row groups)."""
        if self.read is not None:
            return self.read
        groups = self.groups()
        if not groups or (narrowing := self.narrowing(exprs)) is None:
            return self.lazy()
        return self.read_narrowed(narrowing, groups)

    def read_narrowed(self, narrowing: Narrowing, groups: range) -> pl.DataFrame | pl.LazyFrame:
        """What `narrowing` reads of the row `groups`: polars reads the columns read whole
        (faster than pyarrow), pyarrow the leaves of the others, its row groups shared among
        polars' threads; the table scanned when what they read is not the narrowed schema."""
        with ThreadPoolExecutor(1) as pool:  # (polars reads while pyarrow does)
            whole = pool.submit(self.lazy().select(narrowing.whole).collect) if narrowing.whole else None
            frame = pl.from_arrow(self.read_leaves(narrowing.leaves, groups))
            assert isinstance(frame, pl.DataFrame)
            if whole is not None:
                frame = whole.result().hstack(frame.get_columns())
        read = _as_narrowed(frame, narrowing)
        return self.lazy() if read is None else read

    def ahead(self, narrowing: Narrowing | None) -> ParquetTable:
        """This table with what `narrowing` reads of it read now (`read`), when its rows are
        whole row groups and the narrowed read stands for it; else itself, to be scanned."""
        groups = self.groups()
        if narrowing is None or not groups:
            return self
        read = self.read_narrowed(narrowing, groups)
        return self if isinstance(read, pl.LazyFrame) else replace(self, read=read)

    def batches(self, narrowing: Narrowing | None, rows: int) -> Iterator[ParquetTable]:
        """The table's rows (whole row groups) `rows` at a time, each with what `narrowing`
        reads of it read ahead by pyarrow's batch reader, which reads a row group a part at a
        time (polars' scan of a part of a row group decodes it from its start); scanned parts
        of `rows` when nothing can be narrowed or the narrowed read does not stand for it."""
        import pyarrow.parquet as pq

        groups = self.groups()
        assert groups is not None and self.rows is not None
        offset = self.rows.start
        if narrowing is not None:
            reader = pq.ParquetFile(str(self.path))
            columns = [*narrowing.whole, *narrowing.leaves]
            for batch in reader.iter_batches(batch_size=rows, row_groups=list(groups), columns=columns):
                frame = pl.from_arrow(batch)
                assert isinstance(frame, pl.DataFrame)
                read = _as_narrowed(frame, narrowing)
                if read is None:  # (a type polars reads otherwise from pyarrow's batch)
                    break
                yield ParquetTable(self.path, range(offset, offset + frame.height), read)
                offset += frame.height
        for start in range(offset, self.rows.stop, rows):
            yield ParquetTable(self.path, range(start, min(start + rows, self.rows.stop)))

    def read_leaves(self, columns: list[str], groups: range) -> Any:
        """The Parquet `columns` (leaf paths) of the row `groups`, as one Arrow table, read by
        as many threads as polars has (pyarrow reads a row group on one)."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        workers = max(1, min(pl.thread_pool_size(), len(groups)))

        def part(worker: int) -> Any:
            reader = pq.ParquetFile(str(self.path))
            ids = groups[worker * len(groups) // workers : (worker + 1) * len(groups) // workers]
            tables = [reader.read_row_group(i, columns=columns, use_threads=False) for i in ids]
            return pa.concat_tables(tables).combine_chunks()  # (a chunk per row group made the query slower)

        with ThreadPoolExecutor(workers) as pool:
            return pa.concat_tables(list(pool.map(part, range(workers))))


def _as_narrowed(frame: pl.DataFrame, narrowing: Narrowing) -> pl.DataFrame | None:
    """`frame` in the narrowed schema's order; None unless it is exactly that schema (an Enum
    read back as Categorical, ...: then polars reads the table)."""
    frame = frame.select(list(narrowing.narrow))
    return frame if frame.schema == narrowing.narrow else None


def row_groups(path: Path) -> list[int]:
    """Where each row group of the Parquet file at `path` starts, and (last) its number of rows."""
    import pyarrow.parquet as pq

    meta = pq.ParquetFile(str(path)).metadata
    return list(itertools.accumulate((meta.row_group(i).num_rows for i in range(meta.num_row_groups)), initial=0))


def leaves(dtype: Any, path: Leaf) -> Iterator[Leaf]:
    """The leaf fields of a column of `dtype`, depth first (Parquet's order of leaf columns)."""
    if isinstance(dtype, pl.List | pl.Array):
        yield from leaves(dtype.inner, path)
    elif isinstance(dtype, pl.Struct):
        for fld in dtype.fields:
            yield from leaves(fld.dtype, (*path, fld.name))
    else:
        yield path


def without(dtype: Any, path: Leaf) -> Any:
    """`dtype` without the record field at `path` (fields within it); None when that would
    leave a record with no field."""
    if isinstance(dtype, pl.List):
        inner = without(dtype.inner, path)
        return None if inner is None else pl.List(inner)
    if not isinstance(dtype, pl.Struct) or not path:
        return None
    fields: dict[str, Any] = {}
    for fld in dtype.fields:
        if fld.name != path[0]:
            fields[fld.name] = fld.dtype
        elif len(path) > 1:
            inner = without(fld.dtype, path[1:])
            if inner is None:
                return None
            fields[fld.name] = inner
    return pl.Struct(fields) if fields else None


def resolves(schema: dict[str, Any], exprs: Sequence[pl.Expr]) -> bool:
    try:
        pl.LazyFrame(schema=schema).select(exprs).collect_schema()
    except pl.exceptions.PolarsError:
        return False
    return True


def needed(schema: pl.Schema, exprs: Sequence[pl.Expr]) -> tuple[pl.Schema, list[Leaf]] | None:
    """The schema narrowed to what `exprs` read, and its leaves; None when narrowing leaves
    nothing out, or the query does not run on an empty table of the narrowed schema."""
    roots = {name for expr in exprs for name in expr.meta.root_names()}
    narrow: dict[str, Any] = {name: dtype for name, dtype in schema.items() if name in roots}
    for name in list(narrow):
        for leaf in list(leaves(narrow[name], ())):
            trial = without(narrow[name], leaf) if leaf else None
            if trial is not None and resolves({**narrow, name: trial}, exprs):
                narrow[name] = trial
    kept = [(name, *leaf) for name, dtype in narrow.items() for leaf in leaves(dtype, ())]
    if len(kept) == sum(1 for name, dtype in schema.items() for _ in leaves(dtype, ())):
        return None
    try:
        pl.DataFrame(schema=narrow).lazy().select(exprs).collect()
    except pl.exceptions.PolarsError:
        return None
    return pl.Schema(narrow), kept


def leaf_paths(schema: pl.Schema, columns: Sequence[str]) -> dict[Leaf, str] | None:
    """Each leaf of `schema` with the path of its Parquet column (`columns`, in the file's
    order: the leaves depth first); None when they do not pair up."""
    ours = [(name, *leaf) for name, dtype in schema.items() for leaf in leaves(dtype, ())]
    if len(ours) != len(columns):
        return None
    paired = dict(zip(ours, columns, strict=True))
    for leaf, column in paired.items():  # the same names, Parquet's list levels between them
        parts = column.split(".")
        if parts[0] != leaf[0] or (len(leaf) > 1 and parts[-1] != leaf[-1]):
            return None
    return paired


Table = pl.DataFrame | pl.LazyFrame | ParquetTable  # what the columnar scorer scores
