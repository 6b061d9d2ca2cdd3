"""Tables in and out at scale (issue 15): typed Parquet, chunked writers, a table scored in
slices with quotas across them, quotas applied over partitions. (The DuckDB prototype,
`benchmarks/duckdb_prototype.py`, checks itself against the engine when it runs: duckdb is
in no extra.)"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

pl = pytest.importorskip("polars", reason="the columnar backend needs polars: pip install -e '.[columnar]'")
pq = pytest.importorskip("pyarrow.parquet", reason="the columnar backend needs pyarrow: pip install -e '.[columnar]'")

from benchmarks.records import (  # noqa: E402
    generate_party_gov_records,
    party_gov_schema,
    write_jsonl,
    write_party_gov_parquet,
)

import indicator_dsl  # noqa: E402
from indicator_dsl.cli.main import main  # noqa: E402
from indicator_dsl.evaluate import table_slices  # noqa: E402
from indicator_dsl.evaluate.columnar_parquet import ParquetTable  # noqa: E402
from indicator_dsl.evaluate.columnar_results import json_rows  # noqa: E402
from indicator_dsl.evaluate.table_files import typed, write_chunks  # noqa: E402
from indicator_dsl.evaluate.tables import records_frame  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
BENCHMARK = ROOT / "benchmarks" / "party_gov.ind"


def _columnar() -> Any:
    return indicator_dsl.load(BENCHMARK, backend="columnar")


# ---------------------------------------------------------------- typed tables


def test_text_is_typed_exactly_or_refused_naming_the_column() -> None:
    frame = pl.DataFrame(
        {
            "n": ["1", " 2 ", None],
            "d": ["0.96", "1", None],
            "m": [[{"on": "2023-01-02", "x": "0.5"}], [], None],
        }
    )
    schema = {
        "n": pl.Int64,
        "d": pl.Decimal(18, 4),
        "m": pl.List(pl.Struct({"on": pl.Date, "x": pl.Decimal(18, 1)})),
        "absent": pl.Int64,
    }
    out = typed(frame, schema)
    assert out.schema == pl.Schema(schema)
    assert out["n"].to_list() == [1, 2, None]
    assert [str(v) for v in out["d"].drop_nulls()] == ["0.9600", "1.0000"]
    assert out["m"].to_list()[0] == [{"on": date(2023, 1, 2), "x": Decimal("0.5")}]
    assert out["absent"].null_count() == 3
    with pytest.raises(ValueError, match="column 'd': a value has more places than"):
        typed(pl.DataFrame({"d": ["0.12345"]}), {"d": pl.Decimal(18, 4)})
    with pytest.raises(ValueError, match="column 'm': not every value is a"):
        typed(pl.DataFrame({"m": [[{"on": "2023-02-30"}]]}), {"m": pl.List(pl.Struct({"on": pl.Date}))})


def test_the_benchmark_parquet_is_the_typed_table_of_the_records_in_memory(tmp_path: Path) -> None:
    path = tmp_path / "records.parquet"
    assert write_party_gov_parquet(path, 60, seed=3, chunk=7) == 60
    written = pl.read_parquet(path)
    in_memory = typed(records_frame(generate_party_gov_records(60, seed=3)), party_gov_schema())
    assert written.schema == in_memory.schema
    kind = pl.Enum(["支部党员大会", "支委会", "党小组会", "党课", "主题党日", "组织生活会"])
    assert written.schema["meetings"] == pl.List(
        pl.Struct({"kind": kind, "held_on": pl.Date, "attendance": pl.Decimal(18, 4), "by_secretary": pl.Boolean})
    )
    assert isinstance(written.schema["category"], pl.Enum)
    assert written.equals(in_memory)


def test_typed_and_text_tables_give_the_same_results(tmp_path: Path) -> None:
    records = generate_party_gov_records(120, seed=8)
    text = records_frame(records)
    model = _columnar()
    from_text = json_rows(model.evaluate_table(text))
    from_typed = json_rows(model.evaluate_table(typed(text, party_gov_schema())))
    assert from_typed == from_text
    assert model.tables.scorer.python_rows == 0


def test_a_typed_decimal_with_more_places_than_the_plan_reads_goes_to_the_python_backend() -> None:
    records = generate_party_gov_records(6, seed=2)
    records[1]["dues_on_time"] = "0.950000000001"  # 12 places: the plan reads 9
    text = records_frame(records)
    table = typed(text, {**party_gov_schema(), "dues_on_time": pl.Decimal(38, 12)})
    model = _columnar()
    rows = json_rows(model.evaluate_table(table))
    assert model.tables.scorer.python_rows == 1
    python = indicator_dsl.load(BENCHMARK)
    expected = [r.model_dump(mode="json", exclude={"trace"}) for r in python.evaluate_many(records)]
    assert rows == expected
    assert rows[1]["sources"]["superior"]["indicators"]["dues"] == "6.00"  # 0.950000000001 ≥ 95 %


# ---------------------------------------------------------------- chunked writers


def test_chunks_are_written_as_one_table_with_their_columns_united(tmp_path: Path) -> None:
    frames = [
        pl.DataFrame({"a": ["1"], "s": [{"x": "1"}]}),
        pl.DataFrame({"b": [True], "s": [{"x": "2", "y": "z"}]}),
        pl.DataFrame({"a": ["3"], "s": [None]}),
    ]
    consumed: list[int] = []

    def one_at_a_time() -> Any:
        for number, frame in enumerate(frames):
            consumed.append(number)
            yield frame

    assert write_chunks(one_at_a_time(), tmp_path / "t.parquet") == 3
    written = pl.read_parquet(tmp_path / "t.parquet")
    assert written.to_dicts() == [
        {"a": "1", "s": {"x": "1", "y": None}, "b": None},
        {"a": None, "s": {"x": "2", "y": "z"}, "b": True},
        {"a": "3", "s": None, "b": None},
    ]
    assert consumed == [0, 1, 2] and [p.name for p in tmp_path.iterdir()] == ["t.parquet"]


def test_the_province_is_written_to_parquet_in_chunks_as_in_memory(tmp_path: Path) -> None:
    sys.path.insert(0, str(ROOT / "examples" / "province"))
    import generate

    assert generate.write_parquet(generate.iter_province(300, seed=4), tmp_path / "p.parquet", chunk=70) == 300
    written = pl.read_parquet(tmp_path / "p.parquet")
    in_memory = records_frame(generate.generate_province(300, seed=4))
    assert written.height == 300 and set(written.columns) == set(in_memory.columns)
    assert written.select(in_memory.columns).to_dicts() == in_memory.to_dicts()


def test_the_province_generator_writes_parquet_from_the_command_line(tmp_path: Path) -> None:
    sys.path.insert(0, str(ROOT / "examples" / "province"))
    import generate

    assert generate.main(["-o", str(tmp_path / "p.parquet"), "--n", "120", "--seed", "6"]) == 0
    written = pl.read_parquet(tmp_path / "p.parquet")
    assert written["id"].to_list() == [r["id"] for r in generate.generate_province(120, seed=6)]


# ---------------------------------------------------------------- slices


def _records_with_a_bad_row(n: int) -> list[dict[str, Any]]:
    records = generate_party_gov_records(n, seed=9)
    records[n - 3]["category"] = "国企"  # not a listed category: this row's error, in the last slice
    return records


def _typed_with_text_category(records: list[dict[str, Any]]) -> pl.DataFrame:
    """The typed table of `records`, its category as text (an Enum column cannot hold the bad row's)."""
    return typed(records_frame(records), {**party_gov_schema(), "category": pl.String})


@pytest.mark.parametrize("group", [40, 300])  # slices of whole row groups; one row group cut in parts
def test_a_table_scored_in_slices_equals_it_scored_whole_quotas_across_slices(tmp_path: Path, group: int) -> None:
    records = _records_with_a_bad_row(300)
    table = _typed_with_text_category(records)
    table.write_parquet(tmp_path / "r.parquet", row_group_size=group)
    model = _columnar()
    whole = json_rows(model.evaluate_table(table))
    written = table_slices.evaluate_slices(model, tmp_path / "r.parquet", tmp_path / "out.parquet", rows=70)
    assert written == table_slices.Written(results=300, failed=1)
    sliced = json_rows(pl.read_parquet(tmp_path / "out.parquet"))
    assert sliced == whole
    moved = sum(1 for r in sliced if any(s["step"] == "quota" for s in r["steps"]))
    assert moved == sum(1 for r in whole if any(s["step"] == "quota" for s in r["steps"])) > 0
    assert {p.name for p in tmp_path.iterdir()} == {"r.parquet", "out.parquet"}  # no scratch left


def test_ind_eval_scores_a_large_parquet_table_in_slices(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    records = _records_with_a_bad_row(90)
    _typed_with_text_category(records).write_parquet(tmp_path / "r.parquet")
    write_jsonl(tmp_path / "r.jsonl", records)
    monkeypatch.setattr(table_slices, "SLICE_ABOVE", 50)
    monkeypatch.setattr(table_slices, "SLICE_ROWS", 25)
    calls: list[int] = []
    real = table_slices.evaluate_slices

    def counted(*args: Any) -> Any:
        calls.append(args[-1])
        return real(*args)

    monkeypatch.setattr(table_slices, "evaluate_slices", counted)
    command = ["eval", str(BENCHMARK), str(tmp_path / "r.parquet"), "--backend", "columnar"]
    assert main([*command, "--out", str(tmp_path / "o.parquet")]) == 1  # one record cannot be scored
    assert calls == [25]
    assert main(["eval", str(BENCHMARK), str(tmp_path / "r.jsonl"), "--out", str(tmp_path / "py.parquet")]) == 1
    assert json_rows(pl.read_parquet(tmp_path / "o.parquet")) == json_rows(pl.read_parquet(tmp_path / "py.parquet"))


def test_slices_are_whole_row_groups_in_order_and_a_large_group_is_a_slice_of_its_own(tmp_path: Path) -> None:
    table = _typed_with_text_category(_records_with_a_bad_row(300))
    table.write_parquet(tmp_path / "r.parquet", row_group_size=40)  # seven groups of 40, one of 20
    ranges = [t.rows for t in table_slices.slices(tmp_path / "r.parquet", 70, [])]
    assert ranges == [range(0, 80), range(80, 160), range(160, 240), range(240, 300)]
    assert [t.rows for t in table_slices.slices(tmp_path / "r.parquet", 30, [])][:2] == [range(0, 40), range(40, 80)]
    assert [t.rows for t in table_slices.slices(tmp_path / "r.parquet", 1000, [])] == [range(0, 300)]
    table.write_parquet(tmp_path / "one_group.parquet", row_group_size=300)  # more than four slices: cut
    exprs = _columnar().tables.scorer.conformed(ParquetTable(tmp_path / "one_group.parquet"))
    cut = list(table_slices.slices(tmp_path / "one_group.parquet", 70, exprs))
    assert [t.rows for t in cut] == [range(0, 70), range(70, 140), range(140, 210), range(210, 280), range(280, 300)]
    read = [t.read for t in cut]  # read ahead, narrowed: no meeting's attendance
    assert all(r is not None and "attendance" not in str(r.schema["meetings"]) for r in read)
    assert pl.concat([r for r in read if r is not None])["id"].to_list() == table["id"].to_list()
    assert [t.rows for t in table_slices.slices(tmp_path / "one_group.parquet", 75, exprs)] == [range(0, 300)]
    ids = pl.DataFrame({"id": [f"B{i}" for i in range(80)]}).to_arrow()
    with pq.ParquetWriter(tmp_path / "empty_groups.parquet", ids.schema) as writer:
        for part in (ids.slice(0, 40), ids.slice(0, 0), ids.slice(40, 40), ids.slice(0, 0)):
            writer.write_table(part)
    assert pq.ParquetFile(tmp_path / "empty_groups.parquet").metadata.num_row_groups == 4
    empty = tmp_path / "empty_groups.parquet"
    assert [t.rows for t in table_slices.slices(empty, 30, [])] == [range(0, 40), range(40, 80)]
    assert [t.rows for t in table_slices.slices(empty, 1000, [])] == [range(0, 80)]


def test_a_slice_is_written_while_the_next_is_scored_and_a_failed_write_is_raised() -> None:
    done: list[int] = []
    with table_slices.Behind() as behind:
        for number in range(5):
            behind.put(done.append, number)
    assert done == [0, 1, 2, 3, 4]

    def fails(number: int) -> None:
        raise OSError(f"disk full at {number}")

    with pytest.raises(OSError, match="disk full at 0"), table_slices.Behind() as behind:
        behind.put(fails, 0)
        behind.put(done.append, 5)  # waits for the write before it, which failed
    assert done == [0, 1, 2, 3, 4]
    with pytest.raises(OSError, match="disk full at 1"), table_slices.Behind() as behind:
        behind.put(fails, 1)  # the last write's error, raised on leaving the block


def test_the_results_of_slices_keep_statistics_of_the_top_level_columns_only(tmp_path: Path) -> None:
    records = _records_with_a_bad_row(120)
    _typed_with_text_category(records).write_parquet(tmp_path / "r.parquet", row_group_size=40)
    table_slices.evaluate_slices(_columnar(), tmp_path / "r.parquet", tmp_path / "out.parquet", rows=40)
    meta = pq.ParquetFile(tmp_path / "out.parquet").metadata
    assert meta.num_row_groups == 3
    group = meta.row_group(0)
    kept = {group.column(i).path_in_schema for i in range(group.num_columns) if group.column(i).is_stats_set}
    assert {"id", "total", "grade"} <= kept
    assert all("." not in path for path in kept)  # no field of a record or list


SLOWED_SLICES = """
import sys, time
from pathlib import Path
from indicator_dsl.cli.main import run
from indicator_dsl.evaluate import table_slices

table_slices.SLICE_ABOVE, table_slices.SLICE_ROWS = 50, 20
put = table_slices.Behind.put
marks = Path(sys.argv[3])
count = 0

def slowed(self, write, *args):  # each write announced in a file of its own, then held
    global count
    count += 1
    (marks / f"put-{count}").touch()
    put(self, lambda *a: (time.sleep(0.1), write(*a)), *args)

table_slices.Behind.put = slowed
sys.argv = ["ind", "eval", sys.argv[1], sys.argv[2], "--backend", "columnar", "--out", sys.argv[4]]
run()  # as the `ind` command: its signal handlers
"""


@pytest.mark.parametrize(("signum", "put"), [(signal.SIGTERM, 3), (signal.SIGINT, 23)])
def test_a_signal_during_slices_leaves_no_scratch_and_keeps_the_output(tmp_path: Path, signum: int, put: int) -> None:
    """Twenty slices of twenty records: puts 1-20 set first passes aside, 21-40 write results;
    the signal lands while a write runs on the writer thread."""
    _typed_with_text_category(generate_party_gov_records(400, seed=5)).write_parquet(
        tmp_path / "r.parquet", row_group_size=20
    )
    marks, out = tmp_path / "marks", tmp_path / "out" / "results.parquet"
    marks.mkdir()
    out.parent.mkdir()
    out.write_text("the previous results\n", encoding="utf-8")
    command = [sys.executable, "-c", SLOWED_SLICES, str(BENCHMARK), str(tmp_path / "r.parquet"), str(marks), str(out)]
    run = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not (marks / f"put-{put}").exists():
        assert run.poll() is None and time.monotonic() < deadline, run.communicate()
        time.sleep(0.02)
    run.send_signal(signum)
    _, stderr = run.communicate(timeout=60)
    assert run.returncode == (130 if signum == signal.SIGINT else 143), stderr
    assert "Traceback" not in stderr
    assert [p.name for p in out.parent.iterdir()] == ["results.parquet"]  # no scratch folder, no part file
    assert out.read_text(encoding="utf-8") == "the previous results\n"
