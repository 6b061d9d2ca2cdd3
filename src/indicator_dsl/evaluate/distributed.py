"""Tables scored on a Dask cluster: partitions scored where they are, quotas exact across all.

`evaluate_dask(model, paths, out, client)` runs three steps, and no record moves between
machines:

1. a map over the partitions (one file each: Parquet, Arrow or JSON lines): each worker
   rebuilds the model from its `Origin` (the texts it was loaded from, never the files on
   the worker's disk), scores its partition with the columnar plan (`ColumnarScorer.first_pass`)
   and returns only the standings of its graded rows (total, grade, pinned, group);
2. the client applies every quota to all standings at once (`population.apply_quota`, the
   same code as a single-process batch), which gives the rows each quota moved;
3. a finishing map: each worker scores its partition again and writes its results, with the
   moved rows' grades and steps, as `out/part-NNNNN.parquet`.

So the results equal a single-process `evaluate_table` of all partitions, row for row.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from .columnar import ColumnarScorer, apply_quotas
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


def _standings(origin: Recipe, partition: int, path: str) -> dict[Key, Standing]:
    scorer = _scorer(origin)
    first = scorer.first_pass(scorer.read_table(path))
    return {(partition, row): s for row, s in scorer.standings(first).items()}


def _finish(origin: Recipe, partition: int, path: str, moved: dict[int, Standing], out: str) -> int:
    from ..files import publish, temporary

    scorer = _scorer(origin)
    results = scorer.finish(scorer.first_pass(scorer.read_table(path)), moved)
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
    firsts = client.map(_standings, [origin] * len(files), range(len(files)), files, pure=False)
    standings: dict[Key, Standing] = {}
    for part in client.gather(firsts):
        standings.update(part)
    apply_quotas(model.engine.plan, list(standings.values()))
    moved: list[dict[int, Standing]] = [{} for _ in files]
    for (partition, row), standing in standings.items():
        if standing.steps:
            moved[partition][row] = standing
    Path(out).mkdir(parents=True, exist_ok=True)
    counts = client.map(
        _finish, [origin] * len(files), range(len(files)), files, moved, [str(out)] * len(files), pure=False
    )
    return int(sum(client.gather(counts)))
