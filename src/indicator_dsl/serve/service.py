"""What every endpoint shares: the model holder, the limits, tokens, metrics and the decision log.

Scoring runs in worker threads, so the event loop keeps answering probes while a batch is
scored; at most `Limits.scoring_threads` score at once. A request that passes
`Limits.seconds` is answered 503 at once; its scoring, if already under way, runs to its
end in its thread (a batch cannot be cut in the middle: its quotas need every record) and
its results are dropped, unlogged; if it had not started yet, it never does.
"""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Callable, Sequence
from typing import TypeVar

import anyio
import anyio.to_thread

from ..evaluate.results import Result
from ..outputs.formats import as_jsonl
from .bodies import Problem
from .config import ServeConfig
from .decisions import DecisionLog, decision
from .holder import Loaded, ModelHolder, Refusal, describe
from .metrics import Metrics

T = TypeVar("T")
STAMP_SECONDS = 1.0
"""How often a worker of `ind serve --workers N` looks whether another one reloaded."""


class _Abandoned(Exception):
    """The request's time ran out before its scoring started."""


class Service:
    """The state behind the endpoints of one served app (one per worker process)."""

    def __init__(self, config: ServeConfig, holder: ModelHolder | None = None) -> None:
        self.config = config
        self.holder = holder or ModelHolder(config.source, config.root, config.reload_stamp)
        self.metrics = Metrics()
        self.metrics.serving(self.holder.current.model.name, self.holder.current.sha256)
        self.log = DecisionLog(config.decisions) if config.decisions is not None else None
        self._slots = threading.BoundedSemaphore(config.limits.scoring_threads)

    def caller(self, authorization: str | None, address: str) -> str:
        """Who is asking: the token's name when tokens are configured (401 without a known
        one), else the client's address."""
        if not self.config.tokens:
            return address
        name = self.config.caller_of(authorization)
        if name is None:
            raise Problem(401, "unauthorized", "a valid bearer token is required (Authorization: Bearer TOKEN)")
        return name

    async def run(self, work: Callable[[], T]) -> T:
        """`work()` in a scoring thread, within the time limit (503 past it)."""
        abandoned = threading.Event()

        def guarded() -> T:
            with self._slots:
                if abandoned.is_set():
                    raise _Abandoned
                return work()

        seconds = self.config.limits.seconds
        try:
            with anyio.fail_after(seconds):
                return await anyio.to_thread.run_sync(guarded, abandon_on_cancel=True)
        except TimeoutError:
            abandoned.set()
            raise Problem(
                503, "timeout", f"the request took longer than the limit of {seconds:g} s; send fewer records"
            ) from None

    def lines(self, results: Sequence[Result]) -> list[str]:
        """Each result as its line of `ind eval --format jsonl`, counted in the metrics."""
        self.metrics.scored((r.ruleset.name, bool(r.errors)) for r in results)
        return [as_jsonl([result]) for result in results]

    async def record(
        self, caller: str, endpoint: str, loaded: Loaded, answered: Sequence[tuple[str, str | None]]
    ) -> None:
        """Append the decisions answered: (the result's JSON line, the record's text as sent) each."""
        log = self.log
        if log is None:
            return
        entries = [
            decision(
                caller=caller,
                endpoint=endpoint,
                model_sha256=loaded.sha256,
                result_json=json.loads(line),
                input_text=text,
                with_record=log.records,
            )
            for line, text in answered
        ]
        try:
            await anyio.to_thread.run_sync(log.write, entries)
        except OSError as error:
            self.metrics.count("indicator_errors_total", kind="decision_log")
            sys.stderr.write(f"ind serve: cannot write the decision log {log.path}: {error}\n")
            raise Problem(500, "decision_log", "the decision could not be logged; the answer is withheld") from None

    def reloaded(self, outcome: Loaded | Refusal, previous: Loaded, how: str) -> dict[str, object]:
        """Count a reload and say what it did: the answer of POST /v1/reload."""
        if isinstance(outcome, Refusal):
            self.metrics.count("indicator_reloads_total", outcome="refused")
            sys.stderr.write(f"ind serve: {how}: refused: {outcome.message}\n{outcome.text}")
            return {
                "reloaded": False,
                "error": outcome.message,
                "diagnostics": outcome.diagnostics,
                "text": outcome.text,
                "serving": describe(self.holder.current),
            }
        self.metrics.count("indicator_reloads_total", outcome="done")
        self.metrics.serving(outcome.model.name, outcome.sha256)
        sys.stderr.write(f"ind serve: {how}: now serving {outcome.model.name} sha256 {outcome.sha256}\n")
        return {"reloaded": True, "previous": previous.sha256, "serving": describe(outcome)}

    async def watch(self) -> None:
        """Until cancelled: poll the model's files (`watch_seconds`) and the other workers'
        reload stamp (every second at least), and reload on a change."""
        files = self.config.watch_seconds is not None
        seconds = self.config.watch_seconds or STAMP_SECONDS
        if self.config.reload_stamp is not None:
            seconds = min(seconds, STAMP_SECONDS)
        while True:
            await anyio.sleep(seconds)
            previous = self.holder.current
            outcome = await anyio.to_thread.run_sync(self.holder.poll, files)
            if outcome is not None:
                self.reloaded(outcome, previous, "automatic reload (a file changed, or another worker reloaded)")

    def close(self) -> None:
        if self.log is not None:
            self.log.close()
