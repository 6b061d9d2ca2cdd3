"""The OpenAPI 3.1 document of a served model, generated from the models themselves.

The record's schema is `ind schema`'s (`cli.schema.record_schema`: the record type of the
model's rulesets, sheets included), the result's is pydantic's schema of `Result` as it is
serialized (decimals as strings), so a Java or TypeScript client generated from the document
reads exactly what `ind eval --format json` writes. Nested definitions of both are lifted to
`components/schemas` under names OpenAPI accepts (`[A-Za-z0-9._-]`), a record type whose
name a result model already takes getting the prefix `Record`. The document follows the
model: after a reload it describes the new one.
"""

from __future__ import annotations

import re
from typing import Any

from .. import __version__
from ..cli.schema import record_schema
from ..evaluate.results import Result
from .holder import Loaded

_NAME = re.compile(r"[^A-Za-z0-9._-]")
_JSON = "application/json"
_JSON_LINES = "application/x-ndjson"


def _lift(schema: dict[str, Any], components: dict[str, Any], taken: set[str]) -> dict[str, Any]:
    """`schema` without its `$defs`, which go to `components` under free names, refs rewritten."""
    names: dict[str, str] = {}
    for name in schema.get("$defs", {}):
        free = base = _NAME.sub("_", name) or "Type"
        while free in taken:
            free = f"Record{free}" if free == base else f"{free}_"
        taken.add(free)
        names[name] = free

    def rewrite(value: Any) -> Any:
        if isinstance(value, dict):
            return {
                key: f"#/components/schemas/{names[item[len('#/$defs/') :]]}"
                if key == "$ref" and isinstance(item, str) and item.startswith("#/$defs/")
                else rewrite(item)
                for key, item in value.items()
                if key != "$defs"
            }
        if isinstance(value, list):
            return [rewrite(item) for item in value]
        return value

    for name, definition in schema.get("$defs", {}).items():
        components[names[name]] = rewrite(definition)
    lifted: dict[str, Any] = rewrite(schema)
    return lifted


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _answer(description: str, schema: dict[str, Any], media: str = _JSON) -> dict[str, Any]:
    return {"description": description, "content": {media: {"schema": schema}}}


_PROBLEMS = {
    "400": "the body is not JSON (or not UTF-8); the message is the one `ind eval` gives",
    "401": "a bearer token is required and was missing or unknown",
    "413": "the body is over the size limit, or the batch over the record limit",
    "503": "the request took longer than the time limit",
}


def _operation(summary: str, ok: dict[str, Any], *, body: dict[str, Any] | None = None, **more: Any) -> dict[str, Any]:
    answers = {"200": ok, **more.pop("answers", {})}
    if body is not None:
        answers.update({code: _answer(text, _ref("Problem")) for code, text in _PROBLEMS.items()})
    else:
        answers["401"] = _answer(_PROBLEMS["401"], _ref("Problem"))
    operation: dict[str, Any] = {"summary": summary, "operationId": more.pop("operation"), "responses": answers}
    if body is not None:
        operation["requestBody"] = {"required": True, "content": body}
    operation.update(more)
    return operation


def _fixed_schemas() -> dict[str, Any]:
    ruleset = {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "version": {"type": ["string", "null"]},
            "sha256": {"type": "string"},
        },
        "required": ["name", "version", "sha256"],
    }
    model = {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "kind": {"type": "string", "enum": ["ruleset", "catalog"]},
            "sha256": {"type": "string"},
            "generation": {"type": "integer", "description": "0 at start, one more after each reload"},
            "loaded_at": {"type": "string", "format": "date-time"},
            "rulesets": {"type": "array", "items": _ref("RulesetInfo")},
        },
        "required": ["name", "kind", "sha256", "generation", "loaded_at", "rulesets"],
    }
    return {
        "RulesetInfo": ruleset,
        "Model": model,
        "Problem": {
            "type": "object",
            "properties": {"error": {"type": "string"}, "kind": {"type": "string"}},
            "required": ["error", "kind"],
        },
        "Explanation": {
            "type": "object",
            "properties": {
                "result": _ref("Result"),
                "text": {"type": "string", "description": "as `ind eval --explain`"},
            },
            "required": ["result", "text"],
        },
        "Planned": {
            "type": "object",
            "properties": {
                "plan": {
                    "type": "object",
                    "description": "id, ruleset, grade, target, reachable, total, total_after, changes "
                    "({source, indicator, from, to}), conditions, holding, lost: as `ind plan --format json`",
                },
                "text": {"type": "string", "description": "as `ind plan` prints it"},
            },
            "required": ["plan", "text"],
        },
        "Refusal": {
            "type": "object",
            "properties": {
                "reloaded": {"const": False},
                "error": {"type": "string"},
                "diagnostics": {"type": "array", "items": {"type": "object"}},
                "text": {"type": "string"},
                "serving": _ref("Model"),
            },
            "required": ["reloaded", "error", "diagnostics", "text", "serving"],
        },
        "Reloaded": {
            "type": "object",
            "properties": {"reloaded": {"const": True}, "previous": {"type": "string"}, "serving": _ref("Model")},
            "required": ["reloaded", "previous", "serving"],
        },
        "Status": {
            "type": "object",
            "properties": {"status": {"type": "string"}, "sha256": {"type": "string"}},
            "required": ["status"],
        },
    }


def document(loaded: Loaded, *, secured: bool) -> dict[str, Any]:
    """The OpenAPI document for the model in `loaded` (`secured`: bearer tokens are required)."""
    components: dict[str, Any] = {}
    result = Result.model_json_schema(mode="serialization")
    components["Result"] = _lift(result, components, {"Result"})
    components.update(_fixed_schemas())
    taken = set(components) | {"Record"}
    components["Record"] = _lift(record_schema(list(loaded.model.engines.values())), components, taken)
    record_body = {_JSON: {"schema": _ref("Record")}}
    batch_body = {
        _JSON: {"schema": {"type": "array", "items": _ref("Record")}},
        _JSON_LINES: {"schema": {"type": "string", "description": "one Record per line (JSON lines)"}},
    }
    lines = _answer("one Result per line, in input order (JSON lines)", {"type": "string"}, _JSON_LINES)
    name = {"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}
    target = {
        "name": "to",
        "in": "query",
        "required": False,
        "description": "the target grade (default: the next better one)",
        "schema": {"type": "string"},
    }
    unscorable = {"422": _answer("the record cannot be scored: its result, with `errors`", _ref("Result"))}
    paths = {
        "/v1/evaluate": {
            "post": _operation(
                "Score one record alone (no quotas: they need a batch)",
                _answer("the result, as `ind eval --format json` gives it", _ref("Result")),
                body=record_body,
                operation="evaluate",
                answers=unscorable,
            )
        },
        "/v1/batch": {
            "post": _operation("Score a batch with quotas", lines, body=batch_body, operation="evaluateBatch")
        },
        "/v1/explain": {
            "post": _operation(
                "Score one record with its trace and the `--explain` text",
                _answer("the traced result and its explanation", _ref("Explanation")),
                body=record_body,
                operation="explain",
                answers={"422": _answer("the record cannot be scored", _ref("Explanation"))},
            )
        },
        "/v1/plan": {
            "post": _operation(
                "The gap plan of one record alone (no quotas): what it must recover to reach a grade",
                _answer("the plan (as `ind plan --format json`) and its text", _ref("Planned")),
                body=record_body,
                operation="plan",
                parameters=[target],
                answers=unscorable,
            )
        },
        "/v1/rulesets": {
            "get": _operation(
                "The model served and its rulesets", _answer("the model", _ref("Model")), operation="rulesets"
            )
        },
        "/v1/schema": {
            "get": _operation(
                "The JSON Schema of the records", _answer("a JSON Schema", {"type": "object"}), operation="schema"
            )
        },
        "/v1/rulesets/{name}/schema": {
            "get": _operation(
                "The JSON Schema of one ruleset's records",
                _answer("a JSON Schema", {"type": "object"}),
                operation="rulesetSchema",
                parameters=[name],
                answers={"404": _answer("no such ruleset", _ref("Problem"))},
            )
        },
        "/v1/reload": {
            "post": _operation(
                "Load the model's files again and swap the new model in",
                _answer("the new model serves", _ref("Reloaded")),
                operation="reload",
                answers={"409": _answer("refused: the old model keeps serving", _ref("Refusal"))},
            )
        },
        "/v1/health": {"get": _open("The server is up", "health")},
        "/v1/ready": {"get": _open("A model is loaded and served", "ready")},
        "/v1/metrics": {
            "get": _operation(
                "Prometheus metrics",
                _answer("text format 0.0.4", {"type": "string"}, "text/plain"),
                operation="metrics",
            )
        },
        "/v1/openapi.json": {
            "get": _operation("This document", _answer("OpenAPI 3.1", {"type": "object"}), operation="openapi")
        },
    }
    info = {"title": f"indicator_dsl: {loaded.model.name}", "version": __version__, "description": _DESCRIPTION}
    doc: dict[str, Any] = {"openapi": "3.1.0", "info": info, "paths": paths, "components": {"schemas": components}}
    if secured:
        doc["components"]["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer"}}
        doc["security"] = [{"bearer": []}]
    return doc


def _open(summary: str, operation: str) -> dict[str, Any]:
    """A probe: answered without a token."""
    return {
        "summary": summary,
        "operationId": operation,
        "security": [],
        "responses": {"200": _answer(summary, _ref("Status"))},
    }


_DESCRIPTION = (
    "Scoring records with a checked indicator ruleset or catalog. Results are those of "
    "`ind eval --format json`: decimals as strings with the ruleset's places. A record that cannot "
    "be scored is answered 422 with its errors; a batch keeps failed records in their place."
)
