"""`ind schema RULESET`: the JSON Schema of the records a ruleset scores, sheets included.

Titles are the schema's own labels (`"title": "党支部"`, `"title": "召开日期"`). A record may
carry its assessors' judged scores under `sheets`: per table source, each judged indicator's
score in 0..its maximum, or `{"score": ..., "reason": "..."}`, the object with a non-empty
reason being required where the ruleset says `reason required`. A platform validating records
with this schema so learns which judged scores a record carries. For a catalog, the records of
all its rulesets are described: the record type of the first, and sheets allowing the judged
indicators of every ruleset (whether one applies depends on the record, so none is required).
"""

from __future__ import annotations

import json
import sys
from decimal import Decimal
from typing import Any

from ..evaluate.engine import Engine
from ..semantics.json_records import SHEETS_KEY
from ..semantics.plan import TablePlan
from .common import ArgumentParser, load_or_report

DECIMAL_TEXT = r"^\s*[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)\s*$"


def _bound(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def _score(top: Decimal, reason_required: bool) -> dict[str, Any]:
    number = {
        "anyOf": [
            {"type": "number", "minimum": 0, "maximum": _bound(top)},
            {"type": "string", "pattern": DECIMAL_TEXT},
        ]
    }
    scored: dict[str, Any] = {
        "type": "object",
        "properties": {"score": number, "reason": {"type": "string", "title": "理由 reason"}},
        "required": ["score", "reason"] if reason_required else ["score"],
    }
    if reason_required:
        scored["properties"]["reason"]["pattern"] = r"\S"
        return {**scored, "description": f"0..{top}, with a reason"}
    return {"anyOf": [number, scored], "description": f"0..{top}"}


#: A `may correct` source's correction of a computed indicator (上级核正), any name its sheet does not score.
CORRECTION = {
    "title": "核正 correction",
    "type": "object",
    "properties": {
        "correct": {"anyOf": [{"type": "number", "minimum": 0}, {"type": "string", "pattern": DECIMAL_TEXT}]},
        "reason": {"type": "string", "pattern": r"\S", "title": "理由 reason"},
        "evidence": {"type": "array", "items": {"type": "string"}, "title": "证据 evidence"},
    },
    "required": ["correct", "reason"],
    "additionalProperties": False,
}


def sheet_entries(plan: TablePlan) -> dict[str, dict[str, tuple[str, Decimal, bool]]]:
    """Per source, the judged indicators its sheet may hold: (title, maximum, reason required)."""
    table_sources = [s.name for s in plan.sources if s.is_table]
    entries: dict[str, dict[str, tuple[str, Decimal, bool]]] = {}
    for info in plan.indicators:
        if info.judged:
            for source in [info.judged_by] if info.judged_by else table_sources:
                entries.setdefault(source, {})[info.name] = (info.label or info.name, info.max, info.reason_required)
    return entries


def sheets_schema(plans: list[TablePlan]) -> dict[str, Any]:
    """The `sheets` property for records scored by `plans`; an indicator judged in several
    plans gets the loosest of their bounds (largest maximum, a reason required only by all)."""
    merged: dict[str, dict[str, tuple[str, Decimal, bool]]] = {}
    labels: dict[str, str] = {}
    correcting = {s.name for plan in plans for s in plan.sources if s.corrects}
    for plan in plans:
        labels.update({s.name: s.label or s.name for s in plan.sources if s.name not in labels})
        for source, entries in sheet_entries(plan).items():
            known = merged.setdefault(source, {})
            for name, (title, top, reason) in entries.items():
                if name in known:
                    _, other_top, other_reason = known[name]
                    top, reason = max(top, other_top), reason and other_reason
                known[name] = (title, top, reason)
    properties = {
        source: {
            "title": labels.get(source, source),
            "type": "object",
            "properties": {
                name: {**_score(top, reason), "title": title} for name, (title, top, reason) in sheet.items()
            },
            "additionalProperties": CORRECTION if source in correcting else False,
        }
        for source, sheet in merged.items()
    }
    return {
        "title": "评分表 judged scores",
        "description": "per source, each judged indicator's score (or {score, reason}); a `may correct`"
        " source's corrections ({correct, reason, evidence})",
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
    }


def record_schema(engines: list[Engine]) -> dict[str, Any]:
    """The JSON Schema of the records: the first engine's record type, and the sheets of all."""
    schema: dict[str, Any] = engines[0].models.root.model_json_schema()
    plans = [engine.plan for engine in engines]
    if any(sheet_entries(plan) for plan in plans):
        schema.setdefault("properties", {})[SHEETS_KEY] = sheets_schema(plans)
    return schema


def _arrow(model: Any) -> int:
    """The record type as an Arrow schema (what `ind eval --backend columnar` reads from Parquet)."""
    try:
        from ..evaluate.tables import arrow_schema
    except ImportError:
        sys.stderr.write("ind schema: --format arrow needs the columnar extra: pip install -e '.[columnar]'\n")
        return 2
    from ..api import Ruleset
    from ..semantics.sheets import SheetReader

    if isinstance(model, Ruleset):
        types, root = model.tables.types, model.engine.plan.record_type
    else:
        first = next(iter(model.resolved.rulesets.values()))
        types, root = first.types, first.record.type_name
    expected: dict[str, list[tuple[str, Decimal]]] = {}
    for engine in model.engines.values():
        for source, names in SheetReader(engine.plan).expected.items():
            known = expected.setdefault(source, [])
            known += [entry for entry in names if entry[0] not in {name for name, _ in known}]
    schema = arrow_schema(types, root, expected)
    sys.stdout.write(schema.to_string(show_schema_metadata=True) + "\n")
    return 0


def main(argv: list[str]) -> int:
    parser = ArgumentParser(prog="ind schema", description="Print the JSON Schema of a ruleset's records.")
    parser.add_argument("ruleset", help="a ruleset .ind file (or a catalog: its first ruleset's record type)")
    parser.add_argument(
        "--format", choices=["json", "arrow"], default="json", help="arrow: the Arrow schema of a records table"
    )
    args = parser.parse(argv)
    if isinstance(args, int):
        return args
    model = load_or_report(args.ruleset, "ind schema")
    if model is None:
        return 2
    if args.format == "arrow":
        return _arrow(model)
    schema = record_schema(list(model.engines.values()))
    sys.stdout.write(json.dumps(schema, ensure_ascii=False, indent=2) + "\n")
    return 0
