"""`ind schema`: titles from the schema's own labels, and the `sheets` of judged scores, checked
with a JSON Schema validator against the province sample and against sheets the engine refuses."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from support import EVAL_RULESETS, ROOT

from indicator_dsl.cli.main import main

jsonschema = pytest.importorskip("jsonschema")

CATALOG = ROOT / "rulesets" / "jiangsu" / "catalog.ind"
SAMPLE = ROOT / "examples" / "province" / "sample.jsonl"


def schema_of(path: Path, capsys: Any) -> dict[str, Any]:
    assert main(["schema", str(path)]) == 0
    schema: dict[str, Any] = json.loads(capsys.readouterr().out)
    jsonschema.Draft202012Validator.check_schema(schema)
    return schema


def test_titles_are_the_schemas_own_labels(capsys: Any) -> None:
    schema = schema_of(CATALOG, capsys)
    assert schema["title"] == "党支部"
    assert schema["properties"]["id"] == {"title": "支部编号", "type": "string"}
    assert schema["$defs"]["Meeting"]["title"] == "组织生活记录"
    assert schema["$defs"]["Meeting"]["properties"]["held_on"]["title"] == "召开日期"
    english = [p for p, spec in schema["properties"].items() if spec.get("title", "").replace("_", " ").lower() == p]
    assert english == []


def test_the_province_sample_validates_sheets_included(capsys: Any) -> None:
    schema = schema_of(CATALOG, capsys)
    sheets = schema["properties"]["sheets"]
    assert sorted(sheets["properties"]) == ["self", "superior"]
    assert sheets["properties"]["self"]["title"] == "党支部自评"
    integration = sheets["properties"]["self"]["properties"]["integration"]
    assert integration["title"] == "党建与业务融合" and integration["description"] == "0..4"
    validator = jsonschema.Draft202012Validator(schema)
    records = [json.loads(line) for line in SAMPLE.read_text(encoding="utf-8").splitlines()]
    assert len(records) == 50 and all("sheets" in r for r in records)
    assert [list(validator.iter_errors(r)) for r in records] == [[]] * 50
    bad = {**records[0], "sheets": {"self": {"integration": 9}, "boss": {}}}
    messages = sorted(e.message for e in validator.iter_errors(bad))
    assert any("'boss' was unexpected" in m for m in messages), messages
    assert not validator.is_valid({**records[0], "sheets": {"self": {"integrity": 3}}})


def test_a_reason_required_score_needs_its_reason(capsys: Any) -> None:
    schema = schema_of(EVAL_RULESETS / "judged.ind", capsys)
    sheets = schema["properties"]["sheets"]["properties"]
    assert sorted(sheets) == ["self", "superior"]  # survey is a computed source: no sheet
    assert sorted(sheets["self"]["properties"]) == ["records", "venue"]  # innovation is judged by superior only
    assert sorted(sheets["superior"]["properties"]) == ["innovation", "records", "venue"]
    assert sheets["self"]["properties"]["venue"]["description"] == "0..10, with a reason"
    validator = jsonschema.Draft202012Validator(schema)
    good = {"records": 8, "venue": {"score": 9, "reason": "阵地达标"}}
    assert validator.is_valid({"id": "J", "sheets": {"self": good}})
    for venue in (9, {"score": 9}, {"score": 9, "reason": "  "}, {"score": 11, "reason": "多"}):
        assert not validator.is_valid({"id": "J", "sheets": {"self": {**good, "venue": venue}}}), venue
    assert not validator.is_valid({"id": "J", "sheets": {"self": {**good, "innovation": 4}}})
    assert not validator.is_valid({"id": "J", "sheets": {"survey": {}}})


def test_only_the_may_correct_source_may_carry_corrections(capsys: Any) -> None:
    # common.ind: `superior ... may correct`; the self sheet holds judged scores only.
    validator = jsonschema.Draft202012Validator(schema_of(CATALOG, capsys)["properties"]["sheets"])
    fix = {"correct": 0, "reason": "核查轮训签到表", "evidence": ["书记轮训签到表"]}
    judged = {"integration": 4, "records": 5, "venue_use": 3}
    assert list(validator.iter_errors({"self": judged, "superior": {**judged, "secretary_training": fix}})) == []
    refused = list(validator.iter_errors({"self": {**judged, "secretary_training": fix}, "superior": judged}))
    assert [e.message for e in refused] == [
        "Additional properties are not allowed ('secretary_training' was unexpected)"
    ]
    no_reason = list(validator.iter_errors({"superior": {"secretary_training": {"correct": 0}}}))
    assert [e.message for e in no_reason] == ["'reason' is a required property"]
