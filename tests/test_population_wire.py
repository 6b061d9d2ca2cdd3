"""A standing goes from a worker to the parent as plain values (`standing_wire`) and is read
back by a `WireReader` equal to what was sent, through `marshal` as the workers send it: a
first pass's standing as seven values, any other (steps, warnings, placings, awards) as
eleven; equal totals, texts and group mappings shared between the standings read."""

from __future__ import annotations

import marshal
from dataclasses import astuple
from decimal import Decimal

from indicator_dsl.evaluate.population import Standing, WireReader, standing_wire
from indicator_dsl.semantics.relative import RelativeAward
from indicator_dsl.semantics.trace import GradeStep


def _first_pass(number: int) -> Standing:
    standing = Standing(
        Decimal("87.50"),
        "advanced",
        number % 2 == 0,
        {("party_gov", 0): "省财政厅"},
        nominated={0: "省财政厅"},
        id=f"B{number:04d}",
    )
    standing.ruleset = "party_gov"
    return standing


def _later(number: int) -> Standing:
    standing = _first_pass(number)
    standing.steps = [GradeStep("quota", "advanced", "standard", "at most 20% within department = 省财政厅")]
    standing.warnings = ["an adjustment breaks a quota"]
    standing.placing = {0: ("省财政厅", Decimal("3.25")), 1: ("省财政厅", None)}
    standing.relative = [RelativeAward(0, Decimal("-1.5"), (("measure", "3.25"),))]
    return standing


def test_standings_read_back_equal_to_what_was_sent() -> None:
    sent = [_first_pass(1), _later(2), None, _first_pass(3)]
    wires = marshal.loads(marshal.dumps([None if s is None else standing_wire(s) for s in sent]))
    assert [None if w is None else len(w) for w in wires] == [7, 11, None, 7]
    reader = WireReader()
    read = [reader.read(wire) for wire in wires]
    assert [None if s is None else astuple(s) for s in read] == [None if s is None else astuple(s) for s in sent]
    first, _, _, third = read
    assert first is not None and third is not None
    assert first.groups is third.groups and first.total is third.total  # shared, not copied
    assert first.steps is not third.steps  # a quota appends to one record's steps only


def test_standings_scored_here_share_their_equal_parts_with_those_read() -> None:
    """`shared` keeps a standing equal to itself while its total, texts and mappings become
    the ones already read (so a stream's parent keeps 240 bytes a standing, not 850)."""
    reader = WireReader()
    read = reader.read(marshal.loads(marshal.dumps(standing_wire(_first_pass(1)))))
    later = _later(2)
    mine = [_first_pass(3), later]
    before = [astuple(s) for s in mine]
    kept = [reader.shared(s) for s in mine]
    assert [astuple(s) for s in kept if s is not None] == before and reader.shared(None) is None
    assert read is not None and kept[0] is not None
    assert kept[0].groups is read.groups and kept[0].nominated is read.nominated and kept[0].total is read.total
    assert kept[1] is later and later.steps and later.placing  # a later standing keeps its own
