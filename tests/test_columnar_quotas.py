"""Quotas as window expressions (`evaluate/columnar_quotas.py`) move exactly the rows the
Python batch's `population.apply_quota` moves, with the same grades and steps, on tables
drawn with many tied totals, pinned rows, empty and one-row groups, `at most` and `at least`,
both tie rules, every rounding and a minimum of places, one quota after another; and so do
the standings of two partitions narrowed to the rows a quota ranks or moves, the others
counted (`evaluate/columnar_standings.py`)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

pl = pytest.importorskip("polars", reason="the columnar backend needs polars: pip install -e '.[columnar]'")

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from indicator_dsl.evaluate.columnar_quotas import STEP, apply_quotas, group_column, step_row  # noqa: E402
from indicator_dsl.evaluate.columnar_standings import combined, narrowed  # noqa: E402
from indicator_dsl.evaluate.population import Standing, apply_quota  # noqa: E402
from indicator_dsl.evaluate.tables import ROW  # noqa: E402
from indicator_dsl.semantics.plan import QuotaInfo  # noqa: E402
from indicator_dsl.syntax.nodes import QuotaDirection, QuotaMinimum, Ties  # noqa: E402
from indicator_dsl.syntax.source import Span  # noqa: E402

GRADES = ["top", "good", "fair", "poor"]
SPAN = Span("test.ind", 1, 1, 1, 1)


@st.composite
def quotas(draw: Any) -> QuotaInfo:
    first = draw(st.integers(0, len(GRADES) - 1))
    last = draw(st.integers(first, min(first + 1, len(GRADES) - 1)))
    minimum = draw(st.none() | st.builds(QuotaMinimum, st.integers(0, 3), st.integers(3, 6)))
    if minimum is not None and minimum.places > minimum.members:
        minimum = None
    return QuotaInfo(
        grades=tuple(GRADES[first : last + 1]),
        direction=draw(st.sampled_from(["at most", "at least"])),
        share=Decimal(draw(st.sampled_from(["0", "0.1", "0.2", "0.25", "0.5", "0.75", "1"]))),
        within=draw(st.sampled_from([None, "dept"])),
        ties=draw(st.sampled_from(["demote", "admit"])),
        has_where=False,
        span=SPAN,
        rounding=draw(st.sampled_from([None, "floor", "ceil", "half up"])),
        minimum=minimum,
    )


ROWS = st.lists(
    st.tuples(
        st.integers(0, 12),  # total in hundredths: few values, many ties
        st.sampled_from(GRADES),
        st.sampled_from([False, False, False, True]),  # pinned
        st.sampled_from(["a", "b", "c"]),
    ),
    max_size=40,
)


def python_moves(quota_list: list[QuotaInfo], rows: list[tuple[int, str, bool, str]]) -> dict[int, Any]:
    standings = []
    for total, held, pinned, dept in rows:
        groups = {i: (dept if q.within else "") for i, q in enumerate(quota_list)}
        standings.append(Standing(Decimal(total).scaleb(-2), held, pinned, dict(groups)))
    for index, quota in enumerate(quota_list):
        apply_quota(index, quota, GRADES, standings)
    moved = [{ROW: row, "grade": s.grade, "steps": [step_row(x) for x in s.steps]} for row, s in enumerate(standings)]
    frame = pl.DataFrame(moved, schema={ROW: pl.Int64, "grade": pl.String, "steps": pl.List(STEP)})
    return _rows(frame.filter(pl.col("steps").list.len() > 0))


def _rows(frame: Any) -> dict[int, Any]:
    return {row: (held, steps) for row, held, steps in frame.iter_rows()}


def standings_of(quota_list: list[QuotaInfo], rows: list[tuple[int, str, bool, str]]) -> Any:
    return pl.DataFrame(
        {
            ROW: list(range(len(rows))),
            "total": [r[0] for r in rows],
            "grade": [r[1] for r in rows],
            "pinned": [r[2] for r in rows],
            **{group_column(i): [r[3] if q.within else "" for r in rows] for i, q in enumerate(quota_list)},
        },
        schema={
            ROW: pl.Int64,
            "total": pl.Int128,
            "grade": pl.String,
            "pinned": pl.Boolean,
            **{group_column(i): pl.String for i in range(len(quota_list))},
        },
    )


def column_moves(quota_list: list[QuotaInfo], rows: list[tuple[int, str, bool, str]]) -> dict[int, Any]:
    return _rows(apply_quotas(quota_list, GRADES, standings_of(quota_list, rows)))


def narrowed_moves(quota_list: list[QuotaInfo], rows: list[tuple[int, str, bool, str]], cut: int) -> dict[int, Any]:
    """The moves of the standings of two partitions (rows before and after `cut`), each
    narrowed to the rows a quota ranks or moves, as a Dask client applies them."""
    table = standings_of(quota_list, rows)
    parts = [narrowed(quota_list, GRADES, table[:cut]), narrowed(quota_list, GRADES, table[cut:])]
    every = combined(parts)
    return _rows(apply_quotas(quota_list, GRADES, every.rows, every.counts))


@settings(max_examples=400, deadline=None)
@given(quota_list=st.lists(quotas(), min_size=1, max_size=3), rows=ROWS)
def test_window_quotas_move_what_the_python_batch_moves(quota_list: list[QuotaInfo], rows: list[Any]) -> None:
    assert column_moves(quota_list, rows) == python_moves(quota_list, rows)


@settings(max_examples=400, deadline=None)
@given(quota_list=st.lists(quotas(), min_size=1, max_size=3), rows=ROWS, cut=st.integers(0, 40))
def test_narrowed_standings_of_partitions_move_what_the_python_batch_moves(
    quota_list: list[QuotaInfo], rows: list[Any], cut: int
) -> None:
    assert narrowed_moves(quota_list, rows, cut) == python_moves(quota_list, rows)


def test_narrowed_standings_keep_one_row_each_only_where_a_quota_ranks_or_moves() -> None:
    rows = [(9, "top", False, "a"), (8, "good", False, "a"), (7, "fair", True, "b"), (6, "poor", False, "b")]
    rows += [(5, "good", False, "b"), (4, "poor", False, "a")]

    def quota(grades: tuple[str, ...], direction: QuotaDirection) -> QuotaInfo:
        return QuotaInfo(grades, direction, Decimal("0.5"), "dept", "demote", False, SPAN)

    at_most = narrowed([quota(("top",), "at most")], GRADES, standings_of([quota(("top",), "at most")], rows))
    assert at_most.rows[ROW].to_list() == [0]
    assert sorted(at_most.counts[0].iter_rows()) == [("a", 2), ("b", 3)]
    both = [quota(("top",), "at most"), quota(("fair",), "at least")]  # at least: fair and those above
    kept = narrowed(both, GRADES, standings_of(both, rows))
    assert kept.rows[ROW].to_list() == [0, 1, 2, 4]
    assert [sorted(c.iter_rows()) for c in kept.counts] == [[("a", 1), ("b", 1)]] * 2


def test_ties_across_the_line_follow_the_rule() -> None:
    """Pinned figures: five `top` rows of one group, at most 40% (k = 2), two tied at the line."""
    rows = [(9, "top", False, "a"), (8, "top", False, "a"), (8, "top", False, "a"), (7, "top", False, "a")]
    rows.append((6, "top", True, "a"))  # pinned: counted, never moved

    def quota(ties: Ties) -> list[QuotaInfo]:
        return [QuotaInfo(("top",), "at most", Decimal("0.4"), "dept", ties, False, SPAN)]

    demoted = column_moves(quota("demote"), rows)
    assert sorted(demoted) == [1, 2, 3]  # the tie at the line goes down with it
    reason = "quota: top at most 40% within dept = a"
    assert demoted[1] == ("good", [{"step": "quota", "before": "top", "after": "good", "reason": reason}])
    assert sorted(column_moves(quota("admit"), rows)) == [3]  # both tied rows stay
