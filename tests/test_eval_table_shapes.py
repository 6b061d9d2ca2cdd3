"""The shapes real tables need (issue 10), pinned on both backends with hand-computed figures:
a `penalty` block taken from the total, `adjust` beside a computed score, `longest_gap` and
`longest_gap_months` across the period's bounds, and `by KEY` (the first element per distinct key).

The figures come from tests/eval_fixtures/rulesets/deductions.ind and adjusted.ind with their
records (tests/eval_fixtures/records/), worked out by hand in the comments.
"""

from __future__ import annotations

import datetime
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from support import EVAL_RULESETS, ROOT, eval_ruleset, project_with

import indicator_dsl
from indicator_dsl.cli.main import main
from indicator_dsl.semantics.calendar import longest_gap_days, longest_gap_months
from indicator_dsl.syntax.diagnostics import RulesetError
from indicator_dsl.syntax.formatter import format_source
from indicator_dsl.syntax.source import SourceFile

BACKENDS = ("compiled", "interpreted")
RECORDS = ROOT / "tests" / "eval_fixtures" / "records"
UNIT = ROOT / "tests" / "eval_fixtures" / "schema" / "unit.ind"


def results(name: str, backend: str) -> dict[str, Any]:
    records = json.loads((RECORDS / f"{name}.json").read_text(encoding="utf-8"))
    batch = eval_ruleset(name, backend).evaluate_many(records, trace=True)
    return {r.id: r for r in batch.results}


# ---------------------------------------------------------------- penalty


@pytest.mark.parametrize("backend", BACKENDS)
def test_penalty_is_taken_after_the_bonus(backend: str) -> None:
    # D2: table 10 (activity) + 5.5 (news) = 15.5; bonus 2 (先进); three 党课 → 3 × (4 − 3) = 3.
    # total = 15.5 + 2 − 3 = 14.5; `good` needs penalty == 0, so fair.
    d2 = results("deductions", backend)["D2"]
    assert (d2.total, d2.bonus, d2.penalty) == (Decimal("14.50"), Decimal("2.00"), Decimal("3.00"))
    assert d2.grade == "fair"
    assert d2.outcomes["taken"] == Decimal("3.00")
    items = [(e.indicator, e.fired, e.effect, e.reads) for e in d2.trace or [] if e.kind == "penalty"]
    assert items == [("lessons_short", True, Decimal(-3), {"lessons": 3}), ("violation", False, 0, {"violations": 0})]


@pytest.mark.parametrize("backend", BACKENDS)
def test_penalty_is_capped_and_the_total_never_below_zero(backend: str) -> None:
    # D1: no 党课 → 3 × 4 = 12, capped at 8; table 0 − 8 → total 0.
    d1 = results("deductions", backend)["D1"]
    assert (d1.total, d1.penalty) == (Decimal("0.00"), Decimal("8.00"))
    last = [e for e in d1.trace or [] if e.kind == "penalty"][-1]
    assert (last.clause, last.note) == (-1, "penalty lowered to its max; total raised to 0 (扣完为止)")
    # D3: violation 5, four 党课 → 0; table 10 → total 5. D4: no penalty, total 22 > 20 with the bonus → good.
    d3, d4 = results("deductions", backend)["D3"], results("deductions", backend)["D4"]
    assert (d3.total, d3.penalty) == (Decimal("5.00"), Decimal("5.00"))
    assert (d4.total, d4.penalty, d4.grade) == (Decimal("22.00"), Decimal("0.00"), "good")


def test_penalty_in_explain_and_csv(capsys: pytest.CaptureFixture[str]) -> None:
    ruleset, records = EVAL_RULESETS / "deductions.ind", RECORDS / "deductions.json"
    assert main(["eval", str(ruleset), str(records), "--explain", "D2"]) == 0
    text = capsys.readouterr().out
    assert "加分 bonus 2.00   扣分 penalty 3.00   总分 total 14.50" in text
    assert "✓ 党课每少1次扣3分 (lessons_short): lessons = 3  -3" in text
    main(["eval", str(ruleset), str(records), "--format", "csv"])
    header, first = capsys.readouterr().out.splitlines()[:2]
    assert ",bonus,penalty," in header and first.startswith("D1,deductions,0.00,fair,一般,0.00,8.00,")


def test_no_penalty_field_without_a_penalty_block() -> None:
    result = eval_ruleset("shapes").evaluate({"id": "X"})
    assert result.penalty is None and "penalty" not in result.model_dump(mode="json")


# ---------------------------------------------------------------- longest gap, by KEY


@pytest.mark.parametrize("backend", BACKENDS)
def test_longest_gap_counts_from_the_period_start_to_its_end(backend: str) -> None:
    got = results("deductions", backend)
    # D2: 01-01 | 02-10 04-10 05-20 07-01 09-15 11-30 | 12-31 (2024-02-01 is outside): 76 days
    # (07-01 → 09-15 and 09-15 → 11-30); the 党课 alone: 01-01 02-10 04-10 07-01 | 12-31: 5 months.
    assert (got["D2"].outcomes["gap_days"], got["D2"].outcomes["gap_months"]) == (76, 5)
    # D1 has no meeting: the whole period, 364 days, 11 whole months.
    assert (got["D1"].outcomes["gap_days"], got["D1"].outcomes["gap_months"]) == (364, 11)
    # D3: 05-01 → 12-31 is 244 days, 7 months: `>= 6` bands score 0; D2's 2 months score 10.
    assert got["D3"].outcomes["gap_days"] == 244
    assert [got[i].sources["table"]["indicators"]["activity"] for i in ("D2", "D3")] == [Decimal(10), Decimal(0)]


def test_longest_gap_helpers() -> None:
    d = datetime.date
    year = (d(2023, 1, 1), d(2023, 12, 31), d(2023, 12, 31))  # start, end, as of (the end: the year is over)
    assert longest_gap_days([d(2023, 6, 30)], *year) == 184
    assert longest_gap_months([d(2023, 6, 30)], *year) == 6
    assert longest_gap_days([None, d(2022, 5, 1)], d(2023, 1, 1), d(2023, 1, 31), d(2023, 1, 31)) == 30


@pytest.mark.parametrize("backend", BACKENDS)
def test_by_key_keeps_the_first_element_of_each_key(backend: str) -> None:
    got = results("deductions", backend)
    # D2: 同一篇新闻 2.5 (its second filing, 4, is dropped) + 第二篇 3 = 5.5; 未报送 is not reported.
    assert got["D2"].sources["table"]["indicators"]["news"] == Decimal("5.50")
    # D4: 甲 4 (not the later 1) + 乙 6 = 10.
    assert got["D4"].sources["table"]["indicators"]["news"] == Decimal("10.00")
    assert (got["D2"].outcomes["distinct_count"], got["D2"].outcomes["titles"]) == (3, 3)


# ---------------------------------------------------------------- adjust


@pytest.mark.parametrize("backend", BACKENDS)
def test_adjust_moves_each_sources_score(backend: str) -> None:
    ad1 = results("adjusted", backend)["AD1"]
    # discipline 6 − 2 = 4: self +0 → 4, superior −2 → 2; others 3, superior −1 serves both → 2.
    # self table 6, superior 4: total 0.4 × 6 + 0.6 × 4 = 4.8.
    assert ad1.sources["self"]["indicators"] == {"discipline": Decimal(4), "others": Decimal(2)}
    assert ad1.sources["superior"]["indicators"] == {"discipline": Decimal(2), "others": Decimal(2)}
    assert ad1.total == Decimal("4.80")
    assert ad1.sources["superior"]["reasons"] == {"discipline": "台账不全"}
    adjust = [(e.source, e.indicator, e.effect, e.reads) for e in ad1.trace or [] if e.kind == "adjust"]
    assert adjust[:2] == [
        ("self", "discipline", Decimal(4), {"sheets.self": 0}),
        ("self", "others", Decimal(2), {"sheets.superior": -1}),
    ]
    assert (
        "superior",
        "discipline",
        Decimal(2),
        {"sheets.superior": -2, "sheets.superior reason": "台账不全"},
    ) in adjust


@pytest.mark.parametrize("backend", BACKENDS)
def test_adjust_is_clamped_again(backend: str) -> None:
    got = results("adjusted", backend)
    # AD2: discipline 6, self +3 → 6 (max), superior −3 → 3; others does not apply (n = 0), so the
    # tables are prorated over 6: self 10, superior 5 → 0.4 × 10 + 0.6 × 5 = 7.
    assert got["AD2"].total == Decimal("7.00")
    assert got["AD2"].sources["superior"]["indicators"] == {"discipline": Decimal(3), "others": None}
    # AD3: discipline 6 − 6 = 0, self −1 stays 0; others 5 → 4, superior +2 stays 4: total 4.
    assert got["AD3"].total == Decimal("4.00")
    notes = [e.note for e in got["AD3"].trace or [] if e.kind == "clamp"]
    assert "raised to 0 (扣完为止) (self)" in notes and "lowered to max (superior)" in notes


@pytest.mark.parametrize("backend", BACKENDS)
def test_bad_adjustments_are_record_errors(backend: str) -> None:
    errors = {e.path: e.message for e in results("adjusted", backend)["AD4"].errors}
    assert errors == {
        "sheets.self.discipline": 'this adjustment needs a reason: {"adjust": ..., "reason": "..."}',
        "sheets.superior.discipline": "4 is outside -3..3",
        "sheets.superior.others": "no adjustment for `others` (其他指标); write 0 for none",
    }


# ---------------------------------------------------------------- checker, formatter


def _codes(folder: Path, body: str, *, period: bool = True) -> list[str]:
    project_with(folder, UNIT)
    text = (
        'import "unit.ind"\nruleset probe "探针" version "1"\nrecord Unit\n'
        + ("period 2023-01-01 to 2023-12-31\n" if period else "")
        + "total 10\n"
        + body
    )
    path = folder / "probe.ind"
    path.write_text(text, encoding="utf-8")
    try:
        indicator_dsl.load(path)
    except RulesetError as error:
        return [d.code for d in error.diagnostics]
    return []


INDICATOR = "dimension d max 10 {{ indicator i max 10 {{ {} }} }}\n"


@pytest.mark.parametrize(
    ("body", "period", "expected"),
    [
        (INDICATOR.format("score longest_gap(m in meetings, by m.held_on)"), False, ["E216"]),
        (INDICATOR.format("score longest_gap_months(m in meetings)"), True, ["E206"]),
        (INDICATOR.format("score sum(a in activities, 1, by a)"), True, ["E206"]),
        (INDICATOR.format("score if any(a in activities, by a.name) then 1 else 0"), True, ["E206"]),
        (INDICATOR.format("score sum(a in activities, 1, by a.name)"), True, []),
        (INDICATOR.format("judged adjust up to 1"), True, ["E304"]),
        (INDICATOR.format("score 1 adjust up to 1 adjust up to 2"), True, ["E304"]),
        (INDICATOR.format("adjust up to 1"), True, ["E305"]),
        (INDICATOR.format("score 1 adjust by boss up to 1"), True, ["E310"]),
        (INDICATOR.format("score 1") + "penalty max 2 { item a award 1 }", True, ["E312"]),
        (INDICATOR.format("score 1") + "bonus max 2 { item a deduct 1 }", True, ["E312"]),
        (INDICATOR.format("score 1") + "penalty max 2 { }\npenalty max 3 { }", True, ["E104"]),
    ],
)
def test_checker_rules_of_the_new_shapes(tmp_path: Path, body: str, period: bool, expected: list[str]) -> None:
    assert _codes(tmp_path, body, period=period) == expected


def test_fmt_round_trips_the_new_shapes() -> None:
    path = ROOT / "tests" / "corpus" / "good" / "rulesets" / "table_shapes.ind"
    text = path.read_text(encoding="utf-8")
    formatted = format_source(SourceFile(str(path), text)).text
    assert formatted is not None
    assert 'penalty "从总分中扣除" max 10 {' in formatted
    assert "adjust by superior up to 2 reason required" in formatted
    assert format_source(SourceFile(str(path), formatted)).text == formatted


def test_ind_test_expects_a_penalty(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    suite = tmp_path / "deductions.yaml"
    suite.write_text(
        f"ruleset: {(EVAL_RULESETS / 'deductions.ind').as_posix()}\ncases:\n"
        "  - name: three lessons\n    record: {id: T1, meetings: [{kind: 党课, held_on: 2023-03-01},"
        " {kind: 党课, held_on: 2023-06-01}, {kind: 党课, held_on: 2023-09-01}]}\n"
        "    expect: {penalty: 3.00, total: 3.00}\n"
        "  - name: wrong\n    record: {id: T2}\n    expect: {penalty: 7.00}\n",
        encoding="utf-8",
    )
    assert main(["test", str(suite), "--root", str(ROOT)]) == 1
    out = capsys.readouterr().out
    # T1: gaps of 2, 3, 3 and 3 months → 6 points; three lessons → penalty 3; total 3. T2: 12 capped at 8.
    assert "penalty: expected 7.0, got 8.00" in out and "1 passed, 1 failed" in out
    assert "three lessons" not in out
