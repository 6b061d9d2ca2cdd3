"""Exact numbers as polars expressions: a scaled integer over an optional positive denominator.

A `Num` is the value `n / (10**scale × d)`: `n` an Int128 expression, `scale` known when the
ruleset is compiled, `d` an Int128 expression that is always positive (None: 1). Sums,
products and comparisons of decimals stay scaled integers; a quotient (`/`, proration, weights)
adds a denominator, so every figure is an exact rational and is rounded once, half away from
zero (`arithmetic.REPORTED`), where the Python backend rounds it. Nothing here is a float.

The Python backend divides with 60 significant digits, so a quotient it computes may differ
from the exact one by about 10**-58. That changes nothing unless the exact value sits exactly
on an edge: a rounding half-way between two steps, a whole number under `floor`/`ceil`, or a
comparison whose sides are equal. Even then it changes nothing for a single quotient of two
exact numbers (`Num.single`: the Python backend rounds it once from the exact value, so it
meets the edge alike), nor when every divisor on the way divides 10**38 (`Exact.recurring`:
each quotient terminated and was computed exactly). The remaining rows on an edge are listed
in `fails` and scored by the Python backend, so every figure is the one it shows. (Away from
an edge, two rationals with the denominators a ruleset produces are far more than 10**-58 apart.)

Int128 wraps silently on overflow, so every `Num` carries a bound on its numerator and
denominator, known when the ruleset is compiled. A product whose bound could pass 2**126 gets
a guard instead: the rows whose operands are too large at run time are listed in `fails`,
as the rows on which the Python backend raises are (a division by zero, ...): those rows
are scored by the Python backend, which is exact at any size.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import polars as pl

INT = pl.Int128
LIMIT = 2**126  # every intermediate stays below this (Int128 holds 2**127)
FACTOR = 2**63  # a product of two factors below this is below LIMIT
COUNT_BOUND = 2**32  # list lengths, counts, calendar figures
INT_BOUND = 2**63  # an Int64 field
INT64_LIMIT = 2**62  # a value whose bound is below this is held in an Int64 column


@dataclass(frozen=True, slots=True)
class Num:
    n: pl.Expr
    scale: int
    d: pl.Expr | None = None
    is_int: bool = False  # typed int by the checker: reported as a whole number
    nb: int = INT_BOUND  # |n| is at most this
    db: int = 1  # d is at most this
    single: bool = False  # one quotient of two exact numbers: what Python's one division rounds

    @property
    def as_python(self) -> bool:
        """Whether the Python backend holds exactly this value, or rounds it once from it."""
        return self.d is None or self.single


def lit(value: int) -> pl.Expr:
    return pl.lit(value, dtype=INT)


def const(value: Decimal | int) -> Num:
    """A literal: its digits at its own scale."""
    if isinstance(value, int):
        return Num(lit(value), 0, None, True, abs(value))
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)
    scale = max(-exponent, 0)
    scaled = int(value.scaleb(scale))
    return Num(lit(scaled), scale, None, False, abs(scaled))


def counted(expr: pl.Expr) -> Num:
    """A whole number at most `COUNT_BOUND` (a count, a length, a month number)."""
    return Num(expr.cast(INT), 0, None, True, COUNT_BOUND)


class Exact:
    """The arithmetic of `Num`s; `fails` collects the conditions of rows left to Python."""

    def __init__(self, fails: Callable[[pl.Expr], None]) -> None:
        self.fails = fails

    def times(self, x: pl.Expr, xb: int, y: pl.Expr, yb: int) -> tuple[pl.Expr, int]:
        """x × y and its bound, guarded where the bound could pass `LIMIT`: a factor with a small
        bound leaves the other at most LIMIT // its bound, else both stay below `FACTOR`."""
        if xb * yb <= LIMIT:
            return x * y, xb * yb
        if min(xb, yb) <= FACTOR:
            big, small = (x, yb) if xb > yb else (y, xb)
            self.fails(big.abs() > LIMIT // small)
            return x * y, LIMIT
        for factor in (x, y):
            self.fails(factor.abs() >= FACTOR)
        return x * y, FACTOR * FACTOR

    def scaled(self, a: Num, scale: int) -> tuple[pl.Expr, int]:
        """The numerator at a larger scale (the same denominator)."""
        if scale == a.scale:
            return a.n, a.nb
        return self.times(a.n, a.nb, lit(10 ** (scale - a.scale)), 10 ** (scale - a.scale))

    def over(self, a: Num, b: Num, scale: int) -> tuple[pl.Expr, int]:
        """a's numerator at `scale`, times b's denominator: a over the common denominator."""
        n, nb = self.scaled(a, scale)
        return (n, nb) if b.d is None else self.times(n, nb, b.d, b.db)

    def denominator(self, a: Num, b: Num) -> tuple[pl.Expr | None, int]:
        if a.d is None:
            return b.d, b.db
        if b.d is None:
            return a.d, a.db
        return self.times(a.d, a.db, b.d, b.db)

    def add(self, a: Num, b: Num, sign: int = 1) -> Num:
        scale = max(a.scale, b.scale)
        (left, lb), (right, rb) = self.over(a, b, scale), self.over(b, a, scale)
        d, db = self.denominator(a, b)
        if lb + rb > LIMIT:
            self.fails((left.abs() >= LIMIT // 2) | (right.abs() >= LIMIT // 2))
            lb = rb = LIMIT // 2
        n = left + right if sign > 0 else left - right
        return Num(n, scale, d, a.is_int and b.is_int, lb + rb, db)

    @staticmethod
    def neg(a: Num) -> Num:
        return Num(negated(a.n), a.scale, a.d, a.is_int, a.nb, a.db)

    def mul(self, a: Num, b: Num) -> Num:
        n, nb = self.times(a.n, a.nb, b.n, b.nb)
        d, db = self.denominator(a, b)
        return Num(n, a.scale + b.scale, d, a.is_int and b.is_int, nb, db)

    def divide(self, a: Num, b: Num) -> Num:
        """a / b exactly; the rows where b is 0 are left to Python (its error)."""
        self.fails(b.n == 0)
        safe = pl.when(b.n == 0).then(lit(1)).otherwise(b.n)
        n, nb = self.times(a.n, a.nb, safe.sign() * 10**b.scale, 10**b.scale)
        if b.d is not None:
            n, nb = self.times(n, nb, b.d, b.db)
        if a.d is None:
            d, db = safe.abs(), b.nb
        else:
            d, db = self.times(a.d, a.db, safe.abs(), b.nb)
        return Num(n, a.scale, d, False, nb, db, a.d is None and b.d is None)

    def compare(self, a: Num, b: Num, op: str) -> pl.Expr:
        scale = max(a.scale, b.scale)
        left, right = self.over(a, b, scale)[0], self.over(b, a, scale)[0]
        if not (a.as_python and b.as_python):  # see `inexact`: where a quotient equals the other side
            self.fails((left == right) & self.recurring(self.denominator(a, b)[0]))
        ops: dict[str, Callable[[pl.Expr, pl.Expr], pl.Expr]] = {
            "==": pl.Expr.eq_missing,
            "!=": pl.Expr.ne_missing,
            "<": pl.Expr.lt,
            "<=": pl.Expr.le,
            ">": pl.Expr.gt,
            ">=": pl.Expr.ge,
        }
        return ops[op](left, right)

    def choose(self, cases: list[tuple[pl.Expr, Num]], otherwise: Num | None) -> Num:
        """`when c1 then v1 when c2 then v2 ... otherwise` over numbers, in one representation."""
        values = [v for _, v in cases] + ([otherwise] if otherwise is not None else [])
        scale = max(v.scale for v in values)
        ratio = any(v.d is not None for v in values)
        numerators = [self.scaled(v, scale) for v in values]
        n_when: Any = None  # polars' Then / ChainedThen
        d_when: Any = None
        for (cond, value), (n, _) in zip(cases, numerators, strict=False):
            n_when = (pl.when(cond) if n_when is None else n_when.when(cond)).then(n)
            if ratio:
                d_when = (pl.when(cond) if d_when is None else d_when.when(cond)).then(_one(value.d))
        assert n_when is not None
        last_n = numerators[-1][0] if otherwise is not None else None
        last_d = _one(otherwise.d) if otherwise is not None else None
        n_chain = n_when.otherwise(last_n)
        d_chain = d_when.otherwise(last_d) if d_when is not None else None
        return Num(
            n_chain,
            scale,
            d_chain,
            all(v.is_int for v in values),
            max(nb for _, nb in numerators),
            max(v.db for v in values),
            all(v.as_python for v in values) and ratio,
        )

    @staticmethod
    def recurring(d: pl.Expr | None) -> pl.Expr:
        """Whether a denominator may stand for a quotient the Python backend rounded: one with a
        prime factor other than 2 and 5 (a product of divisors that all divide 10**38 made
        every quotient on the way terminate, and the Python backend computed each exactly)."""
        return pl.lit(False) if d is None else (lit(10**38) % d) != 0

    def floor(self, a: Num) -> Num:
        if not a.as_python:  # see `inexact`: a quotient that is a whole number
            self.fails((a.n % self.unit(a) == 0) & self.recurring(a.d))
        return Num(a.n // self.unit(a), 0, None, True, a.nb)

    def ceil(self, a: Num) -> Num:
        if not a.as_python:
            self.fails((a.n % self.unit(a) == 0) & self.recurring(a.d))
        return Num(negated(negated(a.n) // self.unit(a)), 0, None, True, a.nb)

    def unit(self, a: Num) -> pl.Expr:
        """10**scale × d: what the numerator is divided by."""
        return lit(10**a.scale) if a.d is None else self.times(a.d, a.db, lit(10**a.scale), 10**a.scale)[0]

    def rounded(self, a: Num, places: int) -> pl.Expr:
        """The scaled integer of `a` rounded half away from zero to `places` (as `REPORTED`)."""
        if a.d is None and a.scale <= places:
            return self.scaled(a, places)[0]
        numerator, nb = self.times(a.n, a.nb, lit(10**places), 10**places)
        self.times(numerator, nb, lit(2), 2)
        denominator = self.unit(a)
        if not a.as_python:  # see `inexact`: a quotient exactly half-way between two steps
            self.fails(((numerator.abs() * 2) % (denominator * 2) == denominator) & self.recurring(a.d))
        magnitude = (numerator.abs() * 2 + denominator) // (denominator * 2)
        return pl.when(numerator < 0).then(negated(magnitude)).otherwise(magnitude)

    def round_num(self, a: Num, places: int) -> Num:
        return Num(self.rounded(a, places), places, None, places == 0, a.nb * 10 ** max(places - a.scale, 0))


def negated(x: pl.Expr) -> pl.Expr:
    """-x (polars has no `neg` for Int128)."""
    return lit(0) - x


def _one(d: pl.Expr | None) -> pl.Expr:
    return lit(1) if d is None else d


def as_decimal(scaled: pl.Expr, places: int) -> pl.Expr:
    """A scaled integer as a polars Decimal with exactly `places` places (as results show it)."""
    whole = scaled.cast(pl.Decimal(38, 0))
    if not places:
        return whole
    unit = pl.lit(Decimal(1).scaleb(-places), dtype=pl.Decimal(38, places))  # the same digits, `places` lower
    return (whole * unit).cast(pl.Decimal(38, places))
