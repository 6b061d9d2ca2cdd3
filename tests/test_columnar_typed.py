"""Typed columns read on their fast paths (issue 15): an Enum of exactly an enum's members is
read unchecked, a Decimal whose type always fits is read by a cast, a Date as it is; every
other typed column is checked per row as before, and a row it refuses is scored by the Python
backend, which names the row and the field. Results are compared as text with the Python
backend's, row for row."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pl = pytest.importorskip("polars", reason="the columnar backend needs polars: pip install -e '.[columnar]'")
pytest.importorskip("pyarrow", reason="the columnar backend needs pyarrow: pip install -e '.[columnar]'")

from benchmarks.records import MEETING_KINDS, generate_party_gov_records, party_gov_schema  # noqa: E402

import indicator_dsl  # noqa: E402
from indicator_dsl.evaluate.columnar_results import json_rows  # noqa: E402
from indicator_dsl.evaluate.table_files import typed  # noqa: E402
from indicator_dsl.evaluate.tables import records_frame  # noqa: E402

BENCHMARK = Path(__file__).resolve().parents[1] / "benchmarks" / "party_gov.ind"


def _meeting_kinds(kind: Any) -> dict[str, Any]:
    """The benchmark's typed schema with the meetings' kind typed `kind`."""
    schema = party_gov_schema()
    meeting = schema["meetings"].inner
    fields = {f.name: (kind if f.name == "kind" else f.dtype) for f in meeting.fields}
    return {**schema, "meetings": pl.List(pl.Struct(fields))}


def _both(records: list[dict[str, Any]], table: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]], int]:
    """The columnar results of `table`, the Python backend's of `records`, and how many rows
    the columnar backend left to the Python backend."""
    model = indicator_dsl.load(BENCHMARK, backend="columnar")
    rows = json_rows(model.evaluate_table(table))
    python = indicator_dsl.load(BENCHMARK).evaluate_many(records)
    return rows, [r.model_dump(mode="json", exclude={"trace"}) for r in python.results], model.tables.scorer.python_rows


def test_typed_enum_decimal_and_date_columns_give_the_python_backends_results() -> None:
    records = generate_party_gov_records(150, seed=11)
    table = typed(records_frame(records), party_gov_schema())
    assert isinstance(table.schema["category"], pl.Enum)
    assert table.schema["dues_on_time"] == pl.Decimal(18, 4)
    rows, expected, python_rows = _both(records, table)
    assert rows == expected
    assert python_rows == 0
    assert rows == json_rows(indicator_dsl.load(BENCHMARK, backend="columnar").evaluate_table(records_frame(records)))


def test_an_enum_of_some_of_the_members_is_checked_as_text_and_scored_by_the_plan() -> None:
    records = generate_party_gov_records(40, seed=12)
    fewer = pl.Enum([k for k in MEETING_KINDS if k != "主题党日"])
    for record in records:
        record["meetings"] = [m for m in record["meetings"] if m["kind"] != "主题党日"]
    rows, expected, python_rows = _both(records, typed(records_frame(records), _meeting_kinds(fewer)))
    assert rows == expected
    assert python_rows == 0


def test_an_enum_with_a_value_the_schema_does_not_list_refuses_that_row_naming_the_field() -> None:
    records = generate_party_gov_records(30, seed=13)
    records[7]["meetings"][0]["kind"] = "座谈会"  # not a kind of the schema
    wider = pl.Enum([*MEETING_KINDS, "座谈会"])
    rows, expected, python_rows = _both(records, typed(records_frame(records), _meeting_kinds(wider)))
    assert rows == expected
    assert python_rows == 1
    assert [e["path"] for e in rows[7]["errors"]] == ["meetings[0].kind"]
    assert all(not row["errors"] for number, row in enumerate(rows) if number != 7)


@pytest.mark.parametrize(
    ("dtype", "value"),
    [
        (pl.Decimal(38, 4), "1" + "0" * 30),  # 31 whole digits: more than the plan's 29
        (pl.Decimal(38, 12), "0.950000000001"),  # 12 places: more than the plan's 9
    ],
)
def test_a_typed_decimal_the_plan_cannot_hold_refuses_only_its_row(dtype: Any, value: str) -> None:
    records = generate_party_gov_records(12, seed=14)
    records[4]["dues_on_time"] = value
    text = records_frame(records)
    others = {name: kind for name, kind in party_gov_schema().items() if name != "dues_on_time"}
    table = typed(text, others).with_columns(text["dues_on_time"].cast(dtype))
    assert table.schema["dues_on_time"] == dtype
    rows, expected, python_rows = _both(records, table)
    assert rows == expected
    assert python_rows == 1


def test_a_column_of_the_wrong_type_refuses_each_of_its_rows_naming_the_field() -> None:
    records = generate_party_gov_records(8, seed=15)
    table = typed(records_frame(records), party_gov_schema()).with_columns(
        pl.Series("dues_on_time", [True, False] * 4, dtype=pl.Boolean)
    )
    for record, dues in zip(records, table["dues_on_time"], strict=True):
        record["dues_on_time"] = dues
    rows, expected, python_rows = _both(records, table)
    assert rows == expected
    refused = [number for number, row in enumerate(rows) if row["errors"]]
    assert refused == list(range(8))
    assert python_rows == 8
    assert all(row["errors"][0]["path"] == "dues_on_time" for row in rows)
