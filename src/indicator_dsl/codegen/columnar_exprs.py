"""Expressions to polars expressions, exactly: the expression half of the columnar compiler.

Names resolve as the checker resolves them (`check.names`); numbers are `columnar_numbers.Num`
(scaled integers over an optional denominator); built-ins are written as the `columnar` form
their entry in `semantics.builtins` names. A construct without a columnar form raises
`Unsupported` naming it and its place, so a ruleset that uses it is refused at load time
(`backend="auto"` then scores it with the Python backend).

Where the Python backend would raise for a record (no band matches, `min` of nothing, a
division by zero, a negative amount), the compiler records the condition (`fails`); those
rows are scored by the Python backend, which reports the error with its own message.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import polars as pl

from ..check.names import LetScope, Names
from ..check.types import Type
from ..semantics.builtins import AGGREGATES, FUNCTIONS
from ..syntax import nodes as n
from . import columnar_numbers as num
from .columnar_dates import calendar_key
from .columnar_numbers import INT, Exact, Num
from .columnar_stages import Stages, Value

DECIMAL_PLACES = 9  # record decimals are read at this scale (20 whole digits); more places go to Python
GradingRead = Callable[[str], Value]


def judged_column(source: str, name: str) -> str:
    """The column of one judged score of a plain sheet, as `evaluate/tables.py` conforms it."""
    return f"__judged/{source}/{name}"


class Unsupported(Exception):
    """A construct the columnar compiler cannot write exactly: `what` and where it is."""

    def __init__(self, what: str, where: object = None) -> None:
        super().__init__(f"{what}{f' (at {where})' if where else ''}")


@dataclass
class Element:
    """An aggregate's variable: the list element (`pl.element()`) and its static type."""

    expr: pl.Expr
    type: Type | None


class ColumnarExprs:
    def __init__(
        self,
        names: Names,
        lets: LetScope,
        fails: list[pl.Expr],
        grading: GradingRead | None = None,
        stages: Stages | None = None,
        reads: set[tuple[str, str]] | None = None,
    ):
        self.names = names
        self.reads = reads if reads is not None else set()  # (record type, field) the plan reads
        self.lets = lets
        self.fails = fails
        self.grading = grading
        self.stages = stages or Stages()
        self.vars: dict[str, Element] = {}
        self.unrolled: dict[str, Value] = {}  # the variable of an aggregate over a list literal
        self.let_values: dict[int, Value] = {}
        self.num = Exact(self.fail)

    def scoped(self, lets: LetScope) -> ColumnarExprs:
        """A compiler over other lets sharing this one's failures and computed lets."""
        other = ColumnarExprs(self.names, lets, self.fails, self.grading, self.stages, self.reads)
        other.let_values = self.let_values
        return other

    def fail(self, condition: pl.Expr) -> None:
        self.fails.append(condition)

    # ---------------------------------------------------------------- entry points
    def number(self, e: n.Expr) -> Num:
        value = self.expr(e)
        if not isinstance(value, Num):
            raise Unsupported(f"a {type(e).__name__} used as a number", e.span)
        return value

    def test(self, e: n.Expr) -> pl.Expr:
        """A condition: none counts as false, as `if` reads it in Python."""
        value = self.expr(e)
        if isinstance(value, Num):
            raise Unsupported("a number used as a condition", e.span)
        return value.fill_null(False)

    def expr(self, e: n.Expr) -> Value:
        method = getattr(self, f"_{type(e).__name__}", None)
        if method is None:
            raise Unsupported(f"`{type(e).__name__}` expressions", getattr(e, "span", None))
        value: Value = method(e)
        return value

    # ---------------------------------------------------------------- literals
    def _Number(self, e: n.Number) -> Num:
        if "." not in e.text and "%" not in e.text:
            return num.const(int(e.value))
        return num.const(e.value)

    def _String(self, e: n.String) -> pl.Expr:
        return pl.lit(e.value, dtype=pl.String)

    def _DateLit(self, e: n.DateLit) -> pl.Expr:
        return pl.lit(e.value, dtype=pl.Date)

    def _Bool(self, e: n.Bool) -> pl.Expr:
        return pl.lit(e.value, dtype=pl.Boolean)

    def _HistoryRef(self, e: n.HistoryRef) -> pl.Expr:
        """`history(N).part` of a table scored without earlier years' results (the table API
        refuses a model given them): no record was found, every other part is none."""
        if e.part == "found":
            return pl.lit(False)
        if e.part == "total":
            raise Unsupported("`history(N).total`", e.span)
        return pl.lit(None, dtype=pl.Boolean if e.part in ("rectified", "exempt") else pl.String)

    def _PeriodRef(self, e: n.PeriodRef) -> pl.Expr:
        assert self.names.period is not None
        return pl.lit(self.names.period[0 if e.part == "start" else 1], dtype=pl.Date)

    # ---------------------------------------------------------------- names
    def _Name(self, e: n.Name) -> Value:
        if e.name in self.unrolled:
            return self.unrolled[e.name]
        if e.name in self.vars:
            return self.element_value(self.vars[e.name].expr, self.vars[e.name].type)
        if self.vars:
            raise Unsupported("an aggregate's condition or value reading the record outside its element", e.span)
        meaning = self.names.meaning(e.name, self.lets, grading=self.grading is not None)
        if meaning.let is not None:
            key = id(meaning.let)
            if key not in self.let_values:
                inner = self.scoped(self.names.scope_of(meaning.let, self.lets))
                value = inner.expr(meaning.let.expr)
                self.let_values[key] = value if self.grading is not None else self.stages.keep(value)
            return self.let_values[key]
        if meaning.kind == "grading":
            assert self.grading is not None
            return self.grading(meaning.key)
        if meaning.kind == "grade":
            return pl.lit(meaning.key, dtype=pl.String)
        return self.field(pl.col(self.names.fields.access(self.names.root, e.name).key), self.names.root, e.name)

    def field(self, column: pl.Expr, record: str, name: str) -> Value:
        self.reads.add((record, name))
        return self.element_value(column, self.names.field_type(record, name))

    def element_value(self, expr: pl.Expr, kind: Type | None) -> Value:
        if kind is not None and kind.kind == "decimal":  # conformed to Decimal(38, DECIMAL_PLACES)
            return Num(expr.to_physical(), DECIMAL_PLACES, None, False, 10 ** (20 + DECIMAL_PLACES))
        if kind is not None and kind.kind == "int":
            return Num(expr.cast(INT), 0, None, True, num.INT_BOUND)
        return expr

    def _Attribute(self, e: n.Attribute) -> Value:
        if self.grading is not None:
            key = self.names.source_part(e, self.vars, grading=True)
            if key is not None:
                return self.grading(key)
        types = {name: element.type for name, element in self.vars.items()}
        record = self.names.record_of(e.obj, types)
        if isinstance(e.obj, n.Name) and e.obj.name in self.vars:
            obj = self.vars[e.obj.name].expr
        else:
            inner = self.expr(e.obj)
            if isinstance(inner, Num):
                raise Unsupported("a field of a number", e.span)
            obj = inner
        access = self.names.fields.access(record, e.name)
        return self.field(obj.struct.field(access.key), record, e.name)

    # ---------------------------------------------------------------- operators
    def _Unary(self, e: n.Unary) -> Value:
        operand = self.expr(e.operand)
        if e.op == "not":
            assert not isinstance(operand, Num)
            return operand.not_()
        assert isinstance(operand, Num)
        return self.num.neg(operand)

    def _IsNone(self, e: n.IsNone) -> pl.Expr:
        value = self.expr(e.operand)
        expr = value.n if isinstance(value, Num) else value
        return expr.is_not_null() if e.negated else expr.is_null()

    def _IfExpr(self, e: n.IfExpr) -> Value:
        cond = self.test(e.cond)
        if isinstance(e.else_, n.NoneLit) or isinstance(e.then, n.NoneLit):
            value = self.expr(e.then if isinstance(e.else_, n.NoneLit) else e.else_)
            when = cond if isinstance(e.else_, n.NoneLit) else ~cond
            if isinstance(value, Num):
                return self.num.choose([(when, value)], None)
            return pl.when(when).then(value)
        then, else_ = self.expr(e.then), self.expr(e.else_)
        if isinstance(then, Num) and isinstance(else_, Num):
            return self.num.choose([(cond, then)], else_)
        if isinstance(then, Num) or isinstance(else_, Num):
            raise Unsupported("`if` mixing a number and none", e.span)
        return pl.when(cond).then(then).otherwise(else_)

    def _Binary(self, e: n.Binary) -> Value:
        if e.op in ("and", "or"):  # none is false, as in Python's `if`
            first, second = self.test(e.left), self.test(e.right)
            return first & second if e.op == "and" else first | second
        if e.op in ("in", "not in"):
            return self.membership(e)
        left, right = self.expr(e.left), self.expr(e.right)
        if e.op == "??":
            return self.coalesce(left, right, e)
        if isinstance(left, Num) and isinstance(right, Num):
            if e.op in ("+", "-"):
                return self.num.add(left, right, 1 if e.op == "+" else -1)
            if e.op == "*":
                return self.num.mul(left, right)
            if e.op == "/":
                return self.num.divide(left, right)
            return self.num.compare(left, right, e.op)
        if isinstance(left, Num) or isinstance(right, Num):
            if isinstance(e.right, n.NoneLit) or isinstance(e.left, n.NoneLit):
                raise Unsupported("a comparison with `none` (write `is none`)", e.span)
            raise Unsupported(f"`{e.op}` between a number and another kind", e.span)
        if e.op == "==":
            return left.eq_missing(right)
        if e.op == "!=":
            return left.ne_missing(right)
        if e.op in ("<", "<=", ">", ">="):
            return {"<": left.lt, "<=": left.le, ">": left.gt, ">=": left.ge}[e.op](right)
        raise Unsupported(f"`{e.op}` on values that are not numbers", e.span)

    def coalesce(self, left: Value, right: Value, e: n.Binary) -> Value:
        if isinstance(left, Num) and isinstance(right, Num):
            present = left.n.is_not_null() if left.d is None else left.n.is_not_null() & left.d.is_not_null()
            return self.num.choose([(present, left)], right)
        if isinstance(left, Num) or isinstance(right, Num):
            raise Unsupported("`??` mixing a number and another kind", e.span)
        return pl.coalesce(left, right)

    def membership(self, e: n.Binary) -> pl.Expr:
        item = self.expr(e.left)
        found: pl.Expr
        if isinstance(e.right, n.ListLit):
            values = [self.literal(x) for x in e.right.items]
            if isinstance(item, Num):
                if item.d is not None or not all(isinstance(v, int | Decimal) for v in values):
                    raise Unsupported("`in` over numbers of a list literal", e.span)
                scaled = [int(Decimal(v).scaleb(item.scale)) for v in values]
                found = item.n.is_in(pl.lit(scaled, dtype=pl.List(INT)))
            else:
                found = item.is_in(pl.lit(values))
        else:
            items = self.expr(e.right)
            if isinstance(item, Num) or isinstance(items, Num):
                raise Unsupported("`in` over a list of numbers", e.span)
            found = items.list.contains(item)
        present = found.fill_null(False)
        return present.not_() if e.op == "not in" else present

    def literal(self, e: n.Expr) -> Any:
        if isinstance(e, n.Number | n.String | n.Bool | n.DateLit):
            return e.value
        raise Unsupported("a list literal of computed values", getattr(e, "span", None))

    def _Call(self, e: n.Call) -> Value:
        form = FUNCTIONS[e.func].columnar
        if form is None:
            raise Unsupported(f"the built-in `{e.func}(...)`", e.span)
        if form == "rating":
            return self.rating(e)
        if form == "round" and len(e.args) == 2:
            places = e.args[1]
            if not isinstance(places, n.Number):
                raise Unsupported("round(x, places) with places computed per record", e.span)
            return self.num.round_num(self.number(e.args[0]), int(places.value))
        args = [self.expr(a) for a in e.args]
        method: Callable[..., Value] = getattr(self, f"fn_{form}")
        return method(*args)

    def items(self, e: n.Expr) -> tuple[n.Expr, ...]:
        """The items of a list literal, written in place or as a let."""
        if isinstance(e, n.Name) and e.name not in self.vars and e.name in self.lets:
            return self.items(self.lets[e.name].expr)
        if isinstance(e, n.ListLit):
            return e.items
        raise Unsupported("a list that is not written out (a list literal)", getattr(e, "span", None))

    def rating(self, e: n.Call) -> Num:
        """`arithmetic.rating` of two list literals: Σ count × points / Σ count."""
        counts = [self.number(x) for x in self.items(e.args[0])]
        points = [self.number(x) for x in self.items(e.args[1])]
        if len(counts) != len(points) or not counts:
            raise Unsupported("rating(...) of lists of different lengths", e.span)
        cast, weighted = counts[0], self.num.mul(counts[0], points[0])
        for count, point in zip(counts[1:], points[1:], strict=True):
            cast, weighted = self.num.add(cast, count), self.num.add(weighted, self.num.mul(count, point))
        return self.num.divide(weighted, cast)

    # ---------------------------------------------------------------- functions (columnar forms)
    def fn_floor(self, x: Num) -> Num:
        return self.num.floor(x)

    def fn_ceil(self, x: Num) -> Num:
        return self.num.ceil(x)

    def fn_abs(self, x: Num) -> Num:
        return Num(x.n.abs(), x.scale, x.d, x.is_int, x.nb, x.db)

    def fn_round(self, x: Num) -> Num:
        return self.num.round_num(x, 0)

    def fn_min(self, a: Num, b: Num) -> Num:
        return self.num.choose([(self.num.compare(a, b, "<="), a)], b)

    def fn_max(self, a: Num, b: Num) -> Num:
        return self.num.choose([(self.num.compare(a, b, ">="), a)], b)

    def fn_clamp(self, x: Num, lo: Num, hi: Num) -> Num:
        return self.num.choose([(self.num.compare(x, lo, "<"), lo), (self.num.compare(x, hi, ">"), hi)], x)

    def closed_period(self, span: Any = None) -> tuple[datetime.date, datetime.date]:
        """The period's first and last day, when the evaluation is not as of a day before its end
        (the counts of a period not yet over are the Python backend's, semantics/calendar.py)."""
        assert self.names.period is not None
        start, end, due = self.names.period
        if due < end:
            raise Unsupported("an evaluation as of a day before the period's end (`--as-of`)", span)
        return start, end

    def fn_in_period(self, day: pl.Expr) -> pl.Expr:
        start, end = self.closed_period()
        return day.is_between(pl.lit(start), pl.lit(end))

    def fn_len(self, items: pl.Expr) -> Num:
        return num.counted(items.list.len())

    def fn_days_between(self, a: pl.Expr, b: pl.Expr) -> Num:
        return num.counted((b - a).dt.total_days())

    def fn_months_between(self, a: pl.Expr, b: pl.Expr) -> Num:
        months = (b.dt.year().cast(INT) - a.dt.year().cast(INT)) * 12 + b.dt.month().cast(INT) - a.dt.month().cast(INT)
        return num.counted(months - (b.dt.day() < a.dt.day()))

    def fn_year(self, day: pl.Expr) -> Num:
        return num.counted(day.dt.year())

    def fn_month(self, day: pl.Expr) -> Num:
        return num.counted(day.dt.month())

    def fn_quarter(self, day: pl.Expr) -> Num:
        return num.counted(day.dt.quarter())

    # ---------------------------------------------------------------- aggregates
    def _Aggregate(self, e: n.Aggregate) -> Value:
        aggregate = AGGREGATES[e.func]
        if aggregate.columnar is None:
            raise Unsupported(f"the aggregate `{e.func}(...)`", e.span)
        if e.by is not None and aggregate.keyed:
            raise Unsupported(f"`{e.func}(..., by KEY)`", e.span)
        if self.vars:
            raise Unsupported("an aggregate inside an aggregate", e.span)
        if isinstance(e.source, n.ListLit):
            return self.unroll(e)
        source = self.expr(e.source)
        if isinstance(source, Num):
            raise Unsupported("an aggregate over a number", e.span)
        item_type = self.names.item_type(e.source, {})
        self.vars[e.var] = Element(pl.element(), item_type)
        try:
            cond = self.test(e.where) if e.where is not None else None
            value = self.expr(e.value) if e.value is not None else None
            by = self.expr(e.by) if e.by is not None else None
        finally:
            del self.vars[e.var]
        method: Callable[..., Value] = getattr(self, f"ag_{aggregate.columnar}")
        return method(source, cond, value, by, e)

    def unroll(self, e: n.Aggregate) -> Value:
        """An aggregate over a list literal, one term per item (its condition may read the record)."""
        if e.func not in ("count", "any", "all", "sum") or e.var in self.unrolled:
            raise Unsupported(f"`{e.func}(...)` over a list literal", e.span)
        conditions: list[pl.Expr] = []
        values: list[Num] = []
        for item in e.source.items if isinstance(e.source, n.ListLit) else ():
            self.unrolled[e.var] = self.expr(item)
            try:
                test = e.where if e.where is not None else item if e.func == "all" else None
                conditions.append(self.test(test) if test is not None else pl.lit(True))
                if e.func == "sum":
                    values.append(self.number(e.value if e.value is not None else item))
            finally:
                del self.unrolled[e.var]
        if e.func == "any":
            return pl.any_horizontal(conditions) if conditions else pl.lit(False)
        if e.func == "all":
            return pl.all_horizontal(conditions) if conditions else pl.lit(True)
        total: Num = num.const(0)
        for position, cond in enumerate(conditions):
            term = values[position] if e.func == "sum" else num.const(1)
            total = self.num.add(total, self.num.choose([(cond, term)], num.const(0)))
        return total

    @staticmethod
    def selected(source: pl.Expr, cond: pl.Expr | None, value: pl.Expr | None = None) -> pl.Expr:
        element = pl.element() if value is None else value
        return source.list.eval(element.filter(cond) if cond is not None else element)

    def ag_count(self, source: pl.Expr, cond: pl.Expr | None, *_: Any) -> Num:
        counted = source.list.len() if cond is None else source.list.eval(cond).list.sum()
        return num.counted(counted)

    def ag_any(self, source: pl.Expr, cond: pl.Expr | None, *_: Any) -> pl.Expr:
        return (source.list.len() > 0) if cond is None else source.list.eval(cond).list.any()

    def ag_all(self, source: pl.Expr, cond: pl.Expr | None, *_: Any) -> pl.Expr:
        return source.list.all() if cond is None else source.list.eval(cond).list.all()

    def element_number(self, value: Value | None, e: n.Aggregate) -> Num:
        if value is None:  # the elements themselves (a list of numbers)
            kind = self.names.item_type(e.source, {})
            value = self.element_value(pl.element(), kind)
        if not isinstance(value, Num) or value.d is not None:
            raise Unsupported(f"`{e.func}(...)` of values that are not decimals or ints", e.span)
        return value

    def ag_sum(self, source: pl.Expr, cond: pl.Expr | None, value: Value | None, _: Any, e: n.Aggregate) -> Num:
        number = self.element_number(value, e)
        total = self.selected(source, cond, number.n).list.sum().cast(INT)
        return Num(total, number.scale, None, number.is_int, number.nb * num.COUNT_BOUND)

    def ag_avg(self, source: pl.Expr, cond: pl.Expr | None, value: Value | None, _: Any, e: n.Aggregate) -> Num:
        """Σ / count as a ratio; of nothing it is the Python backend's error."""
        number = self.element_number(value, e)
        picked = self.selected(source, cond, number.n)
        size = picked.list.len().cast(INT)
        self.fail(size.fill_null(0) == 0)
        total = picked.list.sum().cast(INT)
        safe = pl.when(size == 0).then(num.lit(1)).otherwise(size)
        return Num(total, number.scale, safe, False, number.nb * num.COUNT_BOUND, num.COUNT_BOUND)

    def extreme(self, source: pl.Expr, cond: pl.Expr | None, value: Value | None, e: n.Aggregate, top: bool) -> Value:
        if value is not None and not isinstance(value, Num):  # dates
            picked = self.selected(source, cond, value)
            result = picked.list.max() if top else picked.list.min()
            self.fail(result.is_null())
            return result
        number = self.element_number(value, e)
        picked = self.selected(source, cond, number.n)
        result = picked.list.max() if top else picked.list.min()
        self.fail(result.is_null())
        return Num(result.cast(INT), number.scale, None, number.is_int, number.nb)

    def ag_min(self, source: pl.Expr, cond: pl.Expr | None, value: Value | None, _: Any, e: n.Aggregate) -> Value:
        return self.extreme(source, cond, value, e, top=False)

    def ag_max(self, source: pl.Expr, cond: pl.Expr | None, value: Value | None, _: Any, e: n.Aggregate) -> Value:
        return self.extreme(source, cond, value, e, top=True)

    def ag_distinct(self, source: pl.Expr, cond: pl.Expr | None, value: Value | None, _: Any, e: n.Aggregate) -> Num:
        if value is None or isinstance(value, Num):
            raise Unsupported("`distinct(...)` of numbers", e.span)
        picked = self.selected(source, cond, value).list.drop_nulls()
        return num.counted(picked.list.n_unique())

    def calendar(self, source: pl.Expr, cond: pl.Expr | None, by: Value | None, months: int) -> Num:
        assert by is not None and not isinstance(by, Num)
        start, end = self.closed_period()
        inside = by.is_between(pl.lit(start), pl.lit(end)).fill_null(False)
        keep = inside if cond is None else inside & cond
        day = pl.element()  # of the days kept: a key computed for every element cost more
        key = calendar_key(day, start, end, months)
        # the days kept, then their keys counted in one list evaluation (`list.n_unique` over
        # a list of keys, or the records kept instead of their days, cost about 1.5-3× more)
        days = source.list.eval(by.filter(keep))
        return num.counted(days.list.eval(key.n_unique()).list.first())

    def ag_months_with(self, source: pl.Expr, cond: pl.Expr | None, _: Any, by: Value | None, e: n.Aggregate) -> Num:
        return self.calendar(source, cond, by, 1)

    def ag_quarters_with(self, source: pl.Expr, cond: pl.Expr | None, _: Any, by: Value | None, e: n.Aggregate) -> Num:
        return self.calendar(source, cond, by, 3)
