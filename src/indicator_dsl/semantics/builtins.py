"""The built-in functions, aggregates and operators of the language, in one table each.

An entry says everything any stage needs to know about one built-in:

- the checker reads its signature (argument kinds and how the result type follows);
- the reference interpreter calls its `implementation`;
- the code generator writes its `emit` template, which calls the same implementation by its
  `runtime` name (generated code gets `RUNTIME_NAMES` as globals), and, for aggregates that
  can share a loop, the `accumulator` that loop fusion writes instead.

A built-in that reads the assessment period (`in_period`, `months_with`, `quarters_with`,
`longest_gap`, `longest_gap_months`) says so (`reads_period`): the checker rejects it in a
ruleset without `period` (E216), and both backends pass the period's first and last day and
the day the evaluation is as of after the other arguments (semantics/calendar.py).

An aggregate marked `keyed` (count, sum, min, max, avg) also takes `by KEY`: then only the
first selected element of each distinct key counts (`sum(n in news, n.points, by n.title)`
scores a story once however often it was filed); both backends pick them with `first_per_key`.
"""

from __future__ import annotations

import datetime
import operator
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from ..syntax.source import Span
from . import arithmetic, calendar
from .history import HISTORY_RUNTIME, history_value

ArgKind = Literal["num", "int", "date", "list"]
# int / bool / decimal: that type; same: the first argument's type; unify: the widest numeric type of the
# arguments; round: int with one argument, decimal with two.
FunctionResult = Literal["int", "bool", "decimal", "same", "unify", "round"]
# int / bool / decimal: that type; value: the type of the value expression (or the elements).
AggregateResult = Literal["int", "bool", "decimal", "value"]


@dataclass(frozen=True, slots=True)
class Function:
    """A plain function: `floor(x)`, `days_between(a, b)`, ..."""

    name: str
    shapes: tuple[tuple[ArgKind, ...], ...]  # the argument kinds of each accepted arity
    result: FunctionResult
    implementation: Callable[..., Any]
    reads_period: bool = False

    @property
    def runtime(self) -> str:
        return f"_fn_{self.name}"

    def emit(self, args: list[str], period: tuple[str, str, str] | None) -> str:
        """Python source calling this function on argument code (each argument written once)."""
        extra = list(period) if self.reads_period and period is not None else []
        return f"{self.runtime}({', '.join([*args, *extra])})"


@dataclass(frozen=True, slots=True)
class Accumulator:
    """How loop fusion computes an aggregate in a shared pass: `initial` before the loop,
    `update` per element (placeholders below), `result` after it."""

    initial: str
    update: str
    result: str


@dataclass(frozen=True, slots=True)
class Aggregate:
    """`name(x in L where C, value, by D)`.

    The interpreter calls `implementation` on the values of the selected elements, in order
    and lazily (so `any` and `all` stop at the first answer, as the generated code does):
    the elements themselves for count and any, each element's condition for all, the value
    expression (or the element) for the others, the `by` date for the calendar counts. Then
    come the aggregate's position if it `fails_empty`, and the period if it `reads_period`.

    `emit` placeholders: {runtime}, {loop} (`for v in L if C`), {var}, {source}, {value},
    {by}, {test} (C, or the element without `where`), {span}, {start}, {end}, {due}.
    """

    name: str
    result: AggregateResult
    implementation: Callable[..., Any]
    emit: str
    takes_value: bool = True
    needs_by: bool = False
    over_dates: bool = False  # min and max also compare dates
    keyed: bool = False  # `by KEY` keeps the first selected element of each distinct key
    fails_empty: bool = False  # of nothing it is an evaluation error at its position
    reads_period: bool = False
    accumulator: Accumulator | None = None
    unit_months: int = 0  # a calendar count: of months (1) or quarters (3)

    @property
    def runtime(self) -> str:
        return f"_ag_{self.name}"

    def loop(self, var: str, source: str, cond: str | None, key: str | None) -> str:
        """The `{loop}` of `emit`: `for v in L if C`, or with a key, over the first element
        of each distinct key among those selected."""
        selected = f"for {var} in {source}" + (f" if {cond}" if cond else "")
        if key is None or not self.keyed:
            return selected
        return f"for {var} in {FIRST_PER_KEY_RUNTIME}([({key}, {var}) {selected}])"


@dataclass(frozen=True, slots=True)
class Operator:
    """A binary operator whose operands are both evaluated (not `and`, `or`, `??`)."""

    symbol: str
    python: str  # the Python operator generated code writes between the operands
    implementation: Callable[[Any, Any], Any]


# ---------------------------------------------------------------- implementations


def year(day: datetime.date) -> int:
    return day.year


def month(day: datetime.date) -> int:
    return day.month


def count(items: Iterable[Any]) -> int:
    return sum(1 for _ in items)


def some(items: Iterable[Any]) -> bool:
    return any(True for _ in items)


def every(conditions: Iterable[Any]) -> bool:
    return all(conditions)


def total(values: Iterable[Decimal | int]) -> Decimal | int:
    return sum(values)


def distinct(values: Iterable[Any]) -> int:
    return len(set(values))


def first_per_key(pairs: Iterable[tuple[Any, Any]]) -> list[Any]:
    """The element of each (key, element) pair whose key has not been seen before, in order."""
    seen: set[Any] = set()
    out: list[Any] = []
    for key, item in pairs:
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


def smallest(values: Iterable[Any], span: Span) -> Any:
    return arithmetic.minimum(list(values), span)


def largest(values: Iterable[Any], span: Span) -> Any:
    return arithmetic.maximum(list(values), span)


def mean(values: Iterable[Any], span: Span) -> Decimal:
    return arithmetic.average(list(values), span)


# ---------------------------------------------------------------- the tables

FUNCTIONS: dict[str, Function] = {
    f.name: f
    for f in (
        Function("floor", (("num",),), "int", arithmetic.floor),
        Function("ceil", (("num",),), "int", arithmetic.ceil),
        Function("abs", (("num",),), "same", abs),
        Function("round", (("num",), ("num", "int")), "round", arithmetic.round_fn),
        Function("min", (("num", "num"),), "unify", min),
        Function("max", (("num", "num"),), "unify", max),
        Function("clamp", (("num", "num", "num"),), "unify", arithmetic.clamp),
        Function("in_period", (("date",),), "bool", calendar.in_period, reads_period=True),
        Function("len", (("list",),), "int", len),
        Function("rating", (("list", "list"),), "decimal", arithmetic.rating),
        Function("days_between", (("date", "date"),), "int", arithmetic.days_between),
        Function("months_between", (("date", "date"),), "int", arithmetic.months_between),
        Function("year", (("date",),), "int", year),
        Function("month", (("date",),), "int", month),
        Function("quarter", (("date",),), "int", arithmetic.quarter),
    )
}

# fused calendar counts: matches up to the last due day ({last}), then the units not yet due ({open})
_IN_PERIOD = "if (fd := {by}) is not None and {start} <= fd <= {last} else None"
AGGREGATES: dict[str, Aggregate] = {
    a.name: a
    for a in (
        Aggregate(
            "count",
            "int",
            count,
            "len([1 {loop}])",
            takes_value=False,
            keyed=True,
            accumulator=Accumulator("0", "{guard}{acc} += 1", "{acc}"),
        ),
        Aggregate(
            "any",
            "bool",
            some,
            "any(True {loop})",
            takes_value=False,
            accumulator=Accumulator("False", "if not {acc}{and_cond}: {acc} = True", "{acc}"),
        ),
        Aggregate(
            "all",
            "bool",
            every,
            "all({test} for {var} in {source})",
            takes_value=False,
            accumulator=Accumulator("True", "if {acc} and not ({test}): {acc} = False", "{acc}"),
        ),
        Aggregate(
            "sum",
            "value",
            total,
            "sum([{value} {loop}])",
            keyed=True,
            accumulator=Accumulator("0", "{guard}{acc} += {value}", "{acc}"),
        ),
        Aggregate(
            "min",
            "value",
            smallest,
            "{runtime}([{value} {loop}], {span})",
            over_dates=True,
            fails_empty=True,
            keyed=True,
        ),
        Aggregate(
            "max",
            "value",
            largest,
            "{runtime}([{value} {loop}], {span})",
            over_dates=True,
            fails_empty=True,
            keyed=True,
        ),
        Aggregate("avg", "decimal", mean, "{runtime}([{value} {loop}], {span})", fails_empty=True, keyed=True),
        Aggregate(
            "distinct",
            "int",
            distinct,
            "len({{{value} {loop}}})",
            accumulator=Accumulator("set()", "{guard}{acc}.add({value})", "len({acc})"),
        ),
        Aggregate(
            "months_with",
            "int",
            calendar.months_with,
            "{runtime}([{by} {loop}], {start}, {end}, {due})",
            takes_value=False,
            needs_by=True,
            reads_period=True,
            accumulator=Accumulator(
                "set()", "{guard}{acc}.add((fd.year, fd.month)) " + _IN_PERIOD, "(len({acc}) + {open})"
            ),
            unit_months=1,
        ),
        Aggregate(
            "quarters_with",
            "int",
            calendar.quarters_with,
            "{runtime}([{by} {loop}], {start}, {end}, {due})",
            takes_value=False,
            needs_by=True,
            reads_period=True,
            accumulator=Accumulator(
                "set()", "{guard}{acc}.add((fd.year, (fd.month - 1) // 3)) " + _IN_PERIOD, "(len({acc}) + {open})"
            ),
            unit_months=3,
        ),
        Aggregate(
            "longest_gap",
            "int",
            calendar.longest_gap_days,
            "{runtime}([{by} {loop}], {start}, {end}, {due})",
            takes_value=False,
            needs_by=True,
            reads_period=True,
        ),
        Aggregate(
            "longest_gap_months",
            "int",
            calendar.longest_gap_months,
            "{runtime}([{by} {loop}], {start}, {end}, {due})",
            takes_value=False,
            needs_by=True,
            reads_period=True,
        ),
    )
}


OPERATORS: dict[str, Operator] = {
    o.symbol: o
    for o in (
        Operator("+", "+", operator.add),
        Operator("-", "-", operator.sub),
        Operator("*", "*", operator.mul),
        Operator("==", "==", operator.eq),
        Operator("!=", "!=", operator.ne),
        Operator("<", "<", operator.lt),
        Operator("<=", "<=", operator.le),
        Operator(">", ">", operator.gt),
        Operator(">=", ">=", operator.ge),
        Operator("in", "in", lambda item, items: item in items),
        Operator("not in", "not in", lambda item, items: item not in items),
    )
}
# `/` is exact division (decimal, also of two ints); by zero it is an evaluation error at the
# operator's position, which generated code passes as the third argument.
DIVISION_RUNTIME = "_op_div"


def coalesce(value: Any, otherwise: Callable[[], Any]) -> Any:
    """`value ?? otherwise`: the fallback is evaluated only when the value is none."""
    return value if value is not None else otherwise()


# Generated code writes `??` inline with a temporary, except where Python allows no assignment
# (the list an aggregate goes over): there it calls this with the fallback as a lambda.
COALESCE_RUNTIME = "_op_coalesce"
FIRST_PER_KEY_RUNTIME = "_ag_first_per_key"

RUNTIME_NAMES: dict[str, Callable[..., Any]] = {
    **{f.runtime: f.implementation for f in FUNCTIONS.values()},
    **{a.runtime: a.implementation for a in AGGREGATES.values()},
    DIVISION_RUNTIME: arithmetic.div,
    COALESCE_RUNTIME: coalesce,
    FIRST_PER_KEY_RUNTIME: first_per_key,
    HISTORY_RUNTIME: history_value,
}
