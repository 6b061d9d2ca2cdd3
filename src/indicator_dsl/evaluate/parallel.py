"""Parallel and streaming batches with exact quotas.

Quotas need every record's total before any grade is final, but not every record's
result. So a batch runs in two passes: the first scores each record (in N worker
processes, over a bounded window of chunks) and keeps only its result line and its
small `Standing`; quotas then settle over the standings; the second pass re-scores just
the records a quota moved and splices their lines in. Memory is bounded by the window
and the standings, not by the input; output order is input order.

Workers rebuild the compiled plan from the ruleset's source (`Origin.load`), which the
content-hash cache and Lark's grammar cache make cheap.
"""

from __future__ import annotations

import decimal
import os
import tempfile
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from ..outputs.formats import publish
from ..semantics.arithmetic import EXACT
from .batch import Batch, first_pass, refinish, settle, sheets_for
from .inputs import numbered_lines, parse_line
from .population import Standing
from .results import Result

if TYPE_CHECKING:
    from ..api import Model, Origin

CHUNK = 500
T = TypeVar("T")
Card = tuple[Any, Standing | None, dict[str, Any]]

_MODEL: Any = None
_SHEETS: Mapping[str, Any] | None = None


def _init_worker(origin: Origin, sheets: Mapping[str, Any] | None) -> None:
    global _MODEL, _SHEETS
    _MODEL = origin.load()
    _SHEETS = sheets


def _first_pass_chunk(items: list[tuple[int, Any]], trace: bool, as_json: bool) -> list[Card]:
    out: list[Card] = []
    with decimal.localcontext(EXACT):
        for number, data in items:
            record = parse_line(data, number) if isinstance(data, str) else data
            card = first_pass(_MODEL, record, sheets_for(_SHEETS, record), trace=trace)
            result: Any = card.result.model_dump_json() if as_json else card.result
            out.append((result, card.standing, {} if as_json else card.attributes))
    return out


def _chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _ordered(
    executor: Executor | None, chunks: Iterator[list[tuple[int, Any]]], trace: bool, as_json: bool, window: int
) -> Iterator[Card]:
    """Cards in input order, with at most `window` chunks in flight."""
    if executor is None:
        for chunk in chunks:
            yield from _first_pass_chunk(chunk, trace, as_json)
        return
    in_flight: deque[tuple[Future[list[Card]], list[tuple[int, Any]]]] = deque()
    for chunk in chunks:
        in_flight.append((executor.submit(_first_pass_chunk, chunk, trace, as_json), chunk))
        if len(in_flight) >= window:
            yield from _cards(*in_flight.popleft(), trace, as_json)
    while in_flight:
        yield from _cards(*in_flight.popleft(), trace, as_json)


def _cards(future: Future[list[Card]], chunk: list[tuple[int, Any]], trace: bool, as_json: bool) -> list[Card]:
    try:
        return future.result()
    except RecursionError:  # a record nested too deep to pickle for a worker: score the chunk here
        return _first_pass_chunk(chunk, trace, as_json)


def _executor(model: Model, workers: int, sheets: Mapping[str, Any] | None) -> Executor | None:
    _init_worker_local(model, sheets)  # the parent scores what cannot be sent to a worker
    if workers <= 1:
        return None
    return ProcessPoolExecutor(max_workers=workers, initializer=_init_worker, initargs=(model.origin, sheets))


def _init_worker_local(model: Model, sheets: Mapping[str, Any] | None) -> None:
    global _MODEL, _SHEETS
    _MODEL, _SHEETS = model, sheets


def evaluate_parallel(
    model: Model, records: Iterable[Any], *, sheets: Mapping[str, Any] | None, trace: bool, workers: int
) -> Batch:
    """`evaluate_many(..., workers=N)`: the records are kept (a Batch holds every result anyway)."""
    items = list(records)
    executor = _executor(model, workers, sheets)
    try:
        cards = list(_ordered(executor, _chunks(enumerate(items, 1), CHUNK), trace, False, 2 * max(workers, 1)))
    finally:
        if executor is not None:
            executor.shutdown()
    results: list[Result] = [c[0] for c in cards]
    moved = settle(model, model.engines, [c[1] for c in cards])
    with decimal.localcontext(EXACT):
        for index, standing in moved.items():
            data = items[index]
            results[index] = refinish(model, data, sheets_for(sheets, data), standing, trace=trace)
    return Batch(results, [c[2] for c in cards])


def stream_jsonl(
    model: Model,
    inputs: list[Path],
    out: Path,
    *,
    workers: int = 1,
    sheets: Mapping[str, Any] | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> tuple[int, int]:
    """Score JSON lines into a JSON-lines file, atomically. Returns (records, failed)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, spill_name = tempfile.mkstemp(prefix=f".{out.name}.pass1.", dir=out.parent)
    standings: list[Standing | None] = []
    failed = 0
    executor = _executor(model, workers, sheets)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as spill:
            for line, standing, _ in _ordered(
                executor, _chunks(numbered_lines(inputs), CHUNK), False, True, 2 * max(workers, 1)
            ):
                spill.write(line + "\n")
                standings.append(standing)
                failed += '"errors":[]' not in line
                if on_progress is not None:
                    on_progress(len(standings))
    except BaseException:
        Path(spill_name).unlink(missing_ok=True)
        raise
    finally:
        if executor is not None:
            executor.shutdown()
    moved = settle(model, model.engines, standings)
    count = len(standings)
    del standings
    if not moved:
        publish(spill_name, out)
        return count, failed
    fixed: dict[int, str] = {}
    with decimal.localcontext(EXACT):
        for index, (number, line) in enumerate(numbered_lines(inputs)):
            if index in moved:
                data = parse_line(line, number)
                fixed[index] = refinish(
                    model, data, sheets_for(sheets, data), moved[index], trace=False
                ).model_dump_json()
    fd, final_name = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as target, open(spill_name, encoding="utf-8") as spill:
            for index, line in enumerate(spill):
                target.write(fixed[index] + "\n" if index in fixed else line)
        publish(final_name, out)
    except BaseException:
        Path(final_name).unlink(missing_ok=True)
        raise
    finally:
        Path(spill_name).unlink(missing_ok=True)
    return count, failed
