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
exception) stops the workers and removes every temporary file; the output file is replaced
only by a finished run. Workers leave both signals to the parent, which raises a stop flag
that cuts their chunks short and then shuts the pool down in order (a worker killed while
sending a result could leave the pool waiting forever). A worker whose parent is gone, even
by SIGKILL, ends itself within PARENT_CHECK_SECONDS.
"""

from __future__ import annotations

import codecs
import decimal
import gc
import marshal
import multiprocessing
import os
import shutil
import signal
import threading
import time
from array import array
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from itertools import islice
from multiprocessing.synchronize import Event as EventType
from pathlib import Path
from typing import Any, BinaryIO, Protocol, TypeVar

from ..files import publish, temporary
from ..semantics.arithmetic import EXACT
from .adjustments import Adjustment
from .batch import Batch, Scorer, attach_nominees, collector_paused, first_pass, refinish, settle, sheets_for
from .engine import Engine
from .inputs import JsonLine, raw_lines
from .nominations import nominate
from .population import Standing
from .results import Compact, Encoded, Entry, Nominee, Result, Results

CHUNK = 500
COPY_BLOCK = 1 << 20
PARENT_CHECK_SECONDS = 0.2
STOP_GRACE_SECONDS = 5.0
STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}
T = TypeVar("T")
Card = tuple[Any, Standing | None, dict[str, Any]]
Chunk = list[tuple[int, Any]]
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


# a worker process's model and sheets, and the parent's stop flag, set once by `_init_worker`
_MODEL: Portable | None = None
_SHEETS: Sheets = None
_SETUP_ERROR = ""
_STOP: EventType | None = None


def _init_worker(parent: int, stop: EventType, origin: Recipe, sha256: str, sheets: Sheets) -> None:
    global _MODEL, _SHEETS, _SETUP_ERROR, _STOP
    # SIGINT (Ctrl-C reaches the whole group) and SIGTERM (so does a service manager's stop) are
    # the parent's to act on: it raises `stop`, and a worker killed mid-message could hang the pool
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)  # held back by `_submit` during the fork
    threading.Thread(target=_end_with, args=(parent,), daemon=True).start()
    _STOP = stop
    try:
        model = origin.load()
    except Exception as error:  # reported by the first chunk, as an error the parent can unpickle
        _SETUP_ERROR = f"a worker could not load the ruleset: {error}"
        return
    if model.sha256 != sha256:
        _SETUP_ERROR = f"a worker loaded a different ruleset (sha256 {model.sha256}, the run's is {sha256})"
        return
    _MODEL, _SHEETS = model, sheets


def _end_with(parent: int) -> None:
    """A worker's watch: end this process soon after the parent is gone, however it went (even
    SIGKILL, which leaves the parent no chance to stop its workers)."""
    while os.getppid() == parent:
        time.sleep(PARENT_CHECK_SECONDS)
    os._exit(1)


def _score_chunk(
    model: Scorer, sheets: Sheets, items: Chunk, trace: bool, as_json: bool, stop: EventType | None = None
) -> list[Card]:
    """First-pass cards of a chunk of records (raw JSON lines as bytes, or records); cut short
    (the run is ending) once `stop` is set. A card holds the result as a JSON line
    (`as_json`: the streaming CLI), else as `Encoded` (a line with its id and grade) or, traced,
    the `Result` itself; then the record's standing and, for a batch, its kept fields. A JSON
    line comes as UTF-8 bytes with its newline, ready to be written. The collector is paused
    per chunk (`collector_paused`), so a long stream still frees what its chunks left behind."""
    out: list[Card] = []
    with decimal.localcontext(EXACT), collector_paused():
        for number, data in items:
            if stop is not None and stop.is_set():
                break
            record = data
            if isinstance(data, bytes):  # a stream's line: read in one step by the engine, unless sheets come apart
                record = JsonLine(data, number) if sheets is None else JsonLine(data, number).read()
            card = first_pass(model, record, sheets_for(sheets, record), trace=trace)
            entry = card.result
            if as_json:
                line = entry.line_bytes() if isinstance(entry, Compact) else entry.model_dump_json().encode("utf-8")
                out.append((line + b"\n", card.standing, {}))
            elif trace:
                out.append((entry if isinstance(entry, Result) else entry.result(), card.standing, card.attributes))
            else:
                out.append((Encoded.of(entry), card.standing, card.attributes))
    return out


def _worker_chunk(items: Chunk | bytes, trace: bool, as_json: bool) -> list[Card]:
    if _MODEL is None:
        raise WorkerSetupError(_SETUP_ERROR)
    return _score_chunk(_MODEL, _SHEETS, _unpack(items), trace, as_json, _STOP)


def _pack(chunk: Chunk) -> Chunk | bytes:
    """A chunk as a worker receives it: records of plain JSON types are marshalled (several
    times faster than pickling decoded JSON, which the parent would otherwise spend most of
    its time on), anything else (Decimals, dates, mappings of other kinds) goes as it is, and
    the pool pickles it. Lines (bytes) go as they are."""
    if not chunk or isinstance(chunk[0][1], bytes):
        return chunk
    try:
        return marshal.dumps(chunk)
    except (ValueError, TypeError):  # a type marshal does not write, or nesting it refuses
        return chunk


def _unpack(items: Chunk | bytes) -> Chunk:
    return marshal.loads(items) if isinstance(items, bytes) else items


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
    context = multiprocessing.get_context()
    stop = context.Event()
    executor = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=context,
        initializer=_init_worker,
        initargs=(os.getpid(), stop, model.origin, model.sha256, sheets),
    )
    try:
        _start(executor)
        yield executor
        executor.shutdown()
    except BaseException:
        _stop(executor, stop)
        raise


def _start(executor: ProcessPoolExecutor) -> None:
    """Fork the workers now, with every object of this process frozen for the collector
    (`gc.freeze`, as Python's documentation advises before a fork): a worker's collections
    never walk what it inherited, so the pages it shares with the parent stay shared. The
    workers rebuild the model and receive records in chunks; they need nothing else of the
    parent, whose memory they would otherwise copy page by page."""
    frozen = gc.get_freeze_count() > 0
    gc.freeze()
    try:
        _submit(executor, [], False, True).result()
    finally:
        if not frozen:
            gc.unfreeze()


def _stop(executor: ProcessPoolExecutor, stop: EventType) -> None:
    """End the workers now: queued chunks are dropped, running ones cut short at the next record
    (a run that ends early has no use for them), and the pool shut down in order. A worker still
    busy after STOP_GRACE_SECONDS (one record that takes that long) is killed."""
    stop.set()
    processes = list((executor._processes or {}).values())  # no public handle before Python 3.14
    executor.shutdown(wait=False, cancel_futures=True)
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for process in processes:
        process.join(timeout=max(0.0, deadline - time.monotonic()))
        if process.is_alive():
            process.kill()
            process.join()


def _submit(executor: ProcessPoolExecutor, chunk: Chunk, trace: bool, as_json: bool) -> Future[list[Card]]:
    """`executor.submit`, with SIGINT and SIGTERM held back until it returns. The first submit
    forks the workers and starts the pool's threads: held back, a signal cannot raise its
    exception inside a fork hook (where Python drops it) nor between a fork and the pool's
    record of the new process; and the threads, which inherit the block, never take a signal,
    so it always reaches the main thread. A held signal is raised as the block lifts."""
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        return executor.submit(_worker_chunk, _pack(chunk), trace, as_json)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _ordered(
    model: Scorer,
    sheets: Sheets,
    executor: ProcessPoolExecutor | None,
    chunks: Iterator[Chunk],
    trace: bool,
    as_json: bool,
    window: int,
) -> Iterator[Card]:
    """Cards in input order, with at most `window` chunks in flight."""
    if executor is None:
        for chunk in chunks:
            yield from _score_chunk(model, sheets, chunk, trace, as_json)
        return
    in_flight: deque[tuple[Future[list[Card]], Chunk]] = deque()
    for chunk in chunks:
        in_flight.append((_submit(executor, chunk, trace, as_json), chunk))
        if len(in_flight) >= window:
            yield from _cards(model, sheets, *in_flight.popleft(), trace, as_json)
    while in_flight:
        yield from _cards(model, sheets, *in_flight.popleft(), trace, as_json)


def _cards(
    model: Scorer, sheets: Sheets, future: Future[list[Card]], chunk: Chunk, trace: bool, as_json: bool
) -> list[Card]:
    try:
        return future.result()
    except RecursionError:  # a record nested too deep to pickle for a worker: score the chunk here
        return _score_chunk(model, sheets, chunk, trace, as_json)


def evaluate_parallel(
    model: Portable,
    records: Iterable[Any],
    *,
    sheets: Sheets,
    trace: bool,
    workers: int,
    adjustments: Sequence[Adjustment] = (),
) -> Batch:
    """`evaluate_many(..., workers=N)`: chunks of records go to the workers, which send back
    each result as a JSON line (`Encoded`, a `Result` when it is read) with its standing; the
    parent keeps the records (it re-scores the few a quota moves) and merges in input order."""
    items: list[Any] = []

    def numbered() -> Iterator[tuple[int, Any]]:
        for number, data in enumerate(records, 1):
            items.append(data)
            yield number, data

    with collector_paused(), _workers(model, workers, sheets) as executor:
        chunks = _chunks(numbered(), CHUNK)
        cards = list(_ordered(model, sheets, executor, chunks, trace, False, 2 * max(workers, 1)))
        entries: list[Entry] = [c[0] for c in cards]
        ids = [e.id for e in entries]
        moved, problems = settle(model, model.engines, [c[1] for c in cards], adjustments, ids)
        with decimal.localcontext(EXACT):
            for index, standing in moved.items():
                data = items[index]
                entries[index] = refinish(model, data, sheets_for(sheets, data), standing, trace=trace)
        attach_nominees(model, [c[1] for c in cards], entries)
    return Batch(Results(entries), [c[2] for c in cards], problems)


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

    The parent reads lines as bytes and hands them out in chunks; the workers decode, score
    and send back result lines, which pass one writes in order to a private spill file beside
    `out`, noting where each record's line starts in its input and in the spill. If a quota
    moved records (or a nomination chose some), pass two copies the spill into a second private
    file as blocks of bytes, reading and re-scoring only those records. The finished file is
    renamed to `out`; both temporary files are removed whatever happens."""
    standings: list[Standing | None] = []
    where = _Where()
    failed = 0
    with temporary(out, "pass1.") as spill:
        stamps = _stamps(inputs)
        with spill.open("wb") as target, _workers(model, workers, sheets) as executor:
            chunks = _chunks(where.noted(raw_lines(inputs)), CHUNK)
            written = 0
            for data, standing, _ in _ordered(model, sheets, executor, chunks, False, True, 2 * max(workers, 1)):
                target.write(data)
                where.spill.append(written)
                written += len(data)
                standings.append(standing)
                failed += b'"errors":[]' not in data
                if on_progress is not None:
                    on_progress(len(standings))
            where.spill.append(written)
        count = len(standings)
        moved, _ = settle(model, model.engines, standings)
        rules = [rule for rule, _ in model.catalog_nominations]
        nominees = nominate(rules, standings, [s.id if s else None for s in standings]) if rules else {}
        redo = {index: moved.get(index) or standings[index] for index in (*moved, *nominees)}
        del standings
        if not redo:
            publish(spill, out)
            return count, failed
        if _stamps(inputs) != stamps:
            raise ValueError("the record files changed while they were being scored; run again")
        with temporary(out) as final:
            _second_pass(model, inputs, sheets, spill, final, redo, nominees, where)
            publish(final, out)
    return count, failed


class _Where:
    """Where each record of a stream is: its input file and byte offset, and the offset of its
    result line in the spill file (one more offset: the spill's end). Arrays of machine
    integers: 20 bytes a record."""

    def __init__(self) -> None:
        self.file = array("H")
        self.offset = array("q")
        self.number = array("q")
        self.spill = array("q")

    def noted(self, lines: Iterator[tuple[int, bytes, int, int]]) -> Iterator[tuple[int, bytes]]:
        for number, raw, which, offset in lines:
            self.file.append(which)
            self.offset.append(offset)
            self.number.append(number)
            yield number, raw


def _stamps(inputs: list[Path]) -> list[tuple[int, int]]:
    """Size and modification time of each input: pass two reads the records it re-scores
    again, by byte offset, so a file changed meanwhile stops the run."""
    return [(s.st_size, s.st_mtime_ns) for s in (p.stat() for p in inputs)]


def _second_pass(
    model: Scorer,
    inputs: list[Path],
    sheets: Sheets,
    spill: Path,
    final: Path,
    redo: Mapping[int, Standing | None],
    nominees: Mapping[int, list[Nominee]],
    where: _Where,
) -> None:
    """Copy the spill into `final` in blocks, with the records a quota moved or a nomination
    chose scored again: only their lines are read again from `inputs` (by offset)."""
    handles = [path.open("rb") for path in inputs]
    try:
        with final.open("wb") as target, spill.open("rb") as first, decimal.localcontext(EXACT):
            copied = 0
            for index in sorted(redo):
                _copy(first, target, where.spill[index] - copied)
                first.seek(where.spill[index + 1])
                copied = where.spill[index + 1]
                handle = handles[where.file[index]]
                handle.seek(where.offset[index])
                raw = handle.readline()
                if where.offset[index] == 0 and raw.startswith(codecs.BOM_UTF8):
                    raw = raw[len(codecs.BOM_UTF8) :]
                number = where.number[index]
                data = JsonLine(raw, number) if sheets is None else JsonLine(raw, number).read()
                entry = refinish(model, data, sheets_for(sheets, data), redo[index], trace=False)  # type: ignore[arg-type]
                if isinstance(entry, Compact):
                    entry.nominate(nominees.get(index, []))
                    line = entry.line_bytes()
                else:
                    entry.nominations = nominees.get(index, [])
                    line = entry.model_dump_json().encode("utf-8")
                target.write(line + b"\n")
            shutil.copyfileobj(first, target)
    finally:
        for handle in handles:
            handle.close()


def _copy(source: BinaryIO, target: BinaryIO, size: int) -> None:
    """`size` bytes from one file to the other, in blocks."""
    while size > 0:
        block = source.read(min(size, COPY_BLOCK))
        if not block:
            raise ValueError("the spill file ended early")
        target.write(block)
        size -= len(block)
