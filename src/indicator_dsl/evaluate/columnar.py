"""The columnar backend: a table of records scored by the polars plan of `codegen/columnar.py`.

`ColumnarScorer.evaluate(table)` runs one lazy polars query over the table (a Parquet file is
scanned, not read first): it checks every field against the record schema and converts the
fields the plan reads (`columnar_conform`), evaluates every figure and grading condition,
and returns one result row per record, in table order, with the fields of the JSON results
(`columnar_results`).

What stays with the Python backend, so that one semantics holds everywhere:
- rows the schema refuses and rows on which the Python backend would raise (no band matches,
  a division by zero, ...) are scored by the `Engine`, which reports them exactly as always;
- grading (`semantics.grading.grade`) runs once per distinct combination of the grading
  conditions, not per row, and its grade, steps and vetoes are joined back to the rows;
- quotas are window expressions over the quota groups of every graded row, the columnar and
  the Python ones together (`columnar_quotas`), with each group's size, reason and step from
  `semantics.grading`; a Dask client applies them to the `standings()` of all partitions,
  narrowed to the rows a quota ranks or moves (`columnar_standings`).
"""

from __future__ import annotations

import dataclasses
import decimal
from collections.abc import Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import polars as pl

from ..check.names import Names
from ..check.resolved import ResolvedRuleset
from ..codegen.columnar import ColumnarPlan, compile_columnar
from ..codegen.columnar_numbers import as_decimal
from ..semantics.arithmetic import EXACT, quantum, reported
from ..semantics.grading import Conditions, Scored, grade
from ..semantics.plan import TablePlan
from ..semantics.sheets import SheetReader
from .columnar_conform import conform_read
from .columnar_parquet import ParquetTable, Table
from .columnar_quotas import STEP, apply_quotas, group_exprs, standings_frame, step_row
from .columnar_results import ResultColumns, python_rows
from .columnar_standings import Standings, narrowed
from .engine import Engine, Pending
from .tables import BAD, ROW, read_table

FAILS = "__fails"
COMBO = "__combo"  # a row's grading conditions as the bits of Int64 words: `__combo0`, `__combo1`, ...
WORD = 62  # conditions per word


def combo_words(conditions: list[pl.Expr]) -> dict[str, pl.Expr]:
    """The values of `conditions` (null as false) as bits: condition i is bit i % WORD of word
    i // WORD. A join on these integers is far cheaper than on a list of booleans."""
    words: dict[str, pl.Expr] = {}
    for start in range(0, max(len(conditions), 1), WORD):
        bits = [
            pl.when(condition.fill_null(False))
            .then(pl.lit(1 << bit, dtype=pl.Int64))
            .otherwise(pl.lit(0, dtype=pl.Int64))
            for bit, condition in enumerate(conditions[start : start + WORD])
        ]
        words[f"{COMBO}{start // WORD}"] = pl.sum_horizontal(bits) if bits else pl.lit(0, dtype=pl.Int64)
    return words


def combo_flags(words: tuple[int, ...], count: int) -> tuple[bool, ...]:
    """The `count` condition values held in `words` (`combo_words`)."""
    return tuple(bool(words[i // WORD] >> (i % WORD) & 1) for i in range(count))


def condition_sizes(plan: TablePlan) -> list[int]:
    """How many grading conditions a row has: exempts, grade rules, assigns, vetoes."""
    return [len(plan.exempts), sum(1 for g in plan.grades if not g.otherwise), len(plan.assigns), len(plan.vetoes)]


def graded(plan: TablePlan, flags: tuple[bool, ...]) -> dict[str, Any]:
    """What `semantics.grading.grade` gives for one combination of condition values (exempts,
    grade rules, assigns, vetoes, in that order): grades, steps, vetoes, pinned."""
    sizes = condition_sizes(plan)
    groups: list[list[Any]] = []
    position = 0
    for size in sizes:
        groups.append([lambda _r, _g, value=flags[position + i]: value for i in range(size)])
        position += size
    scored = Scored()
    bare = dataclasses.replace(plan, grading_keys=frozenset())
    grade(bare, Conditions(*groups), None, scored, EXACT)
    return {
        "exempt": scored.exempt,
        "grade_by_rules": scored.grade_by_rules,
        "grade_after_veto": scored.grade_after_veto,
        "grade": scored.grade,
        "pinned": scored.pinned,
        "vetoes": scored.vetoes,
        "steps": [step_row(s) for s in scored.steps],
    }


@dataclass(slots=True)
class FirstPass:
    """A table scored and graded before quotas: the plan's rows and the Python backend's."""

    height: int
    fast: pl.DataFrame
    pendings: dict[int, Pending]


class ColumnarScorer:
    """A ruleset's columnar plan beside its Python engine (for the rows the plan leaves to it)."""

    def __init__(self, engine: Engine, resolved: ResolvedRuleset) -> None:
        assert resolved.record is not None
        self.engine = engine
        self.types = resolved.types
        self.root = resolved.record.type_name
        names = Names.of(resolved, engine.models.fields)
        self.plan: ColumnarPlan = compile_columnar(resolved, engine.plan, names)
        self.columns = ResultColumns(engine, self.plan)
        self.expected = SheetReader(engine.plan).expected
        fields = {f.name for f in self.types[self.root].fields}
        kept = {(self.root, name) for name in {q.within for q in engine.plan.quotas if q.within} | ({"id"} & fields)}
        self.reads = self.plan.reads | kept  # the fields conformed
        self.kept = [name for r, name in sorted(self.plan.outcome_reads | kept) if r == self.root]  # and kept
        self.python_rows = 0  # how many rows of the last table the Python backend scored

    def read_table(self, source: Any) -> Table:
        """A table to score: a Parquet file is read as the plan runs (`columnar_parquet`), the rest read."""
        if isinstance(source, str | Path) and Path(source).suffix.lower() == ".parquet":
            return ParquetTable(Path(source))
        return read_table(source)

    # ---------------------------------------------------------------- scoring
    def source(self, table: Table) -> tuple[pl.DataFrame | pl.LazyFrame, list[pl.Expr]]:
        """What the plan reads of `table` (a Parquet file narrowed to the columns its query
        reads, `columnar_parquet`), and the expressions that conform it (`conform_read`)."""
        conformed = self.conformed(table)
        return (table.narrowed(conformed) if isinstance(table, ParquetTable) else table), conformed

    def conformed(self, table: Table) -> list[pl.Expr]:
        """The expressions that read and conform the fields the plan reads of `table`."""
        return conform_read(table.collect_schema(), self.types, self.root, self.expected, self.reads)

    def query(self, table: Table) -> pl.LazyFrame:
        """The plan over `table`: its fields conformed, every figure a scaled integer (Int64
        where its bound proves it fits, else Int128), the grading conditions as bits (`combo_words`)
        and whether the Python backend must score the row (`FAILS`)."""
        return self.planned(*self.source(table))

    def planned(self, source: pl.DataFrame | pl.LazyFrame, conformed: list[pl.Expr]) -> pl.LazyFrame:
        plan = self.plan
        lazy = source.lazy().select(conformed)
        for stage in plan.stages:
            lazy = lazy.with_columns([expr.alias(name) for name, expr in stage.items()])
        lazy = lazy.with_columns([expr.alias(name) for name, expr in plan.figures.items()])
        conditions = [*plan.exempts, *plan.grades, *plan.assigns, *plan.vetoes]
        fails = pl.any_horizontal(plan.fails).fill_null(True) if plan.fails else pl.lit(False)
        words = combo_words(conditions)
        return lazy.with_columns(
            *[word.alias(name) for name, word in words.items()], (fails | pl.col(BAD)).alias(FAILS)
        )

    def score(self, table: Table) -> pl.DataFrame:
        """Every figure of every row as a Decimal of the ruleset's precision (converted as the
        query runs: after it, the conversion of 33 columns cost a quarter of a second at a
        million rows), its grading conditions, and whether the Python backend must score it.
        A table in memory is scored by polars' in-memory engine (faster on it than the streaming
        engine, and its columns come out in one chunk); a scanned file by the streaming engine."""
        source, conformed = self.source(table)
        lazy = self.planned(source, conformed)
        words = [name for name in lazy.collect_schema() if name.startswith(COMBO)]
        shown = pl.Decimal(38, self.plan.precision)
        figures = [as_decimal(pl.col(name), self.plan.precision).cast(shown).alias(name) for name in self.plan.figures]
        others = [pl.col(name) for name in dict.fromkeys([ROW, FAILS, *words, *self.kept])]
        engine: Literal["in-memory", "auto"] = "in-memory" if isinstance(source, pl.DataFrame) else "auto"
        frame = lazy.select(*others, *figures).collect(engine=engine)
        # one chunk for the columns that are gathered, joined and ranked (the streaming engine's
        # many chunks made every later step slower); the figures are only nested into results,
        # and copying them to one chunk cost a third of a second at a million rows
        return frame.with_columns([frame[name].rechunk() for name in frame.columns[: len(others)]])

    def evaluate(self, source: Any) -> pl.DataFrame:
        """Results of every row of a table (a DataFrame, an Arrow table or a file), in order."""
        first = self.first_pass(self.read_table(source))
        with decimal.localcontext(EXACT):
            plan = self.engine.plan
            grades = [g.name for g in plan.grades]
            standings = self.standings(first)
            moves = apply_quotas(plan.quotas, grades, standings.rows, standings.counts)
            return self.columns.results(first.fast, first.pendings, moves, first.height)

    def first_pass(self, table: Table) -> FirstPass:
        """Every row scored and graded, before quotas: the plan's rows and the Python backend's."""
        with decimal.localcontext(EXACT):
            scored = self.score(table)
            fast, slow_rows = scored, []
            if scored[FAILS].any():  # (copying every column costs when none fails)
                fast = scored.filter(~pl.col(FAILS))
                slow_rows = scored.filter(pl.col(FAILS))[ROW].to_list()
            self.python_rows = len(slow_rows)
            pendings = python_rows(self.engine, table, slow_rows)
            words = [name for name in fast.columns if name.startswith(COMBO)]
            grading = fast.select(words).join(self.grading(fast), on=words, how="left", maintain_order="left")
            fast = fast.drop(words).hstack(grading.drop(words).get_columns())
        return FirstPass(scored.height, fast, pendings)

    def grading(self, fast: pl.DataFrame) -> pl.DataFrame:
        """The grading of each distinct combination of conditions in `fast`, by `semantics.grading`."""
        plan = self.engine.plan
        count = sum(condition_sizes(plan))
        words = [name for name in fast.columns if name.startswith(COMBO)]
        rows = [
            {**dict(zip(words, combo, strict=True)), **graded(plan, combo_flags(combo, count))}
            for combo in fast.select(words).unique().iter_rows()
        ]
        schema: dict[str, pl.DataType] = {
            **{name: pl.Int64() for name in words},
            "exempt": pl.String(),
            "grade_by_rules": pl.String(),
            "grade_after_veto": pl.String(),
            "grade": pl.String(),
            "pinned": pl.Boolean(),
            "vetoes": pl.List(pl.String),
            "steps": pl.List(STEP),
        }
        return pl.DataFrame(rows, schema=schema)

    # ---------------------------------------------------------------- quotas
    def standings_frame(self, first: FirstPass) -> pl.DataFrame:
        """What the quotas read of every graded row, one row each (`columnar_quotas`): the plan's
        rows as columns, the few the Python backend graded added to them."""
        plan = self.engine.plan
        graded = (  # (the columns first: a filter of the whole first pass copies every figure)
            first.fast.select(ROW, pl.col("total").to_physical(), "grade", "pinned", *group_exprs(plan.quotas))
            .rechunk()
            .filter(pl.col("grade").is_not_null())
        )
        python = []
        for position, pending in first.pendings.items():
            scored, record = pending.scored, pending.record
            if scored is None or record is None or scored.grade is None:
                continue
            total = int(reported(scored.total, quantum(plan.precision), EXACT).scaleb(plan.precision))
            groups = self.groups(
                lambda name, record=record: self.engine.models.fields.read(record, plan.record_type, name)
            )
            python.append([position, total, scored.grade, scored.pinned, *groups.values()])
        return standings_frame(graded, python)

    def standings(self, first: FirstPass) -> Standings:
        """The standings narrowed to the graded rows a quota ranks or moves, the others counted
        by quota group (`columnar_standings`): the same moves, for less work (0.25 -> 0.11 s at
        1,000,000 rows of the benchmark), and what a Dask worker sends its client."""
        plan = self.engine.plan
        return narrowed(plan.quotas, [g.name for g in plan.grades], self.standings_frame(first))

    def groups(self, read: Any) -> dict[Hashable, Hashable]:
        plan = self.engine.plan
        return {(plan.name, i): "" if q.within is None else read(q.within) for i, q in enumerate(plan.quotas)}
