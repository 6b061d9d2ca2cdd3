"""Results as pydantic models: what hosts read and what `--format json` prints.

Decimals are quantized to the ruleset's precision before they are stored, so the JSON
form (`model_dump(mode="json")`) shows them as strings with exactly that many places,
and no reader turns them into floats. The displayed total is the total that was graded.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field

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
