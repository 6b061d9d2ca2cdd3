"""Quotas over a scored table, as window expressions over the quota groups.

The rules are the Python batch's (`population.apply_quota`, spec 6.2), applied to every
graded row at once instead of one `Standing` per row: in each group of each quota, in the
ruleset's order, n counts the graded rows, and k is `grading.quota_size(quota, n)`, called
once per distinct n; the reason of a move is `grading.quota_reason(quota, group)`, called
once per group; a move is the step `grading.quota_step` makes. Only the rounded totals rank
rows, so the rows a quota moves follow from the totals alone, never from the table's order:

- `at most` k of its grades: a holder keeps its grade when no more than k holders of its
  group have a total at least its own (`ties demote`: the rank from the top with ties
  counted at their lowest place), or when fewer than k have a greater total (`ties admit`:
  ties at their highest place). The others, unless pinned, move to the grade below.
- `at least` k: need = k minus the rows already in its grades; the candidates (rows above
  them, not pinned) move up from the lowest total. With fewer candidates than need all move;
  else the `need` lowest move when the need-th lowest total is below the next, and a tie
  across that line moves every candidate at the line (`demote`) or none of them (`admit`),
  which is `grading.at_least_moves` over the candidates' totals in ascending order.

`tests/test_columnar_quotas.py` holds these equal to `population.apply_quota` on tables of
tied totals, pinned rows and every direction and tie rule.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import polars as pl

from ..semantics.grading import at_least_candidates, quota_reason, quota_size, quota_step
from ..semantics.plan import QuotaInfo
from ..semantics.trace import GradeStep
from .tables import ROW

TOTAL, GRADE, PINNED, STEPS = "total", "grade", "pinned", "steps"
STEP = pl.Struct({"step": pl.String, "before": pl.String, "after": pl.String, "reason": pl.String})
_N, _K, _REASON = "__n", "__k", "__reason"
OTHERS = "__others"  # graded rows of a group left out of the standings, counted (`columnar_standings`)


def group_column(index: int) -> str:
    """The column holding a row's group for the quota at `index` of the ruleset."""
    return f"__quota_group_{index}"


def _step_column(index: int) -> str:
    return f"__quota_step_{index}"


def group_exprs(quotas: Sequence[QuotaInfo]) -> list[pl.Expr]:
    """Each quota's group of a row: its `within` field, or one group of every row."""
    return [
        (pl.col(q.within) if q.within else pl.lit("", dtype=pl.String)).alias(group_column(i))
        for i, q in enumerate(quotas)
    ]


def _sized(frame: pl.DataFrame, index: int, quota: QuotaInfo, others: pl.DataFrame | None) -> pl.DataFrame:
    """`frame` with each row's group size n (its rows, and the `others` counted in its group),
    its k and the reason a move in it records."""
    group = group_column(index)
    counts = frame.group_by(group).agg(pl.len().cast(pl.Int64).alias(_N))
    if others is not None:
        counts = counts.join(others, on=group, how="left", nulls_equal=True).select(
            group, (pl.col(_N) + pl.col(OTHERS).fill_null(0)).alias(_N)
        )
    sizes = {n: quota_size(quota, n) for n in counts[_N].unique().to_list()}
    table = counts.with_columns(
        pl.Series(_K, [sizes[n] for n in counts[_N]], dtype=pl.Int64),
        pl.Series(_REASON, [quota_reason(quota, g) for g in counts[group]], dtype=pl.String),
    )
    return frame.join(table, on=group, how="left", nulls_equal=True)


def _at_most(quota: QuotaInfo, grades: Sequence[str], group: str) -> tuple[pl.Expr, str] | None:
    """Which rows an `at most` quota moves, and where to; None when no grade lies below."""
    position = max(grades.index(g) for g in quota.grades)
    if position + 1 >= len(grades):
        return None
    holder = pl.col(GRADE).is_in(list(quota.grades))
    rank = pl.col(TOTAL).rank("max" if quota.ties == "demote" else "min", descending=True).over([group, holder])
    return holder & (rank > pl.col(_K)) & ~pl.col(PINNED), grades[position + 1]


def _at_least(quota: QuotaInfo, grades: Sequence[str], group: str) -> tuple[pl.Expr, str]:
    """Which rows an `at least` quota moves up into its highest grade."""
    above = at_least_candidates(quota, grades)
    holding = pl.col(GRADE).is_in(list(quota.grades)).sum().over(group).cast(pl.Int64)
    need = pl.col(_K) - holding
    candidate = pl.col(GRADE).is_in(above) & ~pl.col(PINNED)
    candidates = candidate.sum().over(group).cast(pl.Int64)
    at_or_below = pl.col(TOTAL).rank("max").over([group, candidate]).cast(pl.Int64)  # candidates <= mine
    below = pl.col(TOTAL).rank("min").over([group, candidate]).cast(pl.Int64) - 1  # candidates < mine
    moves = (need >= candidates) | (at_or_below <= need)  # the `need` lowest, none tied across the line
    if quota.ties == "demote":  # a total spanning places need-1 and need: every candidate at it moves
        tie = (candidate & (below <= need - 1) & (at_or_below >= need + 1)).any().over(group)
        moves = moves | (tie & (below <= need))
    return candidate & (need > 0) & moves, grades[len(above)]


def apply_quotas(
    quotas: Sequence[QuotaInfo],
    grades: Sequence[str],
    standings: pl.DataFrame,
    counts: Sequence[pl.DataFrame] = (),
) -> pl.DataFrame:
    """The rows `quotas` move (in order, over the ladder `grades`), of `standings` (one row per
    graded row: `ROW`, `total` as rounded scaled integers, `grade`, `pinned` and each quota's
    group column): `ROW`, the final `grade` and the quota `steps`, in no particular order.
    `counts`, when given, are per quota the graded rows left out of `standings` in each group
    (`OTHERS`; rows no quota ranks or moves, `columnar_standings`), counted in n.
    Steps are built for the moved rows only (a struct for every row cost more than the ranks)."""
    frame = standings
    moves: list[pl.DataFrame] = []
    for index, quota in enumerate(quotas):
        group = group_column(index)
        rule = (_at_most if quota.direction == "at most" else _at_least)(quota, grades, group)
        if rule is None or frame.height == 0:
            continue
        moved, to = rule
        step = quota_step(None, to, "")
        others = counts[index] if counts else None
        frame = _sized(frame, index, quota, others).with_columns(moved.alias("__moved"))
        made = pl.struct(
            pl.lit(step.step).alias("step"),
            pl.col(GRADE).alias("before"),
            pl.lit(step.after).alias("after"),
            pl.col(_REASON).alias("reason"),
        )
        moves.append(frame.filter("__moved").select(ROW, pl.lit(index).alias("__quota"), made.alias("__step")))
        frame = frame.with_columns(pl.when("__moved").then(pl.lit(to)).otherwise(pl.col(GRADE)).alias(GRADE)).drop(
            _N, _K, _REASON, "__moved"
        )
    if not moves:
        moves.append(pl.DataFrame(schema={ROW: pl.Int64, "__quota": pl.Int32, "__step": STEP}))
    steps = pl.concat(moves).sort(ROW, "__quota").group_by(ROW, maintain_order=True).agg(pl.col("__step").alias(STEPS))
    final = frame.filter(pl.col(ROW).is_in(steps[ROW].implode())).select(ROW, GRADE)
    return steps.join(final, on=ROW).select(ROW, GRADE, pl.col(STEPS).cast(pl.List(STEP)))


def step_row(step: GradeStep) -> dict[str, Any]:
    """A grade step as a row of a `steps` column."""
    return {"step": step.step, "before": step.before, "after": step.after, "reason": step.reason}


def standings_frame(graded: pl.DataFrame, python: Sequence[Sequence[Any]]) -> pl.DataFrame:
    """The standings of the plan's `graded` rows (`ROW`, `total`, `grade`, `pinned`, each
    quota's group) and of the rows the Python backend graded (`python`: those values in order)."""
    if not python:
        return graded
    columns = list(zip(*python, strict=True))
    extra = pl.DataFrame(
        {name: list(values) for name, values in zip(graded.columns, columns, strict=True)}, schema=graded.schema
    )
    return pl.concat([graded, extra])
