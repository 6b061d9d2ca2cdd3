"""What-if re-scoring: a record scored again with indicator scores set by hand.

A change is `{"source": S, "indicator": I, "to": V}` (`from` may be there, as in a plan's
changes, and is not read): indicator I of table source S (every table source when S is
absent or null) scores V. The record's sheets are wrapped in `semantics.sheets.WhatIf`, so
both backends apply the changes as they apply a superior's corrections, after judged scores
and adjustments; one semantics, nothing re-implemented here.
"""

from __future__ import annotations

import decimal
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from ..evaluate.engine import Engine, Pending
from ..evaluate.results import Result
from ..semantics.arithmetic import EXACT
from ..semantics.json_records import SHEETS_KEY
from ..semantics.sheets import WhatIf

Change = tuple[str | None, str, Any]  # (table source or None for all, indicator, score)
CHANGE_KEYS = frozenset({"source", "indicator", "from", "to"})


class Router(Protocol):
    """What a what-if needs of a model (`api.Model`): routing a record to its engine."""

    def route(self, data: Any, sheets: Any, *, trace: bool) -> tuple[Engine, Pending]: ...


def read_changes(changes: Iterable[Any]) -> list[Change]:
    """Changes as (source, indicator, score); ValueError names the first malformed one."""
    read: list[Change] = []
    for number, change in enumerate(changes, 1):
        if not isinstance(change, Mapping) or "indicator" not in change or "to" not in change:
            raise ValueError(f"change {number}: a change is an object with indicator, to and optionally source")
        unknown = sorted(str(k) for k in change if k not in CHANGE_KEYS)
        if unknown:
            raise ValueError(
                f"change {number}: unknown key {', '.join(unknown)}; a change has {', '.join(sorted(CHANGE_KEYS))}"
            )
        source, indicator = change.get("source"), change["indicator"]
        if not isinstance(indicator, str) or not (source is None or isinstance(source, str)):
            raise ValueError(f"change {number}: source and indicator are names")
        read.append((source, indicator, change["to"]))
    return read


def original_sheets(record: Any, sheets: Any) -> Any:
    """The sheets a record is scored with: the given ones, else its own `sheets` key."""
    if sheets is None and isinstance(record, Mapping):
        return record.get(SHEETS_KEY)
    return sheets


def what_if(model: Router, record: Any, changes: Iterable[Any], *, sheets: Any = None, trace: bool = False) -> Result:
    """`record` scored with `changes` (see the module's docstring); no quotas, as `evaluate`."""
    wrapped = WhatIf(original_sheets(record, sheets), read_changes(changes))
    with decimal.localcontext(EXACT):
        engine, pending = model.route(record, wrapped, trace=trace)
        return engine.finish(pending)
