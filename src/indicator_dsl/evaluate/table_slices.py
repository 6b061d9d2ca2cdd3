"""A Parquet table larger than memory scored in slices, quotas exact across all of them.

`evaluate_slices(model, path, out, rows)` reads the table `rows` records at a time and runs
the steps of `distributed.evaluate_dask` in one process: each slice is scored up to the
quotas (`ColumnarScorer.first_pass`) and its first pass set aside on disk beside `out`
(only the columns the results read: figures, grading, the record fields the outcomes
read); the quotas are applied to the standings of every slice at once
(`distributed.moves`); then each slice is finished and written to `out` as row groups of
one Parquet file, in the table's order. Memory holds one slice and the standings, so it
does not grow with the table but with `rows` (and a few hundred bytes per graded record).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import polars as pl

from .columnar import ColumnarScorer, FirstPass
from .columnar_standings import Standings
from .distributed import finish_results, moves

SLICE_ABOVE = 1_000_000  # `ind eval` scores a Parquet table of more records than this in slices
SLICE_ROWS = 125_000  # of this many records


@dataclass(frozen=True, slots=True)
class Written:
    """What `evaluate_slices` wrote: results, and results with errors."""

    results: int
    failed: int


def parquet_rows(path: str | Path) -> int:
    """The number of records of a Parquet file, from its footer."""
    import pyarrow.parquet as pq

    return int(pq.ParquetFile(str(path)).metadata.num_rows)


def slices(path: str | Path, rows: int) -> Iterator[pl.DataFrame]:
    """The table of a Parquet file, `rows` records at a time, in order (read by polars, which
    reads only the row groups of each slice: pyarrow's batches cannot hold an Enum column
    inside a list of records, and were slower)."""
    scan = pl.scan_parquet(path)
    for offset in range(0, parquet_rows(path), rows):
        yield scan.slice(offset, rows).collect()


def _kept(scorer: ColumnarScorer, first: FirstPass) -> FirstPass:
    """The first pass without the record fields its results do not read (kept: the id, the
    quota groups and the fields the outcomes read)."""
    read = {"id", *(q.within for q in scorer.engine.plan.quotas if q.within)}
    for expr in scorer.plan.outcomes.values():
        read.update(expr.meta.root_names())
    fields = [f.name for f in scorer.types[scorer.root].fields]
    return replace(first, fast=first.fast.drop([name for name in fields if name not in read], strict=False))


def evaluate_slices(model: Any, path: str | Path, out: str | Path, rows: int = SLICE_ROWS) -> Written:
    """Score the Parquet table at `path` `rows` records at a time, quotas across all of them,
    and write its results to the Parquet file `out` (one row group or more per slice)."""
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
        for number, table in enumerate(slices(path, rows)):
            first = _kept(scorer, scorer.first_pass(table))
            standings.append(scorer.standings(first))
            first.fast.write_parquet(scratch / f"{number:06d}.parquet", compression="lz4")
            firsts.append(replace(first, fast=pl.DataFrame()))
        moved = moves(scorer.engine.plan, standings)
        del standings
        written = Written(0, 0)
        with temporary(target) as part:
            writer: pq.ParquetWriter | None = None
            try:
                for number, first in enumerate(firsts):
                    fast = pl.read_parquet(scratch / f"{number:06d}.parquet")
                    results = finish_results(scorer, replace(first, fast=fast), moved[number])
                    failed = int((results["errors"].list.len() > 0).sum())
                    written = Written(written.results + results.height, written.failed + failed)
                    arrow = results.to_arrow()
                    if writer is None:
                        writer = pq.ParquetWriter(str(part), arrow.schema)
                    writer.write_table(arrow.cast(writer.schema))
            finally:
                if writer is not None:
                    writer.close()
            if writer is None:
                pl.DataFrame(schema=scorer.columns.schema).write_parquet(part)
            publish(part, target)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return written
