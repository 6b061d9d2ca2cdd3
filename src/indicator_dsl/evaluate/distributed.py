"""Tables scored on a Dask cluster: partitions scored where they are, quotas exact across all.

`evaluate_dask(model, paths, out, client)` runs three steps, and no record moves between
machines:

1. a map over the partitions (one file each: Parquet, Arrow or JSON lines): each worker
   rebuilds the model from its `Origin` (the texts it was loaded from, never the files on
   the worker's disk) and scores its partition with the columnar plan up to the quotas
   (`ColumnarScorer.first_pass`); the first pass stays in the worker's memory (a future);
2. the workers send only the standings of their graded rows (total, grade, pinned, group),
   and the client applies every quota to all of them at once (`population.apply_quota`,
   the same code as a single-process batch), which gives the rows each quota moved;
3. a finishing map, run where each first pass is: the partition's results, with the moved
   rows' grades and steps, written as `out/part-NNNNN.parquet`.

So the results equal a single-process `evaluate_table` of all partitions, row for row, and
each record is scored once.
"""

from __future__ import annotations

import decimal
import functools
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from ..semantics.arithmetic import EXACT
from .columnar import ColumnarScorer, FirstPass, apply_quotas
from .population import Standing

Key = tuple[int, int]  # (partition, row within it)


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


def first_pass(origin: Recipe, path: str) -> FirstPass:
    """A partition scored and graded, before the quotas."""
    scorer = _scorer(origin)
    return scorer.first_pass(scorer.read_table(path))


def exact_standings(scorer: ColumnarScorer, first: FirstPass, partition: int) -> dict[Key, Standing]:
    """What the quotas read of a partition's graded rows, by (partition, row)."""
    with decimal.localcontext(EXACT):
        return {(partition, row): s for row, s in scorer.standings(first).items()}


def standings(origin: Recipe, partition: int, first: FirstPass) -> dict[Key, Standing]:
    return exact_standings(_scorer(origin), first, partition)


def finish(origin: Recipe, partition: int, first: FirstPass, moved: dict[int, Standing], out: str) -> int:
    """A partition's results, quota moves included, written as `out/part-NNNNN.parquet`."""
    from ..files import publish, temporary

    results = _scorer(origin).finish(first, moved)
    target = Path(out) / f"part-{partition:05d}.parquet"
    with temporary(target) as part:
        results.write_parquet(part)
        publish(part, target)
    return results.height


def moves(plan: Any, found: dict[Key, Standing], partitions: int) -> list[dict[int, Standing]]:
    """Every quota applied to the standings of all partitions: the rows it moved, by partition."""
    with decimal.localcontext(EXACT):
        apply_quotas(plan, list(found.values()))
    moved: list[dict[int, Standing]] = [{} for _ in range(partitions)]
    for (partition, row), standing in found.items():
        if standing.steps:
            moved[partition][row] = standing
    return moved


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
    found: dict[Key, Standing] = {}
    for part in client.gather(client.map(standings, [origin] * count, range(count), firsts, pure=False)):
        found.update(part)
    moved = moves(model.engine.plan, found, count)
    Path(out).mkdir(parents=True, exist_ok=True)
    counts = client.map(finish, [origin] * count, range(count), firsts, moved, [str(out)] * count, pure=False)
    written = int(sum(client.gather(counts)))
    del firsts  # the first passes are released on the workers
    return written
