"""The benchmark tools of the columnar backend: the chunked Parquet generator (its typed table:
tests/test_columnar_io.py) and the hand-written polars scorer it is measured against
(`benchmarks/columnar.py`)."""

from __future__ import annotations

from pathlib import Path

import pytest

pl = pytest.importorskip("polars", reason="the columnar backend needs polars: pip install -e '.[columnar]'")
pytest.importorskip("pyarrow", reason="the columnar backend needs pyarrow: pip install -e '.[columnar]'")

from benchmarks.baseline_polars import score_parquet  # noqa: E402
from benchmarks.records import write_party_gov_parquet  # noqa: E402

import indicator_dsl  # noqa: E402

BENCHMARK = Path(__file__).resolve().parents[1] / "benchmarks" / "party_gov.ind"


def test_an_empty_table_is_written_with_its_columns(tmp_path: Path) -> None:
    path = tmp_path / "empty.parquet"
    assert write_party_gov_parquet(path, 0) == 0
    empty = pl.read_parquet(path)
    assert empty.height == 0 and empty.columns[:3] == ["id", "department", "category"]


def test_the_hand_written_scorer_agrees_with_the_engine_on_these_records(tmp_path: Path) -> None:
    path = tmp_path / "records.parquet"
    write_party_gov_parquet(path, 400, seed=1, chunk=150)
    hand = score_parquet(path)
    engine = indicator_dsl.load(BENCHMARK, backend="columnar").evaluate_table(path)
    assert hand["id"].to_list() == engine["id"].to_list()
    assert [f"{total:.2f}" for total in hand["total"]] == [str(total) for total in engine["total"]]
    assert hand["grade"].to_list() == engine["grade"].to_list()
    assert hand["grade_by_rules"].to_list() == engine["grade_by_rules"].to_list()
    assert hand["grade"].value_counts(sort=True).rows() == PINNED_GRADES
    assert int(hand["demoted"].sum()) == PINNED_DEMOTED


PINNED_GRADES = [("standard", 343), ("advanced", 31), ("lagging", 26)]
PINNED_DEMOTED = 42
