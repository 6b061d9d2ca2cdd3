"""`workers=N` is N scoring processes: the parent takes a job itself whenever the N - 1
workers have their window queued (`Pool.in_order`), and results still come in job order.
The jobs here are numbers: a worker squares them slowly, the parent at once, so both take
some, the parent finishes first and must not give its results before the worker's."""

from __future__ import annotations

import itertools
import multiprocessing
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from support import ROOT

import indicator_dsl
from indicator_dsl.evaluate import workers
from indicator_dsl.evaluate.workers import worker_pool

Square = tuple[str, int, int]  # who squared it, in which process, the square
pytestmark = pytest.mark.skipif(not workers.inherits(), reason="the jobs' function is inherited by forked workers")


def _slow_square(number: int) -> Square:
    time.sleep(0.05)
    return "worker", os.getpid(), number * number


def _squares(count: int, there: Callable[[int], Square]) -> tuple[list[Square], list[int]]:
    """The squares of 0..count-1 through `in_order` with one worker (`there`) and the parent;
    and the numbers the parent squared itself."""
    model = indicator_dsl.load(ROOT / "benchmarks" / "party_gov.ind")
    here_took: list[int] = []

    def here(number: int) -> Square:
        here_took.append(number)
        return "parent", os.getpid(), number * number

    with worker_pool(model, 2, None) as pool:
        assert pool.window == 4  # four jobs queued for the one worker
        return list(pool.in_order(range(count), here, there, lambda n: (n,), lambda message: message)), here_took


def test_the_parent_takes_jobs_while_the_workers_are_busy_and_the_order_is_kept() -> None:
    done, here_took = _squares(40, _slow_square)
    assert [square for _, _, square in done] == [n * n for n in range(40)]
    by_worker = [n for n, (who, pid, _) in enumerate(done) if who == "worker"]
    assert by_worker[:4] == [0, 1, 2, 3]  # the window is filled first
    assert all(pid != os.getpid() for who, pid, _ in done if who == "worker")
    assert here_took and sorted(here_took + by_worker) == list(range(40))
    assert all(pid == os.getpid() for who, pid, _ in done if who == "parent")


def _most_waiting(kept: bool) -> int:
    """100 jobs through `in_order`, the worker slow and the parent instant: the most jobs
    taken but not yet given back at any moment (results come in order all the same)."""
    model = indicator_dsl.load(ROOT / "benchmarks" / "party_gov.ind")
    counts = {"taken": 0, "given": 0, "most": 0}

    def jobs() -> Iterator[int]:
        for number in range(100):
            counts["taken"] += 1
            counts["most"] = max(counts["most"], counts["taken"] - counts["given"])
            yield number

    def here(number: int) -> Square:
        return "parent", os.getpid(), number * number

    with worker_pool(model, 2, None) as pool:
        assert pool.window == 4
        for _, _, square in pool.in_order(jobs(), here, _slow_square, lambda n: (n,), lambda m: m, kept=kept):
            assert square == counts["given"] ** 2
            counts["given"] += 1
    assert counts["given"] == 100
    return counts["most"]


def test_results_waiting_for_a_slow_job_are_bounded() -> None:
    """The parent, much faster than the worker, stops taking jobs once 2 × window + 1 results
    wait for the worker's job at the head: jobs taken less results given never exceeds it."""
    assert _most_waiting(kept=False) == 2 * 4 + 1


def test_a_batch_that_keeps_every_result_never_waits_for_a_slower_worker() -> None:
    """With `kept` (a batch in memory, which keeps every result anyway) the parent goes on
    taking jobs while the worker is busy, past the bound a stream keeps to."""
    assert _most_waiting(kept=True) > 2 * 4 + 1


def test_the_pipes_to_and_from_the_workers_are_widened() -> None:
    """A range's results (about a megabyte) go to the parent in one write, not in 64 KB pieces
    that each wait for the parent's reading thread."""
    fcntl = pytest.importorskip("fcntl", reason="pipes are widened on Linux only")
    if not hasattr(fcntl, "F_GETPIPE_SZ"):
        pytest.skip("pipes are widened on Linux only")
    if int(Path("/proc/sys/fs/pipe-max-size").read_text()) < workers.PIPE_BYTES:
        pytest.skip("this system's pipe-max-size is below PIPE_BYTES: pipes keep their size")
    model = indicator_dsl.load(ROOT / "benchmarks" / "party_gov.ind")
    with worker_pool(model, 2, None) as pool:
        for queue in (pool.executor._call_queue, pool.executor._result_queue):
            assert fcntl.fcntl(queue._reader.fileno(), fcntl.F_GETPIPE_SZ) == workers.PIPE_BYTES


def _slower_square(number: int) -> Square:
    time.sleep(0.3)
    return "worker", os.getpid(), number * number


def test_jobs_no_worker_has_started_are_taken_back_at_the_end() -> None:
    """Once every job is given out, the parent does itself the jobs still queued for a busy
    worker (their futures cancel) instead of waiting for them."""
    done, here_took = _squares(8, _slower_square)
    assert [square for _, _, square in done] == [n * n for n in range(8)]
    by_worker = [n for n, (who, _, _) in enumerate(done) if who == "worker"]
    assert by_worker == [n for n in range(4) if n not in here_took]  # each job done once
    assert set(range(4)) & set(here_took)  # a job first given to the worker, taken back


# the worker's first job has started; it may end
STARTED, HELD = (multiprocessing.get_context("fork").Event() for _ in "ab") if workers.inherits() else (None, None)


def _held_square(number: int) -> Square:
    """The worker's first job lasts until the parent has taken back the second (or 10 s)."""
    if number == 0 and STARTED is not None and HELD is not None:
        STARTED.set()
        HELD.wait(10)
    return "worker", os.getpid(), number * number


def test_jobs_already_in_a_workers_queue_are_taken_back_too() -> None:
    """The executor moves the next two jobs into the busy worker's queue, where their futures
    no longer cancel: the parent claims them back (`Claims`) and the worker skips them. Job 0
    ends only once the parent has squared job 1 itself, so the worker never starts 1 or 2;
    the parent squares its own jobs once the worker has started job 0."""
    assert STARTED is not None and HELD is not None
    STARTED.clear()
    HELD.clear()
    model = indicator_dsl.load(ROOT / "benchmarks" / "party_gov.ind")
    here_took: list[int] = []

    def here(number: int) -> Square:
        here_took.append(number)
        if number == 4:
            assert STARTED.wait(10)
        if number == 1:
            HELD.set()
        return "parent", os.getpid(), number * number

    started = time.monotonic()
    with worker_pool(model, 2, None) as pool:
        done = list(pool.in_order(range(8), here, _held_square, lambda n: (n,), lambda message: message))
    assert time.monotonic() - started < 8  # job 0 was let go by the parent, not by its timeout
    assert [square for _, _, square in done] == [n * n for n in range(8)]
    assert [n for n, (who, _, _) in enumerate(done) if who == "worker"] == [0]
    assert sorted(here_took) == list(range(1, 8))


@given(total=st.integers(0, 5000), size=st.integers(1, 600), least=st.integers(1, 100))
def test_spans_cover_every_position_once_and_shrink_at_the_end(total: int, size: int, least: int) -> None:
    """Jobs follow each other without gap or overlap, none longer than `size` but the last,
    which takes a remainder under `least`; none shorter than `least` unless the whole is;
    shorter and shorter toward the end."""
    assume(least <= size)
    cut = list(workers.spans(total, size, least))
    assert [position for span in cut for position in range(*span)] == list(range(total))
    lengths = [stop - start for start, stop in cut]
    assert all(least <= length <= size for length in lengths[:-1])
    assert not lengths or min(total, least) <= lengths[-1] < size + least
    assert all(a >= b for a, b in itertools.pairwise(lengths[:-1]))


def test_the_last_parts_of_a_batch_are_short() -> None:
    """100,000 records in parts of 500 end in parts of about 50: a worker holding the last two
    (which no process can take back) keeps the others waiting a tenth of two full parts."""
    lengths = [stop - start for start, stop in workers.spans(100_000, 500, 50)]
    assert lengths == [500] * 197 + [375, 281, 211, 158, 118, 89, 67, 50, 50, 50, 51]


def test_redo_parts_are_sorted_and_shrink_to_redo_part() -> None:
    """2,002 moved records for two processes: parts of a quarter of a process's share
    (251), shrinking to REDO_PART (50) toward the end."""
    parts = workers.redo_parts([9, 3, *range(100, 2100)], processes=2)
    assert [p for part in parts for p in part] == [3, 9, *range(100, 2100)]
    assert [len(part) for part in parts] == [251, 251, 251, 251, 249, 187, 140, 105, 79, 59, 50, 50, 79]
    assert [len(part) for part in workers.redo_parts(range(120))] == [50, 70]


def test_released_workers_end_before_the_pool_is_left_and_results_stay_in_order() -> None:
    """`release` tells the workers to end once the last job is given out; the jobs already
    queued are still done, and leaving `worker_pool` waits until the workers have ended."""
    model = indicator_dsl.load(ROOT / "benchmarks" / "party_gov.ind")
    with worker_pool(model, 2, None) as pool:
        done = list(
            pool.in_order(
                range(12), lambda n: ("parent", os.getpid(), n * n), _slow_square, lambda n: (n,), lambda m: m
            )
        )
        pool.release()
        ended = pool.ended
        assert ended and pool.ending is not None
    assert [square for _, _, square in done] == [n * n for n in range(12)]
    assert all(not process.is_alive() for process in ended)
    assert not pool.ending.is_alive()
