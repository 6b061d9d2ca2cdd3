"""Streams read their files in blocks of whole lines (`stream._blocks`): whatever the block
size, a stream gives the lines, line numbers and quota moves of the in-memory batch over the
same files read line by line: a byte-order mark, CRLF endings, blank lines, a last line
without a newline, a line longer than a block, a line that is not JSON and one that is not
UTF-8, over two files numbered across both."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from benchmarks.records import generate_party_gov_records
from support import ROOT

import indicator_dsl
from indicator_dsl.evaluate import stream
from indicator_dsl.evaluate.inputs import numbered_lines, parse_line
from indicator_dsl.evaluate.stream import stream_jsonl
from indicator_dsl.outputs.formats import as_jsonl


def files(tmp_path: Path) -> list[Path]:
    records = [json.dumps(r, ensure_ascii=False) for r in generate_party_gov_records(60, seed=11)]
    first = tmp_path / "a.jsonl"
    first.write_bytes(
        b"\xef\xbb\xbf"
        + "\r\n".join(records[:20]).encode("utf-8")
        + b"\r\n\r\n   \n{not json\n"
        + records[20].encode("utf-8")[:40]
        + b"\xff\xfe\n"
        + "\n".join(records[21:40]).encode("utf-8")  # no newline at the end
    )
    second = tmp_path / "b.jsonl"
    second.write_bytes("\n\n".join(records[40:]).encode("utf-8") + b"\n")
    return [first, second]


@pytest.mark.parametrize("block", [64, 5000, 1 << 20])
@pytest.mark.parametrize("workers", [1, 2])
def test_a_stream_in_blocks_equals_the_batch_read_line_by_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block: int, workers: int
) -> None:
    monkeypatch.setattr(stream, "BLOCK", block)
    ruleset = indicator_dsl.load(ROOT / "benchmarks" / "party_gov.ind")
    paths = files(tmp_path)
    batch = ruleset.evaluate_many(parse_line(line, number) for number, line in numbered_lines(paths))
    assert batch.quota_moves()  # the second pass has records to re-score
    failed = sum(1 for r in batch.results if r.errors)
    assert failed == 2
    out = tmp_path / "out.jsonl"
    assert stream_jsonl(ruleset, paths, out, workers=workers) == (len(batch.results), failed)
    assert out.read_text(encoding="utf-8") == as_jsonl(batch.results)
    errors = [r.errors[0].message for r in batch.results if r.errors]
    assert errors[0].startswith("line 23: not JSON")
    assert errors[1] == "line 24: not UTF-8 (byte 40 of the line)"
