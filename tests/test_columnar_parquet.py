"""A Parquet file read for the columnar plan (`evaluate/columnar_parquet.py`): only the leaf
columns its query reads (a meeting's `attendance`, typed and never read by the benchmark
ruleset, is left unread), every field that needs a check still read and checked, and the
results, row for row as text, the Python backend's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pl = pytest.importorskip("polars", reason="the columnar backend needs polars: pip install -e '.[columnar]'")
pq = pytest.importorskip("pyarrow.parquet", reason="the columnar backend needs pyarrow: pip install -e '.[columnar]'")

from benchmarks.records import generate_party_gov_records, party_gov_schema  # noqa: E402

import indicator_dsl  # noqa: E402
from indicator_dsl.evaluate.columnar_conform import conform_read  # noqa: E402
from indicator_dsl.evaluate.columnar_parquet import ParquetTable, leaf_paths, needed  # noqa: E402
from indicator_dsl.evaluate.columnar_results import json_rows  # noqa: E402
from indicator_dsl.evaluate.table_files import typed  # noqa: E402
from indicator_dsl.evaluate.tables import records_frame  # noqa: E402

BENCHMARK = Path(__file__).resolve().parents[1] / "benchmarks" / "party_gov.ind"


def _written(records: list[dict[str, Any]], path: Path, schema: dict[str, Any], writer: str = "polars") -> Path:
    table = typed(records_frame(records), schema)
    if writer == "polars":
        table.write_parquet(path, row_group_size=16)
    else:  # pyarrow's own list levels (`list.item`), no polars metadata
        pq.write_table(table.to_arrow(), path, row_group_size=16, use_compliant_nested_type=False)
    return path


def _narrowed(model: Any, path: Path) -> Any:
    scorer = model.tables.scorer
    table = ParquetTable(path)
    exprs = conform_read(table.collect_schema(), scorer.types, scorer.root, scorer.expected, scorer.reads)
    return table.narrowed(exprs)


def _python(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    batch = indicator_dsl.load(BENCHMARK).evaluate_many(records)
    return [r.model_dump(mode="json", exclude={"trace"}) for r in batch.results]


def test_a_meetings_attendance_is_left_unread_and_the_results_are_the_python_backends(tmp_path: Path) -> None:
    records = generate_party_gov_records(70, seed=21)
    path = _written(records, tmp_path / "records.parquet", party_gov_schema())
    model = indicator_dsl.load(BENCHMARK, backend="columnar")
    narrowed = _narrowed(model, path)
    assert isinstance(narrowed, pl.DataFrame)  # read, not scanned
    assert [f.name for f in narrowed.schema["meetings"].inner.fields] == ["kind", "held_on", "by_secretary"]
    assert narrowed.height == 70
    rows = json_rows(model.evaluate_table(path))
    assert model.tables.scorer.python_rows == 0
    assert rows == _python(records)


def test_a_file_with_pyarrows_list_levels_gives_the_same_results(tmp_path: Path) -> None:
    records = generate_party_gov_records(40, seed=22)
    path = _written(records, tmp_path / "records.parquet", party_gov_schema(), writer="pyarrow")
    assert "meetings.list.item.kind" in [c.path for c in pq.ParquetFile(path).schema]
    model = indicator_dsl.load(BENCHMARK, backend="columnar")
    assert json_rows(model.evaluate_table(path)) == _python(records)


def test_an_attendance_given_as_text_is_read_and_a_bad_one_refuses_its_row(tmp_path: Path) -> None:
    records = generate_party_gov_records(30, seed=23)
    meeting = records[5]["meetings"][0]
    meeting["attendance"] = "most"  # not a decimal
    schema = party_gov_schema()
    fields = {f.name: (pl.String if f.name == "attendance" else f.dtype) for f in schema["meetings"].inner.fields}
    path = _written(records, tmp_path / "records.parquet", {**schema, "meetings": pl.List(pl.Struct(fields))})
    model = indicator_dsl.load(BENCHMARK, backend="columnar")
    assert isinstance(_narrowed(model, path), pl.LazyFrame)  # every field of a meeting read: polars scans the file
    rows = json_rows(model.evaluate_table(path))
    assert model.tables.scorer.python_rows == 1
    assert [e["path"] for e in rows[5]["errors"]] == ["meetings[0].attendance"]
    assert rows == _python(records)


def test_a_list_only_counted_keeps_one_field_of_its_records() -> None:
    schema = pl.Schema(party_gov_schema())
    kept = needed(schema, [pl.col("meetings").list.len(), pl.col("id")])
    assert kept is not None
    narrow, leaves = kept
    assert narrow == pl.Schema({"id": pl.String, "meetings": pl.List(pl.Struct({"by_secretary": pl.Boolean}))})
    assert leaves == [("id",), ("meetings", "by_secretary")]


def test_a_query_reading_every_leaf_is_not_narrowed() -> None:
    schema = pl.Schema({"id": pl.String, "sheet": pl.Struct({"a": pl.Int64, "b": pl.Int64})})
    exprs = [pl.col("id"), pl.col("sheet").struct.field("a"), pl.col("sheet").struct.field("b")]
    assert needed(schema, exprs) is None


def test_each_leaf_is_paired_with_its_parquet_column() -> None:
    schema = pl.Schema({"id": pl.String, "tags": pl.List(pl.String), "m": pl.List(pl.Struct({"a": pl.Int64}))})
    columns = ["id", "tags.list.element", "m.list.element.a"]
    assert leaf_paths(schema, columns) == {
        ("id",): "id",
        ("tags",): "tags.list.element",
        ("m", "a"): "m.list.element.a",
    }
    assert leaf_paths(schema, columns[:2]) is None  # a leaf the file does not have
    assert leaf_paths(schema, ["id", "tags.list.element", "m.list.element.b"]) is None


def test_a_query_reading_only_some_fields_of_a_list_reads_nothing_else(tmp_path: Path) -> None:
    path = tmp_path / "m.parquet"
    pl.DataFrame({"m": [[{"a": 1, "b": 2}], [], [{"a": 3, "b": None}]], "id": ["x", "y", "z"]}).write_parquet(path)
    narrowed = ParquetTable(path).narrowed([pl.col("m").list.eval(pl.element().struct.field("a"))])
    assert isinstance(narrowed, pl.DataFrame)
    assert narrowed.to_dict(as_series=False) == {"m": [[{"a": 1}], [], [{"a": 3}]]}


def test_a_slice_of_whole_row_groups_is_read_narrowed_and_part_of_a_group_is_scanned(tmp_path: Path) -> None:
    records = generate_party_gov_records(60, seed=4)
    path = _written(records, tmp_path / "records.parquet", party_gov_schema())  # row groups of 16
    model = indicator_dsl.load(BENCHMARK, backend="columnar")
    scorer = model.tables.scorer
    whole = _narrowed(model, path)
    exprs = conform_read(ParquetTable(path).collect_schema(), scorer.types, scorer.root, scorer.expected, scorer.reads)
    groups = ParquetTable(path, range(16, 60))  # the second row group to the end
    assert groups.groups() == range(1, 4)
    narrowed = groups.narrowed(exprs)
    assert isinstance(narrowed, pl.DataFrame) and narrowed.equals(whole.slice(16, 44))
    part = ParquetTable(path, range(5, 41))  # from within the first group to within the third
    assert part.groups() is None
    scanned = part.narrowed(exprs)
    assert isinstance(scanned, pl.LazyFrame)
    assert scanned.collect()["id"].to_list() == [r["id"] for r in records[5:41]]
