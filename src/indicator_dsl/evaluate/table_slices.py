"""A Parquet table larger than memory scored in slices, quotas exact across all of them.

`evaluate_slices(model, path, out, rows)` reads the table about `rows` records at a time
(whole row groups, each slice read narrowed to the leaves the plan reads) and runs the steps
of `distributed.evaluate_dask` in one process: each slice is scored up to the quotas
(`ColumnarScorer.first_pass`) and its first pass set aside on disk beside `out` (only the
columns the results read: figures, grading, the record fields the outcomes read); the quotas
are applied to the standings of every slice at once (`distributed.moves`); then each slice is
finished and written to `out` as a row group of one Parquet file, in the table's order. Each
write runs on a thread of its own while the next slice is scored (`Behind`). Memory holds two
slices and the standings, so it does not grow with the table but with `rows` (a slice of
whole row groups holds less than `CUT_ABOVE` + 1 times `rows`) and a few hundred bytes per
graded record.
"""

from __future__ import annotations

import itertools
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any

import polars as pl

from .columnar import ColumnarScorer, FirstPass
from .columnar_parquet import ParquetTable, row_groups
from .columnar_standings import Standings
from .distributed import finish_results, moves

SLICE_ABOVE = 1_000_000  # `ind eval` scores a Parquet table of more records than this in slices
SLICE_ROWS = 125_000  # of this many records
CUT_ABOVE = 4  # a row group of more than this many slices is cut (`slices`)


@dataclass(frozen=True, slots=True)
class Written:
    """What `evaluate_slices` wrote: results, and results with errors."""

    results: int
    failed: int


def parquet_rows(path: str | Path) -> int:
    """The number of records of a Parquet file, from its footer."""
    import pyarrow.parquet as pq

    return int(pq.ParquetFile(str(path)).metadata.num_rows)


def slices(path: str | Path, rows: int, exprs: Sequence[pl.Expr]) -> Iterator[ParquetTable]:
    """The records of a Parquet file about `rows` at a time, in order, each read as it is taken
    narrowed to what the plan reads (its `exprs`), as a whole file is (`columnar_parquet`;
    what to read is found once for the file): whole row groups, as many as make `rows` or more;
    a row group of more than `CUT_ABOVE` times `rows` is cut into parts of `rows`
    (`ParquetTable.batches`)."""
    table = Path(path)
    narrowing = ParquetTable(table).narrowing(exprs)
    starts = row_groups(table)
    begin = 0
    for start, end in itertools.pairwise(starts):
        if end - start > CUT_ABOVE * rows:
            if begin < start:
                yield ParquetTable(table, range(begin, start)).ahead(narrowing)
            yield from ParquetTable(table, range(start, end)).batches(narrowing, rows)
            begin = end
        elif end > begin and (end - begin >= rows or end == starts[-1]):  # (a row group may hold no row)
            yield ParquetTable(table, range(begin, end)).ahead(narrowing)
            begin = end


def _kept(scorer: ColumnarScorer, first: FirstPass) -> FirstPass:
    """The first pass without the record fields its results do not read (kept: the id, the
    quota groups and the fields the outcomes read)."""
    read = {"id", *(q.within for q in scorer.engine.plan.quotas if q.within)}
    for expr in scorer.plan.outcomes.values():
        read.update(expr.meta.root_names())
    fields = [f.name for f in scorer.types[scorer.root].fields]
    return replace(first, fast=first.fast.drop([name for name in fields if name not in read], strict=False))


class Behind:
    """Writes done on a thread of their own while the caller scores the next slice (pyarrow and
    polars write without holding the interpreter): `put` waits for the write before it, so one
    slice is written while the next is scored, and raises that write's error; leaving the block
    waits for the last."""

    def __init__(self) -> None:
        self.pool = ThreadPoolExecutor(1)
        self.last: Future[None] | None = None

    def put(self, write: Callable[..., None], *args: Any) -> None:
        self.wait()
        self.last = self.pool.submit(write, *args)

    def wait(self) -> None:
        last, self.last = self.last, None
        if last is not None:
            last.result()

    def __enter__(self) -> Behind:
        return self

    def __exit__(self, *error: object) -> None:
        try:
            if error[0] is None:
                self.wait()
        finally:
            self.pool.shutdown(wait=True)


def statistics(schema: Any) -> list[str]:
    """The result columns whose minimum and maximum a row group records: the top-level ones that
    are not lists or records (id, total, grade, ...); those of every field nested in the sources
    took a third of the writing time and serve no reader's filter."""
    import pyarrow as pa

    nested = (pa.types.is_struct, pa.types.is_list, pa.types.is_large_list)
    return [f.name for f in schema if not any(test(f.type) for test in nested)]


def evaluate_slices(model: Any, path: str | Path, out: str | Path, rows: int = SLICE_ROWS) -> Written:
    """Score the Parquet table at `path` `rows` records at a time, quotas across all of them,
    and write its results to the Parquet file `out` (a row group a slice), each slice's
    writing overlapping the scoring of the next."""
    import pyarrow.parquet as pq

    from ..files import publish, temporary

    scorer = model.tables.scorer
    if scorer is None:
        raise ValueError(f"the columnar backend cannot score this ruleset: {model.columnar_note}")
    assert isinstance(scorer, ColumnarScorer)
    target = Path(out)
    scratch = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        standings: list[Standings] = []
        firsts: list[FirstPass] = []
        with Behind() as behind:
            exprs = scorer.conformed(ParquetTable(Path(path)))
            for number, table in enumerate(slices(path, rows, exprs)):
                first = _kept(scorer, scorer.first_pass(table))
                standings.append(scorer.standings(first))
                aside = scratch / f"{number:06d}.parquet"
                behind.put(partial(first.fast.write_parquet, compression="lz4", statistics=False), aside)
                firsts.append(replace(first, fast=pl.DataFrame()))
        moved = moves(scorer.engine.plan, standings)
        del standings
        written = Written(0, 0)
        with temporary(target) as part:
            writer: pq.ParquetWriter | None = None
            try:
                with Behind() as behind:
                    for number, first in enumerate(firsts):
                        fast = pl.read_parquet(scratch / f"{number:06d}.parquet")
                        results = finish_results(scorer, replace(first, fast=fast), moved[number])
                        failed = int((results["errors"].list.len() > 0).sum())
                        written = Written(written.results + results.height, written.failed + failed)
                        arrow = results.to_arrow()
                        if writer is None:
                            kept = statistics(arrow.schema)
                            writer = pq.ParquetWriter(str(part), arrow.schema, write_statistics=kept)
                        behind.put(writer.write_table, arrow.cast(writer.schema))
            finally:
                if writer is not None:
                    writer.close()
            if writer is None:
                pl.DataFrame(schema=scorer.columns.schema).write_parquet(part)
            publish(part, target)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return written
