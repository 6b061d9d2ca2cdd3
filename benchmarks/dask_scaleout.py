"""The Dask scale-out curve of the columnar backend: partitions × workers on one machine.

    python -m benchmarks.dask_scaleout --size 200000 --partitions 1 2 4 8 --workers 1 2

Writes `size` records of the benchmark ruleset (`benchmarks/party_gov.ind`) to typed Parquet
(`records.write_party_gov_parquet`, seed 1, kept in `--folder` and reused), cuts the file in
each number of partitions, and for each number of workers starts a `LocalCluster` of that many
single-threaded worker processes once, then times `evaluate_dask` over each cut (results as
partitioned Parquet) against one process's `evaluate_table` of the whole file plus writing its
results, timed before the first cluster and again after the last (the ratio is to the first).
The cluster's start is timed apart. Every Dask run's results are checked
equal to the single process's (ids, totals, grades). Ratios matter more than seconds on a
shared machine.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import polars as pl

import indicator_dsl
from indicator_dsl.evaluate.distributed import evaluate_dask

from .columnar_polars import missing, record_folder, records_file

RULESET = Path(__file__).resolve().parent / "party_gov.ind"


def cut(path: Path, folder: Path, partitions: int) -> list[Path]:
    """The records file in `partitions` files of (nearly) equal size, made once."""
    size = pl.scan_parquet(path).select(pl.len()).collect().item()
    step = -(-size // partitions)
    parts = []
    for number in range(partitions):
        part = folder / f"{path.stem}-cut{partitions}" / f"part-{number:05d}.parquet"
        if not part.exists():
            part.parent.mkdir(parents=True, exist_ok=True)
            pl.scan_parquet(path).slice(number * step, step).sink_parquet(part)
        parts.append(part)
    return parts


def single(model: Any, path: Path, folder: Path) -> tuple[float, pl.DataFrame]:
    start = time.perf_counter()
    results = model.evaluate_table(path)
    results.write_parquet(folder / "single.parquet")
    return time.perf_counter() - start, results.select("id", "total", "grade")


def curve(path: Path, folder: Path, partitions: list[int], workers: list[int]) -> dict[str, Any]:
    import distributed

    model = indicator_dsl.load(RULESET, backend="columnar")
    alone, expected = single(model, path, folder)
    runs: list[dict[str, Any]] = []
    for count in workers:
        start = time.perf_counter()
        cluster = distributed.LocalCluster(
            n_workers=count, threads_per_worker=1, processes=True, dashboard_address=None
        )
        client = distributed.Client(cluster)
        started = time.perf_counter() - start
        try:
            for parts in partitions:
                files = cut(path, folder, parts)
                out = folder / f"dask-{count}-{parts}"
                start = time.perf_counter()
                evaluate_dask(model, files, out, client)
                seconds = time.perf_counter() - start
                written = pl.concat([pl.read_parquet(p) for p in sorted(out.glob("part-*.parquet"))])
                runs.append(
                    {
                        "workers": count,
                        "partitions": parts,
                        "seconds": round(seconds, 2),
                        "over_single_process": round(seconds / alone, 2),
                        "cluster_start_s": round(started, 2),
                        "same_results": written.select("id", "total", "grade").equals(expected),
                    }
                )
                print(json.dumps(runs[-1]), file=sys.stderr)
        finally:
            client.close()
            cluster.close()
    again, _ = single(model, path, folder)  # the load of a shared machine drifts: once more at the end
    return {"single_process_s": [round(alone, 2), round(again, 2)], "runs": runs}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=200_000)
    parser.add_argument("--partitions", type=int, nargs="+", default=[1, 2, 4, 8])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--folder", type=Path, help="keep the record files here (default: a temporary folder)")
    args = parser.parse_args(argv)
    if missing("distributed", "the scale-out curve", "pip install -e '.[columnar]'"):
        return 2
    with record_folder(args.folder) as folder:
        report = {"records": args.size, **curve(records_file(folder, args.size), folder, args.partitions, args.workers)}
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
