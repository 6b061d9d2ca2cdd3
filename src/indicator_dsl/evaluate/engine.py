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

from ..semantics.arithmetic import EXACT, RUNTIME_FAILURES, EvalError, ReportedTexts, quantum
from ..semantics.grading import Scored
from ..semantics.json_records import SHEETS_KEY
from ..semantics.plan import Backend, GradingValues, TablePlan
from ..semantics.records import (
    QUOTE_LIMIT,
    FieldProblem,
    RecordModels,
    failure_problem,
    quoted,
    validate,
)
from ..semantics.trace import ClauseTrace
from .history import History
from .inputs import InputError, JsonLine
from .results import Compact, RecordError, Result, RulesetRef, TraceEntry

MAX_ERRORS = 20


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
        period = f"{plan.period[0]}..{plan.period[1]}" if plan.period and plan.period_given else None
        self.ref = RulesetRef(name=plan.name, version=plan.version, sha256=plan.sha256, period=period, as_of=plan.as_of)
        self._ref_values: tuple[RulesetRef, dict[str, Any]] = (self.ref, self.ref.model_dump(mode="json"))
        self._text = ReportedTexts(quantum(plan.precision), EXACT)
        self._dimension_names = [d.name for d in plan.dimensions]
        self._indicator_names = [i.name for i in plan.indicators]
        self._grade_labels = {g.name: g.label for g in plan.grades}
        self._known_keys = frozenset(models.fields.fields[plan.record_type]) | {SHEETS_KEY}

    # ---------------------------------------------------------------- scoring

    def prepare(
        self, data: Any, sheets: Any = None
    ) -> tuple[dict[str, Any] | None, Any, list[FieldProblem], list[str], str | None]:
        """Validate a record; sheets come from the argument or from the record's `sheets` key.
        A `JsonLine` is read and validated in one step where its text keeps to forms both
        readings agree on (`RecordModels.json_reader`, `semantics/json_records.py`), else read
        by `json` first and validated, so its value or its errors are always the same."""
        if data.__class__ is JsonLine:
            read = self._read_json(data.raw)
            if read is not None:
                valid, given = read
                valid_id = str(valid["id"]) if "id" in valid else None
                return valid, given if sheets is None else sheets, [], [], valid_id
            data = data.read()
        warnings: list[str] = []
        if isinstance(data, InputError):
            return None, None, [FieldProblem("", f"{data.where}: {data.message}")], warnings, data.id
        record_id, id_problem = _raw_id(data)
        if isinstance(data, Mapping):
            if sheets is None:
                sheets = data.get(SHEETS_KEY)
            if len(data) > len(self._known_keys) or not self._known_keys.issuperset(data):
                unknown = sorted(str(k)[:QUOTE_LIMIT] for k in data if k not in self._known_keys)
                more = f" and {len(unknown) - 10} more" if len(unknown) > 10 else ""
                warnings.append("unknown field(s) ignored: " + ", ".join(unknown[:10]) + more)
        record, problems = validate(self.models, data)
        if id_problem is not None:
            return None, sheets, [id_problem, *(p for p in problems if p.path != "id")], warnings, None
        if record is not None and "id" in record:
            record_id = str(record["id"])
        return record, sheets, problems, warnings, record_id

    def build_readers(self) -> None:
        """Build now what reading records builds when first asked (the JSON lines' reader):
        done before workers fork, so that they share it rather than each building its own."""
        self.models.json_reader()

    def _read_json(self, raw: bytes) -> tuple[dict[str, Any], Any] | None:
        """A JSON line's record and sheets read in one step, or None: the line is read the slow way."""
        reader = self.models.json_reader()
        return None if reader is None else reader.read(raw)

    def score(self, data: Any, sheets: Any = None, *, trace: bool = False, history: History | None = None) -> Pending:
        record, sheets, problems, warnings, record_id = self.prepare(data, sheets)
        if record is None:
            return Pending(record_id, None, None, problems, warnings)
        if history is not None:  # the record's earlier results, for `history(N)`
            history.attach(record, record_id)
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
                values[name] = value = _plain(value)
            for item in value if isinstance(value, list) else (value,):
                if item.__class__ is int and not -_INT_BOUND < item < _INT_BOUND:
                    raise EvalError("arithmetic", f"`{name}` is {quoted(item)}, more than {EXACT.prec} digits")
        return values

    def finish(self, pending: Pending) -> Result:
        finished = self.finish_compact(pending)
        return finished if isinstance(finished, Result) else finished.result()

    def finish_compact(self, pending: Pending) -> Result | Compact:
        """`finish` without building the pydantic model of a scored record: its values as
        `Compact`, which becomes a `Result` or a JSON line when it is read. A failed record
        (rare) is a `Result` at once."""
        scored = pending.scored
        if scored is None or pending.record is None:
            return self.failed(pending.record_id, pending.problems, pending.warnings, pending.ref)
        try:
            outcomes = self.outcomes(pending.record, scored)
        except RUNTIME_FAILURES as error:
            # e.g. round(x, 1) of a 1e308 in an outcome: a per-record error, as in scoring, never a traceback
            problem = failure_problem(error, "outcome", self.backend.where(error))
            return self.failed(pending.record_id, [problem], pending.warnings)
        try:
            return Compact(self.result_values(pending.record_id, scored, outcomes, pending.warnings))
        except RUNTIME_FAILURES as error:
            return self.failed(pending.record_id, [failure_problem(error)], pending.warnings)

    def failed(
        self, record_id: str | None, problems: list[FieldProblem], warnings: list[str], ref: RulesetRef | None = None
    ) -> Result:
        """A result with no scores. At most `MAX_ERRORS` problems are listed, then how many
        more: a record of a million bad list items gets a bounded result, not a million lines."""
        shown = [RecordError(path=p.path, message=p.message) for p in problems[:MAX_ERRORS]]
        if len(problems) > MAX_ERRORS:
            shown.append(RecordError(path="", message=f"and {len(problems) - MAX_ERRORS:,} more problem(s)"))
        return Result(id=record_id, ruleset=ref or self.ref, errors=shown, warnings=warnings)

    def result(self, record_id: str | None, scored: Scored, outcomes: dict[str, Any], warnings: list[str]) -> Result:
        return Compact(self.result_values(record_id, scored, outcomes, warnings)).result()

    def result_values(
        self, record_id: str | None, scored: Scored, outcomes: dict[str, Any], warnings: list[str]
    ) -> dict[str, Any]:
        """A scored record's result as `Compact` keeps it: the fields of `Result` in its order,
        figures rounded as shown and written as text, steps as plain dicts, `penalty` only
        with a penalty block."""
        plan, text = self.plan, self._text
        texts = text.many

        sources: dict[str, dict[str, Any]] = {}
        for source in plan.sources:
            if source.is_table:
                table = scored.tables[source.name]
                entry: dict[str, Any] = {
                    "table": text(table.table),
                    "dimensions": dict(zip(self._dimension_names, texts(table.dimensions), strict=True)),
                    "indicators": dict(zip(self._indicator_names, texts(table.indicators), strict=True)),
                }
                reasons = {plan.indicators[i].name: r for i, (_, r) in scored.judged.get(source.name, {}).items() if r}
                if reasons:
                    entry["reasons"] = reasons
                corrections = scored.corrections.get(source.name)
                if corrections:  # the superior's corrections of computed scores: what, from, to, why
                    entry["corrections"] = {
                        plan.indicators[i].name: {
                            "from": text(computed),
                            "to": text(c.value),
                            "reason": c.reason,
                            "evidence": list(c.evidence),
                        }
                        for i, (computed, c) in corrections.items()
                    }
                sources[source.name] = entry
            else:
                value = scored.values[source.name]
                sources[source.name] = {"value": None if value is None else text(value)}
        if scored.excluded is not None:  # `when missing exclude`: why, and the weights that applied
            for name, note in scored.excluded.notes.items():
                sources[name]["excluded"] = note
            for name, weight in scored.excluded.weights.items():
                sources[name]["weight"] = str(weight)
        values: dict[str, Any] = {"id": record_id, "ruleset": self._ruleset_values(), "sources": sources}
        values["bonus"] = text(scored.bonus)
        if plan.penalty_max is not None:
            values["penalty"] = text(scored.penalty)
        values["vetoes"] = scored.vetoes
        values["total"] = text(scored.total)
        values["grade"] = scored.grade
        values["grade_label"] = self._grade_labels.get(scored.grade) if scored.grade else None
        values["grade_by_rules"] = scored.grade_by_rules
        values["grade_after_veto"] = scored.grade_after_veto
        values["exempt"] = scored.exempt
        values["steps"] = [{"step": s[0], "before": s[1], "after": s[2], "reason": s[3]} for s in scored.steps]
        values["outcomes"] = outcomes
        values["errors"] = []
        values["warnings"] = warnings
        values["trace"] = None if scored.trace is None else [self.trace_entry(t) for t in scored.trace]
        return values

    def _ruleset_values(self) -> dict[str, Any]:
        """`ref` as a compact result holds it: the values of its JSON form, so that writing the
        line runs no Python (a signal's exception raised inside pydantic-core's serializer, in
        a field's `exclude_if`, would come out wrapped as a serialization error); made again
        when `ref` is replaced (a bundle's digest)."""
        if self._ref_values[0] is not self.ref:
            self._ref_values = (self.ref, self.ref.model_dump(mode="json"))
        return self._ref_values[1]

    def source_entry(self, t: ClauseTrace, label: str, note: str, at: str) -> TraceEntry:
        """A step over one source as a whole (no indicator): proration, an excluded source."""
        return TraceEntry(
            source=t.note,
            indicator="",
            label=label,
            dimension="",
            clause=-1,
            kind=t.kind,
            fired=True,
            reads={k: _plain(v) for k, v in t.reads},
            effect=Decimal(t.effect),
            note=note,
            at=at,
        )

    def trace_entry(self, t: ClauseTrace) -> TraceEntry:
        if t.kind == "penalty":
            return self.penalty_entry(t)
        if t.kind == "bonus":  # a bonus item: `clause` is its index, `note` its name
            return TraceEntry(
                indicator=t.note or "",
                label=self.plan.bonus_items[t.clause][1],
                dimension="",
                clause=t.clause,
                kind=t.kind,
                fired=t.fired,
                effect=Decimal(t.effect),
                at=self.plan.bonus_at[t.clause],
            )
        if t.kind == "relative":  # a population-relative rule: `clause` is its index, `note` its name
            rule = self.plan.relatives[t.clause]
            return TraceEntry(
                indicator=rule.name,
                label=rule.label,
                dimension="",
                clause=t.clause,
                kind=t.kind,
                fired=True,
                reads={k: _plain(v) for k, v in t.reads},
                effect=Decimal(t.effect),
                at=rule.at,
            )
        if t.kind == "missing":  # a value source left out of the total, the others' weights renormalised
            source = next(s for s in self.plan.sources if s.name == t.note)
            note = "when missing exclude: weights renormalised"
            return self.source_entry(t, source.label or source.name, note, source.at)
        if t.indicator < 0:  # a table-level step: proration or rescale of one source's table
            raw, applicable, scale = (v for _, v in t.reads)
            note = f"table {raw} × {scale} / {applicable} (applicable maximum)"
            return self.source_entry(t, "总分折算 proration", note, self.plan.scale_at)
        info = self.plan.indicators[t.indicator]
        effect = None if t.effect is None else Decimal(t.effect)
        return TraceEntry(
            source=t.note if t.kind in PER_SOURCE else None,
            indicator=info.name,
            label=info.label,
            dimension=self.plan.dimensions[info.dimension].name,
            clause=t.clause,
            kind=t.kind,
            fired=t.fired,
            reads={k: _plain(v) for k, v in t.reads},
            effect=effect,
            note=None if t.kind in PER_SOURCE else t.note,
            at=f"{info.origin.path}:{info.origin.line}",
        )

    def penalty_entry(self, t: ClauseTrace) -> TraceEntry:
        """A penalty item (its name, label and what it took), or the cap or floor that moved the total."""
        item = t.clause >= 0
        name, label = self.plan.penalty_items[t.clause] if item else ("", "扣分 penalty")
        return TraceEntry(
            indicator=name,
            label=label,
            dimension="",
            clause=t.clause,
            kind=t.kind,
            fired=t.fired,
            reads={k: _plain(v) for k, v in t.reads},
            effect=Decimal(t.effect),
            note=None if item else t.note,
            at=self.plan.penalty_at,
        )


PER_SOURCE = frozenset({"judged", "adjust", "correct"})  # trace kinds whose `note` names the table source
_SCALARS = frozenset({str, bool, int, Decimal, type(None)})
# An integer outcome (`floor(x)` of a huge x) has at most as many digits as exact arithmetic
# keeps; a longer one is that record's error in every output format (docs/decisions.md).
_INT_BOUND = 10**EXACT.prec


def _plain(value: Any) -> Any:
    """Trace and outcome values as JSON-friendly data (models become their field dicts)."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _raw_id(data: Any) -> tuple[str | None, FieldProblem | None]:
    """The id a result shows before validation: text or a whole number, anything else (a
    list, an object, a YAML alias of either) is that record's error and is never printed."""
    raw = data.get("id") if isinstance(data, Mapping) else getattr(data, "id", None)
    if raw is None or isinstance(raw, str):
        return raw, None
    if raw.__class__ is int and -_INT_BOUND < raw < _INT_BOUND:
        return str(raw), None
    return None, FieldProblem("id", f"an id is text or a whole number ({EXACT.prec} digits at most), not {quoted(raw)}")
