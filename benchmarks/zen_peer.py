"""GoRules ZEN as a peer in the benchmarks: the ``party_gov`` ruleset as a JDM decision graph.

    python -m benchmarks.zen_peer                      # 10,000 records, fastest of 3 interleaved rounds
    python -m benchmarks.zen_peer --records 2000 --repeat 2

``benchmarks/zen/party_gov.json`` is ``benchmarks/party_gov.ind`` written as a ZEN user would write it
(input node with a JSON schema, expression nodes, decision tables for the dues bands, grades and
outcomes, output node); ``benchmarks/zen/README.md`` says how each part of the ruleset maps onto it.
:func:`zen_batch` scores decoded records (the dicts of ``benchmarks.records``) through the graph in
process, one ``ZenEngine.evaluate`` per record, then applies the quota: ZEN has no population stage, so
``quota advanced at most 20% within department ties demote`` is the hand-written scorer's own
:func:`benchmarks.baseline.apply_quota`, run in Python over ZEN's per-record results.

Numbers: ZEN computes in ``rust_decimal`` (a 96-bit decimal, 28 significant digits), so every sum and
product of this ruleset is exact inside the engine, and ``round(x, 2)`` rounds half away from zero, the
ruleset's half-up for these non-negative scores; the Python binding hands numbers back as ``int`` or
``float``. :func:`disagreements` holds every figure to the nearest float of the hand-written scorer's
exact ``Decimal`` (and grades, vetoes, outcomes and quota moves to equality).

Loading: the graph is given to ``ZenEngine`` through a static loader and run with
``engine.evaluate(key, record)``; ``engine.create_decision(graph).evaluate(record)`` gives the same
results but costs about 250 µs more CPU per call in zen-engine 2.1.3 (measured on this graph: 433 against
174 µs/record, and on an input -> output graph: 250 against 3 µs).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
from collections.abc import Mapping, Sequence
from decimal import Decimal
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

from benchmarks import baseline

__all__ = ["GRAPH", "disagreements", "zen_batch", "zen_score"]

GRAPH = Path(__file__).resolve().parent / "zen" / "party_gov.json"
_KEY = "party_gov"
# What the graph reports for a record, as the hand-written scorer names it (`total_exact` unrounded).
COMPARED = (
    "sources",
    "bonus",
    "vetoes",
    "total_exact",
    "total",
    "grade_by_rules",
    "grade_after_veto",
    "grade",
    "quota",
    "outcomes",
)


@cache
def _engine(validate: bool) -> Any:
    """One engine holding the graph (ZEN caches the compiled decision per key); without ``validate``
    the input node's JSON schema is left out (nothing checks the records)."""
    try:
        import zen
    except ModuleNotFoundError as error:
        raise ModuleNotFoundError("the ZEN peer needs GoRules ZEN: pip install zen-engine") from error
    graph = json.loads(GRAPH.read_text(encoding="utf-8"))
    if not validate:
        for node in graph["nodes"]:
            if node["type"] == "inputNode":
                node.pop("content", None)
    return zen.ZenEngine({"loader": {"type": "static", "content": {_KEY: graph}}})


def _error(record: Mapping[str, Any], error: RuntimeError) -> dict[str, Any]:
    """The hand-written scorer's error result for a record ZEN refused, with ZEN's message; a schema
    error's JSON pointer (``/meetings/0/held_on: …``) becomes the field path (``meetings[0].held_on``)."""
    text = str(error).split("\n", 1)[0]  # the rest is a Rust backtrace
    with contextlib.suppress(ValueError, KeyError, TypeError):  # ZEN's errors are JSON objects
        text = json.loads(text)["source"]
    path, message = "", text
    if text.startswith(("/", ": ")):
        pointer, _, message = text.partition(": ")
        path = ".".join(part if not part.isdigit() else f"[{part}]" for part in pointer.split("/")[1:])
        path = path.replace(".[", "[")
    return baseline.error_json(record.get("id"), [(path, message)])


def zen_score(record: Mapping[str, Any], *, validate: bool = True) -> dict[str, Any]:
    """One decoded record through the graph: its result before the quota, or, when ZEN refuses it (the
    input schema, or an expression failing on a value), an error result naming ZEN's message."""
    try:
        result: dict[str, Any] = _engine(validate).evaluate(_KEY, record)["result"]
    except RuntimeError as error:
        return _error(record, error)
    return result


def zen_batch(raw_records: Sequence[Mapping[str, Any]], *, validate: bool = True) -> list[dict[str, Any]]:
    """Decoded records (dicts as ``benchmarks.records`` makes them) scored through the ZEN graph one by
    one, then the quota over the batch (``baseline.apply_quota``); results in the records' order.
    ``validate=False`` leaves out the input schema (ZEN then checks nothing), to show what it costs."""
    return baseline.apply_quota([zen_score(record, validate=validate) for record in raw_records], raw_records)


def _differs(expected: Any, got: Any) -> bool:
    if isinstance(expected, Decimal):
        return isinstance(got, bool) or not isinstance(got, int | float) or got != float(expected)
    if isinstance(expected, Mapping):
        return not isinstance(got, Mapping) or expected.keys() != got.keys()
    return bool(expected != got)


def _walk(path: str, expected: Any, got: Any, found: dict[str, list[tuple[Any, Any]]]) -> None:
    if isinstance(expected, Mapping) and isinstance(got, Mapping) and expected.keys() == got.keys():
        for key, value in expected.items():
            _walk(f"{path}.{key}", value, got[key], found)
    elif _differs(expected, got):
        found.setdefault(path, []).append((expected, got))


def disagreements(
    zen_results: Sequence[Mapping[str, Any]], hand_results: Sequence[Mapping[str, Any]]
) -> dict[str, list[tuple[Any, Any]]]:
    """Every reported figure of each record, ZEN against the hand-written scorer: field path (``total``,
    ``sources.superior.indicators.dues`` …) -> the (hand-written, ZEN) pairs that differ. A number agrees
    when ZEN's is the float nearest the exact decimal; everything else must be equal."""
    if len(zen_results) != len(hand_results):
        raise ValueError(f"{len(zen_results)} ZEN results for {len(hand_results)} hand-written ones")
    found: dict[str, list[tuple[Any, Any]]] = {}
    for mine, theirs in zip(zen_results, hand_results, strict=True):
        for name in COMPARED:
            _walk(name, theirs.get(name), mine.get(name), found)
    return found


ROWS = {
    "hand": "hand-written, in process (dicts in, results out, quota)",
    "zen": "GoRules ZEN, in process (dicts in, results out, quota)",
    "zen_unchecked": "GoRules ZEN without its input schema (nothing validated)",
}


def main(argv: list[str] | None = None) -> int:
    """Time ZEN against the hand-written in-process batch on the same records (interleaved rounds,
    fastest kept, as benchmarks/run.py; CPU time beside wall time, for a busy machine) and print how
    many figures differ."""
    from benchmarks.records import generate_party_gov_records
    from benchmarks.run import hand_written_batch

    parser = argparse.ArgumentParser(description="GoRules ZEN against the hand-written scorer, in process.")
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    raw = generate_party_gov_records(args.records, seed=1)
    zen_results, hand_results = zen_batch(raw), hand_written_batch(raw)
    differing = disagreements(zen_results, hand_results)
    work = {
        "hand": lambda: hand_written_batch(raw),
        "zen": lambda: zen_batch(raw),
        "zen_unchecked": lambda: zen_batch(raw, validate=False),
    }
    wall = {name: float("inf") for name in work}
    cpu = dict(wall)
    for _ in range(args.repeat):
        for name, job in work.items():
            started, used = time.perf_counter(), time.process_time()
            job()
            wall[name] = min(wall[name], time.perf_counter() - started)
            cpu[name] = min(cpu[name], time.process_time() - used)

    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    print(f"{len(raw):,} records (seed 1), fastest of {args.repeat}; load average {load} on {os.cpu_count()} CPUs")
    print(f"  zen-engine {metadata.version('zen-engine')}, graph {GRAPH.relative_to(GRAPH.parents[2])}")
    print(f"  {'':<58} {'µs/record':>10} {'CPU µs':>8} {'ratio':>6}")
    for name, label in ROWS.items():
        us, cpu_us = wall[name] / len(raw) * 1e6, cpu[name] / len(raw) * 1e6
        print(f"  {label:<58} {us:>10.1f} {cpu_us:>8.1f} {wall[name] / wall['hand']:>6.2f}")
    moved = sum(1 for r in hand_results if r["quota"])
    refused = sum(1 for r in zen_results if r["errors"])
    print(f"  agreement: {len(raw) - refused:,} scored by ZEN, {moved} moved by the quota;", end=" ")
    if not differing:
        print("every figure, grade and outcome equal to the hand-written scorer's")
    else:
        print("fields that differ (records):")
        for path, pairs in sorted(differing.items()):
            print(f"    {path}: {len(pairs)}, e.g. hand-written {pairs[0][0]!r}, ZEN {pairs[0][1]!r}")
    return 0 if not differing else 1


if __name__ == "__main__":
    sys.exit(main())
