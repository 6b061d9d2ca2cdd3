"""The batch benchmark says how much CPU other processes took while it timed a run: a
two-process figure means something only when that is near zero (benchmarks/run.py)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from benchmarks.run import machine_busy, wall_and_cpu

pytestmark = pytest.mark.skipif(not Path("/proc/stat").exists(), reason="needs Linux's /proc/stat")

SPIN = "import time\nend = time.process_time() + 0.4\nwhile time.process_time() < end: pass"


def test_a_process_the_work_does_not_wait_for_counts_as_another_s() -> None:
    spinner: list[subprocess.Popen[bytes]] = []

    def work() -> str:
        spinner.append(subprocess.Popen([sys.executable, "-c", SPIN]))
        time.sleep(1.5)  # the spinner ends meanwhile, but is reaped only after the clock
        return "made"

    wall, cpu, others, made = wall_and_cpu(work)
    spinner[0].wait()
    assert made == "made" and wall >= 1.5
    assert cpu < 0.2  # sleeping, and the spinner is not its waited child
    assert others >= 0.35  # the spinner's 0.4 s of CPU (and whatever else ran)


def test_a_child_the_work_waits_for_is_the_work_s_cpu() -> None:
    before = machine_busy()
    _, cpu, _, _ = wall_and_cpu(lambda: subprocess.run([sys.executable, "-c", SPIN], check=True))
    assert cpu >= 0.4
    assert machine_busy() - before >= 0.4
