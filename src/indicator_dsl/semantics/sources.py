"""Combining the assessment sources, and what happens when a value source's inputs are missing.

A value source (`survey weight 20% = survey_satisfaction * 100`) has inputs: the
possibly-none record fields its expression reads outside `??` (`check.scope.missing_inputs`).
When one is none the source states what happens: `when missing error` (the default) makes
it the record's error naming the field; `when missing exclude` leaves the source out and
renormalises the weights of the others. An expression that gives none (a survey whose
turnout is below its minimum: `if ... then ... else none`) is treated alike. Both backends
call these helpers; nothing here is written twice.
"""

from __future__ import annotations

import decimal
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .arithmetic import ZERO, EvalError
from .plan import Trace
from .trace import ClauseTrace

ALL_SOURCES_MISSING = "every assessment source is excluded: no total can be combined"


@dataclass(frozen=True, slots=True)
class Excluded:
    """The sources left out of one record's total (name → why) and the weights that replaced the stated ones."""

    notes: dict[str, str]
    weights: dict[str, Decimal]


def missing_source(source: str, rule: str | None, inputs: Sequence[tuple[str, Any]]) -> str | None:
    """None when every input of value source `source` has a value. Otherwise the note of its
    exclusion under `when missing exclude`, or (any other rule) the record's error naming the fields."""
    missing = [name for name, value in inputs if value is None]
    if not missing:
        return None
    named = ", ".join(f"`{name}`" for name in missing)
    return _applied(source, rule, f"{named} {'is' if len(missing) == 1 else 'are'} missing", missing[0])


def none_source(source: str, rule: str | None) -> str:
    """A value source whose expression gave none (`if turnout >= 50% then ... else none`):
    as a missing input, the note of its exclusion or the record's error."""
    return _applied(source, rule, "its expression gave none", "")


def _applied(source: str, rule: str | None, why: str, path: str) -> str:
    if rule != "exclude":
        raise EvalError(
            "missing_value",
            f"source `{source}` has no value: {why}"
            " (say `when missing exclude` on the source to leave it out of the total)",
            path=path,
        )
    return f"{why}: excluded (when missing exclude), the other weights renormalised"


def combined_inline(parts: Sequence[tuple[str, str]]) -> str:
    """`assessed(...)` as generated code writes it when no source may be excluded (none says
    `when missing exclude`, so every value is present or the record already failed): Σ
    weight × value from zero, summed in the order `assessed` sums, and nothing excluded.
    `parts` are the code of each (weight, value); generated code has `_Z`."""
    return "_Z + " + " + ".join(f"{weight} * {value}" for weight, value in parts)


def may_exclude(rules: Sequence[str | None]) -> bool:
    """Whether any source's `when missing` rule (None: not stated) leaves it out of the total."""
    return "exclude" in rules


def assessed(
    parts: Sequence[tuple[str, Decimal, Decimal | None]],
    notes: dict[str, str | None],
    context: decimal.Context,
    trace: Trace | None,
) -> tuple[Decimal, Excluded | None]:
    """Σ weight × value over the sources `(name, weight, value)`; `notes` holds the exclusion
    note of each value source (None: it has its value).

    An excluded source (value None) drops out and each other weight becomes weight / Σ present
    weights, so the total is Σ weight × value / Σ present weights, one division in `context`.
    The renormalised weights are traced (kind `missing`, one entry per excluded source)."""
    present = [(name, weight, value) for name, weight, value in parts if value is not None]
    combined = sum((weight * value for _, weight, value in present), ZERO)
    if len(present) == len(parts):
        return combined, None
    kept = sum((weight for _, weight, _ in present), ZERO)
    if kept == 0:
        raise EvalError("missing_value", ALL_SOURCES_MISSING)
    weights = {name: context.divide(weight, kept) for name, weight, _ in present}
    combined = context.divide(combined, kept)
    excluded = {name: note for name, note in notes.items() if note is not None}
    if trace is not None:
        reads = [(f"weight {name}", weight) for name, weight in weights.items()]
        trace.extend(ClauseTrace(-1, -1, "missing", True, reads, combined, name) for name in excluded)
    return combined, Excluded(excluded, weights)
