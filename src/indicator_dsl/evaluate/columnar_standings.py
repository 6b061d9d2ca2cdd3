"""The standings of a partition narrowed to the rows the quotas read one by one.

A quota reads a graded row in two ways: it counts it in its group's n, and it ranks or moves
it when the row holds one of the quota's grades, or (`at least`) a grade above them, the
candidates'. A row holding none of those grades for any quota is never moved: its grade stays
the first pass's, so no later quota ranks or moves it either. Such a row matters only to n, so
a partition sends it as a count, by quota group (`Standings.counts`), and sends one row each
only for the others (`Standings.rows`): `columnar_quotas.apply_quotas` adds the counts to n.
The moves are the same as over every graded row (`tests/test_columnar_quotas.py`).

For the benchmark ruleset (`advanced` at most 20% within department) the rows are the
`advanced` ones (218,930 of 1,000,000 records), the counts one per department (90).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from ..semantics.grading import at_least_candidates
from ..semantics.plan import QuotaInfo
from .columnar_quotas import GRADE, OTHERS, group_column


@dataclass(frozen=True, slots=True)
class Standings:
    """The graded rows the quotas rank or move (the columns of `apply_quotas`' standings), and
    per quota the number of the other graded rows in each of its groups (`OTHERS`)."""

    rows: pl.DataFrame
    counts: tuple[pl.DataFrame, ...]


def ranked_grades(quotas: Sequence[QuotaInfo], grades: Sequence[str]) -> set[str]:
    """The grades a quota ranks or moves a row from: its own, and for `at least` those above them."""
    held: set[str] = set()
    for quota in quotas:
        held.update(quota.grades)
        if quota.direction == "at least":
            held.update(at_least_candidates(quota, grades))
    return held


def narrowed(quotas: Sequence[QuotaInfo], grades: Sequence[str], standings: pl.DataFrame) -> Standings:
    """`standings` (one row per graded row) as the rows a quota ranks or moves, the others counted."""
    ranked = pl.col(GRADE).is_in(sorted(ranked_grades(quotas, grades)))
    others = standings.filter(~ranked)
    counts = tuple(
        others.group_by(group_column(i)).agg(pl.len().cast(pl.Int64).alias(OTHERS)) for i in range(len(quotas))
    )
    return Standings(standings.filter(ranked), counts)


def combined(parts: Sequence[Standings]) -> Standings:
    """The standings of all `parts` (at least one; their rows told apart by `ROW`): rows
    concatenated, counts summed by group."""
    rows = pl.concat([part.rows for part in parts], how="vertical_relaxed")
    counts = []
    for index in range(len(parts[0].counts)):
        every = pl.concat([part.counts[index] for part in parts], how="vertical_relaxed")
        counts.append(every.group_by(group_column(index)).agg(pl.col(OTHERS).sum()))
    return Standings(rows, tuple(counts))
