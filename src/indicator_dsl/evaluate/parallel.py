"""Parallel and streaming batches with exact quotas.

Quotas need every record's total before any grade is final, but not every record's
result. So a batch runs in two passes: the first scores each record (in N worker
processes, over a bounded window of chunks) and keeps only its result line and its
small `Standing`; quotas then settle over the standings; the second pass re-scores just
the records a quota moved and splices their lines in. Memory is bounded by the window
and the standings, not by the input; output order is input order.

Workers rebuild the model from the texts the parent loaded (`origin.load()` reads no
ruleset file from disk), and each checks that its model has the parent's sha256, so every
record of a run is scored by the same ruleset even if a file is edited meanwhile.

Faults: whatever ends a run early (an error, Ctrl-C, or SIGTERM, which `ind` turns into an
exception) stops the workers at once and removes every temporary file; the output file
is replaced only by a finished run.
"""

from __future__ import annotations

import decimal
import signal
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from itertools import islice
from pathlib import Path
from typing import Any, Protocol, TypeVar

from ..files import publish, temporary
from ..semantics.arithmetic import EXACT
from .batch import Batch, Scorer, first_pass, refinish, settle, sheets_for
from .engine import Engine
from .inputs import InputError, loads
from .population import Standing
from .results import Result

CHUNK = 500
T = TypeVar("T")
Card = tuple[Any, Standing | None, dict[str, Any]]
Sheets = Mapping[str, Any] | None


class Recipe(Protocol):
    """How a worker process rebuilds a model (`api.Origin`: the texts the parent loaded)."""

    def load(self) -> Portable: ...


class Portable(Scorer, Protocol):
    """A model that worker processes can rebuild (`api.Ruleset`, `api.Catalog`)."""

    @property
    def engines(self) -> Mapping[str, Engine]: ...

    @property
    def origin(self) -> Recipe: ...

    @property
    def sha256(self) -> str: ...


class WorkerSetupError(RuntimeError):
    """A worker could not rebuild the parent's model (an imported file vanished meanwhile)."""


# a worker process's model and sheets, set once by `_init_worker`
_MODEL: Portable | None = None
_SHEETS: Sheets = None
_SETUP_ERROR = ""


def _init_worker(origin: Recipe, sha256: str, sheets: Sheets) -> None:
    global _MODEL, _SHEETS, _SETUP_ERROR
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the parent decides
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # the parent's handler came along with fork
    try:
        model = origin.load()
    except Exception as error:  # reported by the first chunk, as an error the parent can unpickle
        _SETUP_ERROR = f"a worker could not load the ruleset: {error}"
        return
    if model.sha256 != sha256:
        _SETUP_ERROR = f"a worker loaded a different ruleset (sha256 {model.sha256}, the run's is {sha256})"
        return
    _MODEL, _SHEETS = model, sheets


def parse_line(line: str, number: int) -> Any:
    try:
        return loads(line)
    except ValueError as error:
        return InputError(f"line {number}", f"not JSON: {error}")


def _score_chunk(model: Scorer, sheets: Sheets, items: list[tuple[int, Any]], trace: bool, as_json: bool) -> list[Card]:
    out: list[Card] = []
    with decimal.localcontext(EXACT):
        for number, data in items:
            record = parse_line(data, number) if isinstance(data, str) else data
            card = first_pass(model, record, sheets_for(sheets, record), trace=trace)
            result: Any = card.result.model_dump_json() if as_json else card.result
            out.append((result, card.standing, {} if as_json else card.attributes))
    return out


def _worker_chunk(items: list[tuple[int, Any]], trace: bool, as_json: bool) -> list[Card]:
    if _MODEL is None:
        raise WorkerSetupError(_SETUP_ERROR)
    return _score_chunk(_MODEL, _SHEETS, items, trace, as_json)


def _chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


@contextmanager
def _workers(model: Portable, workers: int, sheets: Sheets) -> Iterator[ProcessPoolExecutor | None]:
    """N worker processes (None for one: the caller scores in its own process). Leaving the block
    normally waits for them; leaving it by any exception stops them at once."""
    if workers <= 1:
        yield None
        return
    executor = ProcessPoolExecutor(
        max_workers=workers, initializer=_init_worker, initargs=(model.origin, model.sha256, sheets)
    )
    try:
        yield executor
    except BaseException:
        _stop(executor)
        raise
    executor.shutdown()


def _stop(executor: ProcessPoolExecutor) -> None:
    """End the workers now: queued chunks are dropped and running ones killed, since a run that
    ends early has no use for them (a plain `shutdown` would wait for them to finish)."""
    processes = list((executor._processes or {}).values())  # no public handle before Python 3.14
    executor.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.terminate()
    for process in processes:
        process.join(timeout=2)
        if process.is_alive():
            process.kill()
            process.join()


def _ordered(
    model: Scorer,
    sheets: Sheets,
    executor: ProcessPoolExecutor | None,
    chunks: Iterator[list[tuple[int, Any]]],
    trace: bool,
    as_json: bool,
    window: int,
) -> Iterator[Card]:
    """Cards in input order, with at most `window` chunks in flight."""
    if executor is None:
        for chunk in chunks:
            yield from _score_chunk(model, sheets, chunk, trace, as_json)
        return
    in_flight: deque[Future[list[Card]]] = deque()
    for chunk in chunks:
        in_flight.append(executor.submit(_worker_chunk, chunk, trace, as_json))
        if len(in_flight) >= window:
            yield from in_flight.popleft().result()
    while in_flight:
        yield from in_flight.popleft().result()


def evaluate_parallel(model: Portable, records: Iterable[Any], *, sheets: Sheets, trace: bool, workers: int) -> Batch:
    """`evaluate_many(..., workers=N)`: the records are kept (a Batch holds every result anyway)."""
    items = list(records)
    with _workers(model, workers, sheets) as executor:
        chunks = _chunks(enumerate(items, 1), CHUNK)
        cards = list(_ordered(model, sheets, executor, chunks, trace, False, 2 * max(workers, 1)))
    results: list[Result] = [c[0] for c in cards]
    moved = settle(model, model.engines, [c[1] for c in cards])
    with decimal.localcontext(EXACT):
        for index, standing in moved.items():
            data = items[index]
            results[index] = refinish(model, data, sheets_for(sheets, data), standing, trace=trace)
    return Batch(results, [c[2] for c in cards])


def _numbered_lines(paths: list[Path]) -> Iterator[tuple[int, str]]:
    number = 0
    for path in paths:
        with path.open("r", encoding="utf-8-sig", errors="replace") as handle:
            for line in handle:
                number += 1
                if line.strip():
                    yield number, line


def stream_jsonl(
    model: Portable,
    inputs: list[Path],
    out: Path,
    *,
    workers: int = 1,
    sheets: Sheets = None,
    on_progress: Callable[[int], None] | None = None,
) -> tuple[int, int]:
    """Score JSON lines into a JSON-lines file, atomically. Returns (records, failed).

    Pass one writes each record's result line to a private spill file beside `out`; if a
    quota moved any record, pass two copies the spill into a second private file, re-scoring
    the moved records. The finished file is renamed to `out`; both temporary files are
    removed whatever happens."""
    standings: list[Standing | None] = []
    failed = 0
    with temporary(out, "pass1.") as spill:
        with spill.open("w", encoding="utf-8") as target, _workers(model, workers, sheets) as executor:
            chunks = _chunks(_numbered_lines(inputs), CHUNK)
            for line, standing, _ in _ordered(model, sheets, executor, chunks, False, True, 2 * max(workers, 1)):
                target.write(line + "\n")
                standings.append(standing)
                failed += '"errors":[]' not in line
                if on_progress is not None:
                    on_progress(len(standings))
        count = len(standings)
        moved = settle(model, model.engines, standings)
        del standings
        if not moved:
            publish(spill, out)
            return count, failed
        with temporary(out) as final:
            _second_pass(model, inputs, sheets, spill, final, moved)
            publish(final, out)
    return count, failed


def _second_pass(
    model: Scorer, inputs: list[Path], sheets: Sheets, spill: Path, final: Path, moved: Mapping[int, Standing]
) -> None:
    """Copy the spill into `final`, with the records a quota moved scored again (read again
    from `inputs`, which must still hold the lines pass one read)."""
    lines = _numbered_lines(inputs)
    number = 0
    with (
        final.open("w", encoding="utf-8") as target,
        spill.open(encoding="utf-8") as first,
        decimal.localcontext(EXACT),
    ):
        for index, line in enumerate(first):
            number, text = next(lines, (0, ""))
            if index not in moved:
                target.write(line)
                continue
            data = parse_line(text, number)
            result = refinish(model, data, sheets_for(sheets, data), moved[index], trace=False)
            target.write(result.model_dump_json() + "\n")
    if number == 0 or next(lines, None) is not None:
        raise ValueError("the record files changed while they were being scored; run again")
