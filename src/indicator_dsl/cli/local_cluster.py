"""The cluster of `ind eval --dask local`: two worker processes of one thread and one polars
thread each, forked from `ind` where that is safe.

Forked, a worker starts with the interpreter, `distributed`, polars and the engine imported and
the ruleset's scorer built (`distributed.keep`); spawned (Dask's default) it imports them all
and rebuilds the scorer first, which cost the run about a second and a half
(docs/decisions.md). The fork is taken only when both of these hold, else the workers are
spawned:

- polars was imported after `one_polars_thread` set `POLARS_MAX_THREADS=1`: polars reads it
  when it is imported, and a forked worker keeps what its parent read;
- polars' thread pool has not started in this process (`pool_started`): a forked worker would
  inherit a pool whose threads do not exist in it and wait for them forever. Loading a ruleset
  builds its plan but runs no query, so the pool starts only when the client first reads the
  standings, after the fork.

The fork is made by Dask's process-watching thread while the main thread waits for the
cluster; a worker the nanny starts again later (after a crash) is spawned, since the setting
is lifted once the cluster runs.
"""

from __future__ import annotations

import multiprocessing
import os
import re
import sys
from pathlib import Path
from typing import Any

ONE_POLARS_THREAD = {"POLARS_MAX_THREADS": "1"}  # read by polars when a process imports it
POOL_THREAD = re.compile(r"polars-\d+")  # the name of each thread of polars' pool


def one_polars_thread() -> bool:
    """One polars thread in this process and in every process forked from it; to be called
    before polars is imported. Whether it was in time (polars not imported yet)."""
    os.environ.update(ONE_POLARS_THREAD)
    return "polars" not in sys.modules


def pool_started() -> bool:
    """Whether polars' thread pool has threads in this process (True where threads cannot be
    listed: only Linux's /proc names them)."""
    tasks = Path("/proc/self/task")
    try:
        threads = list(tasks.iterdir())
    except OSError:
        return True
    for thread in threads:
        try:
            name = (thread / "comm").read_text().strip()
        except FileNotFoundError:  # a thread that ended meanwhile
            continue
        if POOL_THREAD.fullmatch(name):
            return True
    return False


def start(distributed: Any, model: Any, forkable: bool) -> tuple[Any, Any]:
    """A LocalCluster of two worker processes and a client of it; the workers forked when
    `forkable` (`one_polars_thread` was in time) and polars' pool has not started; its
    scheduler steals no work (equal partitions, each finished where it was first scored)."""
    import dask

    from ..evaluate.distributed import keep

    fork = forkable and "fork" in multiprocessing.get_all_start_methods() and not pool_started()
    if fork:
        keep(model)
    method = "fork" if fork else "spawn"
    # no work stealing: a partition's finishing runs where its first pass stays, so a first
    # pass stolen by the worker that was done first made it finish three partitions of four
    settings = {"distributed.worker.multiprocessing-method": method, "distributed.scheduler.work-stealing": False}
    with dask.config.set(settings):
        cluster = distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, env=ONE_POLARS_THREAD
        )
    return cluster, distributed.Client(cluster)
