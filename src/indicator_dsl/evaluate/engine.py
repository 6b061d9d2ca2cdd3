"""A compiled ruleset ready to score: validation, scoring, and turning scores into Results.

`Engine` holds what is built once per ruleset (plan, backends, record model). Its
methods are the per-record path used by the API, the CLI and the worker processes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pydantic import BaseModel

from ..semantics.arithmetic import EXACT, EvalError, quantum, reporter
from ..semantics.grading import Scored
from ..semantics.plan import Backend, GradingValues, TablePlan
from ..semantics.records import FieldProblem, RecordModels, validate
from ..semantics.trace import ClauseTrace
from .inputs import InputError
from .results import GradeChange, RecordError, Result, RulesetRef, TraceEntry, construct
from .scoring import PYTHON_ERRORS, failure

SHEETS_KEY = "sheets"


@dataclass(slots=True)
class Pending:
    """A record between scoring and finishing: quotas may still move its grade."""

    record_id: str | None
    record: dict[str, Any] | None
    scored: Scored | None
    problems: list[FieldProblem]
    warnings: list[str]
    ref: RulesetRef | None = None  # who reports a record no ruleset took (a catalog)


class Engine:
    def __init__(self, plan: TablePlan, backend: Backend, traced: Backend, models: RecordModels) -> None:
        self.plan = plan
        self.backend = backend
        self.traced = traced
        self.models = models
        self.ref = RulesetRef(name=plan.name, version=plan.version, sha256=plan.sha256)
        self._shown = reporter(quantum(plan.precision), EXACT)
        self._dimension_names = [d.name for d in plan.dimensions]
        self._indicator_names = [i.name for i in plan.indicators]
        self._grade_labels = {g.name: g.label for g in plan.grades}
        self._known_keys = frozenset(models.fields.fields[plan.record_type]) | {SHEETS_KEY}

    # ---------------------------------------------------------------- scoring

    def prepare(
        self, data: Any, sheets: Any = None
    ) -> tuple[dict[str, Any] | None, Any, list[FieldProblem], list[str], str | None]:
        """Validate a record; sheets come from the argument or from the record's `sheets` key."""
        warnings: list[str] = []
        if isinstance(data, InputError):
            return None, None, [FieldProblem("", f"{data.where}: {data.message}")], warnings, None
        record_id = _raw_id(data)
        if isinstance(data, Mapping):
            if sheets is None:
                sheets = data.get(SHEETS_KEY)
            if len(data) > len(self._known_keys) or not self._known_keys.issuperset(data):
                unknown = sorted(str(k) for k in data if k not in self._known_keys)
                warnings.append("unknown field(s) ignored: " + ", ".join(unknown))
        record, problems = validate(self.models, data)
        if record is not None and "id" in record:
            record_id = str(record["id"])
        return record, sheets, problems, warnings, record_id

    def score(self, data: Any, sheets: Any = None, *, trace: bool = False) -> Pending:
        record, sheets, problems, warnings, record_id = self.prepare(data, sheets)
        if record is None:
            return Pending(record_id, None, None, problems, warnings)
        return self.score_valid(record, sheets, record_id, warnings, trace=trace)

    def score_valid(
        self, record: dict[str, Any], sheets: Any, record_id: str | None, warnings: list[str], *, trace: bool = False
    ) -> Pending:
        backend = self.traced if trace else self.backend
        outcome = backend.score(self.plan, record, sheets, trace=trace)
        if isinstance(outcome, list):
            return Pending(record_id, record, None, outcome, warnings)
        return Pending(record_id, record, outcome, [], warnings)

    # ---------------------------------------------------------------- finishing

    def outcomes(self, record: dict[str, Any], scored: Scored) -> dict[str, Any]:
        g: GradingValues = scored.grading
        g["grade"] = scored.grade
        values = self.backend.outcomes(record, g)
        for name, value in values.items():
            if value.__class__ not in _SCALARS:
                values[name] = _plain(value)
        return values

    def finish(self, pending: Pending) -> Result:
        scored = pending.scored
        if scored is None or pending.record is None:
            return self.failed(pending.record_id, pending.problems, pending.warnings, pending.ref)
        try:
            outcomes = self.outcomes(pending.record, scored)
        except (EvalError, *PYTHON_ERRORS) as error:
            # e.g. round(x, 1) of a 1e308 in an outcome: a per-record error, as in scoring, never a traceback
            return self.failed(pending.record_id, failure(error, self.backend.where(error)), pending.warnings)
        return self.result(pending.record_id, scored, outcomes, pending.warnings)

    def failed(
        self, record_id: str | None, problems: list[FieldProblem], warnings: list[str], ref: RulesetRef | None = None
    ) -> Result:
        return Result(
            id=record_id,
            ruleset=ref or self.ref,
            errors=[RecordError(path=p.path, message=p.message) for p in problems],
            warnings=warnings,
        )

    def result(self, record_id: str | None, scored: Scored, outcomes: dict[str, Any], warnings: list[str]) -> Result:
        plan, shown = self.plan, self._shown
        sources: dict[str, dict[str, Any]] = {}
        for source in plan.sources:
            if source.is_table:
                table = scored.tables[source.name]
                entry: dict[str, Any] = {
                    "table": shown(table.table),
                    "dimensions": dict(zip(self._dimension_names, map(shown, table.dimensions), strict=True)),
                    "indicators": dict(
                        zip(
                            self._indicator_names,
                            [None if v is None else shown(v) for v in table.indicators],
                            strict=True,
                        )
                    ),
                }
                reasons = {plan.indicators[i].name: r for i, (_, r) in scored.judged.get(source.name, {}).items() if r}
                if reasons:
                    entry["reasons"] = reasons
                sources[source.name] = entry
            else:
                sources[source.name] = {"value": shown(scored.values[source.name])}
        label = self._grade_labels.get(scored.grade) if scored.grade else None
        return construct(
            Result,
            id=record_id,
            ruleset=self.ref,
            sources=sources,
            bonus=shown(scored.bonus),
            vetoes=scored.vetoes,
            total=shown(scored.total),
            grade=scored.grade,
            grade_label=label,
            grade_by_rules=scored.grade_by_rules,
            grade_after_veto=scored.grade_after_veto,
            exempt=scored.exempt,
            steps=[
                construct(GradeChange, step=s.step, before=s.before, after=s.after, reason=s.reason)
                for s in scored.steps
            ],
            outcomes=outcomes,
            errors=[],
            warnings=warnings,
            trace=None if scored.trace is None else [self.trace_entry(t) for t in scored.trace],
        )

    def trace_entry(self, t: ClauseTrace) -> TraceEntry:
        if t.indicator < 0:  # a table-level step: proration or rescale of one source's table
            raw, applicable, scale = (v for _, v in t.reads)
            note = f"table {raw} × {scale} / {applicable} (applicable maximum)"
            return TraceEntry(
                source=t.note,
                indicator="",
                label="总分折算 proration",
                dimension="",
                clause=-1,
                kind=t.kind,
                fired=True,
                reads={k: _plain(v) for k, v in t.reads},
                effect=Decimal(t.effect),
                note=note,
                at=self.plan.scale_at,
            )
        info = self.plan.indicators[t.indicator]
        effect = None if t.effect is None else Decimal(t.effect)
        return TraceEntry(
            source=t.note if t.kind == "judged" else None,
            indicator=info.name,
            label=info.label,
            dimension=self.plan.dimensions[info.dimension].name,
            clause=t.clause,
            kind=t.kind,
            fired=t.fired,
            reads={k: _plain(v) for k, v in t.reads},
            effect=effect,
            note=None if t.kind == "judged" else t.note,
            at=f"{info.origin.path}:{info.origin.line}",
        )


_SCALARS = frozenset({str, bool, int, Decimal, type(None)})


def _plain(value: Any) -> Any:
    """Trace and outcome values as JSON-friendly data (models become their field dicts)."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _raw_id(data: Any) -> str | None:
    if isinstance(data, Mapping):
        raw = data.get("id")
        return None if raw is None else str(raw)
    raw = getattr(data, "id", None)
    return None if raw is None else str(raw)
