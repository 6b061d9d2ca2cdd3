"""A minimal Language Server Protocol client for the tests: runs `ind lsp` as a subprocess and
speaks JSON-RPC over its stdin/stdout (Content-Length framing), as an editor does."""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

TIMEOUT = 60.0


def uri(path: Path) -> str:
    return path.resolve().as_uri()


class Client:
    def __init__(self, cwd: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "indicator_dsl", "lsp"],
            cwd=cwd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        assert self.process.stdin is not None and self.process.stdout is not None
        self.stdin = self.process.stdin
        self.messages: queue.Queue[dict[str, Any]] = queue.Queue()
        self.notifications: list[dict[str, Any]] = []
        self.next_id = 0
        self.reader = threading.Thread(target=self._read, args=(self.process.stdout,), daemon=True)
        self.reader.start()

    def _read(self, stream: BinaryIO) -> None:
        while True:
            headers: dict[str, str] = {}
            while True:
                line = stream.readline()
                if not line:
                    return
                if line in (b"\r\n", b"\n"):
                    break
                key, _, value = line.decode("ascii").partition(":")
                headers[key.strip().lower()] = value.strip()
            body = stream.read(int(headers["content-length"]))
            self.messages.put(json.loads(body))

    def send(self, message: dict[str, Any]) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode("utf-8")
        self.stdin.write(f"Content-Length: {len(body)}\r\n\r\n".encode("ascii") + body)
        self.stdin.flush()

    def notify(self, method: str, params: dict[str, Any]) -> None:
        self.send({"method": method, "params": params})

    def _next(self, deadline: float) -> dict[str, Any]:
        message = self.messages.get(timeout=max(deadline - time.monotonic(), 0.01))
        if "id" in message and "method" in message:  # a request from the server: answer it
            self.send({"id": message["id"], "result": None})
        elif "method" in message:
            self.notifications.append(message)
        return message

    def request(self, method: str, params: dict[str, Any]) -> Any:
        self.next_id += 1
        ident = self.next_id
        self.send({"id": ident, "method": method, "params": params})
        deadline = time.monotonic() + TIMEOUT
        while True:
            message = self._next(deadline)
            if message.get("id") == ident and "method" not in message:
                assert "error" not in message, message["error"]
                return message.get("result")

    def wait_for(self, method: str, test: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        """The first notification (already received or still to come) of `method` passing `test`;
        it is taken off the list, so waiting again finds the next one."""
        deadline = time.monotonic() + TIMEOUT
        while True:
            for index, note in enumerate(self.notifications):
                if note["method"] == method and test(note["params"]):
                    return self.notifications.pop(index)["params"]  # type: ignore[no-any-return]
            self._next(deadline)

    def _sync(self) -> None:
        """Wait until the server has handled everything sent so far (it answers in order)."""
        self.request("textDocument/documentSymbol", {"textDocument": {"uri": "file:///nowhere.ind"}})

    def _published(self, path: Path) -> list[dict[str, Any]]:
        """Take every diagnostics notification received for `path`, oldest first."""
        wanted = [n for n in self.notifications if n["method"] == "textDocument/publishDiagnostics"]
        mine = [n for n in wanted if n["params"]["uri"] == uri(path)]
        self.notifications = [n for n in self.notifications if n not in mine]
        return mine

    def diagnostics(self, path: Path) -> list[dict[str, Any]]:
        """The diagnostics the server last published for `path` after what was sent so far
        (an open or a save: checked at once)."""
        self._sync()
        mine = self._published(path)
        if mine:
            return mine[-1]["params"]["diagnostics"]  # type: ignore[no-any-return]
        params = self.wait_for("textDocument/publishDiagnostics", lambda p: p["uri"] == uri(path))
        return params["diagnostics"]  # type: ignore[no-any-return]

    def diagnostics_after_typing(self, path: Path) -> list[dict[str, Any]]:
        """The next diagnostics for `path`, published after the pause that follows a change."""
        self._sync()
        self._published(path)
        params = self.wait_for("textDocument/publishDiagnostics", lambda p: p["uri"] == uri(path))
        return params["diagnostics"]  # type: ignore[no-any-return]

    def initialize(self, root: Path) -> dict[str, Any]:
        result = self.request("initialize", {"processId": None, "rootUri": uri(root), "capabilities": {}})
        self.notify("initialized", {})
        return result  # type: ignore[no-any-return]

    def open(self, path: Path, text: str | None = None) -> None:
        content = path.read_text(encoding="utf-8") if text is None else text
        item = {"uri": uri(path), "languageId": "ind", "version": 1, "text": content}
        self.notify("textDocument/didOpen", {"textDocument": item})

    def change(self, path: Path, text: str, version: int) -> None:
        document = {"uri": uri(path), "version": version}
        self.notify("textDocument/didChange", {"textDocument": document, "contentChanges": [{"text": text}]})

    def at(self, method: str, path: Path, line: int, character: int) -> Any:
        position = {"line": line, "character": character}
        return self.request(method, {"textDocument": {"uri": uri(path)}, "position": position})

    def close(self) -> None:
        try:
            self.request("shutdown", {})
            self.notify("exit", {})
            self.process.wait(timeout=10)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()
            self.stdin.close()
            self.reader.join(timeout=10)
            assert self.process.stdout is not None
            self.process.stdout.close()
