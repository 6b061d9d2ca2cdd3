"""What evaluated rulesets compute with: the exact context, rounding, points, tables, errors.

Both backends call these by name, the compiled plans from generated code and the
reference interpreter from `evaluate/scoring.py`, so a score is computed one way:
the points a clause gives, an indicator held within its bounds, proration, dimension
weights, the bonus cap, and rounding with a stated mode and context (never the caller's
ambient decimal context). The run-time error kinds are closed (`ErrorKind`), and every
message they carry is written here once; errors raised inside an expression carry its
position, the table-level ones (nothing applies) have none.
"""

from __future__ import annotations

import datetime
import decimal
import functools
from collections.abc import Callable, Iterable
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import Any, Literal, NoReturn

from ..syntax.nodes import PointsKind
from ..syntax.source import Span

# Exact enough that no score a person could write loses a digit before rounding; half-up
# so that quantizing a reported value under this context rounds as the spec says.
EXACT = decimal.Context(
    prec=60,
    rounding=decimal.ROUND_HALF_UP,
    traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
)
REPORTED = ROUND_HALF_UP  # how shown and graded values are rounded: half away from zero
ZERO = Decimal(0)

ErrorKind = Literal["division_by_zero", "empty_aggregate", "missing_value", "arithmetic"]
Number = Decimal | int

# ---------------------------------------------------------------- error messages
DIVISION_BY_ZERO = "division by zero"
NO_BAND_MATCHES = "no band matches"
NOTHING_APPLIES = "no indicator applies to this record"
RAISED_TO_ZERO = "raised to 0"  # an uncapped indicator below 0
DEDUCTED_TO_ZERO = "raised to 0 (扣完为止)"  # deductions stop at 0
LOWERED_TO_MAX = "lowered to max"
PENALTY_CAPPED = "penalty lowered to its max"
PENALTY_TO_ZERO = "total raised to 0 (扣完为止)"  # a penalty larger than the total


def weight_unshared(dimension: str) -> str:
    return f"no indicator of dimension `{dimension}` applies; its weight cannot be shared"


class EvalError(Exception):
    """A per-record evaluation error: the record is reported, the batch goes on."""

    def __init__(self, kind: ErrorKind, message: str, span: Span | None = None, path: str = "") -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.span = span
        self.path = path

    def where(self) -> str:
        return f" (at {self.span})" if self.span else ""

    def __reduce__(self) -> tuple[type[EvalError], tuple[str, str, Span | None, str]]:
        # pickled by the worker processes of `--workers`: rebuilt with every argument
        return EvalError, (self.kind, self.message, self.span, self.path)


# What evaluating a record may raise: the closed `EvalError` kinds, and what Python raises
# for the rest (decimal signals trapped by EXACT, a value of the wrong type at run time).
RUNTIME_FAILURES = (EvalError, ArithmeticError, TypeError, AttributeError)


def describe_failure(error: BaseException) -> str:
    """A run-time failure in words a ruleset author can act on (never a signal's class list)."""
    if isinstance(error, EvalError):
        return error.message + error.where()
    if isinstance(error, decimal.Overflow):
        return "arithmetic overflow: a value is beyond the range of exact arithmetic"
    if isinstance(error, ZeroDivisionError):  # decimal.DivisionByZero is one
        return "division by zero"
    if isinstance(error, decimal.InvalidOperation):
        return f"invalid arithmetic: a value with more than {EXACT.prec} digits, or not a number"
    return f"evaluation failed: {error}"


# ---------------------------------------------------------------- rounding


@functools.cache
def quantum(places: int) -> Decimal:
    """The step of a value shown with `places` decimals: 0.01 for 2 (kept: it is asked per record)."""
    return Decimal(1).scaleb(-places, context=EXACT)


def quantize(value: Number, step: Decimal, *, rounding: str, context: decimal.Context) -> Decimal:
    """`value` to a multiple of `step`, with the rounding mode and context named by the caller."""
    return Decimal(value).quantize(step, rounding=rounding, context=context)


def reported(value: Number, step: Decimal, context: decimal.Context) -> Decimal:
    """A value as shown and as grades compare it: half-up to `step` (see `REPORTED`). A zero
    is shown without a sign: -0.001 and `-3 × 0` are 0.00, never -0.00 (equal as numbers,
    but a sheet that shows "-0.00" is wrong to its reader, and exact integer columns have no
    negative zero to agree with it)."""
    shown = quantize(value, step, rounding=REPORTED, context=context)
    return shown if shown else shown.copy_abs()


def reporter(step: Decimal, context: decimal.Context) -> Callable[[Decimal], Decimal]:
    """`reported` for many Decimals at one step: one C call per value (arguments by position,
    which costs a third of a `functools.partial` with keywords)."""

    def report(value: Decimal) -> Decimal:
        shown = value.quantize(step, REPORTED, context)
        return shown if shown else shown.copy_abs()

    return report


REPORTED_TEXTS = 4096


class ReportedTexts:
    """`str(reported(value))` for many values at one step, remembering the texts of the last
    few thousand distinct values: a batch shows the same figures (10.00, 8.00) over and over,
    and a lookup costs a fraction of a rounding (-0 and 0, equal keys, are both shown 0.00);
    the memory is emptied when full."""

    __slots__ = ("report", "texts")

    def __init__(self, step: Decimal, context: decimal.Context) -> None:
        self.report = reporter(step, context)
        self.texts: dict[Decimal | int, str] = {}

    def __call__(self, value: Decimal | int) -> str:
        found = self.texts.get(value)
        if found is None:
            found = str(self.report(Decimal(value)))
            if len(self.texts) >= REPORTED_TEXTS:
                self.texts.clear()
            self.texts[value] = found
        return found

    def many(self, values: list[Any]) -> list[str | None]:
        """The texts of a list of values, None for None (an indicator that does not apply)."""
        found: list[str | None] = list(map(self.texts.get, values))
        if None in found:
            found = [None if v is None else self(v) for v in values]
        return found


# ---------------------------------------------------------------- scores


def negative_points(kind: PointsKind, part: str, value: Number) -> str:
    """The error of a `deduct`/`award` clause whose amount or cap is negative at run time."""
    return f"`{kind}` {part} is negative ({value}); points must not be negative"


def points(
    kind: PointsKind,
    amount: Number,
    per: Number | None = None,
    up_to: Number | None = None,
    span: Span | None = None,
) -> Number:
    """What a `deduct`/`award` clause (or a bonus item) moves: `amount`, or
    `amount × max(per, 0)` at most `up_to` (spec 4: a count below 0 counts nothing).

    A negative amount or cap is the record's error at the clause (`span`), never a
    deduction turned into an award: the checker rejects negative literals (E311), this
    catches the values only known at run time."""
    if amount < 0:
        raise EvalError("arithmetic", negative_points(kind, "amount", amount), span)
    if per is None:
        return amount
    if up_to is not None and up_to < 0:
        raise EvalError("arithmetic", negative_points(kind, "cap after `up to`", up_to), span)
    moved = amount * (per if per > 0 else 0)
    return moved if up_to is None or moved <= up_to else up_to


def signed(kind: PointsKind, moved: Number) -> Number:
    """The effect of a clause on its indicator: a deduction takes, an award gives
    (`moved` comes from `points`, so it is never negative)."""
    return -moved if kind == "deduct" else moved


def start(kinds: Iterable[PointsKind], maximum: Decimal) -> Decimal:
    """Where an indicator's points start: at its max if it only deducts, else at 0."""
    return maximum if set(kinds) == {"deduct"} else ZERO


def bounded(score: Number, maximum: Decimal, uncapped: bool) -> tuple[Decimal, str | None]:
    """An indicator's score within [0, max] (`uncapped`: only raised to 0), and why it moved."""
    if score < 0:
        return ZERO, RAISED_TO_ZERO if uncapped else DEDUCTED_TO_ZERO
    if not uncapped and score > maximum:
        return maximum, LOWERED_TO_MAX
    return Decimal(score), None


def bounded_inline(score: str, maximum: str, uncapped: bool) -> str:
    """`bounded(score, maximum, uncapped)[0]` as generated code writes it (`score` names a
    local): the score itself when it is a Decimal within its bounds, where `bounded` moves
    nothing, else the call. Generated code has `_Dec` (Decimal), `_Z` and `_bounded`."""
    within = f"_Z <= {score}" if uncapped else f"_Z <= {score} <= {maximum}"
    return f"({score} if {score}.__class__ is _Dec and {within} else _bounded({score}, {maximum}, {uncapped})[0])"


def prorate(table: Decimal, scale: Decimal, applicable: Decimal, context: decimal.Context) -> Decimal:
    """A table rescaled to `scale` from the maximum of the indicators that apply."""
    if applicable == 0:
        raise EvalError("arithmetic", NOTHING_APPLIES)
    return context.divide(context.multiply(table, scale), applicable)


def weighted_share(
    weight: Decimal, points: Decimal, applicable: Decimal, dimension: str, context: decimal.Context
) -> Decimal:
    """A weighted dimension's part of the table: weight × points / applicable maximum."""
    if applicable == 0:
        raise EvalError("arithmetic", weight_unshared(dimension))
    return context.divide(context.multiply(weight, points), applicable)


def capped_bonus(bonus: Decimal, maximum: Decimal) -> Decimal:
    """A bonus (or a penalty) held at its block's cap."""
    return maximum if bonus > maximum else bonus


def deducted(before: Decimal, penalty: Decimal, maximum: Decimal) -> tuple[Decimal, Decimal, str | None]:
    """A `penalty` block taken from the total (tables and bonus combined): the penalty held at
    its cap, the total after it (never below 0), and why either moved (None if neither did)."""
    capped = capped_bonus(penalty, maximum)
    after = before - capped
    why = [PENALTY_CAPPED] if capped != penalty else []
    if after < 0:
        after, why = ZERO, [*why, PENALTY_TO_ZERO]
    return capped, after, "; ".join(why) or None


def no_band(span: Span) -> NoReturn:
    """A `bands` clause none of whose bands holds (it has no `else`)."""
    raise EvalError("missing_value", NO_BAND_MATCHES, span)


# ---------------------------------------------------------------- built-in functions


def div(a: Decimal | int, b: Decimal | int, span: Span) -> Decimal:
    if b == 0:
        raise EvalError("division_by_zero", DIVISION_BY_ZERO, span)
    return EXACT.divide(Decimal(a), Decimal(b))


def rating(counts: list[Decimal | int], points: list[Decimal | int]) -> Decimal:
    """A vote tally read as a score: Σ count × points / Σ count, one count and one points
    figure per option (`rating([好, 较好, 一般, 差], [100, 80, 60, 0])`)."""
    if len(counts) != len(points):
        raise EvalError("arithmetic", f"rating(...) has {len(counts)} counts but {len(points)} points figures")
    cast = sum(counts)
    if cast == 0:
        raise EvalError("division_by_zero", "rating(...) of a tally with no votes")
    return EXACT.divide(Decimal(sum(Decimal(c) * p for c, p in zip(counts, points, strict=True))), Decimal(cast))


def floor(x: Decimal | int) -> int:
    return int(Decimal(x).to_integral_value(rounding=ROUND_FLOOR))


def ceil(x: Decimal | int) -> int:
    return int(Decimal(x).to_integral_value(rounding=ROUND_CEILING))


def round_half_up(x: Decimal | int, places: int = 0) -> Decimal:
    """Half away from zero, as reported values are rounded: round(-7.5) is -8."""
    return quantize(x, quantum(places), rounding=ROUND_HALF_UP, context=EXACT)


def round_fn(x: Decimal | int, places: int | None = None) -> Decimal | int:
    if places is None:
        return int(round_half_up(x, 0))
    return round_half_up(x, places)


def clamp(x: Decimal | int, lo: Decimal | int, hi: Decimal | int) -> Decimal | int:
    return lo if x < lo else hi if x > hi else x


def minimum(values: list[Decimal | int], span: Span) -> Decimal | int:
    if not values:
        raise EvalError("empty_aggregate", "min(...) of nothing", span)
    return min(values)


def maximum(values: list[Decimal | int], span: Span) -> Decimal | int:
    if not values:
        raise EvalError("empty_aggregate", "max(...) of nothing", span)
    return max(values)


def average(values: list[Decimal | int], span: Span) -> Decimal:
    if not values:
        raise EvalError("empty_aggregate", "avg(...) of nothing", span)
    return EXACT.divide(Decimal(sum(values)), Decimal(len(values)))


def days_between(a: datetime.date, b: datetime.date) -> int:
    return (b - a).days


def months_between(a: datetime.date, b: datetime.date) -> int:
    months = (b.year - a.year) * 12 + (b.month - a.month)
    return months - 1 if b.day < a.day else months


def quarter(d: datetime.date) -> int:
    return (d.month - 1) // 3 + 1
