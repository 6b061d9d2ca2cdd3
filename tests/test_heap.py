"""`keep_freed_memory`: in a process the engine owns, malloc takes megabyte buffers from its
heap and keeps them once freed (glibc), so a process that makes and frees such buffers one
after another (a worker's messages) stops faulting the same pages in again. The setting is a
whole process's: each case runs in a new process (a command, a worker), never in this one."""

from __future__ import annotations

import platform
import subprocess
import sys

import pytest
from support import ROOT

import indicator_dsl
from indicator_dsl.evaluate import workers

pytestmark = pytest.mark.skipif(
    platform.libc_ver()[0] != "glibc", reason="malloc is tuned with glibc's mallopt (Linux with glibc)"
)

# 100 messages the size of a range's result lines, each copied as a message between processes is
MESSAGES = """
import resource
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for n in range(100):
    message = b"x" * (768 << 10)
    copies = [message + b"", bytes(bytearray(message)), message[1:]]
    del message, copies
count = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
"""


def _page_faults(setting: str) -> int:
    kept = "from indicator_dsl.evaluate.heap import keep_freed_memory; assert keep_freed_memory()\n"
    script = (kept if setting == "kept" else "") + MESSAGES + "print(count)"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return int(done.stdout)


def test_freed_buffers_are_kept_for_the_next_ones() -> None:
    default, kept = _page_faults("default"), _page_faults("kept")
    assert kept < 2_000  # the first message's pages, once (about 770 here)
    assert default > 10 * kept  # glibc's defaults fault them in again for each message (about 55,000)


def _message_faults() -> int:
    made: dict[str, int] = {}
    exec(MESSAGES, made)
    return made["count"]


@pytest.mark.skipif(not workers.inherits(), reason="the job's function is inherited by forked workers")
def test_a_worker_process_keeps_freed_memory() -> None:
    """A worker sets it when it starts (this test's own process never does)."""
    model = indicator_dsl.load(ROOT / "benchmarks" / "party_gov.ind")
    with workers.worker_pool(model, 2, None) as pool:
        in_worker = pool.submit(_message_faults).result()
    assert in_worker < 2_000
