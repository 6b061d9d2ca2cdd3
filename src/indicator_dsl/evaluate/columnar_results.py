"""Results of the columnar backend as a DataFrame with the fields of the JSON results.

One row per record, in table order: `id`, `ruleset`, `sources` (a struct per source: its
`table`, `dimensions` and `indicators`, or a value source's `value`), `bonus`, `penalty`
(with a penalty block), `vetoes`, `total`, the grades, `exempt`, `steps`, `outcomes`,
`errors`, `warnings`. Decimals are polars Decimals with exactly the ruleset's precision, so
each shows as the JSON results show it; `json_rows()` gives the rows as those dicts.

Rows the Python backend scored (`python_rows`) are its `Result`s, finished after the quotas,
put into the same columns.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

import polars as pl

from ..codegen.columnar import ColumnarPlan, figure_column
from ..semantics.trace import GradeStep
from .columnar_parquet import Table
from .columnar_quotas import STEP
from .engine import Engine, Pending
from .inputs import InputError, parse_line
from .results import Result
from .tables import RAW, RAW_ERROR, RAW_LINE, ROW, SHEETS, SHEETS_JSON

# `when missing exclude` (rows of the Python backend): why a source was left out, and each
# renormalised weight as its exact text
EXCLUSION: dict[str, pl.DataType] = {"excluded": pl.String(), "weight": pl.String()}
ERROR = pl.Struct({"path": pl.String, "message": pl.String})


def _record(value: Any) -> Any:
    """A table row as the record the Python backend reads: absent (null) fields left out."""
    if isinstance(value, dict):
        return {k: _record(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_record(v) for v in value]
    return value


def table_record(row: dict[str, Any]) -> Any:
    """A table row as the record the Python backend reads: a JSON line as `ind eval` reads it
    (exact numbers, or the InputError of its line), else the row (its sheets kept as JSON restored)."""
    raw, line, error = row.pop(RAW, None), row.pop(RAW_LINE, None), row.pop(RAW_ERROR, None)
    if line is not None:
        return parse_line(raw if raw is not None else InputError(f"line {line}", error or ""), line)
    sheets = row.pop(SHEETS_JSON, None)
    record: dict[str, Any] = _record(row)
    if sheets is not None:
        record[SHEETS] = json.loads(sheets, parse_float=Decimal)
    return record


def python_rows(engine: Engine, table: Table, rows: list[int]) -> dict[int, Pending]:
    """The rows the Python backend scores, by position: first pass (quotas come later)."""
    if not rows:
        return {}
    picked = table.lazy().with_row_index(ROW).filter(pl.col(ROW).is_in(rows)).collect()
    out: dict[int, Pending] = {}
    for data in picked.iter_rows(named=True):
        position = data.pop(ROW)
        out[position] = engine.score(table_record(data))
    return out


def moved_rows(fast: pl.DataFrame, moves: pl.DataFrame) -> pl.DataFrame:
    """`fast` (rows in ascending `ROW`) with the final grade of each row `moves` names, and its
    quota steps after its own. Series operations at the moved rows' positions: a join and a
    coalesce of the steps of every row took half a second at 1,000,000 rows, and `concat_list`
    of lists of steps 4 µs a row."""
    if not fast.height:
        return fast
    rows = fast[ROW]
    at = rows.search_sorted(moves[ROW]).clip(upper_bound=fast.height - 1)
    mine = moves.filter(rows.gather(at) == moves[ROW])  # (rows the Python backend scored are not in `fast`)
    if not mine.height:
        return fast
    at = rows.search_sorted(mine[ROW])
    steps = fast["steps"].rechunk()  # (a gather from a list in two chunks took a second)
    number = pl.int_range(mine.height, dtype=pl.Int64, eager=True).alias(ROW)
    own = pl.DataFrame([number, steps.gather(at)]).explode("steps")  # (an empty list: one null)
    quota = pl.DataFrame([number, mine["steps"].cast(steps.dtype)]).explode("steps")
    joined = (
        pl.concat([own, quota])
        .filter(pl.col("steps").is_not_null())
        .sort(ROW, maintain_order=True)
        .group_by(ROW, maintain_order=True)
        .agg("steps")
    )
    index = pl.int_range(fast.height, dtype=pl.Int64, eager=True).scatter(at, number + fast.height)
    return fast.with_columns(
        fast["grade"].clone().scatter(at, mine["grade"]),
        pl.concat([steps, joined["steps"]]).rechunk().gather(index),
    )


class ResultColumns:
    def __init__(self, engine: Engine, plan: ColumnarPlan | None) -> None:
        self.engine = engine
        self.plan = plan
        places = engine.plan.precision
        self.decimal = pl.Decimal(38, places)
        self.schema = self.result_schema()

    def result_schema(self) -> pl.Schema:
        plan, dec = self.engine.plan, self.decimal
        sources: dict[str, pl.DataType] = {}
        for source in plan.sources:
            if source.is_table:
                judged = [i.name for i in plan.indicators if i.from_sheets]
                computed = [i.name for i in plan.indicators if not i.from_sheets]
                entry: dict[str, pl.DataType] = {
                    "table": dec,
                    "dimensions": pl.Struct({d.name: dec for d in plan.dimensions}),
                    "indicators": pl.Struct({i.name: dec for i in plan.indicators}),
                }
                if judged:  # the slow path's reasons, by judged indicator
                    entry["reasons"] = pl.Struct({name: pl.String for name in judged})
                if computed:  # the slow path's corrections, by computed indicator
                    entry["corrections"] = pl.Struct({name: self.correction_type() for name in computed})
                sources[source.name] = pl.Struct({**entry, **EXCLUSION})
            else:
                sources[source.name] = pl.Struct({"value": dec, **EXCLUSION})
        schema: dict[str, pl.DataType] = {
            "id": pl.String(),
            "ruleset": pl.Struct({"name": pl.String, "version": pl.String, "sha256": pl.String}),
            "sources": pl.Struct(sources),
            "bonus": dec,
        }
        if plan.penalty_max is not None:
            schema["penalty"] = dec
        schema.update(
            {
                "vetoes": pl.List(pl.String),
                "total": dec,
                "grade": pl.String(),
                "grade_label": pl.String(),
                "grade_by_rules": pl.String(),
                "grade_after_veto": pl.String(),
                "exempt": pl.String(),
                "steps": pl.List(STEP),
                "errors": pl.List(ERROR),
                "warnings": pl.List(pl.String),
            }
        )
        return pl.Schema(schema)

    def correction_type(self) -> pl.DataType:
        return pl.Struct(
            {"from": self.decimal, "to": self.decimal, "reason": pl.String, "evidence": pl.List(pl.String)}
        )

    # ---------------------------------------------------------------- columnar rows
    def figure(self, *parts: str) -> pl.Expr:
        return pl.col(figure_column(*parts))  # a Decimal of the ruleset's precision (`ColumnarScorer.score`)

    def sources(self) -> pl.Expr:
        plan = self.engine.plan
        parts: list[pl.Expr] = []
        types = self.schema["sources"]
        assert isinstance(types, pl.Struct)
        for source, source_type in zip(plan.sources, types.fields, strict=True):
            if source.is_table:
                dims = [self.figure(source.name, "dimensions", d.name).alias(d.name) for d in plan.dimensions]
                inds = [self.figure(source.name, "indicators", i.name).alias(i.name) for i in plan.indicators]
                fields = [
                    self.figure(source.name, "table").alias("table"),
                    pl.struct(dims).alias("dimensions"),
                    pl.struct(inds).alias("indicators"),
                ]
                assert isinstance(source_type.dtype, pl.Struct)
                fields += [pl.lit(None, dtype=f.dtype).alias(f.name) for f in source_type.dtype.fields[3:]]
                entry = pl.struct(fields)
            else:
                absent = [pl.lit(None, dtype=dtype).alias(name) for name, dtype in EXCLUSION.items()]
                entry = pl.struct(self.figure(source.name, "value").alias("value"), *absent)
            parts.append(entry.alias(source.name))
        return pl.struct(parts)

    def columnar(self, fast: pl.DataFrame, moves: pl.DataFrame) -> pl.DataFrame:
        """The plan's rows as result columns, with the grades and steps of the rows quotas moved."""
        plan = self.engine.plan
        if moves.height:
            fast = moved_rows(fast, moves)
        labels = {g.name: g.label for g in plan.grades}
        has_id = "id" in self.engine.models.fields.fields[plan.record_type]
        ref = self.engine.ref
        columns: list[pl.Expr] = [
            pl.col(ROW),
            (pl.col("id").cast(pl.String) if has_id else pl.lit(None, dtype=pl.String)).alias("id"),
            pl.lit(
                {"name": ref.name, "version": ref.version, "sha256": ref.sha256}, dtype=self.schema["ruleset"]
            ).alias("ruleset"),
            self.sources().alias("sources"),
            self.figure("bonus").alias("bonus"),
        ]
        if plan.penalty_max is not None:
            columns.append(self.figure("penalty").alias("penalty"))
        columns += [
            pl.col("vetoes"),
            self.figure("total").alias("total"),
            pl.col("grade"),
            pl.col("grade").replace_strict(labels, default=None, return_dtype=pl.String).alias("grade_label"),
            pl.col("grade_by_rules"),
            pl.col("grade_after_veto"),
            pl.col("exempt"),
            pl.col("steps"),
            pl.lit([], dtype=pl.List(ERROR)).alias("errors"),
            pl.lit([], dtype=pl.List(pl.String)).alias("warnings"),
        ]
        assert self.plan is not None
        outcomes = [expr.alias(name) for name, expr in self.plan.outcomes.items()]
        frame = fast.select(columns)
        if outcomes:  # (they read figures as the plan's scaled integers)
            read = {name for expr in outcomes for name in expr.meta.root_names()} & set(self.plan.figures)
            scaled = fast.with_columns([pl.col(name).to_physical() for name in read])
            frame = frame.hstack([scaled.select(pl.struct(outcomes).alias("outcomes")).to_series()])
        return frame

    # ---------------------------------------------------------------- all rows
    def results(
        self, fast: pl.DataFrame, pendings: Mapping[int, Pending], moves: pl.DataFrame, height: int
    ) -> pl.DataFrame:
        """Every row's results in table order: the plan's, and the Python backend's `pendings`
        finished; `moves` are the rows the quotas moved (`columnar_quotas.apply_quotas`)."""
        frame = self.columnar(fast, moves)
        if pendings:
            moved = {
                row: (grade, steps) for row, grade, steps in moves.filter(pl.col(ROW).is_in(list(pendings))).iter_rows()
            }
            finished = []
            for position, pending in pendings.items():
                if position in moved and pending.scored is not None:
                    grade, steps = moved[position]
                    pending.scored.grade = grade
                    pending.scored.steps.extend(GradeStep(**step) for step in steps)
                finished.append((position, self.engine.finish(pending)))
            slow = self.frame_of(finished, frame.schema)
            frame = pl.concat([frame, slow], how="vertical_relaxed")
        return (frame.sort(ROW) if pendings or not frame[ROW].is_sorted() else frame).drop(ROW)

    def frame_of(self, results: Iterable[tuple[int, Result]], schema: pl.Schema | None = None) -> pl.DataFrame:
        """Results of the Python backend in the result columns (`schema`; else outcomes inferred)."""
        rows: list[dict[str, Any]] = []
        for position, result in results:
            data = result.model_dump(mode="python", exclude={"trace", "nominations"})
            data[ROW] = position
            for entry in data.get("sources", {}).values():
                if entry.get("weight") is not None:
                    entry["weight"] = str(entry["weight"])
            for name, value in data.get("outcomes", {}).items():  # a decimal outcome: its exact text
                if isinstance(value, Decimal):
                    data["outcomes"][name] = str(value)
            for key in ("penalty", "outcomes", "sources"):
                if (key not in (schema or self.schema) and key != "outcomes") or not data.get(key):
                    data.pop(key, None)
            rows.append(data)
        full = schema or pl.Schema({ROW: pl.Int64(), **dict(self.schema)})
        if schema is None:
            return pl.DataFrame(rows, schema_overrides=full, infer_schema_length=None)
        return pl.DataFrame(rows, schema=full)


def python_table(engine: Engine, model: Any, table: pl.DataFrame) -> pl.DataFrame:
    """A table scored row by row by the Python backend (`model.evaluate_many`), as result columns."""
    batch = model.evaluate_many([table_record(row) for row in table.iter_rows(named=True)])
    return ResultColumns(engine, None).frame_of(enumerate(batch.results)).sort(ROW).drop(ROW)


def json_rows(frame: pl.DataFrame) -> list[dict[str, Any]]:
    """The result rows as the JSON results show them (`Result.model_dump(mode="json")`, without
    the trace): decimals as their text, an absent struct as `{}`."""
    out: list[dict[str, Any]] = []
    for row in frame.iter_rows(named=True):
        data = _json(row)
        if data["errors"]:
            data["sources"], data["outcomes"] = {}, {}
        for entry in data["sources"].values():
            for key in ("excluded", "weight"):
                if entry.get(key, "") is None:
                    del entry[key]
            for key in ("reasons", "corrections"):  # only what a sheet gave, as the JSON results show
                kept = {k: v for k, v in (entry.get(key) or {}).items() if v is not None}
                if kept:
                    entry[key] = kept
                else:
                    entry.pop(key, None)
        data.setdefault("outcomes", {})
        if data.get("penalty", "") is None:
            del data["penalty"]
        out.append(data)
    return out


def _json(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json(v) for v in value]
    if value is None or isinstance(value, bool | int | str):
        return value
    return str(value)
