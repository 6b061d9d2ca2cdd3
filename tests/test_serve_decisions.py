"""Decision logs: one JSON line per answered record, matching the answer, naming the exact input
by its sha256; records themselves only when asked; rotation by size without losing or
splitting a line, with several writers at once."""

from __future__ import annotations

import hashlib
import json
import threading
from pathlib import Path
from typing import Any

from serving import jsonl, party_gov_project, records, running

from indicator_dsl.serve import DecisionLogConfig, ServeConfig, create_app
from indicator_dsl.serve.decisions import DecisionLog


def logged(path: Path) -> list[dict[str, Any]]:
    """Every line of the log and its rotated files, oldest first."""
    files = [*sorted(path.parent.glob(path.name + ".*[0-9]"), key=lambda p: -int(p.suffix[1:])), path]
    return [json.loads(line) for file in files for line in file.read_text(encoding="utf-8").splitlines()]


def test_each_answer_is_one_matching_line_with_the_digest_of_its_input(tmp_path: Path) -> None:
    ruleset = party_gov_project(tmp_path / "project")
    log = tmp_path / "logs" / "decisions.jsonl"
    config = ServeConfig(source=str(ruleset), decisions=DecisionLogConfig(str(log)), tokens={"finance-app": "t0k"})
    batch = records(6)
    one = json.dumps(batch[0], ensure_ascii=False, indent=2)
    with running(create_app(config)) as client:
        client.headers["Authorization"] = "Bearer t0k"
        single = client.post("/v1/evaluate", content=one).json()
        lines = client.post("/v1/batch", content=jsonl(batch), headers={"Content-Type": "application/x-ndjson"})
        client.post("/v1/evaluate", content=b"not json")  # no decision: nothing was scored
        model = client.get("/v1/rulesets").json()["sha256"]
    answers = [single, *(json.loads(line) for line in lines.text.splitlines())]
    texts = [one, *jsonl(batch).splitlines()]
    entries = logged(log)
    assert len(entries) == 7
    for entry, answer, text in zip(entries, answers, texts, strict=True):
        assert entry["caller"] == "finance-app"
        assert entry["input_sha256"] == hashlib.sha256(text.strip().encode("utf-8")).hexdigest()
        assert entry["model_sha256"] == model
        assert {k: entry[k] for k in ("id", "ruleset", "total", "grade", "steps", "errors")} == {
            k: answer[k] for k in ("id", "ruleset", "total", "grade", "steps", "errors")
        }
        assert "record" not in entry  # records are off by default
        assert entry["time"].endswith("Z")
    assert [e["endpoint"] for e in entries] == ["evaluate"] + ["batch"] * 6
    assert any(step["step"] == "quota" for e in entries for step in e["steps"])


def test_records_are_written_when_asked_and_prove_the_digest(tmp_path: Path) -> None:
    ruleset = party_gov_project(tmp_path / "project")
    log = tmp_path / "decisions.jsonl"
    config = ServeConfig(source=str(ruleset), decisions=DecisionLogConfig(str(log), records=True))
    batch = records(3)
    with running(create_app(config)) as client:
        client.post("/v1/batch", json=batch)
    entries = logged(log)
    assert [json.loads(e["record"]) == r for e, r in zip(entries, batch, strict=True)] == [True] * 3
    for entry in entries:
        assert hashlib.sha256(entry["record"].encode("utf-8")).hexdigest() == entry["input_sha256"]
        assert entry["caller"] == "127.0.0.1"  # no tokens: the client's address


def test_rotation_keeps_every_line_whole_with_writers_in_parallel(tmp_path: Path) -> None:
    """Four writers, each with its own log object (its own files, as worker processes have), write
    300 lines each into a log rotated every ~4 KB: every line is found once, whole."""
    path = tmp_path / "decisions.jsonl"
    config = DecisionLogConfig(str(path), max_bytes=4096, keep=1000)

    def writer(number: int) -> None:
        log = DecisionLog(config)
        try:
            for index in range(0, 300, 3):
                log.write({"writer": number, "index": i, "pad": "x" * 50} for i in range(index, index + 3))
        finally:
            log.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    entries = logged(path)
    assert sorted((e["writer"], e["index"]) for e in entries) == [(w, i) for w in range(4) for i in range(300)]
    rotated = list(tmp_path.glob("decisions.jsonl.*[0-9]"))
    assert len(rotated) >= 25
    assert all(p.stat().st_size <= 4096 for p in [path, *rotated])


def test_rotation_keeps_only_the_newest_files(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    log = DecisionLog(DecisionLogConfig(str(path), max_bytes=100, keep=2))
    for index in range(10):
        log.write([{"index": index, "pad": "y" * 60}])
    log.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.jsonl", "d.jsonl.1", "d.jsonl.2", "d.jsonl.lock"]
    assert [e["index"] for e in logged(path)] == [7, 8, 9]


def test_a_request_over_the_time_limit_is_503_and_leaves_no_decision(tmp_path: Path) -> None:
    from indicator_dsl.serve import Limits

    ruleset = party_gov_project(tmp_path / "project")
    log = tmp_path / "decisions.jsonl"
    limits = Limits(seconds=0.001, batch_records=500)
    config = ServeConfig(source=str(ruleset), decisions=DecisionLogConfig(str(log)), limits=limits)
    with running(create_app(config)) as client:
        answer = client.post("/v1/batch", json=records(200))
        assert (answer.status_code, answer.json()["kind"]) == (503, "timeout")
        assert answer.json()["error"] == "the request took longer than the limit of 0.001 s; send fewer records"
        assert client.get("/v1/health").status_code == 200
        metrics = client.get("/v1/metrics").text
    assert 'indicator_errors_total{kind="timeout"} 1' in metrics
    assert not log.exists() or log.read_text(encoding="utf-8") == ""
