"""`evaluate_many(records, workers=N)`: a batch scored by N processes, quotas exact.

Quotas need every record's total before any grade is final, but not every record's result.
So N - 1 worker processes and this one score parts of the batch. The workers take ranges of
positions in the records they inherited when they were forked (or, where processes are
spawned, the records themselves) and send back, as plain values, each result's compact values
(a failed record's JSON line), its standing and its kept fields;
this process scores a part itself whenever the workers have enough queued, merges the parts
in input order, settles the quotas over the standings and re-scores the few records a quota
moved.
"""

from __future__ import annotations

import decimal
from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from typing import Any

from ..semantics.arithmetic import EXACT
from .adjustments import Adjustment
from .batch import Batch, Scorer, attach_nominees, collector_paused, first_pass, refinish, settle, sheets_for
from .population import Standing, WireReader, standing_wire
from .results import Compact, Entry, Result, Results
from .workers import (
    STATE,
    Pool,
    Portable,
    Sheets,
    collected,
    inherits,
    packed,
    redo_parts,
    spans,
    stopping,
    unpacked,
    worker_model,
    worker_pool,
)

PART = 500  # records a worker scores per message
LEAST = 50  # records in the last, shortest parts (`spans`)
Part = tuple[list[Entry], list[Standing | None], list[dict[str, Any]]]  # results, standings, kept fields
Job = tuple[int, int, list[Any] | None]  # positions from, to, and the records when they are sent


def evaluate_parallel(
    model: Portable,
    records: Iterable[Any],
    *,
    sheets: Sheets,
    trace: bool,
    workers: int,
    adjustments: Sequence[Adjustment] = (),
) -> Batch:
    """Score `records` in `workers` processes (this one among them) and merge their parts in
    input order. Records
    already in memory (a sequence) are inherited by forked workers; records still to be read
    (an iterator: a file being read) are sent in parts to workers forked before the first is
    read, so that the workers share none of the parent's growing memory (a forked process that
    writes to a page it shares pays a copy of it, and allocation fills shared pages)."""
    inherit = inherits() and isinstance(records, Sequence)
    items: list[Any] = list(records) if inherit else []
    entries: list[Entry] = []
    standings: list[Standing | None] = []
    attributes: list[dict[str, Any]] = []
    reader = WireReader()

    def here(job: Job) -> Part:
        start, stop, part = job
        return _scored_here(model, sheets, items[start:stop] if part is None else part, trace)

    def sent(job: Job) -> tuple[Any, ...]:
        start, stop, part = job
        return start, stop, None if part is None else packed(part), trace

    def read(message: Any) -> Part:
        return _read_part(unpacked(message), trace, reader)

    with collector_paused(), worker_pool(model, workers, sheets, items if inherit else None) as pool:
        jobs = ((*span, None) for span in spans(len(items), PART, LEAST)) if inherit else _sent_parts(records, items)
        parts = pool.in_order(jobs, here, _worker_part, sent, read, kept=True)
        for part_entries, part_standings, part_attributes in parts:
            entries += part_entries
            standings += part_standings
            attributes += part_attributes
        moved, problems = settle(model, model.engines, standings, adjustments, [e.id for e in entries])
        _refinish_moved(model, pool, sheets, items, moved, entries, trace, inherit)
        pool.release()
        attach_nominees(model, standings, entries)
        del standings  # freed while the workers end (about a tenth of a second at 100,000)
    return Batch(Results(entries), attributes, problems)


def _refinish_moved(
    model: Portable,
    pool: Pool,
    sheets: Sheets,
    items: list[Any],
    moved: dict[int, Standing],
    entries: list[Entry],
    trace: bool,
    inherit: bool,
) -> None:
    """Score again the records a quota moved and finish them with their new grades, in parts
    (`redo_parts`) shared by the workers and this process, as the first pass was."""
    parts = redo_parts(moved, pool.processes)

    def here(part: tuple[int, ...]) -> list[Entry]:
        return _refinished(model, sheets, [items[i] for i in part], [moved[i] for i in part], trace)

    def sent(part: tuple[int, ...]) -> tuple[Any, ...]:
        records = None if inherit else packed([items[i] for i in part])
        return part, records, [standing_wire(moved[i]) for i in part], trace

    def read(message: Any) -> list[Entry]:
        return _entries(unpacked(message), trace)

    redone = pool.in_order(parts, here, _worker_refinish, sent, read, kept=True)
    for part, part_entries in zip(parts, redone, strict=True):
        for index, entry in zip(part, part_entries, strict=True):
            entries[index] = entry


def _sent_parts(records: Iterable[Any], items: list[Any]) -> Iterator[Job]:
    """Parts of the records as they are read; the parent keeps them (in `items`) to score
    again the few a quota moves."""
    iterator = iter(records)
    while part := list(islice(iterator, PART)):
        yield len(items), len(items) + len(part), part
        items += part


def _scored_here(model: Scorer, sheets: Sheets, records: Sequence[Any], trace: bool) -> Part:
    """A part of the batch scored in this process: its results, standings and kept fields."""
    with decimal.localcontext(EXACT):
        cards = [first_pass(model, data, sheets_for(sheets, data), trace=trace) for data in records]
    return [c.result for c in cards], [c.standing for c in cards], [c.attributes for c in cards]


def _worker_part(start: int, stop: int, sent: Any, trace: bool) -> Any:
    """A part of the batch scored in a worker: the inherited records from `start` to `stop`, or those sent."""
    assert STATE.items is not None or sent is not None
    records = unpacked(sent) if sent is not None else STATE.items[start:stop]  # type: ignore[index]
    return collected(packed(score_part(worker_model(), STATE.sheets, records, trace)))


def score_part(model: Scorer, sheets: Sheets, records: Sequence[Any], trace: bool) -> tuple[list[Any], ...]:
    """First-pass results of some records as plain values, column by column: the results
    (`_sendable`), then each standing (`standing_wire`) and kept fields. Cut short once the
    run is stopping."""
    cards = []
    with decimal.localcontext(EXACT), collector_paused():
        for data in records:
            if stopping():
                break
            cards.append(first_pass(model, data, sheets_for(sheets, data), trace=trace))
    wires = [None if c.standing is None else standing_wire(c.standing) for c in cards]
    return _sendable([c.result for c in cards], trace), wires, [c.attributes for c in cards]


def _worker_refinish(indices: tuple[int, ...], sent: Any, wires: list[Any], trace: bool) -> Any:
    """Records a quota moved, scored again in a worker (the inherited ones at `indices`, or
    those sent) and finished with their standings."""
    assert STATE.items is not None or sent is not None
    records = unpacked(sent) if sent is not None else [STATE.items[i] for i in indices]  # type: ignore[index]
    standings = list(map(WireReader().read, wires))
    entries = _refinished(worker_model(), STATE.sheets, records, standings, trace)  # type: ignore[arg-type]
    return collected(packed(_sendable(entries, trace)))


def _refinished(
    model: Scorer, sheets: Sheets, records: Sequence[Any], standings: Sequence[Standing], trace: bool
) -> list[Entry]:
    with decimal.localcontext(EXACT):
        pairs = zip(records, standings, strict=True)
        return [refinish(model, data, sheets_for(sheets, data), standing, trace=trace) for data, standing in pairs]


def _sendable(entries: Sequence[Entry], trace: bool) -> list[Any]:
    """Results as plain values: a scored record's compact values (`Compact.values`, texts,
    numbers, lists and dicts that marshal writes as they are) and a record that failed as its
    JSON line (UTF-8); traced, the `Result`s themselves."""
    if trace:
        return [entry if isinstance(entry, Result) else entry.result() for entry in entries]
    return [
        entry.values if isinstance(entry, Compact) else entry.model_dump_json().encode("utf-8") for entry in entries
    ]


def _entries(sent: Sequence[Any], trace: bool) -> list[Entry]:
    """The results `_sendable` made, read back."""
    if trace:
        return list(sent)
    return [Compact(value) if isinstance(value, dict) else Result.model_validate_json(value) for value in sent]


def _read_part(columns: tuple[list[Any], ...], trace: bool, reader: WireReader) -> Part:
    results, wires, kept = columns
    return _entries(results, trace), list(map(reader.read, wires)), kept
