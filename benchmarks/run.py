"""The benchmark suite: the engine against a hand-written scorer of the same ruleset.

    python benchmarks/run.py                    # batches at 100,000; per record at 6,280; JSON to benchmarks/results/
    python benchmarks/run.py --batch 20000 --sizes 6280 --repeat 3
    python benchmarks/run.py --million          # also stream 1,000,000 JSON lines with 2 workers

Batches (issue 14), on the same records in one run, in interleaved rounds, fastest kept:
the hand-written scorer in process (dicts in: its own validation, scoring and quota; result
dicts out) against `evaluate_many` with 1 and 2 workers (validate, score, quota, Results
available); the hand-written file-to-file script (`python -m benchmarks.baseline IN OUT`)
against `ind eval IN --format jsonl --out OUT` with 1 and 2 workers, each a new process.
Printed with the ratios the issue sets targets for. Peak memory of each in-process batch
is measured in a child process of its own (VmHWM), beside a child that only holds the records.

Per record, everything runs in one process on the same records (the spec's `party_gov`
ruleset and the seeded generator in `benchmarks/records.py`), so the ratios compare like
with like on a machine that may be busy: each figure is the fastest of `--repeat` passes.
Reported per configuration: µs/record, records/s and the ratio to the baseline.
"""

from __future__ import annotations

import argparse
import decimal
import gc
import importlib.util
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import indicator_dsl  # noqa: E402
from benchmarks import baseline, records  # noqa: E402 - the repository root is put on the path first
from indicator_dsl.api import Model  # noqa: E402
from indicator_dsl.evaluate.inputs import JsonLine  # noqa: E402
from indicator_dsl.evaluate.results import Compact  # noqa: E402
from indicator_dsl.semantics.arithmetic import EXACT  # noqa: E402

RULESET = ROOT / "benchmarks" / "party_gov.ind"  # examples/spec/rulesets/party_gov.ind with a local import
# a new process starts as on an installed package: with its bytecode cached (a machine that
# sets PYTHONDONTWRITEBYTECODE compiles every module of every new process from source)
T = TypeVar("T")
INSTALLED = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def best_of(repeat: int, work: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - started)
    return best


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(size: int, repeat: int, interpreter_cap: int) -> dict[str, Any]:
    raw = records.generate_party_gov_records(size, seed=1)
    lines = [json.dumps(r, ensure_ascii=False) for r in raw]
    encoded = [line.encode("utf-8") for line in lines]
    parsed = [baseline.parse_record(r) for r in raw]
    compiled = indicator_dsl.load(RULESET)
    interpreted = indicator_dsl.load(RULESET, backend="interpreted")
    engine = compiled.engine
    prepared = [engine.prepare(r)[:2] for r in raw]
    sample = prepared[:interpreter_cap]

    def run_baseline() -> None:
        for record in parsed:
            baseline.score_record(record, record["sheets"])

    def run(
        engine_: Any, items: Sequence[tuple[Any, Any]], *, trace: bool = False, finish: bool = False
    ) -> Callable[[], None]:
        def work() -> None:
            with decimal.localcontext(EXACT):
                for record, sheets in items:
                    pending = engine_.score_valid(record, sheets, None, [], trace=trace)
                    if finish:
                        engine_.finish(pending)
                    elif pending.scored is not None:
                        engine_.outcomes(record, pending.scored)

        return work

    def validate_only() -> None:
        for record in raw:
            engine.prepare(record)

    def engine_end_to_end() -> None:  # as `ind eval` does: the line read in one step, written from its values
        with decimal.localcontext(EXACT):
            for number, line in enumerate(encoded, 1):
                finished = engine.finish_compact(engine.score(JsonLine(line, number)))
                finished.line_bytes() if isinstance(finished, Compact) else finished.model_dump_json()

    def baseline_end_to_end() -> None:
        for line in lines:
            baseline.score_jsonl_line(line)

    configurations: dict[str, tuple[Callable[[], object], int]] = {
        "baseline": (run_baseline, size),
        "compiled": (run(engine, prepared), size),
        "compiled + Result": (run(engine, prepared, finish=True), size),
        "compiled, trace on": (run(compiled.engine, prepared, trace=True), size),
        "interpreter": (run(interpreted.engine, sample), len(sample)),
        "validation alone": (validate_only, size),
        "baseline end to end (JSON line in, line out)": (baseline_end_to_end, size),
        "engine end to end (JSON line in, line out)": (engine_end_to_end, size),
    }
    # Interleaved rounds, fastest of each: a busy machine slows every configuration alike.
    timings = {name: float("inf") for name in configurations}
    for _ in range(repeat):
        for name, (work, count) in configurations.items():
            timings[name] = min(timings[name], best_of(1, work) / count)
    base, e2e_base = timings["baseline"], timings["baseline end to end (JSON line in, line out)"]
    rows = {}
    for name, seconds in timings.items():
        reference = e2e_base if "end to end" in name else base
        rows[name] = {
            "us_per_record": round(seconds * 1e6, 2),
            "records_per_s": round(1 / seconds),
            "ratio_to_baseline": round(seconds / reference, 3),
        }
    rows["compiled, trace on"]["ratio_to_trace_off"] = round(timings["compiled, trace on"] / timings["compiled"], 3)
    return {"records": size, "interpreter_records": len(sample), "peak_rss_mb": round(peak_mb(), 1), "timings": rows}


def hand_written_batch(raw: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The hand-written scorer over a batch of decoded records: its own validation, the
    scores, the quota; a record it refuses keeps its place with its errors."""
    results: list[dict[str, Any]] = []
    typed: list[dict[str, Any]] = []
    for obj in raw:
        try:
            record = baseline.parse_record(obj)
        except baseline.RecordError as error:
            results.append(baseline.error_json(error.record_id, error.errors))
            typed.append(dict(obj))
            continue
        results.append(baseline.score_record(record))
        typed.append(record)
    return baseline.apply_quota(results, typed)


BATCH_ROWS = {
    "hand": "hand-written, in process (dicts in, results out, quota)",
    "many1": "evaluate_many(records)",
    "many2": "evaluate_many(records, workers=2)",
    "many1_halves": "evaluate_many of each half, in this process and a forked one, nothing sent back",
    "hand_file": "hand-written script, JSONL file to file (new process)",
    "cli1": "ind eval JSONL -> JSONL, 1 worker (new process)",
    "cli2": "ind eval JSONL -> JSONL, 2 workers (new process)",
    "cli1_pair": "two ind eval JSONL -> JSONL, 1 worker each, side by side (for both)",
    "zen": "GoRules ZEN, in process (dicts in, results out, quota)",
}


def batches(size: int, repeat: int) -> dict[str, Any]:
    """The in-process batch and the command line against the hand-written scorer, same records."""
    raw = records.generate_party_gov_records(size, seed=1)
    model = indicator_dsl.load(RULESET)
    with tempfile.TemporaryDirectory() as folder:
        source, out = Path(folder) / "records.jsonl", Path(folder) / "results.jsonl"
        records.write_jsonl(source, raw)

        def command(*args: str) -> Callable[[], Callable[[], None]]:
            def work() -> Callable[[], None]:
                done = subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, env=INSTALLED)
                assert done.returncode in (0, 1), done.stderr
                return lambda: _check_lines(out, size)  # after the clock: counting lines is no part of the command

            return work

        def cli(workers: int) -> Callable[[], Callable[[], None]]:
            args = ["-m", "indicator_dsl", "eval", str(RULESET), str(source), "--format", "jsonl", "--out", str(out)]
            return command(*args, "--workers", str(workers))

        def two_at_once() -> None:
            """Two `ind eval --workers 1` of the same records side by side, each to its own file:
            no work is shared, so their time against one's says what two cores of this machine
            give two processes (the ceiling of any two-worker run)."""
            outs = [Path(folder) / f"side-{n}.jsonl" for n in (1, 2)]
            args = ["-m", "indicator_dsl", "eval", str(RULESET), str(source), "--format", "jsonl", "--out"]
            quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
            runs = [subprocess.Popen([sys.executable, *args, str(o)], cwd=ROOT, env=INSTALLED, **quiet) for o in outs]
            assert all(run.wait() in (0, 1) for run in runs)

        work: dict[str, Callable[[], object]] = {
            "hand": lambda: hand_written_batch(raw),
            "many1": lambda: model.evaluate_many(raw),
            "many2": lambda: model.evaluate_many(raw, workers=2),
            "many1_halves": lambda: forked_halves(model, raw),
            "hand_file": command("-m", "benchmarks.baseline", str(source), str(out)),
            "cli1": cli(1),
            "cli2": cli(2),
            "cli1_pair": two_at_once,
        }
        if importlib.util.find_spec("zen") is not None:  # the peer: pip install zen-engine (the dev extra)
            from benchmarks.zen_peer import zen_batch

            work["zen"] = lambda: zen_batch(raw)
        seconds = {name: float("inf") for name in work}
        cpu = {name: float("inf") for name in work}
        others = {name: 0.0 for name in work}  # CPU seconds other processes used during the fastest run
        for _ in range(repeat):
            for name, job in work.items():
                wall, used, beside, made = wall_and_cpu(job)
                if callable(made):  # a command's check of its output, run after the clock
                    made()
                del made  # a batch's results freed after the clock, as a caller keeps them while it reads them
                if wall < seconds[name]:
                    seconds[name], others[name] = wall, beside
                cpu[name] = min(cpu[name], used)
    us = {name: seconds[name] / size * 1e6 for name in work}
    ratios = {
        "evaluate_many / hand-written in process (target <= 1.5)": us["many1"] / us["hand"],
        "ind eval 1 worker / hand-written file to file (target <= 0.8)": us["cli1"] / us["hand_file"],
        "API throughput, 2 workers / 1 (target >= 1.8)": us["many1"] / us["many2"],
        "CLI throughput, 2 workers / 1 (target >= 1.8)": us["cli1"] / us["cli2"],
        "two 1-worker commands side by side / one (the machine's ceiling for 2)": 2 * us["cli1"] / us["cli1_pair"],
        "each half in a forked process, nothing sent back / one (the API's ceiling for 2 forked)": us["many1"]
        / us["many1_halves"],
    }
    if "zen" in us:
        ratios["GoRules ZEN / hand-written in process"] = us["zen"] / us["hand"]
    return {
        "records": size,
        "us_per_record": {BATCH_ROWS[k]: round(v, 1) for k, v in us.items()},
        "cpu_us_per_record": {BATCH_ROWS[k]: round(v / size * 1e6, 1) for k, v in cpu.items()},
        "others_cpu_s": {BATCH_ROWS[k]: round(v, 2) for k, v in others.items()},
        "ratios": {k: round(v, 2) for k, v in ratios.items()},
        "peak_mb": batch_memory(size),
    }


def forked_halves(model: Model, raw: list[dict[str, Any]]) -> None:
    """The first half of a batch in memory scored by a forked process, the second by this one,
    nothing sent back and no quota across them: what two processes can do with records
    that both inherit, where each pays for the pages of them it touches (copy-on-write)."""
    half = len(raw) // 2
    gc.freeze()  # as a pool does before it forks
    try:
        child = os.fork()
        if child == 0:
            try:
                model.evaluate_many(raw[:half])
            finally:
                os._exit(0)
        model.evaluate_many(raw[half:])
        os.waitpid(child, 0)
    finally:
        gc.unfreeze()


def wall_and_cpu(work: Callable[[], T]) -> tuple[float, float, float, T]:
    """Wall seconds of `work`, the CPU seconds it used in this process and in the child
    processes it waited for (workers, a command), the CPU seconds every other process of the
    machine used meanwhile (0 where /proc/stat is not there), and what it returned, still
    held (so that freeing a batch's results is not timed as part of the call). On a busy
    machine the CPU time still says how much work each configuration does, where the wall
    time also says how long it waited; a two-process run shares two cores with whatever else
    runs, so its figure counts only when the others' CPU is near zero."""

    def used() -> float:
        own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime

    busy, cpu, started = machine_busy(), used(), time.perf_counter()
    made = work()
    wall, cpu = time.perf_counter() - started, used() - cpu
    return wall, cpu, max(0.0, machine_busy() - busy - cpu), made


def machine_busy() -> float:
    """CPU seconds the whole machine has been busy since it started (user, nice, system, irq,
    softirq in /proc/stat); 0 where there is no /proc/stat."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    except OSError:
        return 0.0
    return sum(int(fields[i]) for i in (0, 1, 2, 5, 6)) / os.sysconf("SC_CLK_TCK")


def _check_lines(out: Path, size: int) -> None:
    with out.open("rb") as lines:
        assert sum(1 for _ in lines) == size


def batch_memory(size: int) -> dict[str, int]:
    """Peak RSS (VmHWM) of a child that generates the records and runs one batch over them,
    for each batch; `records only` generates them and stops."""
    jobs = {
        "records only": "pass",
        "hand-written, in process": "from benchmarks.run import hand_written_batch; kept = hand_written_batch(raw)",
        "evaluate_many(records)": "kept = indicator_dsl.load(sys.argv[2]).evaluate_many(raw)",
    }
    found: dict[str, int] = {}
    for name, job in jobs.items():
        script = (
            "import sys; sys.path.insert(0, sys.argv[3]); import indicator_dsl; from benchmarks import records; "
            f"raw = records.generate_party_gov_records(int(sys.argv[1]), seed=1); {job}; print({_peak_mb_script()})"
        )
        done = subprocess.run(
            [sys.executable, "-c", script, str(size), str(RULESET), str(ROOT)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        found[name] = int(done.stdout.split()[-1])
    return found


def check_times() -> dict[str, Any]:
    rulesets = sorted(str(p) for p in (ROOT / "rulesets").rglob("*.ind"))
    code = (
        "import time,sys; t=time.perf_counter(); from indicator_dsl.check.paths import check_paths; "
        "r=check_paths(sys.argv[1:]); print(time.perf_counter()-t, len(r.errors))"
    )
    cold = []
    for _ in range(3):
        started = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", code, *rulesets], capture_output=True, text=True, check=True)
        cold.append((time.perf_counter() - started, float(out.stdout.split()[0])))
    from indicator_dsl.check.paths import check_paths

    check_paths(rulesets)
    warm = best_of(3, lambda: check_paths(rulesets))
    started = time.perf_counter()
    version = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from indicator_dsl.cli.main import main; main(['--version']);"
            "print(sorted(m for m in ('pydantic', 'lark') if m in sys.modules))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return {
        "files": len(rulesets),
        "cold_process_total_s": round(min(c[0] for c in cold), 3),
        "cold_check_in_process_s": round(min(c[1] for c in cold), 3),
        "warm_check_s": round(warm, 3),
        "ind_version_s": round(time.perf_counter() - started, 3),
        "ind_version_imports": version.stdout.strip().splitlines()[-1],
    }


def _tree_rss_mb(pid: int) -> int:
    """Resident memory of a process and all its descendants, now (sampled by the caller)."""
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        total += next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS")), 0)
        stack.extend(int(c) for c in children)
    return total // 1024


def _peak_mb_script() -> str:
    """VmHWM of this process: its own peak, not one inherited across fork/exec like ru_maxrss."""
    return "int(next(l for l in open('/proc/self/status') if l.startswith('VmHWM')).split()[1]) // 1024"


def million(workers: int) -> dict[str, Any]:
    """Stream 1,000,000 JSON lines through `ind eval`'s streaming path with `workers` processes.

    The input repeats 10,000 generated records under new ids (generating a million distinct
    ones takes minutes and is not what is measured); departments keep their sizes, so the
    quota groups are 100 times larger."""
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "million.jsonl"
        started = time.perf_counter()
        block = records.generate_party_gov_records(10_000, seed=100)
        with source.open("w", encoding="utf-8") as handle:
            for copy in range(100):
                for record in block:
                    handle.write(json.dumps(dict(record, id=f"M{copy:03d}{record['id']}"), ensure_ascii=False) + "\n")
        generated = time.perf_counter() - started
        out = Path(folder) / "results.jsonl"
        script = (
            "import sys, time; from pathlib import Path; import indicator_dsl; "
            "from indicator_dsl.evaluate.stream import stream_jsonl; "
            "m = indicator_dsl.load(sys.argv[1]); t = time.perf_counter(); "
            "n, failed = stream_jsonl(m, [Path(sys.argv[2])], Path(sys.argv[3]), workers=int(sys.argv[4])); "
            f"print(time.perf_counter() - t, n, failed, {_peak_mb_script()})"
        )
        child = subprocess.Popen(
            [sys.executable, "-c", script, str(RULESET), str(source), str(out), str(workers)],
            stdout=subprocess.PIPE,
            text=True,
        )
        tree_peak = 0
        while child.poll() is None:
            tree_peak = max(tree_peak, _tree_rss_mb(child.pid))
            time.sleep(0.5)
        assert child.stdout is not None and child.returncode == 0
        seconds, count, failed, main_mb = child.stdout.read().split()
        lines = sum(1 for _ in out.open(encoding="utf-8"))
        return {
            "records": int(count),
            "result_lines": lines,
            "failed": int(failed),
            "workers": workers,
            "input_mb": round(source.stat().st_size / 2**20),
            "generate_s": round(generated, 1),
            "score_s": round(float(seconds), 1),
            "records_per_s": round(int(count) / float(seconds)),
            "peak_rss_mb_main": int(main_mb),
            "peak_rss_mb_all_processes": tree_peak,
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark the engine against the hand-written baseline.")
    parser.add_argument("--sizes", type=int, nargs="*", default=[6280], help="per-record timings at these sizes")
    parser.add_argument("--batch", type=int, default=100_000, help="records of the batch section (0: skip it)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--interpreter-cap", type=int, default=6280, help="records for the (slow) interpreter run")
    parser.add_argument("--million", action="store_true", help="also stream 1,000,000 records with --workers")
    parser.add_argument("--only-million", action="store_true", help="skip the per-size timings and the check times")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "latest.json")
    args = parser.parse_args(argv)
    report: dict[str, Any] = {
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "load_average": os.getloadavg(),
        },
        "ruleset": str(RULESET.relative_to(ROOT.parent) if RULESET.is_relative_to(ROOT.parent) else RULESET),
        "sizes": [],
    }
    if args.batch and not args.only_million:
        report["batch"] = found = batches(args.batch, args.repeat)
        print(f"\nbatches of {args.batch:,} records (fastest of {args.repeat})")
        for name, us in found["us_per_record"].items():
            cpu, beside = found["cpu_us_per_record"][name], found["others_cpu_s"][name]
            print(f"  {name:<58} {us:>9.1f} µs/record  (CPU {cpu:.1f} µs; other processes {beside:.2f} s)")
        for name, ratio in found["ratios"].items():
            print(f"  {name:<66} {ratio:>5.2f}")
        print(f"  peak memory, MB: {found['peak_mb']}")
    for size in [] if args.only_million else args.sizes:
        result = measure(size, args.repeat, min(size, args.interpreter_cap))
        report["sizes"].append(result)
        print(f"\n{size:,} records (peak RSS {result['peak_rss_mb']} MB)")
        for name, row in result["timings"].items():
            extra = f"  trace/no-trace {row['ratio_to_trace_off']}x" if "ratio_to_trace_off" in row else ""
            print(
                f"  {name:<46} {row['us_per_record']:>9.1f} µs  {row['records_per_s']:>9,}/s  "
                f"x{row['ratio_to_baseline']:.2f}{extra}"
            )
    if not args.only_million:
        report["check"] = check_times()
        print("\nparse + check of the shipped rulesets:", report["check"])
    if args.million or args.only_million:
        report["million"] = million(args.workers)
        print("\n1,000,000 records streamed:", report["million"])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"\nwritten: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
