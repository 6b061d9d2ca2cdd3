"""`--explain` and the table output: long decimals cut to a readable width by one helper,
the proration built from its figures, the weighting of the sources and the bonus items shown."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from support import EVAL_RULESETS, project_with

import indicator_dsl
from indicator_dsl.outputs.explain import explain
from indicator_dsl.outputs.formats import as_table, readable

LONG = """\
import "unit.ind"

ruleset long "长小数" version "1"
record Unit
period 2023-01-01 to 2023-12-31
total 400

dimension a "甲" max 400 {
  indicator part "部分" max 200 { score points / 3 }
  indicator cadre "兼职" max 200 applies when category == "党政机关" { deduct 200 when not has_party_cadre }
}

assess {
  table_a "表" weight 50%
  survey "测评" weight 50% = points / 7
}
"""


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Decimal("150.666666666666666666666666666666666666666666666666666666667"), "150.666666…"),
        (Decimal("-2.1234567"), "-2.123456…"),
        (Decimal("2.123456"), "2.123456"),
        (Decimal("95.00"), "95.00"),
        (Decimal("1E-30"), "0.000000…"),
        (Decimal("-1E-9"), "-0.000000…"),
        (Decimal("1E+30"), "1.000000e+30"),
        (Decimal("12345678901234567890123"), "12345678901234567890123"),
        (7, "7"),
        (True, "True"),
        ("text", "text"),
    ],
)
def test_readable_cuts_long_decimals(value: object, shown: str) -> None:
    assert readable(value) == shown


def load_long(tmp_path: Path) -> indicator_dsl.Ruleset:
    root = project_with(tmp_path, EVAL_RULESETS.parent / "schema" / "unit.ind")
    (root / "long.ind").write_text(LONG, encoding="utf-8")
    model = indicator_dsl.load(root / "long.ind")
    assert isinstance(model, indicator_dsl.Ruleset)
    return model


def test_explain_cuts_long_decimals_and_shows_the_weighting(tmp_path: Path) -> None:
    model = load_long(tmp_path)
    # part = 452 / 3 = 150.666…; cadre does not apply (国有企业), so the table is prorated:
    # 150.666… × 400 / 200 = 301.33; survey 452 / 7 = 64.571…; 0.5 × 301.33 + 0.5 × 64.57 = 182.95.
    result = model.evaluate({"id": "L1", "points": 452, "category": "国有企业"}, trace=True)
    text = explain(result, model.engine.plan)
    at = tmp_path / "long.ind"
    assert f"  折算 prorated: table 150.666666… × 400 / 200 (applicable maximum) = 301.33   [{at}:6]" in text
    assert "      ✓ score #1: points = 452  = 150.666666…" in text
    assert "合成 weighted: 0.5 × table_a 301.33 + 0.5 × survey 64.57 = 182.95" in text
    assert "加分 bonus 0.00   总分 total 182.95" in text
    assert max(len(line.replace(str(at), "long.ind")) for line in text.splitlines()) < 90
    assert "合成" not in explain(result)  # without the plan, no weights to show


def test_explain_lists_the_bonus_items() -> None:
    model = indicator_dsl.load(EVAL_RULESETS / "combine.ind")
    assert isinstance(model, indicator_dsl.Ruleset)
    record = {"id": "C2", "category": "国有企业", "points": 90, "extra": 6}
    record["activities"] = [{"name": f"a{i}", "reported": i != 2} for i in range(5)]
    text = explain(model.evaluate(record, trace=True), model.engine.plan)
    # practice: 4 reported, 1 each, up to 3 → 3; special: extra / 2 = 3; 6 capped at 5.
    assert "  · item honour 荣誉: 0\n  ✓ item practice 实践活动: +3\n  ✓ item special 专项: +3\n" in text
    assert "加分 bonus 5.00   总分 total 69.95" in text


def test_the_table_output_uses_the_same_cut(tmp_path: Path) -> None:
    model = load_long(tmp_path)
    result = model.evaluate({"id": "L1", "points": 452, "category": "国有企业"})
    long_total = result.model_copy(update={"total": Decimal(452) / 3})
    assert as_table([long_total]).splitlines()[1].split() == ["L1", "long", "150.666666…"]
