"""The columnar backend against the hand-written polars scorer, on the same Parquet records.

    python -m benchmarks.columnar_polars --sizes 100000 1000000 --end-to-end 1000000 --dask 1000000
    python -m benchmarks.columnar_polars --sizes 1000000 --end-to-end 5000000 --folder records

For each size, writes `size` records of the benchmark ruleset (`benchmarks/party_gov.ind`) to
Parquet in chunks (`records.write_party_gov_parquet`, seed 1, no JSON step; a multiple of 1,000,000
above it is that file repeated with the ids made distinct, `records.repeat_parquet`; kept in `--folder`
and reused when present, else a temporary folder), then in this one process, on that same file, times Parquet → results
DataFrame for the hand-written scorer (`benchmarks/baseline_polars.py`, floats) and for
`evaluate_table` (columnar, exact), prints their ratio and how many results of the hand-written
scorer differ from the exact engine's (total as text at 2 places, grade before and after the
quota). `--end-to-end N` runs `ind eval … --backend columnar --out results.parquet` in a new
process on the N-record file, with its wall time and peak RSS (`/usr/bin/time -v`), and the
hand-written scorer's Parquet → Parquet the same way; `--dask N` runs `ind eval … --dask local`
on that file cut in partitions of `--partition` records (a LocalCluster of 2 workers) against
the single-process columnar run, the two commands in turn `--rounds` times (3), and gives the
ratio of the fastest run of each, of their medians and of each round (the single process
alone took 7.4 to 10.9 s in six runs of one morning, a spread larger than Dask's overhead, so
one pair of runs said little). Ratios matter more than seconds on a shared machine; `--repeat N` times each
in-process scorer N times, in turn, and keeps the fastest of each.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import polars as pl

import indicator_dsl

from .baseline_polars import score_parquet
from .records import repeat_parquet, write_party_gov_parquet

RULESET = Path(__file__).resolve().parent / "party_gov.ind"
MILLION = 1_000_000
HAND_WRITTEN_FILE_TO_FILE = (
    "import sys; from benchmarks.baseline_polars import score_parquet; "
    "score_parquet(sys.argv[1]).write_parquet(sys.argv[2])"
)


def records_file(folder: Path, size: int) -> Path:
    """The Parquet file of `size` records (seed 1), written once; a multiple of 1,000,000 above
    it is the 1,000,000-record file that many times, the ids made distinct (`repeat_parquet`:
    generating 5,000,000 records would take over an hour here)."""
    path = folder / f"party_gov-{size}.parquet"
    if not path.exists():
        start = time.perf_counter()
        if size > MILLION and size % MILLION == 0:
            repeat_parquet(records_file(folder, MILLION), size // MILLION, path)
        else:
            write_party_gov_parquet(path, size, seed=1)
        print(f"wrote {size} records to {path} in {time.perf_counter() - start:.1f} s", file=sys.stderr)
    return path


@contextmanager
def record_folder(folder: Path | None) -> Iterator[Path]:
    """`folder` (made if missing), where record files are kept; else a temporary one."""
    with tempfile.TemporaryDirectory() as scratch:
        kept = folder or Path(scratch)
        kept.mkdir(parents=True, exist_ok=True)
        yield kept


def missing(module: str, why: str, install: str) -> bool:
    """Whether `module` cannot be imported; then stderr says `why` it is needed and how to get it."""
    if importlib.util.find_spec(module) is not None:
        return False
    sys.stderr.write(f"{why} needs {module}: {install}\n")
    return True


def differences(hand: pl.DataFrame, exact: pl.DataFrame) -> dict[str, int]:
    """How many rows of the hand-written results differ from the exact engine's, per field."""
    if hand["id"].to_list() != exact["id"].to_list():
        raise AssertionError("the two scorers returned different rows")
    hand_total = hand["total"].map_elements(lambda total: f"{total:.2f}", return_dtype=pl.String)
    return {
        "total": int((hand_total != exact["total"].cast(pl.String)).sum()),
        "grade_by_rules": int((hand["grade_by_rules"] != exact["grade_by_rules"]).sum()),
        "grade": int((hand["grade"] != exact["grade"]).sum()),
    }


def in_process(path: Path, size: int, repeat: int = 1) -> dict[str, Any]:
    """Parquet → results frame, hand-written then columnar, on the same file in this process;
    each the fastest of `repeat` runs, taken in turn (on a shared machine one run can lose
    seconds to another process)."""
    model = indicator_dsl.load(RULESET, backend="columnar")
    hand_s = columnar_s = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        hand = score_parquet(path)
        hand_s = min(hand_s, time.perf_counter() - start)
        start = time.perf_counter()
        exact = model.evaluate_table(path)
        columnar_s = min(columnar_s, time.perf_counter() - start)
    return {
        "records": size,
        "runs": repeat,
        "hand_written_polars_s": round(hand_s, 2),
        "columnar_s": round(columnar_s, 2),
        "columnar_over_hand_written": round(columnar_s / hand_s, 2),
        "hand_written_results_differing": differences(hand, exact),
    }


def timed(command: list[str]) -> dict[str, Any]:
    """Wall seconds and peak RSS (MB) of a command run under `/usr/bin/time -v`."""
    start = time.perf_counter()
    done = subprocess.run(["/usr/bin/time", "-v", *command], capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{command} failed:\n{done.stderr[-2000:]}")
    peak = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
    return {"wall_s": round(wall, 2), "peak_rss_mb": round(int(peak.group(1)) / 1024) if peak else None}


def end_to_end(path: Path, folder: Path) -> dict[str, Any]:
    """Parquet → Parquet in a new process: `ind eval --backend columnar` and the hand-written scorer."""
    ind = [sys.executable, "-m", "indicator_dsl"]
    columnar = timed(
        [*ind, "eval", str(RULESET), str(path), "--backend", "columnar", "--out", str(folder / "out.parquet")]
    )
    hand = timed([sys.executable, "-c", HAND_WRITTEN_FILE_TO_FILE, str(path), str(folder / "hand.parquet")])
    return {"ind_eval_columnar": columnar, "hand_written": hand}


def dask_overhead(path: Path, folder: Path, partition: int, rounds: int = 3) -> dict[str, Any]:
    """`ind eval --dask local` over the file cut in partitions, against one process: the two
    commands run in turn `rounds` times (one process, Dask, one process, Dask, ...), so that
    a slow minute of the machine falls on both; their ratio is given for the fastest run of
    each, the median of each, and each round."""
    parts_dir = folder / f"parts-{partition}"
    parts_dir.mkdir(exist_ok=True)
    size = pl.scan_parquet(path).select(pl.len()).collect().item()
    parts = []
    for number, offset in enumerate(range(0, size, partition)):
        part = parts_dir / f"part-{number:05d}.parquet"
        if not part.exists():
            pl.scan_parquet(path).slice(offset, partition).sink_parquet(part)
        parts.append(str(part))
    ind = [sys.executable, "-m", "indicator_dsl", "eval", str(RULESET)]
    out = folder / "dask-out"
    singles, dasks = [], []
    for _ in range(rounds):
        singles.append(timed([*ind, str(path), "--backend", "columnar", "--out", str(folder / "single.parquet")]))
        dasks.append(timed([*ind, *parts, "--backend", "columnar", "--dask", "local", "--out", str(out)]))
    single_s = [run["wall_s"] for run in singles]
    dask_s = [run["wall_s"] for run in dasks]
    running = _on_a_running_cluster([*ind, *parts, "--backend", "columnar", "--out", str(out)])
    one = pl.read_parquet(folder / "single.parquet")
    spread = pl.concat([pl.read_parquet(p) for p in sorted(out.glob("part-*.parquet"))], how="vertical_relaxed")
    return {
        "partitions": len(parts),
        "rounds": rounds,
        "single_process": singles,
        "dask_local_2_workers": dasks,
        "dask_over_single_fastest": round(min(dask_s) / min(single_s), 2),
        "dask_over_single_median": round(statistics.median(dask_s) / statistics.median(single_s), 2),
        "dask_over_single_each_round": [round(d / s, 2) for s, d in zip(single_s, dask_s, strict=True)],
        "running_cluster": running,
        "running_cluster_over_fastest_single": [round(run["wall_s"] / min(single_s), 2) for run in running],
        "same_ids_totals_grades": one.select("id", "total", "grade").equals(spread.select("id", "total", "grade")),
        "same_results": one.equals(spread),
    }


def _on_a_running_cluster(command: list[str]) -> list[dict[str, Any]]:
    """`command --dask ADDRESS` twice against a LocalCluster of two worker processes started
    beforehand (as a user's cluster is): the first run meets workers that still import the
    engine and build the ruleset's scorer, the second workers that keep the one they built."""
    import distributed

    from indicator_dsl.cli.local_cluster import ONE_POLARS_THREAD

    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, env=ONE_POLARS_THREAD
    ) as cluster:
        return [timed([*command, "--dask", cluster.scheduler_address]) for _ in range(2)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[100_000])
    parser.add_argument("--end-to-end", type=int, metavar="N", help="Parquet → Parquet at N records in new processes")
    parser.add_argument("--dask", type=int, metavar="N", help="the LocalCluster run at N records")
    parser.add_argument("--partition", type=int, default=250_000)
    parser.add_argument("--rounds", type=int, default=3, help="--dask: each command run N times, in turn")
    parser.add_argument("--repeat", type=int, default=1, help="in process: the fastest of N runs of each scorer")
    parser.add_argument("--folder", type=Path, help="keep the record files here (default: a temporary folder)")
    args = parser.parse_args(argv)
    with record_folder(args.folder) as folder:
        runs = [in_process(records_file(folder, n), n, args.repeat) for n in args.sizes]
        report: dict[str, Any] = {"in_process": runs}
        if args.end_to_end:
            report["end_to_end"] = end_to_end(records_file(folder, args.end_to_end), folder)
        if args.dask:
            report["dask"] = dask_overhead(records_file(folder, args.dask), folder, args.partition, args.rounds)
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
