"""Hand-written polars scorer of ``benchmarks/party_gov.ind``: the columnar backend's yardstick.

What a competent analyst would write by hand with polars expressions, with no engine, for the
benchmark ruleset over the Parquet table of its records (`benchmarks/records.py`: ints, dates
and decimals typed): decimals read as binary floats, meeting aggregates as list evaluations, the bands and
grades as ``when/then`` chains, the department quota as a window rank. It scores every record
(it validates nothing) and is not exact: ``round`` of a float total can fall on the other side
of a half cent than the exact decimal, which the benchmark counts (`benchmarks/columnar.py`).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl

__all__ = ["score_frame", "score_parquet"]

PERIOD_START, PERIOD_END = date(2023, 1, 1), date(2023, 12, 31)
HONOR_MODEL_UNIT = "模范机关建设先进单位"
HONOR_BEST_CASE = "模范机关建设优秀案例"
PROGRAMMES = {"advanced": "头雁工程", "standard": "提升工程", "lagging": "转化工程"}


def _clamp(expr: pl.Expr, hi: float) -> pl.Expr:
    return expr.clip(0.0, hi)


def _meetings_where(kind: str, *, in_period: bool) -> pl.Expr:
    """The meetings of one kind (held in the period when asked), as a list expression."""
    element = pl.element()
    keep = element.struct.field("kind") == kind
    if in_period:
        held = element.struct.field("held_on")
        keep = keep & (held >= PERIOD_START) & (held <= PERIOD_END)
    return element.filter(keep)


def _indicators() -> dict[str, pl.Expr]:
    """The seven indicators computed from the record, the same for every source."""
    meetings = pl.col("meetings")
    last = pl.col("last_election")
    months_since = (2023 - last.dt.year()) * 12 + (12 - last.dt.month()) - (last.dt.day() > 31).cast(pl.Int32)
    quarters = meetings.list.eval(
        _meetings_where("支部党员大会", in_period=True)
        .struct.field("held_on")
        .dt.month()
        .cast(pl.Int32)
        .sub(1)
        .floordiv(3)
        .n_unique()
    ).list.first()
    months = meetings.list.eval(
        _meetings_where("支委会", in_period=True).struct.field("held_on").dt.month().n_unique()
    ).list.first()
    lessons = meetings.list.eval(_meetings_where("党课", in_period=False).len()).list.first()
    by_secretary = meetings.list.eval(
        _meetings_where("党课", in_period=False).struct.field("by_secretary").fill_null(False).any()
    ).list.first()
    dues = pl.col("dues_on_time").cast(pl.Float64)
    return {
        "election": pl.when(last.is_null() | (months_since > 36)).then(0.0).otherwise(10.0),
        "committee": pl.when((pl.col("members").cast(pl.Int64) >= 7) & (pl.col("committee_size").cast(pl.Int64) < 3))
        .then(0.0)
        .otherwise(10.0),
        "member_meeting": _clamp(8.0 - 2.0 * (4 - quarters).clip(0, None), 8.0),
        "committee_meeting": _clamp(12.0 - 1.0 * (12 - months).clip(0, None), 12.0),
        "lesson": _clamp(
            pl.when(lessons >= 4).then(6.0).otherwise(0.0) + pl.when(by_secretary).then(4.0).otherwise(0.0), 10.0
        ),
        "dues": pl.when(dues >= 1.0)
        .then(10.0)
        .when(dues >= 0.95)
        .then(6.0)
        .when(dues >= 0.90)
        .then(3.0)
        .otherwise(0.0),
        "training": pl.when(pl.col("secretary_trained")).then(10.0).otherwise(0.0),
    }


def score_frame(records: pl.LazyFrame) -> pl.LazyFrame:
    """One result row per record: indicators, dimensions and tables of both table sources,
    survey, bonus, veto, total (rounded to 2 places), grades before and after the quota, and
    the outcomes."""
    sheets = pl.col("sheets")
    scored = records.with_columns(
        **_indicators(),
        self_records=sheets.struct.field("self").struct.field("records").cast(pl.Float64),
        self_venue=sheets.struct.field("self").struct.field("venue").cast(pl.Float64),
        superior_records=sheets.struct.field("superior").struct.field("records").cast(pl.Float64),
        superior_venue=sheets.struct.field("superior").struct.field("venue").cast(pl.Float64),
        survey=pl.col("survey_satisfaction").cast(pl.Float64).fill_null(0.0) * 100.0,
        bonus=pl.min_horizontal(
            pl.col("honors").list.contains(HONOR_MODEL_UNIT).cast(pl.Float64) * 3.0
            + pl.col("honors").list.contains(HONOR_BEST_CASE).cast(pl.Float64) * 2.0,
            pl.lit(5.0),
        ),
        veto=pl.col("serious_violations").cast(pl.Int64) > 0,
    ).with_columns(
        organisation=pl.col("election") + pl.col("committee"),
        activities=pl.col("member_meeting") + pl.col("committee_meeting") + pl.col("lesson") + pl.col("dues"),
        team=pl.col("training"),
    )
    base = pl.col("organisation") + pl.col("activities") + pl.col("team")
    scored = scored.with_columns(
        self_table=base + pl.col("self_records") + pl.col("self_venue"),
        superior_table=base + pl.col("superior_records") + pl.col("superior_venue"),
    ).with_columns(
        total=(
            0.2 * pl.col("self_table") + 0.2 * pl.col("survey") + 0.6 * pl.col("superior_table") + pl.col("bonus")
        ).round(2)
    )
    by_rules = (
        pl.when((pl.col("total") >= 90) & (pl.col("activities").round(2) >= 32))
        .then(pl.lit("advanced"))
        .when(pl.col("total") >= 70)
        .then(pl.lit("standard"))
        .otherwise(pl.lit("lagging"))
    )
    scored = scored.with_columns(grade_by_rules=by_rules).with_columns(
        grade_after_veto=pl.when(pl.col("veto")).then(pl.lit("lagging")).otherwise(pl.col("grade_by_rules"))
    )
    # quota advanced at most 20% within department ties demote: an advanced row keeps its grade
    # when at most k advanced rows of its department have a total at least its own.
    advanced = pl.col("grade_after_veto") == "advanced"
    room = (pl.len() * 0.2).floor().over("department")
    rank = pl.when(advanced).then(pl.col("total")).rank("max", descending=True).over("department")
    scored = scored.with_columns(demoted=advanced & (rank > room)).with_columns(
        grade=pl.when(pl.col("demoted")).then(pl.lit("standard")).otherwise(pl.col("grade_after_veto"))
    )
    return scored.select(
        "id",
        "election",
        "committee",
        "member_meeting",
        "committee_meeting",
        "lesson",
        "dues",
        "training",
        "organisation",
        "activities",
        "team",
        "self_records",
        "self_venue",
        "superior_records",
        "superior_venue",
        "self_table",
        "superior_table",
        "survey",
        "bonus",
        "veto",
        "total",
        "grade_by_rules",
        "grade_after_veto",
        "demoted",
        "grade",
        programme=pl.col("grade").replace_strict(PROGRAMMES),
        nominee=pl.col("grade") == "advanced",
    )


def score_parquet(path: str | Path) -> pl.DataFrame:
    """Every record of a Parquet table of records scored, collected."""
    return score_frame(pl.scan_parquet(path)).collect()
