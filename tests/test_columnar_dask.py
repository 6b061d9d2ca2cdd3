"""Dask: partitions scored on a LocalCluster of two worker processes (`ind eval --dask local`)
equal one process's results, quotas across partitions included."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pl = pytest.importorskip("polars", reason="the columnar backend needs polars: pip install -e '.[columnar]'")
distributed = pytest.importorskip("distributed", reason="Dask needs dask[distributed]: pip install -e '.[columnar]'")

from benchmarks.records import generate_party_gov_records, write_jsonl  # noqa: E402

import indicator_dsl  # noqa: E402
from indicator_dsl.evaluate.columnar_results import json_rows  # noqa: E402
from indicator_dsl.evaluate.distributed import evaluate_dask  # noqa: E402

BENCHMARK = Path(__file__).resolve().parents[1] / "benchmarks" / "party_gov.ind"


def test_two_worker_processes_give_the_single_process_results_quotas_included(tmp_path: Path) -> None:
    records = generate_party_gov_records(90, seed=5)
    parts = []
    for index in range(3):  # quota groups (departments) span the partitions
        parts.append(tmp_path / f"in-{index}.jsonl")
        write_jsonl(parts[-1], records[index * 30 : (index + 1) * 30])
    write_jsonl(tmp_path / "all.jsonl", records)
    model = indicator_dsl.load(BENCHMARK, backend="columnar")
    single = json_rows(model.evaluate_table(tmp_path / "all.jsonl"))
    assert sum(1 for r in single if any(s["step"] == "quota" for s in r["steps"])) > 0
    # the cluster runs in a process of its own (`ind eval --dask local`), so none of its
    # processes outlives it as a child of the test process
    command = [sys.executable, "-m", "indicator_dsl", "eval", str(BENCHMARK), *map(str, parts)]
    done = subprocess.run(
        [*command, "--dask", "local", "--out", str(tmp_path / "out")], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert "90 result(s) written" in done.stderr
    written = sorted((tmp_path / "out").glob("part-*.parquet"))
    assert [p.name for p in written] == ["part-00000.parquet", "part-00001.parquet", "part-00002.parquet"]
    assert json_rows(pl.concat([pl.read_parquet(p) for p in written])) == single


def test_evaluate_dask_refuses_a_ruleset_the_columnar_backend_cannot_score(tmp_path: Path) -> None:
    deductions = BENCHMARK.parents[1] / "tests" / "eval_fixtures" / "rulesets" / "deductions.ind"
    with pytest.raises(ValueError, match="longest_gap_months"):
        evaluate_dask(indicator_dsl.load(deductions, backend="auto"), [], tmp_path, client=None)


FORKED_CLUSTER = """
import sys
from indicator_dsl.cli import local_cluster

in_time = local_cluster.one_polars_thread()
import distributed
import polars as pl

import indicator_dsl
from indicator_dsl.evaluate import distributed as scoring

model = indicator_dsl.load(sys.argv[1], backend="columnar")
cluster, client = local_cluster.start(distributed, model, in_time)
with cluster, client:
    threads = client.run(pl.thread_pool_size)
    origin = model.origin
    kept = client.run(lambda: origin in scoring._SCORERS)
    stealing = "stealing" in cluster.scheduler.extensions
print(in_time, sorted(threads.values()), sorted(kept.values()), stealing)
"""


def test_local_workers_are_forked_with_the_scorer_built_and_one_polars_thread_each() -> None:
    """As `ind eval --dask local` starts them: loading the ruleset starts no polars thread pool,
    so the workers are forked, and each has one polars thread (read when polars was imported)."""
    done = subprocess.run(
        [sys.executable, "-c", FORKED_CLUSTER, str(BENCHMARK)], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[0] == "True [1, 1] [True, True] False"  # no work stealing either


def test_local_workers_are_spawned_once_polars_has_its_thread_pool() -> None:
    started = FORKED_CLUSTER.replace(
        "model = indicator_dsl", "pl.select(pl.lit(1)).lazy().collect()\nmodel = indicator_dsl"
    )
    done = subprocess.run([sys.executable, "-c", started, str(BENCHMARK)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[0] == "True [1, 1] [False, False] False"
