"""A JSON line read in one step by msgspec (`semantics/json_records.py`) gives the engine
exactly what `json` and the record validator give it: the same record (every value of the
same type, decimals with the same digits and exponent), sheets, errors, warnings and id.

Lines are drawn from every shipped and fixture ruleset's own schema, written with decimals as
JSON numbers and as text, and then spoiled here and there with values either reader could
take differently: underscores, non-ASCII digits, NaN, padded text, whole numbers past `json`'s
digit limit, a lone surrogate, a control character, an unknown field, a repeated key, `true`
as text."""

from __future__ import annotations

import decimal
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from backend_agreement import FIXTURE_RULESETS, JIANGSU_RULESETS, ROOT, model, records_for
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from indicator_dsl.evaluate.inputs import JsonLine
from indicator_dsl.semantics.arithmetic import EXACT

PATHS = [*JIANGSU_RULESETS, *FIXTURE_RULESETS]
SPOILERS: list[str] = [
    "0.90",
    "1.5e3",
    "-0.0",
    '"1_0"',
    '"\u0661\u0662"',
    '"\uff11"',
    '"NaN"',
    '"-Infinity"',
    '" 1.50 "',
    '"\\u001c1.5"',
    "1e400",
    "3.0",
    "true",
    '"true"',
    '"12"',
    '" 12 "',
    "1" + "0" * 400,
    "1" + "0" * 5000,
    '"\\ud800"',
    '"\\ud83d\\ude00"',
    "null",
    "[]",
    "{}",
    '"2023-1-5"',
    '"2023-02-30"',
    '"\u0662\u0660\u0662\u0663-01-01"',
    "NaN",
]


def written(value: Any) -> str:
    """JSON text with every Decimal written as the number it is (no float on the way)."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(k, ensure_ascii=False)}:{written(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(written(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def leaves(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in leaves(v, (*path, k))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in leaves(v, (*path, i))] or [path]
    return [path]


def spoiled(record: dict[str, Any], path: tuple[Any, ...], text: str) -> str:
    """The record's JSON line with the value at `path` replaced by the raw JSON `text`."""
    marker = "\x00spoiled\x00"
    copy = json.loads(written(record), parse_float=Decimal)
    target = copy
    for key in path[:-1]:
        target = target[key]
    if path:
        target[path[-1]] = marker
    line = written(copy)
    return line.replace(json.dumps(marker), text) if path else text


def prepared(path: Path, data: Any) -> str:
    engine = next(iter(model(path, "compiled").engines.values()))
    with decimal.localcontext(EXACT):
        record, sheets, problems, warnings, record_id = engine.prepare(data)
    return repr((record, sheets, problems, warnings, record_id))


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.relative_to(ROOT).as_posix())
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_a_json_line_reads_the_same_in_one_step(path: Path, data: st.DataObject) -> None:
    record = data.draw(records_for(path))
    lines = [written(record)]
    spots = leaves(record)
    for _ in range(2):
        spot = data.draw(st.sampled_from(spots))
        lines.append(spoiled(record, spot, data.draw(st.sampled_from(SPOILERS))))
    lines.append(written({**record, "unknown": 1}))
    first = next(iter(record), None)
    if first is not None:  # a key given twice: the last one counts, in both readings
        lines.append("{" + json.dumps(first) + ":null," + written(record)[1:])
    for line in lines:
        raw = line.encode("utf-8", "surrogatepass")
        assert prepared(path, JsonLine(raw, 7)) == prepared(path, JsonLine(raw, 7).read()), line[:300]


def test_the_one_step_reader_takes_the_common_forms() -> None:
    """Not a fallback in disguise: the benchmark's own line (decimals as text, dates, enums,
    sheets) is read in one step, a fraction written as a JSON number too (as the Decimal of
    its own text), and a padded numeric text is left to the slow reading."""
    path = ROOT / "examples" / "spec" / "rulesets" / "party_gov.ind"
    engine = model(path, "compiled").engine
    line = (
        '{"id": "B1", "department": "d", "category": "党政机关", "members": 9, "committee_size": 5,'
        ' "last_election": "2023-08-25", "meetings": [{"kind": "支委会", "held_on": "2023-01-25",'
        ' "attendance": "0.90"}], "dues_on_time": "1", "secretary_trained": true, "honors": [],'
        ' "survey_satisfaction": "0.9601", "sheets": {"self": {"records": 15.50}}}'
    )
    read = engine._read_json(line.encode())
    assert read is not None
    record, sheets = read
    assert repr(record["meetings"][0]["attendance"]) == "Decimal('0.90')"
    assert repr(sheets) == "{'self': {'records': Decimal('15.50')}}"
    number = engine._read_json(line.replace('"0.90"', "0.90").encode())
    assert number is not None and repr(number[0]["meetings"][0]["attendance"]) == "Decimal('0.90')"
    assert engine._read_json(line.replace('"0.90"', '" 0.90"').encode()) is None
