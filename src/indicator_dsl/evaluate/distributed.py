"""Tables scored on a Dask cluster: partitions scored where they are, quotas exact across all.

`evaluate_dask(model, paths, out, client)` runs three steps, and no record moves between
machines:

1. a map over the partitions (one file each: Parquet, Arrow or JSON lines): each worker
   rebuilds the model from its `Origin` (the texts it was loaded from, never the files on
   the worker's disk; a worker forked from a process that holds the model finds it built,
   `keep`) and scores its partition with the columnar plan up to the quotas
   (`ColumnarScorer.first_pass`); the first pass stays in the worker's memory (a future);
2. the workers send only the standings the quotas need (`columnar_standings`): total,
   grade, pinned and groups of the graded rows a quota ranks or moves, as a small table, and
   the number of the other graded rows in each quota group; the client applies every quota
   to all of them at once (`columnar_quotas.apply_quotas`, as a single process does), which
   gives the rows each quota moved;
3. a finishing map, run where each first pass is: the partition's results, with the moved
   rows' grades and steps, written as `out/part-NNNNN.parquet`.

So the results equal a single-process `evaluate_table` of all partitions, row for row, and
each record is scored once.
"""

from __future__ import annotations

import decimal
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, Protocol

import polars as pl

from ..semantics.arithmetic import EXACT
from .columnar import ColumnarScorer, FirstPass
from .columnar_standings import Standings, combined
from .tables import ROW


class Recipe(Protocol):
    """What rebuilds a model in a worker (`api.Origin`): hashable, so each worker builds it once."""

    def load(self) -> Any: ...

    def __hash__(self) -> int: ...


_SCORERS: dict[Any, ColumnarScorer] = {}  # by origin: built once per process


def keep(model: Any) -> None:
    """`model`'s columnar scorer kept as its origin's, so that a worker process forked after
    this call finds it built (`ind eval --dask local`) instead of rebuilding it."""
    _SCORERS[model.origin] = _columnar(model)


def _columnar(model: Any) -> ColumnarScorer:
    scorer = model.tables.scorer
    if scorer is None:
        raise ValueError(f"the columnar backend cannot score this ruleset: {model.columnar_note}")
    assert isinstance(scorer, ColumnarScorer)
    return scorer


def _scorer(origin: Recipe) -> ColumnarScorer:
    """The columnar scorer of a model: kept (`keep`), else rebuilt once per worker process."""
    scorer = _SCORERS.get(origin)
    if scorer is None:
        scorer = _SCORERS[origin] = _columnar(origin.load())
    return scorer


SHIFT = 40  # a row's key across partitions: its partition above bit 40, its row below


def moves(plan: Any, parts: Sequence[Standings]) -> list[pl.DataFrame]:
    """Every quota applied to the standings of all partitions at once (`columnar_quotas`): the
    rows moved, by partition (`ROW`, final grade, quota steps)."""
    from .columnar_quotas import apply_quotas

    if not parts:
        return []
    keyed = [
        replace(part, rows=part.rows.with_columns(pl.col(ROW) + (number << SHIFT))) for number, part in enumerate(parts)
    ]
    every = combined(keyed)
    moved = apply_quotas(plan.quotas, [g.name for g in plan.grades], every.rows, every.counts)
    part = pl.col(ROW) // (1 << SHIFT)
    row = pl.col(ROW) % (1 << SHIFT)
    return [moved.filter(part == p).with_columns(row.alias(ROW)) for p in range(len(parts))]


def first_pass(origin: Recipe, path: str) -> FirstPass:
    """A partition scored and graded, before the quotas."""
    scorer = _scorer(origin)
    return scorer.first_pass(scorer.read_table(path))


def standings(origin: Recipe, first: FirstPass) -> Standings:
    return _scorer(origin).standings(first)


def finish_results(scorer: ColumnarScorer, first: FirstPass, moved: pl.DataFrame) -> pl.DataFrame:
    with decimal.localcontext(EXACT):
        return scorer.columns.results(first.fast, first.pendings, moved, first.height)


def finish(origin: Recipe, partition: int, first: FirstPass, moved: pl.DataFrame, out: str) -> int:
    """A partition's results, quota moves included, written as `out/part-NNNNN.parquet`."""
    from ..files import publish, temporary

    results = finish_results(_scorer(origin), first, moved)
    target = Path(out) / f"part-{partition:05d}.parquet"
    with temporary(target) as part:
        results.write_parquet(part)
        publish(part, target)
    return results.height


def evaluate_dask(model: Any, paths: Sequence[str | Path], out: str | Path, client: Any) -> int:
    """Score each partition file on `client`'s cluster, quotas across all; results written as
    partitioned Parquet under `out` (one `part-NNNNN.parquet` per input, in order). Returns the
    number of results. `model` is a ruleset loaded with `backend="columnar"`."""
    _columnar(model)  # refuses a ruleset the columnar backend cannot score
    origin = model.origin
    files = [str(Path(p).resolve()) for p in paths]
    count = len(files)
    firsts = client.map(first_pass, [origin] * count, files, pure=False)
    parts = client.gather(client.map(standings, [origin] * count, firsts, pure=False))
    moved = moves(model.engine.plan, parts)
    Path(out).mkdir(parents=True, exist_ok=True)
    counts = client.map(finish, [origin] * count, range(count), firsts, moved, [str(out)] * count, pure=False)
    written = int(sum(client.gather(counts)))
    del firsts  # the first passes are released on the workers
    return written
