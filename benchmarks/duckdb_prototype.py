"""The benchmark ruleset hand-translated to DuckDB SQL with exact DECIMAL arithmetic, timed beside
the columnar backend and the hand-written polars scorer on the same Parquet records.

    python -m benchmarks.duckdb_prototype --size 1000000 [--folder DIR]

The prototype issue 15 asks for before choosing the columnar engine (docs/decisions.md): the
ruleset `benchmarks/party_gov.ind` written by hand as one SQL query over the typed Parquet
table of `records.write_party_gov_parquet` (the same file for all three scorers): meeting
aggregates as list lambdas, bands and grades as CASE, the department quota as a window rank,
every figure a DECIMAL and the total rounded half away from zero by `round` on a DECIMAL. Like
the hand-written polars scorer it validates nothing and is not generated from the ruleset.
Each scorer runs once in this process (DuckDB and polars on 2 threads), Parquet to a result
table in memory; the DuckDB results are compared with the exact engine's (total as text,
grade by the rules, grade after the quota). Needs `pip install duckdb` (not in any extra).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import polars as pl

import indicator_dsl

from .baseline_polars import HONOR_BEST_CASE, HONOR_MODEL_UNIT, score_parquet
from .columnar_polars import missing, record_folder, records_file

RULESET = Path(__file__).resolve().parent / "party_gov.ind"
THREADS = 2

# Everything the ruleset computes, in DECIMAL: indicators clamped to [0, max], dimensions and
# tables summed, the weighted total rounded to 2 places, grades, the veto, the quota, outcomes.
SCORE_SQL = f"""
WITH rec AS (
  SELECT *,
    list_filter(meetings, lambda m: m.held_on BETWEEN DATE '2023-01-01' AND DATE '2023-12-31') AS held
  FROM read_parquet(?)
), ind AS (
  SELECT id, department, sheets, survey_satisfaction, honors, serious_violations,
    CASE WHEN last_election IS NULL
           OR (date_diff('month', last_election, DATE '2023-12-31')
               - CASE WHEN day(DATE '2023-12-31') < day(last_election) THEN 1 ELSE 0 END) > 36
         THEN 0.00 ELSE 10.00 END::DECIMAL(18, 2) AS election,
    CASE WHEN members >= 7 AND committee_size < 3 THEN 0.00 ELSE 10.00 END::DECIMAL(18, 2) AS committee,
    greatest(0, least(8, 8 - 2 * (4 - len(list_distinct(list_transform(
      list_filter(held, lambda m: m.kind = '支部党员大会'), lambda m: quarter(m.held_on))))))
    )::DECIMAL(18, 2) AS member_meeting,
    greatest(0, least(12, 12 - (12 - len(list_distinct(list_transform(
      list_filter(held, lambda m: m.kind = '支委会'), lambda m: month(m.held_on))))))
    )::DECIMAL(18, 2) AS committee_meeting,
    least(10,
      CASE WHEN len(list_filter(meetings, lambda m: m.kind = '党课')) >= 4 THEN 6 ELSE 0 END
      + CASE WHEN len(list_filter(meetings, lambda m: m.kind = '党课' AND coalesce(m.by_secretary, false))) > 0
             THEN 4 ELSE 0 END
    )::DECIMAL(18, 2) AS lesson,
    CASE WHEN dues_on_time >= 1.00 THEN 10 WHEN dues_on_time >= 0.95 THEN 6
         WHEN dues_on_time >= 0.90 THEN 3 ELSE 0 END::DECIMAL(18, 2) AS dues,
    CASE WHEN secretary_trained THEN 10 ELSE 0 END::DECIMAL(18, 2) AS training
  FROM rec
), dims AS (
  SELECT *, election + committee AS organisation,
    member_meeting + committee_meeting + lesson + dues AS activities, training AS team
  FROM ind
), tables AS (
  SELECT *,
    organisation + activities + team + sheets.self.records + sheets.self.venue AS self_table,
    organisation + activities + team + sheets.superior.records + sheets.superior.venue AS superior_table,
    coalesce(survey_satisfaction, 0) * 100 AS survey,
    least(5, CASE WHEN list_contains(honors, '{HONOR_MODEL_UNIT}') THEN 3 ELSE 0 END
           + CASE WHEN list_contains(honors, '{HONOR_BEST_CASE}') THEN 2 ELSE 0 END)::DECIMAL(18, 2) AS bonus
  FROM dims
), totals AS (
  SELECT *,
    round(0.20 * self_table + 0.20 * survey + 0.60 * superior_table + bonus, 2) AS total
  FROM tables
), graded AS (
  SELECT *,
    CASE WHEN total >= 90 AND activities >= 32 THEN 'advanced'
         WHEN total >= 70 THEN 'standard' ELSE 'lagging' END AS grade_by_rules
  FROM totals
), vetoed AS (
  SELECT *, CASE WHEN serious_violations > 0 THEN 'lagging' ELSE grade_by_rules END AS grade_after_veto
  FROM graded
), ranked AS (
  SELECT *,
    floor(count(*) OVER (PARTITION BY department) * 0.2) AS room,
    CASE WHEN grade_after_veto = 'advanced'
         THEN count(*) OVER (
                PARTITION BY department, grade_after_veto ORDER BY total DESC
                RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) END AS place
  FROM vetoed
)
SELECT id, total, grade_by_rules, grade_after_veto,
  CASE WHEN place > room THEN 'standard' ELSE grade_after_veto END AS grade,
  CASE WHEN place > room THEN 'standard' ELSE grade_after_veto END = 'advanced' AS nominee
FROM ranked
"""


def score_duckdb(path: Path) -> pl.DataFrame:
    """Every record of the Parquet table scored by the SQL above, in the table's order."""
    import duckdb

    with duckdb.connect() as connection:
        connection.execute(f"SET threads TO {THREADS}")
        connection.execute("SET preserve_insertion_order = true")
        query = f"SELECT * FROM ({SCORE_SQL}) ORDER BY id"
        frame = pl.from_arrow(connection.sql(query, params=[str(path)]).to_arrow_table())
    assert isinstance(frame, pl.DataFrame)
    return frame


def differences(sql: pl.DataFrame, exact: pl.DataFrame) -> dict[str, int]:
    """How many rows of the SQL results differ from the exact engine's, per field (by id)."""
    both = sql.join(exact.select("id", "total", "grade_by_rules", "grade"), on="id", how="full", suffix="_exact")
    return {
        "rows_missing": int(both["id"].null_count() + both["id_exact"].null_count()),
        "total": int((both["total"].cast(pl.String) != both["total_exact"].cast(pl.String)).sum()),
        "grade_by_rules": int((both["grade_by_rules"] != both["grade_by_rules_exact"]).sum()),
        "grade": int((both["grade"] != both["grade_exact"]).sum()),
    }


def run(path: Path, size: int) -> dict[str, Any]:
    model = indicator_dsl.load(RULESET, backend="columnar")
    timings: dict[str, float] = {}
    start = time.perf_counter()
    sql = score_duckdb(path)
    timings["duckdb_sql_decimal_s"] = time.perf_counter() - start
    start = time.perf_counter()
    score_parquet(path)
    timings["hand_written_polars_float_s"] = time.perf_counter() - start
    start = time.perf_counter()
    exact = model.evaluate_table(path)
    timings["columnar_backend_s"] = time.perf_counter() - start
    return {
        "records": size,
        **{name: round(seconds, 2) for name, seconds in timings.items()},
        "duckdb_results_differing_from_the_engine": differences(sql, exact),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--folder", type=Path, help="keep the record file here (default: a temporary folder)")
    args = parser.parse_args(argv)
    if missing("duckdb", "the DuckDB prototype", "pip install duckdb"):
        return 2
    with record_folder(args.folder) as folder:
        report = run(records_file(folder, args.size), args.size)
    print(json.dumps(report, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
