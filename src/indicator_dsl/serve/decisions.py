"""Decision logs: one JSON line per scored record, so a grade can be proven later.

A line holds the time (UTC), the caller (the token's name, else the client's address), the
endpoint, the record's id, the sha256 of the record's text as sent (`bodies.input_digest`),
the model's digest and the ruleset's (name, version, sha256), and the total, grade, steps and
errors, taken from the result's JSON as the answer carries it, so a log line and the answer
it stands for cannot disagree. The record's text as sent is written only when the log is
configured with `records=True`.

Writing is safe from threads and from processes (`ind serve --workers N` share one log): each
line is one `write` on a file opened for appending, made while holding an exclusive `flock`
on `PATH.lock`, and the size check and rotation (`PATH` → `PATH.1` → … → `PATH.keep`, the
oldest dropped) happen under the same lock, so lines never interleave and none is lost to a
rotation. A process whose open file was rotated away by another reopens the new `PATH`.

The log is appended to, never rewritten: it is the one output that does not go through
`files.write_atomic`, which replaces a file whole.
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .bodies import JSON_SPACE, input_digest
from .config import DecisionLogConfig


def decision(
    *,
    caller: str,
    endpoint: str,
    model_sha256: str,
    result_json: dict[str, Any],
    input_text: str | None,
    with_record: bool,
) -> dict[str, Any]:
    """One decision from the result as answered (`result_json`, the parsed JSON of the result);
    `input_text` is the record's text as sent, written whole only `with_record`."""
    now = time.time_ns()
    line = {
        "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now // 1_000_000_000)) + f".{now % 10**9 // 1000:06d}Z",
        "caller": caller,
        "endpoint": endpoint,
        "id": result_json.get("id"),
        "input_sha256": None if input_text is None else input_digest(input_text),
        "model_sha256": model_sha256,
        "ruleset": result_json.get("ruleset"),
        "total": result_json.get("total"),
        "grade": result_json.get("grade"),
        "steps": result_json.get("steps", []),
        "errors": result_json.get("errors", []),
    }
    if with_record:
        line["record"] = None if input_text is None else input_text.strip(JSON_SPACE)
    return line


class DecisionLog:
    """An append-only JSONL file with size-based rotation; `write()` is safe from any thread or process."""

    def __init__(self, config: DecisionLogConfig) -> None:
        self.config = config
        self.path = Path(config.path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._fd = -1
        self._lock_fd = os.open(f"{self.path}.lock", os.O_WRONLY | os.O_CREAT, 0o600)

    @property
    def records(self) -> bool:
        return self.config.records

    def write(self, lines: Iterable[dict[str, Any]]) -> None:
        """Append the lines, each whole, rotating first whenever the next would pass the size limit."""
        encoded = [(json.dumps(line, ensure_ascii=False) + "\n").encode("utf-8") for line in lines]
        if not encoded:
            return
        with self._lock:
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
            try:
                self._open()
                for data in encoded:
                    size = os.fstat(self._fd).st_size
                    if size and size + len(data) > self.config.max_bytes:
                        self._rotate()
                    os.write(self._fd, data)
            finally:
                fcntl.flock(self._lock_fd, fcntl.LOCK_UN)

    def _open(self) -> None:
        """(Re)open PATH for appending if it is not open, or is no longer the file at PATH."""
        if self._fd >= 0:
            try:
                if os.path.samestat(os.fstat(self._fd), os.stat(self.path)):
                    return
            except FileNotFoundError:
                pass
            os.close(self._fd)
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)

    def _rotate(self) -> None:
        keep = self.config.keep
        for index in range(keep - 1, 0, -1):
            older = Path(f"{self.path}.{index}")
            if older.exists():
                older.replace(f"{self.path}.{index + 1}")
        if keep > 0:
            self.path.replace(f"{self.path}.1")
        else:
            self.path.unlink()
        os.close(self._fd)
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)

    def close(self) -> None:
        with self._lock:
            for fd in (self._fd, self._lock_fd):
                if fd >= 0:
                    os.close(fd)
            self._fd = self._lock_fd = -1
