"""Tables scored on a Dask cluster: partitions scored where they are, quotas exact across all.

`evaluate_dask(model, paths, out, client)` runs three steps, and no record moves between
machines:

1. a map over the partitions (one file each: Parquet, Arrow or JSON lines): each worker
   rebuilds the model from its `Origin` (the texts it was loaded from, never the files on
   the worker's disk) and scores its partition with the columnar plan up to the quotas
   (`ColumnarScorer.first_pass`); the first pass stays in the worker's memory (a future);
2. the workers send only the standings of their graded rows (total, grade, pinned, group)
   as a small table, and the client applies every quota to all of them at once
   (`population.apply_quota`, the same code as a single-process batch, one quota group at
   a time), which gives the rows each quota moved;
3. a finishing map, run where each first pass is: the partition's results, with the moved
   rows' grades and steps, written as `out/part-NNNNN.parquet`.

So the results equal a single-process `evaluate_table` of all partitions, row for row, and
each record is scored once.
"""

from __future__ import annotations

import decimal
import functools
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

import polars as pl

from ..semantics.arithmetic import EXACT
from .columnar import ColumnarScorer, FirstPass
from .population import Standing, apply_quota
from .tables import ROW

PART = "__partition"  # which partition (or slice) a standing is of
TOTAL, GRADE, PINNED = "__total", "__grade", "__pinned"


class Recipe(Protocol):
    """What rebuilds a model in a worker (`api.Origin`): hashable, so each worker builds it once."""

    def load(self) -> Any: ...

    def __hash__(self) -> int: ...


@functools.cache
def _scorer(origin: Recipe) -> ColumnarScorer:
    """The columnar scorer of a model, rebuilt once per worker process."""
    model = origin.load()
    scorer = model.tables.scorer
    if scorer is None:
        raise ValueError(f"the columnar backend cannot score this ruleset: {model.columnar_note}")
    assert isinstance(scorer, ColumnarScorer)
    return scorer


def group_column(index: int) -> str:
    return f"__group_{index}"


def standings_table(scorer: ColumnarScorer, first: FirstPass, partition: int) -> pl.DataFrame:
    """What the quotas read of a partition's graded rows, one row each: `PART`, `ROW`, the
    rounded total as its text, grade, pinned and each quota's group. A table, not `Standing`s:
    it crosses processes in one piece, and a million of them fit in a few tens of MB."""
    plan = scorer.engine.plan
    keys = [(plan.name, index) for index in range(len(plan.quotas))]
    with decimal.localcontext(EXACT):
        found = scorer.standings(first)
    rows = [
        (partition, row, str(s.total), s.grade, s.pinned, *(s.groups.get(k) for k in keys)) for row, s in found.items()
    ]
    names = [PART, ROW, TOTAL, GRADE, PINNED, *(group_column(i) for i in range(len(keys)))]
    return pl.DataFrame(rows, schema=names, orient="row", infer_schema_length=None)


def moves(plan: Any, tables: Sequence[pl.DataFrame], partitions: int) -> list[dict[int, Standing]]:
    """Every quota, in order, applied to the standings of all partitions (`population.apply_quota`,
    one quota group at a time, so only one group's `Standing`s are held): the rows moved, by
    partition, each a `Standing` with its final grade and its quota steps."""
    table = (
        pl.concat([t for t in tables if t.height], how="vertical_relaxed") if any(t.height for t in tables) else None
    )
    moved: list[dict[int, Standing]] = [{} for _ in range(partitions)]
    if table is None:
        return moved
    grades = [g.name for g in plan.grades]
    current: dict[tuple[int, int], Standing] = {}  # the rows moved so far
    with decimal.localcontext(EXACT):
        for index, quota in enumerate(plan.quotas):
            key = (plan.name, index)
            for group in table.select(PART, ROW, TOTAL, GRADE, PINNED, group_column(index)).partition_by(
                group_column(index), maintain_order=True
            ):
                members: list[tuple[tuple[int, int], Standing]] = []
                for part, row, total, grade, pinned, value in group.iter_rows():
                    held = current.get((part, row))
                    standing = Standing(Decimal(total), held.grade if held else grade, pinned, {key: value})
                    members.append(((part, row), standing))
                apply_quota(key, quota, grades, [s for _, s in members])
                for where, standing in members:
                    if standing.steps:
                        held = current.setdefault(where, Standing(standing.total, standing.grade, standing.pinned))
                        held.grade = standing.grade
                        held.steps.extend(standing.steps)
    for (part, row), standing in current.items():
        moved[part][row] = standing
    return moved


def first_pass(origin: Recipe, path: str) -> FirstPass:
    """A partition scored and graded, before the quotas."""
    scorer = _scorer(origin)
    return scorer.first_pass(scorer.read_table(path))


def standings(origin: Recipe, partition: int, first: FirstPass) -> pl.DataFrame:
    return standings_table(_scorer(origin), first, partition)


def finish(origin: Recipe, partition: int, first: FirstPass, moved: dict[int, Standing], out: str) -> int:
    """A partition's results, quota moves included, written as `out/part-NNNNN.parquet`."""
    from ..files import publish, temporary

    results = _scorer(origin).finish(first, moved)
    target = Path(out) / f"part-{partition:05d}.parquet"
    with temporary(target) as part:
        results.write_parquet(part)
        publish(part, target)
    return results.height


def evaluate_dask(model: Any, paths: Sequence[str | Path], out: str | Path, client: Any) -> int:
    """Score each partition file on `client`'s cluster, quotas across all; results written as
    partitioned Parquet under `out` (one `part-NNNNN.parquet` per input, in order). Returns the
    number of results. `model` is a ruleset loaded with `backend="columnar"`."""
    if model.tables.scorer is None:
        raise ValueError(f"the columnar backend cannot score this ruleset: {model.columnar_note}")
    origin = model.origin
    files = [str(Path(p).resolve()) for p in paths]
    count = len(files)
    firsts = client.map(first_pass, [origin] * count, files, pure=False)
    tables = client.gather(client.map(standings, [origin] * count, range(count), firsts, pure=False))
    moved = moves(model.engine.plan, tables, count)
    Path(out).mkdir(parents=True, exist_ok=True)
    counts = client.map(finish, [origin] * count, range(count), firsts, moved, [str(out)] * count, pure=False)
    written = int(sum(client.gather(counts)))
    del firsts  # the first passes are released on the workers
    return written
