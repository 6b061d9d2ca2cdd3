"""The benchmark suite: the engine against a hand-written scorer of the same ruleset.

    python benchmarks/run.py                    # 6,280 and 100,000 records, JSON to benchmarks/results/
    python benchmarks/run.py --sizes 6280 --repeat 3
    python benchmarks/run.py --million          # also stream 1,000,000 JSON lines with 2 workers

Everything runs in one process on the same records (the spec's `party_gov` ruleset and the
seeded generator in `benchmarks/records.py`), so the ratios compare like with like on a
machine that may be busy: each figure is the fastest of `--repeat` passes. Reported per
configuration: µs/record, records/s and the ratio to the baseline. Peak memory is the
process's peak RSS after each size, and for the million-record run the streaming child's.
"""

from __future__ import annotations

import argparse
import decimal
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
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import indicator_dsl  # noqa: E402
from benchmarks import baseline, records  # noqa: E402 - the repository root is put on the path first
from indicator_dsl.evaluate.inputs import loads  # noqa: E402
from indicator_dsl.semantics.arithmetic import EXACT  # noqa: E402

RULESET = ROOT / "benchmarks" / "party_gov.ind"  # examples/spec/rulesets/party_gov.ind with a local import


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

    def engine_end_to_end() -> None:
        with decimal.localcontext(EXACT):
            for line in lines:
                engine.finish(engine.score(loads(line))).model_dump_json()

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
            "from indicator_dsl.evaluate.parallel import stream_jsonl; "
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
    parser.add_argument("--sizes", type=int, nargs="+", default=[6280, 100_000])
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
