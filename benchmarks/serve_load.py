"""A bounded load test of `ind serve` on loopback: throughput and latency, zero errors, nothing lost.

    python benchmarks/serve_load.py                          # 3,000 one-record requests, then 150 batches of 20
    python benchmarks/serve_load.py --requests 500 --clients 2

Starts `ind serve benchmarks/party_gov.ind` in its own process on a free 127.0.0.1 port (no
other address is ever used), sends the requests from `--clients` threads, each with its own
keep-alive connection, and stops the server at the end, whatever happens. Each answer is
checked: status 200, the id of the record sent (one record) or the ids in order (batch).
Printed as JSON: per phase the requests, records, seconds, requests and records per second,
p50 / p99 / max latency in ms, and the errors (which must be 0).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.records import generate_party_gov_records  # noqa: E402 - the repository root is put on the path first

RULESET = ROOT / "benchmarks" / "party_gov.ind"
TIME_LIMIT = 300.0  # seconds for the whole run: a phase still going then stops and reports its errors


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def start_server(port: int) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "indicator_dsl", "serve", str(RULESET), "--port", str(port)]
    server = subprocess.Popen(command, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while True:
        if server.poll() is not None:
            raise SystemExit(f"ind serve exited with {server.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/v1/health", timeout=2).status_code == 200:
                return server
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise SystemExit("ind serve did not start within 60 s") from None
            time.sleep(0.1)


def stop_server(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(30)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


Request = tuple[str, bytes, dict[str, str], list[str]]  # path, body, headers, ids expected in order


def run_phase(base: str, requests: list[Request], clients: int, deadline: float) -> dict[str, Any]:
    """Send `requests` from `clients` threads (taken in turn from a shared index); check each answer."""
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    next_index = iter(range(len(requests)))

    def client() -> None:
        with httpx.Client(base_url=base, timeout=60) as http:
            while time.monotonic() < deadline:
                with lock:
                    index = next(next_index, None)
                if index is None:
                    return
                path, body, headers, ids = requests[index]
                started = time.perf_counter()
                try:
                    answer = http.post(path, content=body, headers=headers)
                    problem = check(answer, ids)
                except httpx.HTTPError as error:
                    problem = f"{type(error).__name__}: {error}"
                with lock:
                    latencies.append(time.perf_counter() - started)
                    if problem:
                        errors.append(problem)

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    records = sum(len(ids) for *_, ids in requests[: len(latencies)])
    return {
        "requests": len(latencies),
        "records": records,
        "seconds": round(seconds, 2),
        "requests_per_s": round(len(latencies) / seconds, 1),
        "records_per_s": round(records / seconds, 1),
        "p50_ms": round(percentile(latencies, 0.50) * 1000, 2),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 2),
        "max_ms": round(max(latencies, default=0) * 1000, 2),
        "errors": len(errors) + len(requests) - len(latencies),
        "first_errors": errors[:5],
    }


def check(answer: httpx.Response, ids: list[str]) -> str:
    """What is wrong with an answer (empty when nothing is)."""
    if answer.status_code != 200:
        return f"status {answer.status_code}: {answer.text[:200]}"
    got = [json.loads(line)["id"] for line in answer.text.splitlines()]
    return "" if got == ids else f"ids {got[:3]}... for {ids[:3]}..."


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=3000, help="one-record requests (default 3000)")
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients (default 4)")
    parser.add_argument("--batch-size", type=int, default=20, help="records per batch request (default 20)")
    args = parser.parse_args(argv)
    records = generate_party_gov_records(max(args.requests, 1), seed=2)
    one: list[Request] = [
        ("/v1/evaluate", json.dumps(r, ensure_ascii=False).encode(), {"Content-Type": "application/json"}, [r["id"]])
        for r in records[: args.requests]
    ]
    size = args.batch_size
    batches: list[Request] = [
        (
            "/v1/batch",
            "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records[i : i + size]).encode(),
            {"Content-Type": "application/x-ndjson"},
            [r["id"] for r in records[i : i + size]],
        )
        for i in range(0, len(one), size)
    ]
    port = free_port()
    server = start_server(port)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + TIME_LIMIT
        phases: dict[str, Callable[[], dict[str, Any]]] = {
            "evaluate": lambda: run_phase(base, one, args.clients, deadline),
            f"batch of {size}": lambda: run_phase(base, batches, args.clients, deadline),
        }
        report = {name: run() for name, run in phases.items()}
    finally:
        stop_server(server)
    report["machine"] = {"cpus": os.cpu_count(), "python": sys.version.split()[0], "clients": args.clients}
    sys.stdout.write(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    return 1 if any(phase["errors"] for name, phase in report.items() if name != "machine") else 0


if __name__ == "__main__":
    raise SystemExit(main())
