"""Dask: partitions scored on a LocalCluster of two worker processes equal one process's results."""

from __future__ import annotations

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
    with (
        distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
        distributed.Client(cluster) as client,
    ):
        count = evaluate_dask(model, parts, tmp_path / "out", client)
    assert count == 90
    written = sorted((tmp_path / "out").glob("part-*.parquet"))
    assert [p.name for p in written] == ["part-00000.parquet", "part-00001.parquet", "part-00002.parquet"]
    assert json_rows(pl.concat([pl.read_parquet(p) for p in written])) == single
