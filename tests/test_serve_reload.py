"""Reloading a served model: on request and on a file change, refused when the ruleset does not
check (the old one keeps answering), and atomic under load: every answer is scored whole by
one model, the one it started with, and equals that model's own results."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from serving import break_ruleset, jsonl, party_gov_project, records, running, with_version

import indicator_dsl
from indicator_dsl.outputs.formats import as_jsonl
from indicator_dsl.serve import ServeConfig, create_app
from indicator_dsl.serve.holder import Loaded, ModelHolder, Refusal


def wait_for(condition: Any, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "not within the time"
        time.sleep(0.05)


def test_a_broken_ruleset_is_refused_with_its_diagnostics_and_the_old_one_answers(tmp_path: Path) -> None:
    ruleset = party_gov_project(tmp_path)
    record = records(1)[0]
    with running(create_app(ServeConfig(source=str(ruleset)))) as client:
        before = client.post("/v1/evaluate", json=record)
        old = before.headers["x-model-sha256"]
        break_ruleset(ruleset)
        refused = client.post("/v1/reload")
        assert refused.status_code == 409
        answer = refused.json()
        assert answer["reloaded"] is False
        assert [d["code"] for d in answer["diagnostics"]] == ["E200"]
        assert "membrs" in answer["text"] and "party_gov.ind:" in answer["text"]
        assert answer["serving"]["sha256"] == old
        still = client.post("/v1/evaluate", json=record)
        assert (still.status_code, still.text) == (200, before.text)
        assert client.get("/v1/ready").json()["last_reload_refused"].startswith("the ruleset does not check")

        ruleset.write_bytes((Path(__file__).parent.parent / "benchmarks" / "party_gov.ind").read_bytes())
        with_version(ruleset, "2024.1")
        done = client.post("/v1/reload").json()
        assert done["reloaded"] is True and done["previous"] == old
        assert done["serving"]["generation"] == 1 and done["serving"]["sha256"] != old
        after = client.post("/v1/evaluate", json=record).json()
        assert after["ruleset"] == {"name": "party_gov", "version": "2024.1", "sha256": done["serving"]["sha256"]}
        assert "last_reload_refused" not in client.get("/v1/ready").json()
        metrics = client.get("/v1/metrics").text
        assert 'indicator_reloads_total{outcome="refused"} 1' in metrics
        assert 'indicator_reloads_total{outcome="done"} 1' in metrics


def test_a_changed_file_is_reloaded_and_a_broken_change_refused(tmp_path: Path) -> None:
    ruleset = party_gov_project(tmp_path)
    config = ServeConfig(source=str(ruleset), watch_seconds=0.05)
    with running(create_app(config)) as client:
        first = client.get("/v1/rulesets").json()["sha256"]
        with_version(ruleset, "2024.2")
        wait_for(lambda: client.get("/v1/rulesets").json()["sha256"] != first)
        second = client.get("/v1/rulesets").json()
        assert second["rulesets"][0]["version"] == "2024.2" and second["generation"] == 1
        break_ruleset(ruleset)
        wait_for(lambda: "last_reload_refused" in client.get("/v1/ready").json())
        time.sleep(0.3)  # several polls more: the refused files are not tried again
        assert client.get("/v1/rulesets").json()["generation"] == 1
        assert client.get("/v1/metrics").text.count('indicator_reloads_total{outcome="refused"} 1') == 1
        assert client.post("/v1/evaluate", json=records(1)[0]).json()["ruleset"]["version"] == "2024.2"


def test_a_refused_reload_is_not_retried_until_the_files_change(tmp_path: Path) -> None:
    ruleset = party_gov_project(tmp_path)
    holder = ModelHolder(str(ruleset))
    assert holder.poll() is None
    break_ruleset(ruleset)
    assert isinstance(holder.poll(), Refusal)
    assert holder.poll() is None
    with_version(ruleset, "2025.1")  # still broken, but changed: tried (and refused) again
    assert isinstance(holder.poll(), Refusal)
    ruleset.unlink()
    gone = holder.reload()
    assert isinstance(gone, Refusal) and gone.message.startswith("cannot read")
    assert holder.current.generation == 0


def test_reloads_under_load_swap_whole_models(tmp_path: Path) -> None:
    """Three clients send batches while the ruleset flips between two versions (and once does
    not check): every answer is one model's results for the batch, byte for byte."""
    ruleset = party_gov_project(tmp_path / "served")
    batch = records(12, seed=5)
    expected: dict[str, str] = {}
    for version in ("2023.1", "2099.9"):
        copy = party_gov_project(tmp_path / version)
        with_version(copy, version)
        model = indicator_dsl.load(copy)
        expected[model.sha256] = as_jsonl(model.evaluate_many(batch).results)
    seen: list[tuple[int, str, str]] = []
    stop = threading.Event()

    def client_loop(client: Any) -> None:
        while not stop.is_set():
            answer = client.post("/v1/batch", content=jsonl(batch), headers={"Content-Type": "application/x-ndjson"})
            seen.append((answer.status_code, answer.headers.get("x-model-sha256", ""), answer.text))

    with running(create_app(ServeConfig(source=str(ruleset)))) as client:
        threads = [threading.Thread(target=client_loop, args=(client,)) for _ in range(3)]
        for thread in threads:
            thread.start()
        outcomes = []
        try:
            for step, version in enumerate(["2099.9", "2023.1", "broken", "2099.9", "2023.1", "2099.9"]):
                wait_for(lambda n=step: len(seen) >= 2 * (n + 1))
                if version == "broken":
                    break_ruleset(ruleset)
                else:
                    ruleset.write_bytes((tmp_path / version / "party_gov.ind").read_bytes())
                outcomes.append(client.post("/v1/reload").status_code)
            wait_for(lambda: len(seen) >= 14)
        finally:
            stop.set()
            for thread in threads:
                thread.join(60)
    assert outcomes == [200, 200, 409, 200, 200, 200]
    assert {status for status, _, _ in seen} == {200}
    assert {sha for _, sha, _ in seen} == set(expected)  # both models answered
    for _, sha, text in seen:
        assert text == expected[sha]


def test_loaded_models_are_never_changed(tmp_path: Path) -> None:
    ruleset = party_gov_project(tmp_path)
    holder = ModelHolder(str(ruleset))
    first = holder.current
    with_version(ruleset, "2030.1")
    second = holder.reload()
    assert isinstance(second, Loaded) and holder.current is second
    assert first.model.sha256 != second.sha256 and first.generation == 0
    with pytest.raises(AttributeError):
        first.generation = 5  # type: ignore[misc]
