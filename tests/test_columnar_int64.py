"""Figure columns of the columnar plan are Int64 only where the compiler's bounds prove the
rounded value fits (`ColumnarCompiler.show`): a clamped indicator is 64-bit, a value source
reading an int field that may hold ±2**63 stays Int128, and values at the Int64 bounds give
the Python backend's results exactly, as text."""

from __future__ import annotations

from pathlib import Path

import pytest

pl = pytest.importorskip("polars", reason="the columnar backend needs polars: pip install -e '.[columnar]'")
pytest.importorskip("pyarrow", reason="the columnar backend needs pyarrow: pip install -e '.[columnar]'")

from support import project_with  # noqa: E402

import indicator_dsl  # noqa: E402
from indicator_dsl.evaluate.columnar_results import json_rows  # noqa: E402

SCHEMA = """schema units "单位"

type Unit "单位" {
  id: text "编号"
  n: int "数"
}
"""

RULESET = """import "units.ind"

ruleset big "大数" version "t1"
record Unit
period 2023-01-01 to 2023-12-31
total 10
precision 2

dimension d "维度" max 10 {
  indicator small "小" max 10 { deduct 10 when n < 0 }
}

assess {
  own   "自评" weight 50%
  count "计数" weight 50% = n
}

grades {
  high "高" when total >= 90
  low  "低" otherwise
}
"""

EDGES = [2**63 - 1, -(2**63), 2**62, -(2**62) - 1, 0, 7]


def _ruleset(tmp_path: Path) -> Path:
    folder = project_with(tmp_path / "project")
    (folder / "units.ind").write_text(SCHEMA, encoding="utf-8")
    path = folder / "big.ind"
    path.write_text(RULESET, encoding="utf-8")
    return path


def test_figures_are_int64_only_where_their_bound_proves_it(tmp_path: Path) -> None:
    model = indicator_dsl.load(_ruleset(tmp_path), backend="columnar")
    scorer = model.tables.scorer
    table = pl.DataFrame(
        {"id": [str(i) for i in range(len(EDGES))], "n": EDGES}, schema={"id": pl.String, "n": pl.Int64}
    )
    figures = scorer.query(table).select("own/indicators/small", "count/value", "total").collect()
    assert figures.schema["own/indicators/small"] == pl.Int64  # 10 or 0: its bound is the points
    assert figures.schema["count/value"] == pl.Int128  # n × 100 may pass 2**63
    assert figures.schema["total"] == pl.Int128
    assert figures["count/value"].to_list() == [n * 100 for n in EDGES]
    shown = scorer.score(table)  # as the results show them
    assert shown.schema["count/value"] == pl.Decimal(38, 2)
    assert [str(v) for v in shown["count/value"]] == [f"{n}.00" for n in EDGES]


def test_values_at_the_int64_bounds_give_the_python_backends_results(tmp_path: Path) -> None:
    path = _ruleset(tmp_path)
    records = [{"id": str(i), "n": n} for i, n in enumerate(EDGES)]
    table = pl.DataFrame(records, schema={"id": pl.String, "n": pl.Int64})
    columnar = indicator_dsl.load(path, backend="columnar")
    rows = json_rows(columnar.evaluate_table(table))
    python = indicator_dsl.load(path).evaluate_many(records)
    assert rows == [r.model_dump(mode="json", exclude={"trace"}) for r in python.results]
    assert columnar.tables.scorer.python_rows == 0
    assert rows[0]["total"] == "4611686018427387908.50"  # (10 + (2**63 - 1)) / 2, exact
    assert rows[1]["total"] == "-4611686018427387904.00"
