"""Rectification items of 转化工程: reading them, overdue items, and whether a branch is rectified.

One item per problem a branch must rectify after its assessment: the item's `id`, the
`branch` (record id), the `issue`, the linked `indicator`, the `leader` assigned to the branch
(挂钩联系), the `deadline`, the `status`, the `signed_off` date and the `evidence`. Items are
validated one by one: a bad item is a problem naming its line (or item number), its id and the
field, and the other items are still read.

A branch is rectified when it has items and every one of them is done and signed off on or
before its deadline; a branch without items has no rectification fact (none, never a guess).
An item is overdue as of a day when its deadline has passed and it was not signed off by then.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ..semantics.records import error_path
from .inputs import InputError, read_records

Date = datetime.date


class Status(StrEnum):
    OPEN = "未启动"
    IN_PROGRESS = "整改中"
    DONE = "已完成"


class RectificationItem(BaseModel):
    """The schema of one item (`ind rectification --schema` prints it as JSON Schema)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(min_length=1, description="整改事项编号")
    branch: str = Field(min_length=1, description="支部编号 (the record id)")
    issue: str = Field(min_length=1, description="问题")
    indicator: str | None = Field(default=None, description="关联指标")
    leader: str = Field(min_length=1, description="挂钩联系领导")
    deadline: Date = Field(description="整改时限")
    status: Status = Field(description="整改状态: 未启动, 整改中, 已完成")
    signed_off: Date | None = Field(default=None, description="验收销号日期")
    evidence: list[str] = Field(default_factory=list, description="佐证材料")

    @field_validator("id", "branch", mode="before")
    @classmethod
    def _whole_number_id(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @property
    def done(self) -> bool:
        """Done and signed off on or before the deadline."""
        return self.status is Status.DONE and self.signed_off is not None and self.signed_off <= self.deadline

    def overdue(self, as_of: Date) -> bool:
        """Past its deadline on `as_of` and not signed off by then."""
        return self.deadline < as_of and (self.signed_off is None or self.signed_off > as_of)


@dataclass(frozen=True, slots=True)
class Rectification:
    """The items read, and the problems of those that could not be (where, id, field, message)."""

    items: tuple[RectificationItem, ...]
    problems: tuple[str, ...]

    def by_branch(self) -> dict[str, list[RectificationItem]]:
        branches: dict[str, list[RectificationItem]] = {}
        for item in self.items:
            branches.setdefault(item.branch, []).append(item)
        return branches

    def rectified(self) -> dict[str, bool]:
        """Per branch with items: every item done by its deadline."""
        return {branch: all(i.done for i in items) for branch, items in self.by_branch().items()}

    def overdue(self, as_of: Date) -> list[RectificationItem]:
        """The overdue items as of a day, by deadline, then branch and id."""
        late = [i for i in self.items if i.overdue(as_of)]
        return sorted(late, key=lambda i: (i.deadline, i.branch, i.id))


def read_items(rows: Iterable[Any], where: Sequence[str]) -> Rectification:
    """Validate each row; a bad row is a problem naming where it is, its id and the field."""
    items: list[RectificationItem] = []
    problems: list[str] = []
    seen: set[str] = set()
    for row, at in zip(rows, where, strict=True):
        if isinstance(row, InputError):
            problems.append(f"{at}: {row.message}")
            continue
        ident = row.get("id") if isinstance(row, Mapping) else None
        named = f"{at} (id {ident})" if isinstance(ident, (str, int)) else at
        try:
            item = RectificationItem.model_validate(row)
        except ValidationError as error:
            problems += [f"{named}: {error_path(e['loc']) or 'item'}: {e['msg']}" for e in error.errors()]
            continue
        if item.id in seen:
            problems.append(f"{named}: id: the id {item.id} is used by an earlier item")
            continue
        seen.add(item.id)
        items.append(item)
    return Rectification(tuple(items), tuple(problems))


def read_rectification_file(path: Path) -> Rectification:
    """Items from a .jsonl (named by line), .json, .yaml or .csv file (named by item number).
    Raises OSError/ValueError for a file that cannot be read as a whole."""
    rows = list(read_records(path))
    unit = "line" if path.suffix.lower() in (".jsonl", ".ndjson") else "item"
    rows = [_csv_row(row) if path.suffix.lower() == ".csv" and isinstance(row, dict) else row for row in rows]
    return read_items(rows, [f"{path} {unit} {k}" for k in range(1, len(rows) + 1)])


def _csv_row(row: dict[str, Any]) -> dict[str, Any]:
    """A CSV row: empty cells are absent; evidence is `;`-separated."""
    out = {k: v for k, v in row.items() if v not in ("", None)}
    if isinstance(out.get("evidence"), str):
        out["evidence"] = [e.strip() for e in out["evidence"].split(";") if e.strip()]
    return out
