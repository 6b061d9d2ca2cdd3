"""`ind serve` as a command: a real process on a free loopback port, stopped by SIGTERM, with
one and with two worker processes; a ruleset that does not check never starts a server."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from serving import break_ruleset, httpx, party_gov_project, records, with_version
from support import run_ind


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def serving(stderr: Path, *args: str | Path) -> Iterator[tuple[httpx.Client, subprocess.Popen[bytes]]]:
    """`ind serve ARGS --port P` (its stderr to a file) until its health answers; always stopped
    (SIGTERM, then SIGKILL)."""
    port = free_port()
    command = [sys.executable, "-m", "indicator_dsl", "serve", *map(str, args), "--port", str(port)]
    with stderr.open("wb") as sink:
        process = subprocess.Popen(command, stderr=sink)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            deadline = time.monotonic() + 60
            while True:
                assert process.poll() is None, stderr.read_text(encoding="utf-8")
                try:
                    if client.get("/v1/health").status_code == 200:
                        break
                except httpx.TransportError:
                    assert time.monotonic() < deadline, "ind serve did not start within 60 s"
                    time.sleep(0.1)
            yield client, process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(30)


def test_ind_serve_answers_as_ind_eval_and_stops_on_sigterm(tmp_path: Path) -> None:
    ruleset = party_gov_project(tmp_path)
    record = records(1)[0]
    (tmp_path / "one.json").write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    expected = run_ind("eval", ruleset, tmp_path / "one.json", "--format", "jsonl").stdout
    with serving(tmp_path / "stderr", ruleset) as (client, process):
        answer = client.post("/v1/evaluate", json=record)
        assert answer.text == expected  # no quota moves this record
        process.send_signal(signal.SIGTERM)
        assert process.wait(30) == 143
    stderr = (tmp_path / "stderr").read_text(encoding="utf-8")
    assert "ind serve: serving party_gov (sha256 " in stderr and "on http://127.0.0.1:" in stderr


def test_two_workers_answer_and_follow_one_reload(tmp_path: Path) -> None:
    ruleset = party_gov_project(tmp_path)
    record = records(1)[0]
    with serving(tmp_path / "stderr", ruleset, "--workers", "2") as (client, _):
        assert client.post("/v1/evaluate", json=record).json()["ruleset"]["version"] == "2023.1"
        with_version(ruleset, "2031.1")
        assert client.post("/v1/reload").json()["reloaded"] is True
        deadline = time.monotonic() + 30
        streak = 0
        while streak < 12:  # fresh connections, spread over both workers
            assert time.monotonic() < deadline, "the other worker did not follow the reload"
            version = httpx.post(f"{client.base_url}/v1/evaluate", json=record).json()["ruleset"]["version"]
            streak = streak + 1 if version == "2031.1" else 0
            time.sleep(0.05)


def test_a_ruleset_that_does_not_check_starts_no_server(tmp_path: Path) -> None:
    ruleset = party_gov_project(tmp_path)
    break_ruleset(ruleset)
    done = run_ind("serve", ruleset, "--port", str(free_port()))
    assert done.returncode == 2
    assert "error[E200]" in done.stderr and "membrs" in done.stderr
    assert "serving" not in done.stderr


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    ruleset = party_gov_project(tmp_path)
    (tmp_path / "tokens").write_text("# none\n", encoding="utf-8")
    done = run_ind("serve", ruleset, "--token-file", tmp_path / "tokens")
    assert (done.returncode, done.stderr) == (
        2,
        f"ind serve: cannot read tokens: {tmp_path / 'tokens'}: no tokens in the file\n",
    )
    assert run_ind("serve", tmp_path / "missing.ind").stderr == f"ind serve: {tmp_path / 'missing.ind'}: no such file\n"
    assert run_ind("serve", ruleset, "--workers", "0").returncode == 2
    log = run_ind("serve", ruleset, "--decision-log", tmp_path)
    assert (log.returncode, log.stderr) == (2, f"ind serve: cannot write {tmp_path}: it is a folder\n")


def test_the_load_benchmark_runs_bounded_and_reports_no_errors(capsys: pytest.CaptureFixture[str]) -> None:
    from benchmarks import serve_load

    assert serve_load.main(["--requests", "30", "--clients", "2", "--batch-size", "10"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["evaluate"]["requests"], report["evaluate"]["errors"]) == (30, 0)
    assert (report["batch of 10"]["requests"], report["batch of 10"]["records"]) == (3, 30)
