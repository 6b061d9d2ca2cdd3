"""Results as pydantic models: what hosts read and what `--format json` prints.

Decimals are quantized to the ruleset's precision before they are stored, so the JSON
form (`model_dump(mode="json")`) shows them as strings with exactly that many places,
and no reader turns them into floats. The displayed total is the total that was graded.

A batch does not build a model per record: it keeps each scored record's values as a
`Compact` (a dict in the field order of `Result`, from a worker process too), and
`Results` builds the `Result` when a host reads it. The JSON line of a compact
result is written straight from its values by pydantic-core's serializer (`to_json`, what
`model_dump_json` runs), byte for byte what `Result.model_dump_json()` gives
(tests/test_eval_lazy_results.py holds that); a value it cannot write falls back to the model.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any, TypeVar, overload

from pydantic import BaseModel, ConfigDict, Field
from pydantic_core import PydanticSerializationError, to_json

M = TypeVar("M", bound=BaseModel)


def construct(cls: type[M], **values: Any) -> M:
    """A model from values the engine has already checked, every field given: what pydantic's
    `model_construct` does, without its per-call walk over the fields' defaults (a batch
    builds one result per record, so this is on the hot path)."""
    missing = cls.model_fields.keys() - values.keys()
    assert not missing, f"{cls.__name__} needs {sorted(missing)}"
    model = cls.__new__(cls)
    object.__setattr__(model, "__dict__", values)
    object.__setattr__(model, "__pydantic_fields_set__", set(values))
    object.__setattr__(model, "__pydantic_extra__", None)
    object.__setattr__(model, "__pydantic_private__", None)
    return model


class RulesetRef(BaseModel):
    model_config = ConfigDict(frozen=True)
    name: str
    version: str | None = None
    sha256: str
    # the evaluation's period when given as a parameter (`--period`), and its as-of day
    period: str | None = Field(default=None, exclude_if=lambda value: value is None)
    as_of: datetime.date | None = Field(default=None, exclude_if=lambda value: value is None)
    bundle: str | None = Field(
        default=None,
        exclude_if=lambda value: value is None,
        description="sha256 of the bundle's manifest, when the model was loaded from a bundle (`ind build`)",
    )


class RecordError(BaseModel):
    path: str
    message: str


class GradeChange(BaseModel):
    step: str = Field(description="exempt, rules, assign, veto, quota or adjustment")
    before: str | None = None
    after: str | None = None
    reason: str = ""


class Nominee(BaseModel):
    """A record put forward for an award by a catalog `nomination`, with the rule that chose it."""

    award: str
    label: str | None = None
    reason: str = Field(description="e.g. `rank 1 of 3 advanced in department = 省财政厅`")


class TraceEntry(BaseModel):
    source: str | None = Field(default=None, description="the table source, for judged scores")
    indicator: str
    label: str | None = None
    dimension: str
    clause: int
    kind: str
    fired: bool
    reads: dict[str, Any] = Field(default_factory=dict)
    effect: Decimal | None = None
    note: str | None = None
    at: str = Field(description="file:line of the clause's indicator (base or extension)")


class Result(BaseModel):
    """The score of one record. Scores are null when `errors` is not empty."""

    model_config = ConfigDict(ser_json_inf_nan="strings")

    id: str | None
    ruleset: RulesetRef
    sources: dict[str, dict[str, Any]] = Field(default_factory=dict)
    bonus: Decimal | None = None
    penalty: Decimal | None = Field(
        default=None,
        description="what a `penalty` block took from the total (absent without one)",
        exclude_if=lambda value: value is None,
    )
    vetoes: list[str] = Field(default_factory=list)
    total: Decimal | None = None
    grade: str | None = None
    grade_label: str | None = None
    grade_by_rules: str | None = None
    grade_after_veto: str | None = None
    exempt: str | None = None
    steps: list[GradeChange] = Field(default_factory=list)
    outcomes: dict[str, Any] = Field(default_factory=dict)
    nominations: list[Nominee] = Field(default_factory=list, exclude_if=lambda value: not value)
    errors: list[RecordError] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    trace: list[TraceEntry] | None = None

    @property
    def ok(self) -> bool:
        return not self.errors


# ---------------------------------------------------------------- compact results


class Compact:
    """A scored record's result before anyone reads it: the values of `Result` in field
    order (`Engine.result_values`) with every figure (bonus, penalty, total, and the tables,
    dimensions, indicators, values, weights and corrections of the sources) as the text its
    JSON form shows and the ruleset as the values of its JSON form, so the line is written from
    them as they are; `penalty` only with a penalty block and `nominations` only when it has
    some, as the JSON form leaves them out otherwise."""

    __slots__ = ("values",)

    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values

    @property
    def id(self) -> str | None:
        return self.values["id"]  # type: ignore[no-any-return]

    @property
    def grade(self) -> str | None:
        return self.values["grade"]  # type: ignore[no-any-return]

    failed = False

    def steps(self) -> list[tuple[str, str]]:
        return [(s["step"], s["reason"]) for s in self.values["steps"]]

    def result(self) -> Result:
        """The model, its figures read back as the Decimals they were written from."""
        v = self.values
        read = {
            "ruleset": RulesetRef.model_validate(v["ruleset"]),
            "sources": {name: _source_figures(entry) for name, entry in v["sources"].items()},
            "bonus": _figure(v["bonus"]),
            "penalty": _figure(v.get("penalty")),
            "total": _figure(v["total"]),
            "steps": [construct(GradeChange, **step) for step in v["steps"]],
            "nominations": list(v.get("nominations", ())),
        }
        # in field order: pydantic writes a model's fields in the order its `__dict__` holds them
        return construct(Result, **{name: read[name] if name in read else v[name] for name in Result.model_fields})

    def line(self) -> str:
        """The JSON line (no newline) `Result.model_dump_json()` would give."""
        return self.line_bytes().decode("utf-8")

    def line_bytes(self) -> bytes:
        """`line()` as UTF-8, written by pydantic-core's serializer (the one `model_dump_json`
        runs) straight from the values; through the model when a value needs its field's type."""
        try:
            return to_json(self.values)
        except PydanticSerializationError:
            return self.result().model_dump_json().encode("utf-8")

    def nominate(self, nominees: list[Nominee]) -> None:
        """Put nominees on the result, where the JSON form has them (after `outcomes`)."""
        values = {k: v for k, v in self.values.items() if k != "nominations"}
        self.values = {}
        for key, value in values.items():
            if key == "errors" and nominees:
                self.values["nominations"] = nominees
            self.values[key] = value


def _figure(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


def _source_figures(entry: dict[str, Any]) -> dict[str, Any]:
    """A source's part of a result with its figures as Decimals (`Result.sources` is untyped,
    so this is where they are read back)."""
    out = dict(entry)
    for key in ("table", "value", "weight"):
        if key in out:
            out[key] = _figure(out[key])
    for key in ("dimensions", "indicators"):
        if key in out:
            out[key] = {name: _figure(value) for name, value in out[key].items()}
    if "corrections" in out:
        out["corrections"] = {
            name: {**change, "from": Decimal(change["from"]), "to": Decimal(change["to"])}
            for name, change in out["corrections"].items()
        }
    return out


Entry = Result | Compact


class Results(Sequence[Result]):
    """A batch's results in input order. Each is kept compact until it is read; once read,
    the `Result` is kept (a host may change it, as `attach_nominees` does)."""

    __slots__ = ("entries",)

    def __init__(self, entries: list[Entry]) -> None:
        self.entries = entries

    def __len__(self) -> int:
        return len(self.entries)

    @overload
    def __getitem__(self, index: int) -> Result: ...
    @overload
    def __getitem__(self, index: slice) -> list[Result]: ...
    def __getitem__(self, index: int | slice) -> Result | list[Result]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self.entries)))]
        entry = self.entries[index]
        if isinstance(entry, Result):
            return entry
        built = self.entries[index] = entry.result()
        return built

    def __iter__(self) -> Iterator[Result]:
        for index in range(len(self.entries)):
            yield self[index]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence) or len(self) != len(other):
            return False
        return all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<Results of {len(self.entries)} records>"

    def lines(self) -> Iterator[str]:
        """Each result's JSON line (no newline), as `Result.model_dump_json()` writes it."""
        for entry in self.entries:
            yield entry.model_dump_json() if isinstance(entry, Result) else entry.line()

    def grade(self, index: int) -> str | None:
        return self.entries[index].grade

    def failed(self, index: int) -> bool:
        entry = self.entries[index]
        return bool(entry.errors) if isinstance(entry, Result) else entry.failed

    def id(self, index: int) -> str | None:
        return self.entries[index].id

    def steps(self, index: int) -> list[tuple[str, str]]:
        """(step, reason) of each step the record's grade took."""
        entry = self.entries[index]
        if isinstance(entry, Result):
            return [(s.step, s.reason) for s in entry.steps]
        return entry.steps()
