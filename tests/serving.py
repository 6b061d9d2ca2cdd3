"""Helpers of the `ind serve` tests: a real server on a free loopback port, a project to serve.

`running(app)` starts uvicorn in a thread on 127.0.0.1, port 0 (the system picks a free one),
yields an httpx client bound to it, and always stops the server (no thread outlives the
test). `party_gov_project(folder)` copies the benchmark ruleset and its schema into a project
folder, so a test may break and mend the ruleset on disk.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("starlette", reason="ind serve needs the serve extra: pip install -e '.[dev,serve]'")
uvicorn = pytest.importorskip("uvicorn", reason="ind serve needs the serve extra: pip install -e '.[dev,serve]'")
httpx = pytest.importorskip("httpx", reason="the serve tests drive the server with httpx: pip install -e '.[dev]'")

from benchmarks.records import generate_party_gov_records  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BENCHMARK_RULESET = ROOT / "benchmarks" / "party_gov.ind"


@contextmanager
def running(app: Any) -> Iterator[Any]:
    """An httpx client of `app` served by uvicorn on a free loopback port; the server stops on exit."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn-under-test")
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started:
            assert thread.is_alive(), "the server stopped while starting"
            assert time.monotonic() < deadline, "the server did not start within 30 s"
            time.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
            yield client
    finally:
        server.should_exit = True
        thread.join(30)
        assert not thread.is_alive(), "the server did not stop"


def party_gov_project(folder: Path) -> Path:
    """A project folder holding the benchmark's party_gov ruleset and its schema; returns the ruleset."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / ".indroot").write_bytes(b"")
    shutil.copytree(ROOT / "benchmarks" / "schema", folder / "schema")
    ruleset = folder / "party_gov.ind"
    ruleset.write_bytes(BENCHMARK_RULESET.read_bytes())
    return ruleset


def records(count: int, seed: int = 7) -> list[dict[str, Any]]:
    return generate_party_gov_records(count, seed=seed)


def jsonl(items: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(item, ensure_ascii=False) + "\n" for item in items)


def with_version(ruleset: Path, version: str) -> None:
    """Rewrite the ruleset's version (a valid change: a new sha256)."""
    text = ruleset.read_text(encoding="utf-8")
    start = text.index('version "') + len('version "')
    end = text.index('"', start)
    replace_text(ruleset, text[:start] + version + text[end:])


def break_ruleset(ruleset: Path) -> None:
    """Misspell a field the ruleset reads: the checker refuses it (E200, unknown name)."""
    text = ruleset.read_text(encoding="utf-8")
    assert "members >= 7" in text
    replace_text(ruleset, text.replace("members >= 7", "membrs >= 7", 1))


def replace_text(path: Path, text: str) -> None:
    """Write the file's new text at once (a poll never sees it half written, which would be a
    refused reload of its own and make the counts these tests pin depend on timing)."""
    staged = path.with_name(path.name + ".new")
    staged.write_text(text, encoding="utf-8")
    os.replace(staged, path)
