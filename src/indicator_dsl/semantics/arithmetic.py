"""What evaluated rulesets call at run time: exact arithmetic, calendar counting, errors.

Both the compiled plans and the reference interpreter use these, so the two agree on
every primitive; they differ only in how they walk the ruleset. The set of run-time
error kinds is closed (`EvalError.kind`), and every error carries the ruleset position.
"""

from __future__ import annotations

import datetime
import decimal
from collections.abc import Iterable
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal

from ..syntax.source import Span

# Exact enough that no score a person could write loses a digit before rounding; half-up
# so that quantizing a reported value under this context rounds as the spec says.
EXACT = decimal.Context(
    prec=60,
    rounding=decimal.ROUND_HALF_UP,
    traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
)
ZERO = Decimal(0)
ONE = Decimal(1)
HUNDRED = Decimal(100)

ERROR_KINDS = (
    "division_by_zero",
    "empty_aggregate",
    "missing_value",
    "type",
    "judged",
    "no_route",
    "ambiguous_route",
    "arithmetic",
)


class EvalError(Exception):
    """A per-record evaluation error: the record is reported, the batch goes on."""

    def __init__(self, kind: str, message: str, span: Span | None = None, path: str = "") -> None:
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


def div(a: Decimal | int, b: Decimal | int, span: Span) -> Decimal:
    if b == 0:
        raise EvalError("division_by_zero", "division by zero", span)
    return EXACT.divide(Decimal(a), Decimal(b))


def floor(x: Decimal | int) -> int:
    return int(Decimal(x).to_integral_value(rounding=ROUND_FLOOR))


def ceil(x: Decimal | int) -> int:
    return int(Decimal(x).to_integral_value(rounding=ROUND_CEILING))


def round_half_up(x: Decimal | int, places: int = 0) -> Decimal:
    """Half away from zero, as reported values are rounded: round(-7.5) is -8."""
    return Decimal(x).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP, context=EXACT)


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


def months_with(dates: Iterable[datetime.date | None], start: datetime.date, end: datetime.date) -> int:
    return len({(d.year, d.month) for d in dates if d is not None and start <= d <= end})


def quarters_with(dates: Iterable[datetime.date | None], start: datetime.date, end: datetime.date) -> int:
    return len({(d.year, (d.month - 1) // 3) for d in dates if d is not None and start <= d <= end})


def days_between(a: datetime.date, b: datetime.date) -> int:
    return (b - a).days


def months_between(a: datetime.date, b: datetime.date) -> int:
    months = (b.year - a.year) * 12 + (b.month - a.month)
    return months - 1 if b.day < a.day else months


def quarter(d: datetime.date) -> int:
    return (d.month - 1) // 3 + 1


def number(value: Decimal | int) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(value)
