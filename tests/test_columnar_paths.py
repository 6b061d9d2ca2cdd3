"""The columnar backend's fast paths agree with the Python backend where they are taken and
where they are not: fields the plan does not read are still checked (a bad meeting
`attendance` is the row's error, by field, as the Python backend reports it), decimal text
outside the fast pattern is read by the Python backend, a period across two calendar years
keys months and quarters by year too, and a Parquet file is scanned."""

from __future__ import annotations

from pathlib import Path

import pytest

pl = pytest.importorskip("polars", reason="the columnar backend needs polars: pip install -e '.[columnar]'")

from benchmarks.records import generate_party_gov_records  # noqa: E402
from support import project_with  # noqa: E402
from test_columnar import load, python_json, write_jsonl  # noqa: E402

from indicator_dsl.evaluate.columnar_results import json_rows  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
BENCHMARK = ROOT / "benchmarks" / "party_gov.ind"
SCHEMA = ROOT / "benchmarks" / "schema" / "branch.ind"


def test_unread_fields_are_checked_and_odd_decimal_text_is_read_by_python(tmp_path: Path) -> None:
    records = generate_party_gov_records(40, seed=11)
    records[2]["meetings"][0]["attendance"] = "most"  # not read by the plan, still the row's error
    records[4]["dues_on_time"] = " 0.95 "  # spaces: off the fast path, read exactly by Python
    records[6]["survey_satisfaction"] = "9.5e-1"  # an exponent: likewise
    records[8]["dues_on_time"] = "+1.00"  # a sign: on the fast path
    columnar = load(BENCHMARK, "columnar")
    rows = json_rows(columnar.evaluate_table(write_jsonl(tmp_path / "r.jsonl", records)))
    assert rows == python_json(load(BENCHMARK, "compiled"), records)
    assert columnar.tables.scorer is not None and columnar.tables.scorer.python_rows == 3
    assert [e["path"] for e in rows[2]["errors"]] == ["meetings[0].attendance"]
    assert rows[4]["errors"] == [] and rows[6]["errors"] == [] and rows[8]["errors"] == []


def test_a_period_across_two_years_counts_months_and_quarters_by_year(tmp_path: Path) -> None:
    project_with(tmp_path, SCHEMA)
    text = BENCHMARK.read_text(encoding="utf-8").replace('import "schema/branch.ind"', 'import "branch.ind"')
    ruleset = tmp_path / "split_year.ind"
    ruleset.write_text(text.replace("period 2023-01-01 to 2023-12-31", "period 2023-07-01 to 2024-06-30"), "utf-8")
    records = generate_party_gov_records(60, seed=3)
    for record in records:  # half the meetings a year later: the same months in two years
        for position, meeting in enumerate(record["meetings"]):
            if position % 2:
                meeting["held_on"] = "2024" + meeting["held_on"][4:]
    columnar = load(ruleset, "columnar")
    rows = json_rows(columnar.evaluate_table(write_jsonl(tmp_path / "r.jsonl", records)))
    assert rows == python_json(load(ruleset, "compiled"), records)
    assert columnar.tables.scorer is not None and columnar.tables.scorer.python_rows == 0
    meetings = {r["id"]: r["sources"]["self"]["indicators"]["member_meeting"] for r in rows}
    assert len(set(meetings.values())) > 1  # the quarters counted differ between records


def test_a_parquet_file_is_scanned_with_the_same_results(tmp_path: Path) -> None:
    from benchmarks.records import write_party_gov_parquet

    path = tmp_path / "r.parquet"
    write_party_gov_parquet(path, 30, seed=2)
    columnar = load(BENCHMARK, "columnar")
    scanned = columnar.evaluate_table(path)
    assert scanned.equals(columnar.evaluate_table(pl.read_parquet(path)))
    assert scanned.height == 30
