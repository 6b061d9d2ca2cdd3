"""GoRules ZEN's model of the benchmark ruleset (benchmarks/zen/party_gov.json, run by
benchmarks/zen_peer.py) against the hand-written scorer, on seeded records.

ZEN computes in decimal (rust_decimal) and hands numbers back as int or float: every reported figure
must be the float nearest the hand-written scorer's exact Decimal, and every grade, veto, quota move and
outcome equal.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

zen = pytest.importorskip("zen", reason="pip install zen-engine")

from benchmarks.records import generate_party_gov_records  # noqa: E402
from benchmarks.run import hand_written_batch  # noqa: E402
from benchmarks.zen_peer import disagreements, zen_batch  # noqa: E402

# 200 records reach every grade, the veto, the bonus and the quota (50 give one advanced branch).
RECORDS, SEED = 200, 1


def population() -> list[dict[str, Any]]:
    return generate_party_gov_records(RECORDS, seed=SEED)


def test_zen_computes_in_decimal() -> None:
    assert zen.evaluate_expression("0.1 + 0.2 == 0.3") is True
    assert zen.evaluate_expression("round(2.345, 2)") == 2.35  # half away from zero


def test_the_graph_agrees_with_the_hand_written_scorer_on_every_figure() -> None:
    raw = population()
    mine, theirs = zen_batch(raw), hand_written_batch(raw)
    assert disagreements(mine, theirs) == {}
    assert [r["total"] for r in mine] == [float(r["total"]) for r in theirs]
    assert [r["grade"] for r in mine] == [r["grade"] for r in theirs]
    # what the population exercises: every grade by the rules, the veto, the bonus, the quota
    assert Counter(r["grade_by_rules"] for r in mine) == {"standard": 150, "advanced": 38, "lagging": 12}
    assert Counter(r["grade_after_veto"] for r in mine) == {"standard": 147, "advanced": 38, "lagging": 15}
    assert Counter(r["grade"] for r in mine) == {"standard": 175, "lagging": 15, "advanced": 10}
    assert sum(1 for r in mine if r["quota"]) == 28
    assert sum(1 for r in mine if r["bonus"]) == 21
    assert mine[0]["total"] == 83.98 and mine[0]["sources"]["survey"]["value"] == 91.42


def test_a_difference_is_reported_by_field() -> None:
    raw = population()[:20]
    mine, theirs = zen_batch(raw), hand_written_batch(raw)
    mine[3] = {**mine[3], "total": mine[3]["total"] + 0.01, "grade": "advanced"}
    found = disagreements(mine, theirs)
    assert sorted(found) == ["grade", "total"]
    assert found["grade"] == [(theirs[3]["grade"], "advanced")]


def test_a_refused_record_keeps_its_place_with_the_field_named() -> None:
    raw = population()[:3]
    meetings = [dict(m) for m in raw[1]["meetings"]]
    meetings[2]["held_on"] = "2023-02-30"
    bad = [dict(raw[0], members="many"), dict(raw[1], meetings=meetings), raw[2]]
    results = zen_batch(bad)
    assert [r["errors"] for r in results[:2]] == [
        [{"path": "members", "message": '"many" is not of type "integer"'}],
        [{"path": "meetings[2].held_on", "message": '"2023-02-30" is not a "date"'}],
    ]
    assert [r["grade"] for r in results] == [None, None, hand_written_batch(raw)[2]["grade"]]
