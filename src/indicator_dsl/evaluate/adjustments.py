"""Adjustments by people (综合评定): a grade a committee sets for a record after quotas.

Each adjustment names a record id, the new grade, a reason and who decided. It is applied
to the record's standing after every quota, as its own grade step (`adjustment`, reason
`adjustment by WHO: REASON`), in the order given. Then every quota that grouped the record
is counted again: a quota the adjustment breaks is a warning in the record's result, or,
for a `hard` quota, an error of the batch and the adjustment is not applied. A row that is
not an adjustment (a missing field, an unknown id or grade) is an error naming its row and
field; the other rows are still applied.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..semantics.grading import quota_reason, quota_size
from ..semantics.trace import GradeStep
from .inputs import InputError, detect_format, read_records
from .population import QuotaInForce, Standing

FIELDS = ("id", "grade", "reason", "by")


@dataclass(frozen=True, slots=True)
class Adjustment:
    record: str
    grade: str
    reason: str
    by: str
    where: str  # the row it was read from: `adjustments.csv line 3`, `adjustment 2`


def read_adjustments(rows: Iterable[Any], where: Sequence[str] | None = None) -> tuple[list[Adjustment], list[str]]:
    """Adjustments from mappings with `id`, `grade`, `reason` and `by` (all text; an id may
    be a whole number; an `Adjustment` is taken as it is), and one error per row that is not
    one. `where` names each row."""
    found: list[Adjustment] = []
    problems: list[str] = []
    for number, row in enumerate(rows, 1):
        at = where[number - 1] if where is not None else f"adjustment {number}"
        if isinstance(row, Adjustment):
            found.append(row)
            continue
        if not isinstance(row, Mapping):
            problems.append(f"{at}: an adjustment is a mapping of {', '.join(FIELDS)}")
            continue
        values: dict[str, str] = {}
        for name in FIELDS:
            value = row.get(name)
            if isinstance(value, int) and not isinstance(value, bool) and name == "id":
                value = str(value)
            if not isinstance(value, str) or not value.strip():
                problems.append(f"{at}: `{name}` is missing or empty")
                break
            values[name] = value.strip()
        else:
            found.append(Adjustment(values["id"], values["grade"], values["reason"], values["by"], at))
    return found, problems


def read_adjustment_file(path: Path) -> tuple[list[Adjustment], list[str]]:
    """Adjustments from a .csv (a header of id, grade, reason, by; rows named by line), .json
    or .yaml file (a list of mappings; rows named by item). Raises OSError/ValueError for a
    file that cannot be read as a whole."""
    if detect_format(path) == "csv":
        reader = csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline=""))
        header = [cell.strip() for cell in next(reader, [])]
        rows: list[Any] = []
        where: list[str] = []
        for row in reader:
            if any(cell.strip() for cell in row):
                rows.append(dict(zip(header, row, strict=False)))
                where.append(f"{path} line {reader.line_num}")
        return read_adjustments(rows, where)
    items = list(read_records(path))
    problems = [f"{path} {item.where}: {item.message}" for item in items if isinstance(item, InputError)]
    kept = [item for item in items if not isinstance(item, InputError)]
    found, more = read_adjustments(kept, [f"{path} item {n}" for n in range(1, len(kept) + 1)])
    return found, problems + more


def apply_adjustments(
    adjustments: Sequence[Adjustment],
    ids: Sequence[str | None],
    standings: Sequence[Standing | None],
    ladders: Mapping[str, Sequence[str]],
    quotas: Sequence[QuotaInForce],
) -> tuple[dict[int, Standing], list[str]]:
    """Apply the adjustments to the standings (by position); return the adjusted standings by
    position and the errors (rows that are not adjustments of a graded record, hard quotas broken)."""
    positions: dict[str, int] = {}
    for index, record_id in enumerate(ids):
        if record_id is not None:
            positions.setdefault(record_id, index)
    adjusted: dict[int, Standing] = {}
    problems: list[str] = []
    for adjustment in adjustments:
        position = positions.get(adjustment.record)
        if position is None:
            problems.append(f"{adjustment.where}: `id` {adjustment.record!r} matches no record")
            continue
        standing = standings[position]
        if standing is None or standing.grade is None:
            problems.append(f"{adjustment.where}: record {adjustment.record!r} has no grade to adjust")
            continue
        ladder = ladders.get(standing.ruleset, ())
        if adjustment.grade not in ladder:
            problems.append(
                f"{adjustment.where}: `grade` {adjustment.grade!r} is not a grade of {standing.ruleset} "
                f"({', '.join(ladder)})"
            )
            continue
        if adjustment.grade == standing.grade:
            continue
        before = standing.grade
        standing.steps.append(
            GradeStep("adjustment", before, adjustment.grade, f"adjustment by {adjustment.by}: {adjustment.reason}")
        )
        standing.grade = adjustment.grade
        broken = _broken(standing, standings, quotas)
        hard = [text for text, is_hard in broken if is_hard]
        if hard:
            standing.steps.pop()
            standing.grade = before
            problems.append(f"{adjustment.where}: adjustment of {adjustment.record!r} refused: it breaks {hard[0]}")
            continue
        standing.warnings.extend(f"adjustment breaks {text}" for text, _ in broken)
        adjusted[position] = standing
    return adjusted, problems


def _broken(
    standing: Standing, standings: Sequence[Standing | None], quotas: Sequence[QuotaInForce]
) -> list[tuple[str, bool]]:
    """The quotas grouping this standing that its group no longer meets, with `hard`."""
    broken: list[tuple[str, bool]] = []
    for q in quotas:
        if q.key not in standing.groups:
            continue
        group = standing.groups[q.key]
        members = [s for s in standings if s is not None and s.grade is not None and s.groups.get(q.key, _NO) == group]
        k = quota_size(q.quota, len(members))
        holding = sum(1 for s in members if s.grade in q.quota.grades)
        if (holding > k) if q.quota.direction == "at most" else (holding < k):
            text = f"{quota_reason(q.quota, group).removeprefix('quota: ')} ({holding} hold it, k = {k})"
            broken.append((f"quota {text}", q.quota.hard))
    return broken


_NO = object()  # no group: a record this quota does not take part in
