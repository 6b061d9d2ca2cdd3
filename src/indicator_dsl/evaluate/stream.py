"""JSON lines scored into a JSON-lines file, in bounded memory, quotas exact.

Quotas need every record's total before any grade is final, but not every record's result.
So a stream runs in two passes: the first scores each record and keeps only its result line
(in a private spill file) and its small `Standing`; quotas then settle over the standings;
the second pass copies the spill with the lines of just the records a quota moved (or a
nomination chose) scored again. Memory is bounded by the blocks in flight and the standings,
not by the input; output order is input order.

With one worker the input is read in blocks of whole lines (`BLOCK` bytes or more). With
N, the input is cut into ranges of `BLOCK` bytes, without reading it, and N - 1 worker
processes and this one (when the workers have enough queued) each read and score the lines
that start in a range, numbering them from its first (the parent adds the lines before it,
and scores again, with their numbers across the files, the rare records that failed, since a
line that is not JSON is reported by its number). The parent writes the results in order,
one block of result lines with the position of each record.
A line is read in one step by the engine (`JsonLine`).

Faults: whatever ends a run early stops the workers (`workers.worker_pool`) and removes every
temporary file; the output file is replaced only by a finished run.
"""

from __future__ import annotations

import codecs
import decimal
import os
from array import array
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack
from itertools import accumulate
from pathlib import Path
from typing import Any, BinaryIO

from ..files import publish, temporary
from ..semantics.arithmetic import EXACT
from .batch import Scorer, collector_paused, first_pass, refinish, settle, sheets_for
from .inputs import JsonLine, is_blank
from .nominations import nominate
from .population import Standing, WireReader, standing_wire
from .results import Compact, Nominee
from .workers import (
    STATE,
    Pool,
    Portable,
    Sheets,
    collected,
    packed,
    redo_parts,
    spans,
    stopping,
    unpacked,
    worker_model,
    worker_pool,
)

BLOCK = 1 << 20
COPY_BLOCK = 1 << 20
Block = tuple[int, int, int, bytes, bool]  # which file, byte offset, first line's number, lines, opens its file
BlockResults = tuple[int, bytes, bytes, bytes, bytes, list[Standing | None], list[int]]
Range = tuple[str, int, int, int]  # a file's path, which file, first byte, end
Redo = tuple[str, int, int, Standing | None, list[Nominee]]  # path, offset, line number, standing, nominations
RangeResults = tuple[int, bytes, bytes, bytes, bytes, list[Standing | None], list[int], int]  # and its lines


def stream_jsonl(
    model: Portable,
    inputs: list[Path],
    out: Path,
    *,
    workers: int = 1,
    sheets: Sheets = None,
    on_progress: Callable[[int], None] | None = None,
) -> tuple[int, int]:
    """Score JSON lines into a JSON-lines file, atomically. Returns (records, failed).

    Pass one writes the result lines in order to a private spill file beside `out`, noting
    where each record's line starts in its input and in the spill. If a quota moved records
    (or a nomination chose some), pass two copies the spill into a second private file as
    blocks of bytes, reading and re-scoring only those records. The finished file is renamed
    to `out`; both temporary files are removed whatever happens."""
    standings: list[Standing | None] = []
    where = _Where()
    failed = 0
    with ExitStack() as run:
        pool = run.enter_context(worker_pool(model, workers, sheets)) if workers > 1 else None
        spill = run.enter_context(temporary(out, "pass1."))
        stamps = _stamps(inputs)
        with spill.open("wb") as target:
            for which, blob, offsets, numbers, lengths, scored, failures in _scored_blocks(model, inputs, pool, sheets):
                target.write(blob)
                where.note(which, offsets, numbers, lengths)
                standings += scored
                failed += len(failures)
                if on_progress is not None:
                    on_progress(len(standings))
        count = len(standings)
        moved, _ = settle(model, model.engines, standings)
        rules = [rule for rule, _ in model.catalog_nominations]
        nominees = nominate(rules, standings, [s.id if s else None for s in standings]) if rules else {}
        redo = {index: moved.get(index) or standings[index] for index in (*moved, *nominees)}
        del standings
        if _stamps(inputs) != stamps:  # workers read the files the parent cut into blocks; pass two reads them again
            raise ValueError("the record files changed while they were being scored; run again")
        finished = spill
        if redo:
            finished = run.enter_context(temporary(out))
            _second_pass(model, pool, inputs, sheets, spill, finished, redo, nominees, where)
        if pool is not None:
            pool.release()  # the workers end while the results are published
        publish(finished, out)
    return count, failed


def _scored_blocks(model: Portable, inputs: list[Path], pool: Pool | None, sheets: Sheets) -> Iterator[BlockResults]:
    """Each block's first-pass results (`score_block`), in input order."""
    reader = WireReader()  # standings kept share their equal parts, wherever they were scored
    if pool is None:
        for block in _blocks(inputs):
            *head, standings, failed = score_block(model, sheets, *block)
            yield (*head, list(map(reader.shared, standings)), failed)  # type: ignore[misc]
        return

    def here(job: Range) -> RangeResults:
        *head, standings, failed, lines = _range_scored(model, sheets, *job)
        return (*head, list(map(reader.shared, standings)), failed, lines)  # type: ignore[return-value]

    def read(message: Any) -> RangeResults:
        *head, wires, failed, lines = unpacked(message)
        return (*head, list(map(reader.read, wires)), failed, lines)

    base = 0  # lines before the range being merged, across the files
    # the parent only gathers standings here: no collection walks them as they pile up
    with collector_paused():
        for which, blob, offsets, numbers, lengths, standings, failed, lines in pool.in_order(
            _ranges(inputs), here, _worker_range, _same, read
        ):
            counted = array("q")
            counted.frombytes(numbers)
            numbers = array("q", [n + base for n in counted]).tobytes()
            if failed:
                blob, lengths = _numbered_again(model, sheets, inputs[which], blob, offsets, numbers, lengths, failed)
            base += lines
            yield which, blob, offsets, numbers, lengths, standings, failed


def _same(job: Range) -> Range:
    return job


def _ranges(inputs: list[Path]) -> Iterator[Range]:
    """The input files cut into ranges of BLOCK bytes, shorter toward each file's end (`spans`),
    without reading them: a process scores the lines that start in its range (`_range_scored`)."""
    for which, path in enumerate(inputs):
        for start, end in spans(path.stat().st_size, BLOCK, max(1, BLOCK // 8)):  # the last: ~30 records
            yield str(path), which, start, end


def _worker_range(path: str, which: int, start: int, end: int) -> Any:
    """A range's results scored in a worker, sent back as one message of plain values."""
    *head, standings, failed, lines = _range_scored(worker_model(), STATE.sheets, path, which, start, end)
    wires = [None if s is None else standing_wire(s) for s in standings]
    return collected(packed((*head, wires, failed, lines)))


def _range_scored(model: Scorer, sheets: Sheets, path: str, which: int, start: int, end: int) -> RangeResults:
    """The lines that start in bytes `start`..`end` of a file, read and scored: a block's
    results (`score_block`) and how many lines start in the range. Their numbers count from 1
    at the range's first line (the parent, which knows how many lines came before, adds them).
    (A file changed meanwhile is found by the size and time checked after pass one.)"""
    with open(path, "rb") as handle:
        begin = start
        if start > 0:  # the line that holds byte start - 1 is the range before's
            handle.seek(start - 1)
            begin = start - 1 + len(handle.readline())
        if begin >= end:
            return which, b"", b"", b"", b"", [], [], 0
        handle.seek(begin)
        block = handle.read(end - begin)
        if not block.endswith(b"\n"):
            block += handle.readline()  # the last line, to its end
    lines = block.count(b"\n") + (not block.endswith(b"\n"))
    return (*score_block(model, sheets, which, begin, 1, block, begin == 0), lines)


def _numbered_again(
    model: Scorer,
    sheets: Sheets,
    path: Path,
    blob: bytes,
    offsets: bytes,
    numbers: bytes,
    lengths: bytes,
    failed: list[int],
) -> tuple[bytes, bytes]:
    """A worker's block with its failed records scored again here, with their line numbers
    across the files (a line that is not JSON is reported by its number)."""
    at, line_at, sizes = array("q"), array("q"), array("q")
    at.frombytes(offsets)
    line_at.frombytes(numbers)
    sizes.frombytes(lengths)
    results, start = [], 0
    for size in sizes:
        results.append(blob[start : start + size])
        start += size
    with path.open("rb") as handle, decimal.localcontext(EXACT):
        for index in failed:
            record = _record_at(handle, at[index], line_at[index], sheets)
            results[index] = _line(first_pass(model, record, sheets_for(sheets, record), trace=False).result)
    return b"".join(results), array("q", map(len, results)).tobytes()


def _blocks(inputs: list[Path]) -> Iterator[Block]:
    """The input files in blocks of whole lines, numbered across the files (blank lines too
    take a number); a line longer than a block makes its block longer."""
    number = 1
    for which, path in enumerate(inputs):
        with path.open("rb") as handle:
            offset, first = 0, True
            while True:
                data = handle.read(BLOCK)
                while data and b"\n" not in data:  # one line longer than a block
                    more = handle.read(BLOCK)
                    if not more:
                        break
                    data += more
                if not data:
                    break
                cut = data.rfind(b"\n") + 1 or len(data)  # a last line without a newline: to the end
                yield which, offset, number, data[:cut], first
                number += data.count(b"\n", 0, cut) + (data[cut - 1] != 10)
                offset += cut
                handle.seek(offset)
                first = False


def score_block(
    model: Scorer, sheets: Sheets, which: int, offset: int, number: int, block: bytes, first: bool
) -> BlockResults:
    """A block's results: the file, the result lines (UTF-8, each with its newline), each
    record's byte offset in its file, line number and result line length (machine integers),
    each standing and which records failed (their places in the block). A byte-order mark
    opening a file is left out of its first line. Cut short once the run is stopping."""
    lines, offsets, numbers, lengths = [], array("q"), array("q"), array("q")
    standings: list[Standing | None] = []
    failed: list[int] = []
    at = offset
    with decimal.localcontext(EXACT), collector_paused():
        for index, raw in enumerate(block.split(b"\n")):
            start, at = at, at + len(raw) + 1
            if stopping():
                break
            if index == 0 and first and raw.startswith(codecs.BOM_UTF8):
                raw = raw[len(codecs.BOM_UTF8) :]
            if is_blank(raw):
                continue
            line = JsonLine(raw, number + index)
            record = line if sheets is None else line.read()  # sheets by id: the id is read first
            card = first_pass(model, record, sheets_for(sheets, record), trace=False)
            result = _line(card.result)
            lines.append(result)
            offsets.append(start)
            numbers.append(number + index)
            lengths.append(len(result))
            if b'"errors":[]' not in result:
                failed.append(len(standings))
            standings.append(card.standing)
    return which, b"".join(lines), offsets.tobytes(), numbers.tobytes(), lengths.tobytes(), standings, failed


def _record_at(handle: BinaryIO, offset: int, number: int, sheets: Sheets) -> Any:
    """The record whose line starts at `offset` of a file, read again (a byte-order mark
    opening the file left out): a `JsonLine`, or, when sheets come apart (by id), the record
    read at once."""
    handle.seek(offset)
    text = handle.readline().rstrip(b"\n")
    if offset == 0 and text.startswith(codecs.BOM_UTF8):
        text = text[len(codecs.BOM_UTF8) :]
    line = JsonLine(text, number)
    return line if sheets is None else line.read()


def _line(entry: Any) -> bytes:
    return (entry.line_bytes() if isinstance(entry, Compact) else entry.model_dump_json().encode("utf-8")) + b"\n"


class _Where:
    """Where each record of a stream is: its input file and byte offset, and the offset of its
    result line in the spill file (one more offset: the spill's end). Arrays of machine
    integers: 26 bytes a record."""

    def __init__(self) -> None:
        self.file = array("H")
        self.offset = array("q")
        self.number = array("q")
        self.spill = array("q", [0])

    def note(self, which: int, offsets: bytes, numbers: bytes, lengths: bytes) -> None:
        self.offset.frombytes(offsets)
        self.number.frombytes(numbers)
        size = array("q")
        size.frombytes(lengths)
        self.file.extend(array("H", [which]) * len(size))
        ends = accumulate(size, initial=self.spill[-1])
        next(ends)  # the spill's end so far, already there
        self.spill.extend(ends)


def _stamps(inputs: list[Path]) -> list[tuple[int, int]]:
    """Size and modification time of each input: pass two reads the records it re-scores
    again, by byte offset, so a file changed meanwhile stops the run."""
    return [(s.st_size, s.st_mtime_ns) for s in (p.stat() for p in inputs)]


def _second_pass(
    model: Scorer,
    pool: Pool | None,
    inputs: list[Path],
    sheets: Sheets,
    spill: Path,
    final: Path,
    redo: Mapping[int, Standing | None],
    nominees: Mapping[int, list[Nominee]],
    where: _Where,
) -> None:
    """Copy the spill into `final` with the records a quota moved or a nomination chose scored
    again, in parts (`redo_parts`; by the workers and this process, as pass one): only their
    lines are read again from `inputs` (by offset); the rest is copied between the files by
    the kernel where it can (`_copy`)."""
    parts = redo_parts(redo, 1 if pool is None else pool.processes)
    paths = [str(path) for path in inputs]
    jobs = [
        tuple((paths[where.file[i]], where.offset[i], where.number[i], redo[i], nominees.get(i, [])) for i in part)
        for part in parts
    ]

    def here(job: tuple[Redo, ...]) -> list[bytes]:
        return _redone(model, sheets, job)

    redone = map(here, jobs) if pool is None else pool.in_order(jobs, here, _worker_redo, _one_argument, unpacked)
    with final.open("wb", buffering=0) as target, spill.open("rb", buffering=0) as first:
        copied = 0
        for part, lines in zip(parts, redone, strict=True):
            for index, line in zip(part, lines, strict=True):
                _copy(first.fileno(), target.fileno(), copied, where.spill[index])
                _write(target.fileno(), line)
                copied = where.spill[index + 1]
        _copy(first.fileno(), target.fileno(), copied, where.spill[-1])


def _one_argument(job: tuple[Redo, ...]) -> tuple[tuple[Redo, ...]]:
    return (job,)


def _worker_redo(job: tuple[Redo, ...]) -> Any:
    """Records of pass two scored again in a worker: their result lines, as one message."""
    return collected(packed(_redone(worker_model(), STATE.sheets, job)))


def _redone(model: Scorer, sheets: Sheets, job: tuple[Redo, ...]) -> list[bytes]:
    """Result lines of records read again by offset, finished with the grade their quotas
    gave them and with their nominations."""
    lines = []
    with ExitStack() as opened, decimal.localcontext(EXACT):
        handles: dict[str, BinaryIO] = {}
        for path, offset, number, standing, chosen in job:
            if path not in handles:
                handles[path] = opened.enter_context(open(path, "rb"))
            data = _record_at(handles[path], offset, number, sheets)
            entry = refinish(model, data, sheets_for(sheets, data), standing, trace=False)  # type: ignore[arg-type]
            if isinstance(entry, Compact):
                entry.nominate(chosen)
            else:
                entry.nominations = chosen
            lines.append(_line(entry))
    return lines


def _write(target: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(target, view) :]


def _copy(source: int, target: int, start: int, end: int) -> None:
    """Bytes `start`..`end` of one open file written to the other: by the kernel
    (`os.copy_file_range`, Linux) where the platform and file system allow, else through a
    buffer of COPY_BLOCK bytes."""
    while start < end:
        try:
            done = _kernel_copy(source, target, end - start, start)
        except OSError:  # a file system or kernel that cannot: through a buffer
            done = os.write(target, os.pread(source, min(end - start, COPY_BLOCK), start))
        if done == 0:
            raise ValueError("the spill file ended early")
        start += done


def _no_kernel_copy(source: int, target: int, count: int, offset: int) -> int:
    raise OSError("no copy_file_range here")


_kernel_copy: Callable[[int, int, int, int], int] = getattr(os, "copy_file_range", _no_kernel_copy)
