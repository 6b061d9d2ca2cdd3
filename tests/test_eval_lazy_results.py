"""Lazy results (issue 14): a batch keeps compact values and builds each `Result` when read.

The JSON line written straight from the compact values must be, byte for byte, what the
pydantic model writes (`Result.model_dump_json()`), for every fixture and spec ruleset with
its records (traced and not) and for the Jiangsu catalog over a generated province; the
results a worker process sends back as JSON lines must read back as the same `Result`s; and
the garbage collector's state is restored however a batch ends.
"""

from __future__ import annotations

import gc
import json
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from benchmarks.records import generate_party_gov_records
from support import ROOT
from test_eval_goldens import records_of, ruleset_names, ruleset_path

import indicator_dsl
from indicator_dsl.evaluate.batch import collector_paused
from indicator_dsl.evaluate.parallel import _entries, _sendable
from indicator_dsl.evaluate.results import Compact, Result, Results
from indicator_dsl.evaluate.stream import stream_jsonl
from indicator_dsl.evaluate.workers import packed, unpacked
from indicator_dsl.outputs.formats import as_jsonl

for folder in (ROOT / "examples", ROOT / "examples" / "province"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

import generate  # noqa: E402 - the generator lives in examples/province
import main_job  # noqa: E402 - the main job lives in examples


def _same_bytes(results: Results) -> int:
    """Every compact entry's line equals its model's; returns how many entries were compact."""
    compact = [i for i, e in enumerate(results.entries) if isinstance(e, Compact)]
    lines = list(results.lines())
    for index, line in enumerate(lines):
        assert line == results[index].model_dump_json(), index
    assert as_jsonl(results) == "".join(r.model_dump_json() + "\n" for r in results)
    return len(compact)


@pytest.mark.parametrize("trace", [False, True], ids=["untraced", "traced"])
@pytest.mark.parametrize("name", ruleset_names())
def test_lines_from_compact_values_are_the_models_bytes(name: str, trace: bool) -> None:
    records = records_of(name)
    batch = indicator_dsl.load(ruleset_path(name)).evaluate_many(records, trace=trace)
    compact = _same_bytes(batch.results)
    assert compact == sum(1 for r in batch.results if not r.errors)


def test_the_jiangsu_province_writes_the_same_bytes() -> None:
    catalog = indicator_dsl.load(main_job.CATALOG)
    province = generate.generate_province()[:1500]
    batch = catalog.evaluate_many(province)
    assert _same_bytes(batch.results) > 1400
    assert len(batch.results) == 1500


def test_worker_values_read_back_as_the_same_results() -> None:
    catalog = indicator_dsl.load(main_job.CATALOG)
    province = generate.generate_province()[:600]
    one = catalog.evaluate_many(province)
    two = catalog.evaluate_many(province, workers=2)
    assert [isinstance(e, Compact) for e in two.results.entries] == [
        isinstance(e, Compact) for e in one.results.entries
    ]
    assert list(two.results.lines()) == list(one.results.lines())
    assert list(two.results) == list(one.results)
    assert two.summary("department") == one.summary("department")
    assert two.quota_moves() == one.quota_moves()


def test_results_are_built_once_when_read_and_then_kept() -> None:
    ruleset = indicator_dsl.load(ruleset_path("party_gov"))
    batch = ruleset.evaluate_many(records_of("party_gov"))
    assert all(isinstance(e, (Compact, Result)) for e in batch.results.entries)
    first = batch.results[0]
    assert batch.results[0] is first
    assert isinstance(batch.results.entries[0], Result)
    assert first.total is not None and first.total.as_tuple().exponent == -2
    assert batch.results[-1] is batch.results[len(batch) - 1]
    assert batch.results[0:2] == [batch.results[0], batch.results[1]]


def test_values_marshal_cannot_write_travel_pickled_and_exact() -> None:
    failed = indicator_dsl.load(ruleset_path("party_gov")).evaluate_many([{"id": "x"}]).results[0]
    values: dict[str, Any] = {"id": "a", "grade": "g", "steps": [], "outcomes": {"share": Decimal("0.50"), "n": 3}}
    message = packed(_sendable([Compact(values), failed], trace=False))
    assert not isinstance(message, bytes)  # marshal refused the Decimal: the pool pickles the message
    compact, result = _entries(unpacked(message), trace=False)
    assert isinstance(compact, Compact) and compact.values == values
    assert compact.values["outcomes"]["share"].as_tuple() == Decimal("0.50").as_tuple()
    assert result == failed and result.errors
    plain = packed(_sendable([Compact({**values, "outcomes": {"n": 3}})], trace=False))
    assert isinstance(plain, bytes)  # marshalled


@pytest.mark.parametrize("enabled", [True, False])
def test_the_collector_is_paused_for_a_batch_and_restored_after_an_error(enabled: bool) -> None:
    was = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        with pytest.raises(RuntimeError, match="stop"), collector_paused():
            assert not gc.isenabled()
            raise RuntimeError("stop")
        assert gc.isenabled() is enabled
        assert gc.get_freeze_count() == 0
    finally:
        (gc.enable if was else gc.disable)()


def test_a_host_that_froze_objects_keeps_them_frozen() -> None:
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with collector_paused():
            pass
        # unfreezing would leave none frozen; a thread of the test runner (pytest-xdist's) may
        # free a frozen object meanwhile, so the count is not compared exactly
        assert gc.get_freeze_count() > frozen // 2
    finally:
        gc.unfreeze()


def test_a_stream_with_moved_records_equals_the_in_memory_batch(tmp_path: Path) -> None:
    ruleset = indicator_dsl.load(ROOT / "benchmarks" / "party_gov.ind")
    records = generate_party_gov_records(800, seed=3)
    source = tmp_path / "records.jsonl"
    text = "\ufeff" + "".join(json.dumps(r, ensure_ascii=False) + "\n\n" for r in records)
    source.write_text(text, encoding="utf-8")
    batch = ruleset.evaluate_many(records)
    assert batch.quota_moves()  # the second pass has records to re-score
    for workers in (1, 2):
        out = tmp_path / f"out{workers}.jsonl"
        assert stream_jsonl(ruleset, [source], out, workers=workers) == (800, 0)
        assert out.read_text(encoding="utf-8") == as_jsonl(batch.results)
