"""Faults during long runs (issue 9 §5): signals, output paths, and files edited mid-run.

The signal tests start a real `ind eval --workers 3 --out F` (the parent and two worker
processes score) on a few thousand generated records, in its own process group, and send
SIGTERM or SIGINT to the parent alone while the first pass (workers scoring) or the second
pass (re-scoring the records a quota moved) runs.
Afterwards no process of that group may be left, no temporary file beside F, and F must hold
what it held before. The ruleset is `benchmarks/party_gov.ind` with a quota that demotes most
`standard` branches, so that the second pass has thousands of records to re-score.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from benchmarks.records import generate_party_gov_records, write_jsonl

import indicator_dsl
from indicator_dsl.evaluate import stream, workers
from indicator_dsl.evaluate.stream import stream_jsonl
from indicator_dsl.evaluate.workers import WorkerSetupError

REPO = Path(__file__).resolve().parent.parent
BENCHMARKS = REPO / "benchmarks"
PROVINCE = REPO / "rulesets" / "jiangsu"
SAMPLE = REPO / "examples" / "province" / "sample.jsonl"
PREVIOUS = "the previous results\n"
RECORDS = 8000  # enough that pass two (re-scoring the moved records) outlasts a busy machine's delay in signalling it

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads processes from /proc")


@pytest.fixture(scope="module")
def workload(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(ruleset, records): party_gov with a quota that moves most records, and RECORDS records
    (a quarter of them generated, written four times over with fresh ids)."""
    folder = tmp_path_factory.mktemp("workload")
    shutil.copytree(BENCHMARKS / "schema", folder / "schema")
    text = (BENCHMARKS / "party_gov.ind").read_text(encoding="utf-8")
    quota = "quota advanced at most 20% within department ties demote"
    assert quota in text
    ruleset = folder / "party_gov.ind"
    ruleset.write_text(text.replace(quota, "quota standard at most 5% within department ties demote"), "utf-8")
    base = generate_party_gov_records(RECORDS // 4, seed=7)
    records = [{**r, "id": f"{r['id']}-{copy}"} for copy in range(4) for r in base]
    write_jsonl(folder / "records.jsonl", records)
    return ruleset, folder / "records.jsonl"


def live_processes(*, group: int | None = None, parent: int | None = None) -> list[int]:
    """Pids of the live processes in a process group or with a parent (read from /proc; a zombie
    has ended and counts as gone)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        state, ppid, pgrp = fields[0], int(fields[1]), int(fields[2])
        if state != "Z" and (pgrp == group or ppid == parent):
            found.append(int(entry.name))
    return found


def group_members(group: int) -> list[int]:
    return live_processes(group=group)


def my_children() -> list[int]:
    """This process's live children but multiprocessing's resource tracker, which the first
    spawned worker starts and which stays until this process ends (Python's own helper)."""
    return [pid for pid in live_processes(parent=os.getpid()) if not _resource_tracker(pid)]


def _resource_tracker(pid: int) -> bool:
    try:
        return b"resource_tracker" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def temporaries(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}."))


def ind(*args: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "indicator_dsl", *map(str, args)], capture_output=True, text=True, timeout=120
    )


def _wait_for(condition: Callable[[], bool], process: subprocess.Popen[str], what: str) -> None:
    deadline = time.monotonic() + 60
    while not condition():
        assert process.poll() is None, f"ind finished before `{what}`; make the workload larger"
        assert time.monotonic() < deadline, f"no {what} within a minute"
        time.sleep(0.005)


def first_pass_running(out: Path, group: int) -> bool:
    """The workers are scoring: the parent and both workers exist, and a chunk has come back
    into the spill file."""
    spills = [out.parent / n for n in temporaries(out) if ".pass1." in n]
    return len(group_members(group)) == 3 and any(p.stat().st_size > 0 for p in spills)


def second_pass_running(out: Path, group: int) -> bool:
    """The records a quota moved are being scored again, into the finished file's temporary."""
    return any(".pass1." not in n for n in temporaries(out))


def workers_running(out: Path, group: int) -> bool:
    """Without streaming (`--format json`): the parent and both workers exist."""
    return len(group_members(group)) == 3


TERMINATED = (signal.SIGTERM, 143, "ind: terminated\n")
INTERRUPTED = (signal.SIGINT, 130, "ind: interrupted\n")


@pytest.mark.parametrize(
    ("fmt", "stage", "signum", "code", "message"),
    [
        ("jsonl", first_pass_running, *TERMINATED),
        ("jsonl", first_pass_running, *INTERRUPTED),
        ("jsonl", second_pass_running, *TERMINATED),
        ("jsonl", second_pass_running, *INTERRUPTED),
        ("json", workers_running, *TERMINATED),
    ],
    ids=["sigterm-pass1", "sigint-pass1", "sigterm-pass2", "sigint-pass2", "sigterm-json"],
)
def test_a_signal_stops_workers_removes_temporaries_and_keeps_the_output(
    workload: tuple[Path, Path],
    tmp_path: Path,
    fmt: str,
    stage: Callable[[Path, int], bool],
    signum: int,
    code: int,
    message: str,
) -> None:
    ruleset, records = workload
    out = tmp_path / f"results.{fmt}"
    out.write_text(PREVIOUS, encoding="utf-8")
    process, stdout, stderr = _interrupt(ruleset, records, fmt, out, stage, signum)
    assert (process.returncode, stdout, stderr) == (code, "", message)
    assert group_members(process.pid) == []
    assert temporaries(out) == []
    assert out.read_text(encoding="utf-8") == PREVIOUS


def test_workers_end_soon_after_their_parent_is_killed(workload: tuple[Path, Path], tmp_path: Path) -> None:
    """SIGKILL gives `ind` no chance to stop anything: the workers notice on their own. (The
    temporary file stays; the output file is still untouched.)"""
    ruleset, records = workload
    out = tmp_path / "results.jsonl"
    out.write_text(PREVIOUS, encoding="utf-8")
    process, _, _ = _interrupt(ruleset, records, "jsonl", out, first_pass_running, signal.SIGKILL)
    assert process.returncode == -signal.SIGKILL
    deadline = time.monotonic() + 5
    while group_members(process.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert group_members(process.pid) == []
    assert out.read_text(encoding="utf-8") == PREVIOUS


def _interrupt(
    ruleset: Path, records: Path, fmt: str, out: Path, stage: Callable[[Path, int], bool], signum: int
) -> tuple[subprocess.Popen[str], str, str]:
    """Run `ind eval --workers 3 --out OUT`, send `signum` to it alone (as `kill PID` does) once
    `stage` holds, and wait for it and its workers' pipes to close."""
    command = [sys.executable, "-m", "indicator_dsl", "eval", ruleset, records, "--workers", "3", "--format", fmt]
    with subprocess.Popen(
        [*map(str, command), "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own group: the workers are found by group after it ends
    ) as process:
        try:
            _wait_for(lambda: stage(out, process.pid), process, stage.__name__)
            process.send_signal(signum)
            stdout, stderr = process.communicate(timeout=30)
        finally:
            if group_members(process.pid):
                os.killpg(process.pid, signal.SIGKILL)
    return process, stdout, stderr


def test_a_signal_exception_that_python_drops_is_raised_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """An exception raised inside a `Decimal` operation called from C is printed as "Exception
    ignored" and dropped (seen under load: SIGINT in the second pass, then exit 0). `ind` raises
    it again from a timer, at a point where it ends the run."""
    from indicator_dsl.cli import main

    monkeypatch.setattr(main, "_stopping", True)  # as after the first, dropped, raise
    previous = signal.getsignal(signal.SIGALRM)
    try:
        with pytest.raises(main.Terminated):
            main._on_unraisable(types.SimpleNamespace(exc_value=main.Terminated()))
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                pass
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_an_error_in_the_second_pass_stops_workers_and_removes_temporaries(
    workload: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Any exception, not only a signal: here re-scoring a moved record fails."""
    ruleset, records = workload
    model = indicator_dsl.load(ruleset)
    out = tmp_path / "results.jsonl"
    out.write_text(PREVIOUS, encoding="utf-8")

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the disk went away")

    monkeypatch.setattr(stream, "refinish", broken)
    with pytest.raises(RuntimeError, match="the disk went away"):
        stream_jsonl(model, [records], out, workers=2)
    assert my_children() == []
    assert temporaries(out) == []
    assert out.read_text(encoding="utf-8") == PREVIOUS


def test_record_files_that_change_between_the_passes_stop_the_run(
    workload: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second pass reads the records again; lines added meanwhile would be spliced against
    the wrong results, so the run stops instead."""
    ruleset, records = workload
    model = indicator_dsl.load(ruleset)
    lines = records.read_text(encoding="utf-8").splitlines(keepends=True)[:300]
    copy = tmp_path / "records.jsonl"
    copy.write_text("".join(lines), encoding="utf-8")
    out = tmp_path / "results.jsonl"
    settle = stream.settle

    def settle_then_append(*args: Any) -> Any:
        with copy.open("a", encoding="utf-8") as handle:
            handle.write(lines[0])
        return settle(*args)

    monkeypatch.setattr(stream, "settle", settle_then_append)
    with pytest.raises(ValueError, match=r"^the record files changed while they were being scored; run again$"):
        stream_jsonl(model, [copy], out)
    assert not out.exists()
    assert temporaries(out) == []


@pytest.mark.parametrize("fmt", ["jsonl", "json"])
def test_eval_out_naming_a_folder_is_a_usage_error(workload: tuple[Path, Path], tmp_path: Path, fmt: str) -> None:
    ruleset, records = workload
    folder = tmp_path / "results"
    folder.mkdir()
    done = ind("eval", ruleset, records, "--format", fmt, "--workers", "2", "--out", folder)
    assert done.returncode == 2
    assert done.stderr == f"ind eval: cannot write {folder}: it is a folder\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results"]
    assert list(folder.iterdir()) == []


def test_eval_out_below_a_file_is_a_usage_error(workload: tuple[Path, Path], tmp_path: Path) -> None:
    ruleset, records = workload
    blocker = tmp_path / "plain.txt"
    blocker.write_text("not a folder\n", encoding="utf-8")
    done = ind("eval", ruleset, records, "--format", "jsonl", "--out", blocker / "results.jsonl")
    assert done.returncode == 2
    assert done.stderr == f"ind eval: cannot write {blocker / 'results.jsonl'}: {blocker} is not a folder\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plain.txt"]


def test_report_out_naming_a_folder_or_below_a_file_is_a_usage_error(tmp_path: Path) -> None:
    blocker = tmp_path / "plain.txt"
    blocker.write_text("not a folder\n", encoding="utf-8")
    for out, reason in [(tmp_path, "it is a folder"), (blocker / "r.html", f"{blocker} is not a folder")]:
        done = ind("report", PROVINCE / "catalog.ind", SAMPLE, "--out", out)
        assert (done.returncode, done.stdout, done.stderr) == (2, "", f"ind report: cannot write {out}: {reason}\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plain.txt"]


def _edit_province(folder: Path) -> None:
    """Change what every branch scores: the common base and one category (same names, new text)."""
    common = folder / "common.ind"
    text = common.read_text(encoding="utf-8")
    changed = text.replace("when total >= 75", "when total >= 99", 1)  # most `standard` become `lagging`
    assert changed != text
    common.write_text(changed, encoding="utf-8")
    category = folder / "categories" / "party_gov.ind"
    category.write_text(category.read_text(encoding="utf-8") + "\n# edited during the run\n", encoding="utf-8")


def test_workers_score_with_the_ruleset_the_parent_loaded(tmp_path: Path) -> None:
    """Files edited between load() and evaluate_many(workers=2) change nothing: the workers get
    the texts the parent read, and every result names the sha256 of those texts."""
    folder = tmp_path / "jiangsu"
    shutil.copytree(PROVINCE, folder)
    records = [json.loads(line) for line in SAMPLE.read_text(encoding="utf-8").splitlines()]
    catalog = indicator_dsl.load(folder / "catalog.ind")
    before = catalog.evaluate_many(records)
    _edit_province(folder)
    during = catalog.evaluate_many(records, workers=2)
    assert [r.model_dump() for r in during.results] == [r.model_dump() for r in before.results]
    shas = {name: engine.plan.sha256 for name, engine in catalog.engines.items()}
    assert {r.ruleset.sha256 for r in during.results} == {shas[r.ruleset.name] for r in during.results}
    assert len({r.ruleset.name for r in during.results}) == 13  # every ruleset of the catalog
    after = indicator_dsl.load(folder / "catalog.ind")
    assert after.sha256 != catalog.sha256
    assert [r.grade for r in after.evaluate_many(records).results] != [r.grade for r in before.results]


@pytest.mark.parametrize("start", ["fork", "spawn"])
def test_an_import_deleted_after_load_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, start: str
) -> None:
    """The workers score with the model the parent built (forked) or rebuild it from the texts
    the parent read (spawned), never from the disk."""
    monkeypatch.setattr(workers, "START_METHOD", start)
    shutil.copytree(BENCHMARKS / "schema", tmp_path / "schema")
    shutil.copy(BENCHMARKS / "party_gov.ind", tmp_path / "party_gov.ind")
    ruleset = indicator_dsl.load(tmp_path / "party_gov.ind")
    records = generate_party_gov_records(3, seed=1)
    before = [r.model_dump() for r in ruleset.evaluate_many(records).results]
    (tmp_path / "schema" / "branch.ind").unlink()
    assert [r.model_dump() for r in ruleset.evaluate_many(records, workers=2).results] == before
    assert my_children() == []


def test_a_worker_that_cannot_rebuild_the_ruleset_is_an_error_not_a_hang(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where workers are spawned (not forked: they rebuild the model from its texts), a model
    whose texts lack an import (as if it had not been read), and the file gone from disk: the
    workers cannot rebuild it; the run fails with that reason and the workers end."""
    monkeypatch.setattr(workers, "START_METHOD", "spawn")
    shutil.copytree(BENCHMARKS / "schema", tmp_path / "schema")
    shutil.copy(BENCHMARKS / "party_gov.ind", tmp_path / "party_gov.ind")
    ruleset = indicator_dsl.load(tmp_path / "party_gov.ind")
    files = tuple(f for f in ruleset.origin.files if not f[0].endswith("branch.ind"))
    ruleset.origin = dataclasses.replace(ruleset.origin, files=files)
    (tmp_path / "schema" / "branch.ind").unlink()
    reason = r'^a worker could not load the ruleset: .*cannot find "schema/branch\.ind"'
    with pytest.raises(WorkerSetupError, match=reason):
        ruleset.evaluate_many(generate_party_gov_records(3, seed=1), workers=2)
    assert my_children() == []
