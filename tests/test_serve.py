"""`ind serve`'s endpoints on a real server (uvicorn on a loopback port), answers compared with `ind eval`.

The batch endpoint's answer is byte for byte what `ind eval --format jsonl` writes for the same
records, as a JSON array or as JSON lines; one record alone is scored without quotas (quotas
need a batch), so it equals the CLI's result for that record wherever no quota moved it, and
where one did, it differs by exactly that step. Bad bodies are 4xx with the CLI's messages.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from serving import httpx, jsonl, party_gov_project, records, running
from support import run_ind

from indicator_dsl.serve import Limits, ServeConfig, create_app


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return party_gov_project(tmp_path_factory.mktemp("serve") / "project")


@pytest.fixture(scope="module")
def client(project: Path) -> Any:
    limits = Limits(body_bytes=200_000, batch_records=40)
    config = ServeConfig(source=str(project), limits=limits, tokens={"tester": "s3cret"})
    with running(create_app(config)) as client:
        client.headers["Authorization"] = "Bearer s3cret"
        yield client


def cli(project: Path, tmp_path: Path, items: list[Any], *args: str, name: str = "records.jsonl") -> str:
    path = tmp_path / name
    path.write_text(jsonl(items) if name.endswith(".jsonl") else json.dumps(items[0], ensure_ascii=False), "utf-8")
    done = run_ind("eval", project, path, *args)
    assert done.returncode in (0, 1), done.stderr
    return done.stdout


def test_a_batch_is_byte_equal_to_ind_eval_as_json_lines_and_as_an_array(
    client: Any, project: Path, tmp_path: Path
) -> None:
    batch = records(30)
    expected = cli(project, tmp_path, batch, "--format", "jsonl")
    as_lines = client.post("/v1/batch", content=jsonl(batch), headers={"Content-Type": "application/x-ndjson"})
    as_array = client.post("/v1/batch", json=batch)
    for answer in (as_lines, as_array):
        assert answer.status_code == 200
        assert answer.headers["content-type"] == "application/x-ndjson"
        assert answer.text == expected
        assert answer.headers["x-records-failed"] == "0"
    lines = [json.loads(line) for line in expected.splitlines()]
    assert [r["id"] for r in lines] == [r["id"] for r in batch]  # order kept
    assert any(step["step"] == "quota" for r in lines for step in r["steps"])  # quotas ran over the batch
    assert as_array.headers["x-model-sha256"] == lines[0]["ruleset"]["sha256"]


def test_a_bad_line_of_a_batch_is_that_records_error_as_in_ind_eval(client: Any, project: Path, tmp_path: Path) -> None:
    batch = records(3)
    body = jsonl(batch[:1]) + "{not json\n" + jsonl(batch[1:])
    (tmp_path / "bad.jsonl").write_text(body, encoding="utf-8")
    expected = run_ind("eval", project, tmp_path / "bad.jsonl", "--format", "jsonl")
    assert expected.returncode == 1
    answer = client.post("/v1/batch", content=body, headers={"Content-Type": "application/jsonl"})
    assert answer.status_code == 200
    assert answer.text == expected.stdout
    assert answer.headers["x-records-failed"] == "1"
    assert json.loads(answer.text.splitlines()[1])["errors"][0]["message"].startswith("line 2: not JSON: ")


def test_one_record_equals_ind_eval_unless_a_quota_moved_it(client: Any, project: Path, tmp_path: Path) -> None:
    compared = moved = 0
    for record in records(8, seed=3):
        expected = json.loads(cli(project, tmp_path, [record], "--format", "json", name="one.json"))[0]
        answer = client.post("/v1/evaluate", json=record)
        assert answer.status_code == 200
        got = answer.json()
        if any(step["step"] == "quota" for step in expected["steps"]):
            moved += 1  # alone, no quota applies: the grade is the one before the quota step
            assert got["grade"] == expected["steps"][-1]["before"]
            expected["steps"] = [s for s in expected["steps"] if s["step"] != "quota"]
            for derived in ("grade", "grade_label", "outcomes"):  # outcomes read the grade
                expected[derived] = got[derived]
        assert got == expected
        compared += 1
    assert compared == 8 and moved >= 1


def test_explain_gives_the_text_of_ind_eval_explain_and_the_trace(client: Any, project: Path, tmp_path: Path) -> None:
    record = records(1, seed=11)[0]
    path = tmp_path / "one.json"
    path.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    expected = run_ind("eval", project, path, "--explain", record["id"])
    assert expected.returncode == 0, expected.stderr
    answer = client.post("/v1/explain", json=record)
    assert answer.status_code == 200
    assert answer.json()["text"] == expected.stdout
    trace = answer.json()["result"]["trace"]
    assert trace and all({"indicator", "kind", "fired", "at"} <= set(entry) for entry in trace)


def test_a_record_that_cannot_be_scored_is_422_with_the_clis_errors(client: Any, project: Path, tmp_path: Path) -> None:
    record = {**records(1)[0], "members": "many"}
    del record["department"]
    expected = json.loads(cli(project, tmp_path, [record], "--format", "json", name="one.json"))[0]
    answer = client.post("/v1/evaluate", json=record)
    assert answer.status_code == 422
    assert answer.json() == expected
    assert {e["path"] for e in expected["errors"]} == {"members", "department"}
    explained = client.post("/v1/explain", json=record)
    assert explained.status_code == 422
    assert "无法评分 (could not be scored):" in explained.json()["text"]


def test_a_body_that_is_not_json_is_400_with_the_message_of_ind_eval(
    client: Any, project: Path, tmp_path: Path
) -> None:
    text = '{"id": "B1", "members": }'
    (tmp_path / "bad.json").write_text(text, encoding="utf-8")
    done = run_ind("eval", project, tmp_path / "bad.json")
    assert done.returncode == 2
    cli_message = done.stderr.strip().split(": ", 2)[2]  # after "ind eval: PATH: "
    for endpoint in ("/v1/evaluate", "/v1/explain", "/v1/batch"):
        answer = client.post(endpoint, content=text)
        assert answer.status_code == 400
        assert answer.json() == {"error": cli_message, "kind": "bad_json"}
    assert cli_message == "not valid JSON: Expecting value: line 1 column 25 (char 24)"


@pytest.mark.parametrize(
    ("body", "content_type", "status", "kind"),
    [
        (b"\xff\xfe", "application/json", 400, "bad_json"),
        (b'{"records": []}', "application/json", 400, "bad_json"),  # a batch is an array or JSON lines
        (b"[" + b"{}," * 40 + b"{}]", "application/json", 413, "too_many_records"),
        (b"{}\n" * 41, "application/x-ndjson", 413, "too_many_records"),
        (b" " * 200_001, "application/json", 413, "too_large"),
    ],
)
def test_batches_refused_whole(client: Any, body: bytes, content_type: str, status: int, kind: str) -> None:
    answer = client.post("/v1/batch", content=body, headers={"Content-Type": content_type})
    assert (answer.status_code, answer.json()["kind"]) == (status, kind)


def test_a_body_streamed_past_the_limit_is_refused_without_a_length(client: Any) -> None:
    def chunks() -> Any:
        for _ in range(30):
            yield b" " * 10_000

    answer = client.post("/v1/evaluate", content=chunks())  # chunked: no Content-Length
    assert (answer.status_code, answer.json()["error"]) == (413, "the request body is over the limit of 200,000 bytes")


def test_tokens_paths_and_methods(client: Any) -> None:
    assert client.get("/v1/rulesets", headers={"Authorization": "Bearer wrong"}).status_code == 401
    bare = httpx.get(f"{client.base_url}/v1/rulesets")
    assert (bare.status_code, bare.headers["www-authenticate"]) == (401, "Bearer")
    assert httpx.get(f"{client.base_url}/v1/health").json() == {"status": "ok"}  # probes need no token
    assert httpx.get(f"{client.base_url}/v1/ready").json()["status"] == "ready"
    assert client.get("/v1/nothing").json() == {"error": "no endpoint /v1/nothing", "kind": "not_found"}
    assert client.get("/v1/evaluate").status_code == 405


def test_rulesets_and_schemas(client: Any, project: Path) -> None:
    served = client.get("/v1/rulesets").json()
    assert served["kind"] == "ruleset" and served["generation"] == 0
    assert served["rulesets"] == [{"name": "party_gov", "version": "2023.1", "sha256": served["sha256"]}]
    schema = run_ind("schema", project)
    assert client.get("/v1/schema").json() == json.loads(schema.stdout)
    assert client.get("/v1/rulesets/party_gov/schema").json() == json.loads(schema.stdout)
    missing = client.get("/v1/rulesets/nope/schema")
    assert (missing.status_code, missing.json()["error"]) == (
        404,
        "no ruleset named 'nope' is served (served: party_gov)",
    )


def test_the_openapi_document_is_valid_and_describes_the_answers(client: Any) -> None:
    validator = pytest.importorskip("openapi_spec_validator", reason="pip install -e '.[dev]'")
    jsonschema = pytest.importorskip("jsonschema", reason="pip install -e '.[dev]'")
    doc = client.get("/v1/openapi.json").json()
    validator.validate(doc)
    assert doc["security"] == [{"bearer": []}]
    record = records(1)[0]
    result = client.post("/v1/evaluate", json=record).json()

    def check(value: Any, component: str) -> None:
        jsonschema.Draft202012Validator({**doc, "$ref": f"#/components/schemas/{component}"}).validate(value)

    check(result, "Result")
    check(json.loads(json.dumps(record)), "Record")
    with pytest.raises(jsonschema.ValidationError):
        check({**result, "total": 1.5}, "Result")  # decimals are strings with the ruleset's places


def test_metrics_count_requests_records_and_errors(client: Any) -> None:
    client.post("/v1/batch", json=records(5))
    client.post("/v1/evaluate", content=b"nope")
    text = client.get("/v1/metrics").text
    lines = dict(line.rsplit(" ", 1) for line in text.splitlines() if not line.startswith("#"))
    assert int(lines['indicator_requests_total{endpoint="batch",status="200"}']) >= 1
    assert int(lines['indicator_records_scored_total{ruleset="party_gov"}']) >= 5
    assert int(lines['indicator_errors_total{kind="bad_json"}']) >= 1
    assert int(lines['indicator_request_seconds_count{endpoint="batch"}']) >= 1
    assert "# TYPE indicator_request_seconds histogram" in text


def test_a_lone_surrogate_is_refused_as_ind_eval_refuses_it(client: Any, project: Path, tmp_path: Path) -> None:
    """`"\\ud800"` is JSON that no output can encode: not JSON for `ind eval` (it was an internal
    error), 400 for the server, and in JSON lines the error of that line alone."""
    record = json.dumps(records(1)[0], ensure_ascii=False)[:-1] + ', "note": "\\ud800"}'
    (tmp_path / "one.json").write_text(record, encoding="utf-8")
    done = run_ind("eval", project, tmp_path / "one.json")
    assert done.stderr.endswith(": not valid JSON: \\ud800 is a lone surrogate, not a character\n")
    answer = client.post("/v1/evaluate", content=record)
    assert answer.status_code == 400
    assert answer.json()["error"] == "not valid JSON: \\ud800 is a lone surrogate, not a character"
    lines = client.post("/v1/batch", content=record + "\n" + jsonl(records(1)), headers={"Content-Type": "text/jsonl"})
    assert lines.headers["x-records-failed"] == "1"
    first = json.loads(lines.text.splitlines()[0])["errors"][0]["message"]
    assert first == "line 1: not JSON: \\ud800 is a lone surrogate, not a character"
    paired = client.post("/v1/evaluate", content=record.replace("\\ud800", "\\ud83d\\ude00"))
    assert paired.status_code == 200  # a surrogate pair is one character


def test_a_record_nested_too_deeply_is_400(client: Any) -> None:
    answer = client.post("/v1/evaluate", content="[" * 100_000 + "]" * 100_000)
    assert (answer.status_code, answer.json()["kind"]) == (400, "bad_json")
    assert answer.json()["error"].startswith("not valid JSON: nested too deeply")


def test_hostile_bodies_are_never_a_500(client: Any) -> None:
    """Random bytes and hostile JSON on every scoring endpoint: a 4xx or a 200, never a 500."""
    import random

    rng = random.Random(17)
    good = json.dumps(records(1)[0], ensure_ascii=False)
    bodies = [bytes(rng.randrange(256) for _ in range(rng.randrange(1, 400))) for _ in range(20)]
    bodies += [good[: rng.randrange(len(good))].encode() for _ in range(10)]  # cut anywhere
    bodies += [
        b'{"id": [1, 2], "members": 1e999999}',
        b'{"id": "x", "members": ' + b"9" * 5000 + b"}",
        b'{"id": "x", "members": NaN}',
        b'{"id": "x", "meetings": "' + b"\\u0000" * 1000 + b'"}',
        b'{"id": {"a": "b"}}',
        b'"just a string"',
        b"null",
        b"[" + b"{}," * 39 + b"{}]",
        b"\xef\xbb\xbf" + good.encode(),
        good.replace('"members": ', '"members": -').encode(),
    ]
    statuses = set()
    for body in bodies:
        for endpoint in ("/v1/evaluate", "/v1/explain", "/v1/plan", "/v1/batch"):
            for content_type in ("application/json", "application/x-ndjson"):
                answer = client.post(endpoint, content=body, headers={"Content-Type": content_type})
                assert answer.status_code < 500, (endpoint, body[:80], answer.text[:300])
                statuses.add(answer.status_code)
    assert statuses == {200, 400, 422}


def test_record_types_named_like_result_models_are_renamed_in_the_document() -> None:
    from indicator_dsl.serve.openapi import _lift

    components: dict[str, Any] = {"Result": {}}
    schema = {
        "type": "object",
        "properties": {"a": {"$ref": "#/$defs/Result"}, "b": {"items": {"$ref": "#/$defs/会议"}}},
        "$defs": {"Result": {"type": "string"}, "会议": {"type": "integer"}},
    }
    lifted = _lift(schema, components, {"Result", "Record"})
    assert lifted == {
        "type": "object",
        "properties": {
            "a": {"$ref": "#/components/schemas/RecordResult"},
            "b": {"items": {"$ref": "#/components/schemas/__"}},
        },
    }
    assert components == {"Result": {}, "RecordResult": {"type": "string"}, "__": {"type": "integer"}}


def test_plan_of_one_record_is_ind_plans_without_the_quota_checks(client: Any, project: Path, tmp_path: Path) -> None:
    """`POST /v1/plan` plans the record alone (`Model.plan`, as `/v1/evaluate` scores it alone):
    the plan `ind plan` gives for that one record, but for the quota checks only a batch has."""
    import indicator_dsl
    from indicator_dsl.outputs.plans import as_text

    chosen = [r for r in records(8, seed=3)]
    planned = 0
    for record in chosen:
        path = tmp_path / "one.json"
        path.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
        done = run_ind("plan", project, path, "--format", "jsonl")
        assert done.returncode == 0, done.stderr
        if not done.stdout:
            continue  # already at the best grade: no plan
        expected = json.loads(done.stdout)
        if expected["grade"] != client.post("/v1/evaluate", json=record).json()["grade"]:
            continue  # a quota moved it in the CLI's batch of one
        answer = client.post("/v1/plan", json=record)
        assert answer.status_code == 200
        got = answer.json()
        assert expected.pop("quotas") and got["plan"].pop("quotas") == []
        assert got["plan"] == expected
        model = indicator_dsl.load(project)
        tables = {name: engine.plan for name, engine in model.engines.items()}
        assert got["text"] == as_text([model.plan(record)], tables)
        planned += 1
        if planned == 2:
            break
    assert planned == 2
    unknown = client.post("/v1/plan?to=heroic", json=chosen[0])
    assert (unknown.status_code, unknown.json()["kind"]) == (400, "bad_target")
    assert unknown.json()["error"].startswith("`heroic` is not a grade of party_gov: ")
    bad = client.post("/v1/plan", json={"id": "B1"})
    assert bad.status_code == 422 and bad.json()["errors"]
