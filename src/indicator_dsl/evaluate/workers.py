"""Worker processes for batches and streams: started, fed in order, and stopped on any fault.

Where the platform forks (Linux), workers are forked when a run starts and inherit what the
parent holds: the model as compiled, its sheets and, for a batch already in memory, the
records themselves, so nothing is rebuilt; the parent sends each worker only which records
(a range of positions, or where a block of a file lies, which the worker reads itself) and
receives results as plain values. Before the fork every object of the parent is frozen for
the collector (`gc.freeze`, as Python's documentation advises), and a worker keeps its
collector off while it scores (`collected` runs it between jobs, over what the job left), so
no collection walks what it inherited. Elsewhere (spawn) a worker rebuilds the model from the
texts the parent loaded (`origin.load()` reads no ruleset file from disk) and checks that it
has the parent's sha256, and a batch's records are sent to it.

With `workers=N` this process is one of the N: it starts N - 1 workers and, in
`Pool.in_order`, takes a part itself whenever they have a window of parts queued.

A forked process still pays for each page it shares with the other and writes to (the
kernel copies it): reading an inherited record writes its reference counts, and allocating
fills free room in inherited pages. For a batch of records already in memory both the parent
and the worker pay it for the records they score, so the two spend about a quarter more CPU
than one process would (docs/performance.md); a stream's workers, forked from a parent that
holds no records, do not.

Faults: whatever ends a run early (an error, Ctrl-C, or SIGTERM, which `ind` turns into an
exception) stops the workers. Workers leave both signals to the parent, which raises a stop
flag that cuts their work short and then shuts the pool down in order (a worker killed while
sending a result could leave the pool waiting forever). A worker whose parent is gone, even
by SIGKILL, ends itself within PARENT_CHECK_SECONDS.
"""

from __future__ import annotations

import gc
import marshal
import multiprocessing
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from multiprocessing.synchronize import Event as EventType
from typing import Any, Generic, Protocol, TypeVar, cast

from .batch import Scorer
from .engine import Engine
from .heap import keep_freed_memory

try:  # Linux: pipes can be widened
    from fcntl import F_SETPIPE_SZ, fcntl

    PIPE_SIZE_COMMAND: int | None = F_SETPIPE_SZ
except ImportError:  # elsewhere they keep their size
    PIPE_SIZE_COMMAND = None

PARENT_CHECK_SECONDS = 0.2
STOP_GRACE_SECONDS = 5.0
STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}
REDO_PART = 50  # records a quota moved, scored again per job
PIPE_BYTES = 1 << 20  # room asked for in each pipe to and from the workers
CLAIM_SLOTS = 1024  # jobs the claim table tells apart: far more than are ever given out at once
CLAIM_WAIT_SECONDS = 1.0  # a claim not settled by then changes nothing (a process died holding the lock)
FREE, STARTED, TAKEN = 0, 1, 2  # a job's state in the claim table
# the start method of worker processes: the platform's fork where it has one (None: its default)
START_METHOD: str | None = "fork" if "fork" in multiprocessing.get_all_start_methods() else None
T = TypeVar("T")
J = TypeVar("J")
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


@dataclass(slots=True)
class WorkerState:
    """What a worker process works with, set once by `_init_worker`: the model, the sheets,
    a batch's records (inherited; None when they are sent), the parent's stop flag."""

    model: Portable | None = None
    sheets: Sheets = None
    items: Sequence[Any] | None = None
    stop: EventType | None = None
    claims: Claims | None = None
    setup_error: str = ""


STATE = WorkerState()


def _init_worker(
    parent: int,
    stop: EventType,
    claims: Claims,
    inherited: tuple[Portable, Sequence[Any] | None] | None,
    origin: Recipe,
    sha256: str,
    sheets: Sheets,
) -> None:
    # SIGINT (Ctrl-C reaches the whole group) and SIGTERM (so does a service manager's stop) are
    # the parent's to act on: it raises `stop`, and a worker killed mid-message could hang the pool
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)  # held back by `submit` during the fork
    threading.Thread(target=_end_with, args=(parent,), daemon=True).start()
    gc.disable()  # a worker's collector runs between jobs (`collected`), never inside one
    keep_freed_memory()  # a worker's messages are megabyte buffers, one after another
    STATE.stop, STATE.sheets, STATE.claims = stop, sheets, claims
    if inherited is not None:
        STATE.model, STATE.items = inherited
        return
    try:
        model = origin.load()
    except Exception as error:  # reported by the first job, as an error the parent can unpickle
        STATE.setup_error = f"a worker could not load the ruleset: {error}"
        return
    if model.sha256 != sha256:
        STATE.setup_error = f"a worker loaded a different ruleset (sha256 {model.sha256}, the run's is {sha256})"
        return
    STATE.model = model


def _end_with(parent: int) -> None:
    """A worker's watch: end this process soon after the parent is gone, however it went (even
    SIGKILL, which leaves the parent no chance to stop its workers)."""
    while os.getppid() == parent:
        time.sleep(PARENT_CHECK_SECONDS)
    os._exit(1)


def worker_model() -> Portable:
    """The model in this worker process (WorkerSetupError if it could not be rebuilt)."""
    if STATE.model is None:
        raise WorkerSetupError(STATE.setup_error)
    return STATE.model


def collected(message: T) -> T:
    """A job's message, once the young objects the job left behind are collected (a failed
    record's traceback holds a cycle): the objects a worker inherited are frozen, so this
    walks only what the job made and kept."""
    gc.collect(1)
    return message


def stopping() -> bool:
    """The parent has asked the workers to stop (the run is ending)."""
    return STATE.stop is not None and STATE.stop.is_set()


def inherits() -> bool:
    """Workers are forked, so they inherit what the parent holds when they start."""
    return (START_METHOD or multiprocessing.get_start_method()) == "fork"


@contextmanager
def worker_pool(model: Portable, workers: int, sheets: Sheets, items: Sequence[Any] | None = None) -> Iterator[Pool]:
    """A run's `workers` scoring processes: this one and `workers - 1` started here, with the
    model (and a batch's `items`) inherited where they are forked (`Pool.in_order` gives this
    process its share). Leaving the block normally waits for them; leaving it by any
    exception stops them at once."""
    context = multiprocessing.get_context(START_METHOD)
    stop = context.Event()
    claims = Claims(context)
    inherited = (model, items) if inherits() else None
    if inherited is not None:
        for engine in model.engines.values():
            engine.build_readers()
    executor = ProcessPoolExecutor(
        max_workers=workers - 1,
        mp_context=context,
        initializer=_init_worker,
        initargs=(os.getpid(), stop, claims, inherited, model.origin, model.sha256, sheets),
    )
    _widen_pipes(executor)
    pool = Pool(executor, stop, workers, claims)
    try:
        pool.start()
        yield pool
        pool.close()
    except BaseException:
        pool.stop_now()
        raise


def redo_parts(positions: Iterable[int], processes: int = 1) -> list[tuple[int, ...]]:
    """The positions of the records a quota moved, in order, in the jobs that score them again
    in `processes` processes: a quarter of a process's share at first (so that a job is worth
    a worker's round trip), shrinking to REDO_PART toward the end (`spans`, so that they end
    together)."""
    order = sorted(positions)
    size = max(REDO_PART, -(-len(order) // (4 * processes)))
    return [tuple(order[start:stop]) for start, stop in spans(len(order), size, REDO_PART)]


def spans(total: int, size: int, least: int) -> Iterator[tuple[int, int]]:
    """`range(total)` cut into jobs, as (start, stop): `size` long, then, once less than four
    jobs' worth remains, a quarter of what remains, never under `least` (a remainder under
    `least` joins the job before it). When the jobs run out, a worker may still be doing the
    one it started last, which this process cannot take back (`Pool.in_order` takes back the
    rest); shrinking them lets the processes finish nearly together instead of this one
    waiting most of a full job."""
    start = 0
    while start < total:
        stop = start + min(size, max(least, (total - start) // 4))
        if total - stop < least:
            stop = total
        yield start, stop
        start = stop


def _widen_pipes(executor: ProcessPoolExecutor) -> None:
    """Give the pipes between this process and the workers PIPE_BYTES of room, where the
    platform allows (Linux, up to /proc/sys/fs/pipe-max-size; elsewhere they keep their
    size). A worker's message (a range's result lines, about a megabyte) then goes in one
    write; through the default 64 KB it waits, piece by piece, for this process's reading
    thread, which needs the interpreter lock for each piece while this process scores: a
    worker idled about a fifth of the run so."""
    for name in ("_call_queue", "_result_queue"):  # no public handle
        reader = getattr(getattr(executor, name, None), "_reader", None)
        if PIPE_SIZE_COMMAND is not None and reader is not None:
            with suppress(OSError):  # over the system's limit: the default size stays
                fcntl(reader.fileno(), PIPE_SIZE_COMMAND, PIPE_BYTES)


def _ready() -> None:
    """A worker's first job: nothing but the check that it has its model."""
    worker_model()


class Claims:
    """Who does each job given to the workers. The executor hands a worker its next jobs
    ahead of time (two with one worker), where they can no longer be cancelled; at the end of
    a run this process would wait for them while it has nothing left to do. So each job given
    out is numbered (`number`), a worker marks it started when it takes it (`start`), and this
    process may take back one that no worker has started (`take`): the worker then skips it.
    The marks live in shared memory, CLAIM_SLOTS jobs apart, behind one lock; a mark not made
    within CLAIM_WAIT_SECONDS (a process died holding the lock) changes nothing, and at worst
    a job is done twice, its result read once."""

    def __init__(self, context: Any) -> None:
        self.lock = context.Lock()
        self.slots = context.RawArray("b", CLAIM_SLOTS)
        self.given = 0  # jobs numbered so far, in the process that gives them out

    def number(self) -> int:
        """The next job's number, its mark cleared (no worker sees the job before it is given)."""
        number, self.given = self.given, self.given + 1
        self.slots[number % CLAIM_SLOTS] = FREE
        return number

    def start(self, number: int) -> bool:
        """In a worker: mark the job started; False when this process has taken it back."""
        self._mark(number, STARTED, allowed=(FREE,))
        return bool(self.slots[number % CLAIM_SLOTS] != TAKEN)  # once started, never taken

    def take(self, number: int) -> bool:
        """Take back a job no worker has started: True when it is now this process's to do."""
        return self._mark(number, TAKEN, allowed=(FREE,))

    def _mark(self, number: int, state: int, allowed: tuple[int, ...]) -> bool:
        if not self.lock.acquire(timeout=CLAIM_WAIT_SECONDS):
            return False
        try:
            slot = number % CLAIM_SLOTS
            if self.slots[slot] not in allowed:
                return False
            self.slots[slot] = state
            return True
        finally:
            self.lock.release()


def _claimed(number: int, work: Callable[..., Any], *args: Any) -> Any:
    """A job in a worker, done unless this process has taken it back (then None, unread)."""
    claims = STATE.claims
    if claims is not None and not claims.start(number):
        return None
    return work(*args)


_END = object()  # no job left


@dataclass(slots=True)
class _Done(Generic[T]):
    """A job's result computed in this process, waiting for the results before it."""

    value: T


@dataclass(slots=True)
class _Sent(Generic[J]):
    """A job given to the workers, with the future of its message and its number (`Claims`)."""

    future: Future[Any]
    job: J
    number: int


def _taken_back(waiting: deque[_Sent[J] | _Done[T]], here: Callable[[J], T], claims: Claims) -> bool:
    """Take back the last job in `waiting` that no worker has started (its future cancels, or
    it is claimed back from a worker's queue) and do it in this process; False when every job
    given out has started."""
    for index in range(len(waiting) - 1, -1, -1):
        entry = waiting[index]
        if isinstance(entry, _Sent) and (entry.future.cancel() or claims.take(entry.number)):
            waiting[index] = _Done(here(entry.job))
            return True
    return False


class Pool:
    """Jobs for the workers, results in the order the jobs were given."""

    def __init__(self, executor: ProcessPoolExecutor, stop: EventType, processes: int, claims: Claims) -> None:
        self.executor, self.stop, self.claims = executor, stop, claims
        self.processes = processes  # the workers and this process
        self.window = 4 * (processes - 1)  # jobs the workers may have in flight (`in_order`)
        # once released: the executor's own thread, which ends the workers, and the workers
        self.ending: threading.Thread | None = None
        self.ended: list[Any] = []

    def release(self) -> None:
        """No more jobs: the workers are told to end now, while this process finishes its own
        part of the run (a forked worker's exit, its memory given back, takes about a tenth of
        a second at 100,000 records); leaving `worker_pool` waits until they have ended."""
        # no public handles; typeshed gives the thread the type of its wake-up pipe
        self.ending = cast(threading.Thread, self.executor._executor_manager_thread)
        self.ended = list((self.executor._processes or {}).values())
        self.executor.shutdown(wait=False)

    def close(self) -> None:
        """Wait for the workers to end (told to by `release`, or now)."""
        if self.ending is None:
            self.executor.shutdown()
        else:
            self.ending.join()

    def start(self) -> None:
        """Start the workers now, forked with every object of this process frozen for the
        collector, and wait until one has its model (WorkerSetupError if it could not rebuild it:
        the parent could otherwise score a small run alone and never hear of it)."""
        frozen = gc.get_freeze_count() > 0
        gc.freeze()
        try:
            self.submit(_ready).result()
        finally:
            if not frozen:
                gc.unfreeze()

    def submit(self, work: Callable[..., T], *args: Any) -> Future[T]:
        """`executor.submit`, with SIGINT and SIGTERM held back until it returns. The first submit
        forks the workers and starts the pool's threads: held back, a signal cannot raise its
        exception inside a fork hook (where Python drops it) nor between a fork and the pool's
        record of the new process; and the threads, which inherit the block, never take a signal,
        so it always reaches the main thread. A held signal is raised as the block lifts."""
        previous = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
        try:
            return self.executor.submit(work, *args)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, previous)

    def in_order(
        self,
        jobs: Iterable[J],
        here: Callable[[J], T],
        there: Callable[..., Any],
        sent: Callable[[J], tuple[Any, ...]],
        read: Callable[[Any], T],
        *,
        kept: bool = False,
    ) -> Iterator[T]:
        """Each job's result, in the jobs' order. The workers take jobs (`there(*sent(job))`,
        whose message `read` turns into a result) while they have fewer than `window` in
        flight; otherwise this process takes the next job itself (`here(job)`), since on a
        machine with a core for each process it would only wait. Once every job is given out,
        it takes back the last ones no worker has started, even those already in a worker's
        queue (`Claims`), and does them itself rather than wait. At most `2 × window + 1`
        results wait for an earlier one, so memory stays bounded however many jobs there are;
        unless the caller keeps every result anyway (`kept`, a batch in memory): then this
        process never waits for a slower worker while jobs remain."""
        waiting: deque[_Sent[J] | _Done[T]] = deque()
        remaining = iter(jobs)
        exhausted = False
        while True:
            while waiting and (isinstance(waiting[0], _Done) or waiting[0].future.done()):
                head = waiting.popleft()
                yield head.value if isinstance(head, _Done) else read(head.future.result())
            if exhausted and not waiting:
                return
            busy = sum(1 for entry in waiting if isinstance(entry, _Sent) and not entry.future.done())
            if not exhausted and (kept or len(waiting) <= 2 * self.window):
                job = next(remaining, _END)
                if job is _END:
                    exhausted = True
                elif busy < self.window:
                    number = self.claims.number()
                    future = self.submit(_claimed, number, there, *sent(job))  # type: ignore[arg-type]
                    waiting.append(_Sent(future, job, number))  # type: ignore[arg-type]
                else:
                    waiting.append(_Done(here(job)))  # type: ignore[arg-type]
                continue
            if exhausted and _taken_back(waiting, here, self.claims):
                continue
            head = waiting[0]
            assert isinstance(head, _Sent)
            wait([head.future], return_when=FIRST_COMPLETED)

    def stop_now(self) -> None:
        """End the workers now: queued jobs are dropped, running ones cut short at the next record
        (a run that ends early has no use for them), and the pool shut down in order. A worker still
        busy after STOP_GRACE_SECONDS (one record that takes that long) is killed. The executor's
        own thread is waited for too: left running, it could close its wake-up pipe while Python's
        exit wakes it (CPython 3.11's race, gh-125451), which printed an OSError after the run."""
        self.stop.set()
        processes = list((self.executor._processes or {}).values()) or self.ended  # no public handle
        manager = self.ending or cast(threading.Thread | None, self.executor._executor_manager_thread)
        self.executor.shutdown(wait=False, cancel_futures=True)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for process in processes:
            process.join(timeout=max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join()
        if manager is not None:
            manager.join(timeout=STOP_GRACE_SECONDS)


def packed(value: Any) -> Any:
    """A message between processes: plain values (texts, numbers, lists, dicts, tuples) are
    marshalled, several times faster than pickling them; anything else (Decimals, dates,
    models) goes as it is and the pool pickles it. `unpacked` reads either."""
    try:
        return marshal.dumps(value)
    except (ValueError, TypeError):  # a type marshal does not write, or nesting it refuses
        return value


def unpacked(message: Any) -> Any:
    return marshal.loads(message) if isinstance(message, bytes) else message
