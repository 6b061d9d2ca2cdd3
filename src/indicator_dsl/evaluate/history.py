"""Earlier years' results as an input of this year's evaluation (`--history`, `history=`).

Each history file is a results file of an earlier evaluation (JSON lines or a JSON list, as
`ind eval --format jsonl` writes them), the first one year back, the next two years back, and
so on. A record finds its own past by its id: `history(N).grade`, `.total` and `.rectified`
read it (semantics/history.py), and a record absent from a year's results has no history
that year (`history(N).found` is false, the rest none), never a default.

The rectification items of the year just ended (`--rectification`) give `history(1).rectified`
of each branch that has items.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from ..semantics.history import HISTORY_KEY, Past
from .inputs import InputError, read_records


@dataclass(frozen=True, slots=True)
class YearResults:
    """One earlier year: each record's past by id, and the ruleset versions its results name."""

    source: str
    by_id: Mapping[str, Past]
    versions: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class History:
    """The earlier years, most recent first, and the problems met reading them."""

    years: tuple[YearResults, ...] = ()
    problems: tuple[str, ...] = field(default=())

    def attach(self, record: dict[str, Any], record_id: str | None) -> None:
        """Give a validated record its past: one entry per year back (None: not in that year)."""
        record[HISTORY_KEY] = tuple(None if record_id is None else year.by_id.get(record_id) for year in self.years)

    def with_rectified(self, rectified: Mapping[str, bool]) -> History:
        """The history with last year's `rectified` fact of each branch that has items."""
        if not self.years:
            return self
        first = self.years[0]
        by_id = {rid: Past(p.grade, p.total, rectified.get(rid), p.exempt) for rid, p in first.by_id.items()}
        unknown = sorted(set(rectified) - set(by_id))
        problems = [f"rectification: branch {rid} is not in {first.source}" for rid in unknown[:20]]
        if len(unknown) > 20:
            problems.append(f"rectification: and {len(unknown) - 20} more branches not in {first.source}")
        year = YearResults(first.source, by_id, first.versions)
        return History((year, *self.years[1:]), (*self.problems, *problems))


def _decimal(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def year_results(rows: Iterable[Any], source: str) -> tuple[YearResults, list[str]]:
    """One year from its results (mappings as `Result` JSON has them)."""
    by_id: dict[str, Past] = {}
    versions: list[str] = []
    problems: list[str] = []
    for number, row in enumerate(rows, start=1):
        where = f"{source} item {number}"
        if isinstance(row, InputError):
            problems.append(f"{source} {row.where}: {row.message}")
            continue
        rid = row.get("id") if isinstance(row, Mapping) else None
        if not isinstance(rid, (str, int)) or isinstance(rid, bool):
            problems.append(f"{where}: a result without an id is not history")
            continue
        rid = str(rid)
        if rid in by_id:
            problems.append(f"{where}: id {rid} has an earlier result in this file")
            continue
        grade = row.get("grade")
        by_id[rid] = Past(
            grade=grade if isinstance(grade, str) else None,
            total=_decimal(row.get("total")),
            rectified=None,
            exempt=bool(row.get("exempt")),
        )
        ruleset = row.get("ruleset")
        version = ruleset.get("version") if isinstance(ruleset, Mapping) else None
        if isinstance(version, str) and version not in versions:
            versions.append(version)
    return YearResults(source, by_id, tuple(versions)), problems


def read_history(paths: Iterable[Path]) -> History:
    """Years from results files, most recent first. Raises OSError/ValueError for a file that
    cannot be read as a whole; a bad line is a problem and the rest are read."""
    years: list[YearResults] = []
    problems: list[str] = []
    for path in paths:
        year, more = year_results(read_records(path), str(path))
        years.append(year)
        problems += more
    return History(tuple(years), tuple(problems))


def history_of(value: Any) -> History:
    """`history=` of the API: a History, or a list of years (each a results path, or the results
    themselves: `Result`s or their JSON mappings), most recent first."""
    if isinstance(value, History):
        return value
    years: list[YearResults] = []
    problems: list[str] = []
    for index, year in enumerate(value, start=1):
        if isinstance(year, (str, Path)):
            found, more = year_results(read_records(Path(year)), str(year))
        else:
            rows = [r.model_dump(mode="json") if hasattr(r, "model_dump") else r for r in year]
            found, more = year_results(rows, f"history year -{index}")
        years.append(found)
        problems += more
    return History(tuple(years), tuple(problems))
