"""The rows a quota moved, put into the plan's rows (`columnar_results.moved_rows`): each
moved row gets its final grade and its quota steps after its own steps (none, one or more),
rows the Python backend scored (absent from the plan's rows) are left to it, and no other
row changes."""

from __future__ import annotations

from typing import Any

import pytest

pl = pytest.importorskip("polars", reason="the columnar backend needs polars: pip install -e '.[columnar]'")

from indicator_dsl.evaluate.columnar_quotas import STEP  # noqa: E402
from indicator_dsl.evaluate.columnar_results import moved_rows  # noqa: E402
from indicator_dsl.evaluate.tables import ROW  # noqa: E402


def _step(step: str, before: str | None, after: str, reason: str) -> dict[str, Any]:
    return {"step": step, "before": before, "after": after, "reason": reason}


RULES_A = _step("rules", None, "a", "A")
RULES_B = _step("rules", None, "b", "B")
VETO = _step("veto", "a", "b", "veto")
QUOTA = _step("quota", "a", "b", "quota: a at most 1")
QUOTA_UP = _step("quota", "b", "a", "quota: a at least 2")


def test_moved_rows_get_their_grade_and_quota_steps_after_their_own() -> None:
    fast = pl.DataFrame(
        {
            ROW: [0, 2, 3, 5, 6],  # rows 1 and 4: scored by the Python backend
            "grade": ["a", "a", "b", "a", "b"],
            "steps": [[RULES_A], [RULES_A], [RULES_A, VETO], [], [RULES_B]],
            "total": [1, 2, 3, 4, 5],
        },
        schema={ROW: pl.Int64, "grade": pl.String, "steps": pl.List(STEP), "total": pl.Int64},
    )
    moves = pl.DataFrame(
        {
            ROW: [5, 1, 2, 3],
            "grade": ["b", "b", "b", "a"],
            "steps": [[QUOTA], [QUOTA], [QUOTA], [QUOTA_UP, QUOTA]],
        },
        schema={ROW: pl.Int64, "grade": pl.String, "steps": pl.List(STEP)},
    )
    out = moved_rows(fast, moves)
    assert out[ROW].to_list() == [0, 2, 3, 5, 6]
    assert out["grade"].to_list() == ["a", "b", "a", "b", "b"]
    assert out["steps"].to_list() == [
        [RULES_A],
        [RULES_A, QUOTA],
        [RULES_A, VETO, QUOTA_UP, QUOTA],
        [QUOTA],
        [RULES_B],
    ]
    assert out["total"].to_list() == [1, 2, 3, 4, 5]
    assert fast["grade"].to_list() == ["a", "a", "b", "a", "b"]  # the first pass is left as it was


def test_moves_only_of_python_rows_or_no_rows_change_nothing() -> None:
    schema = {ROW: pl.Int64, "grade": pl.String, "steps": pl.List(STEP)}
    fast = pl.DataFrame({ROW: [0, 2], "grade": ["a", "a"], "steps": [[RULES_A], [RULES_A]]}, schema=schema)
    moves = pl.DataFrame({ROW: [1, 3], "grade": ["b", "b"], "steps": [[QUOTA], [QUOTA]]}, schema=schema)
    assert moved_rows(fast, moves).equals(fast)
    empty = fast.clear()
    assert moved_rows(empty, moves).equals(empty)
