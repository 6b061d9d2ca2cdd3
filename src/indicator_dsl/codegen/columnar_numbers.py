"""Exact numbers as polars expressions: a scaled integer over an optional positive denominator.

A `Num` is the value `n / (10**scale × d)`: `n` an Int128 expression, `scale` known when the
ruleset is compiled, `d` an Int128 expression that is always positive (None: 1). Sums,
products and comparisons of decimals stay scaled integers; a quotient (`/`, proration, weights)
adds a denominator, so every figure is an exact rational and is rounded once, half away from
zero (`arithmetic.REPORTED`), where the Python backend rounds it. Nothing here is a float.

A division by zero does not raise inside polars: `divide` records the condition with the
caller (`fails`), and the rows where it holds are scored by the Python backend, which reports
them with its own message.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import polars as pl

INT = pl.Int128


@dataclass(frozen=True, slots=True)
class Num:
    n: pl.Expr
    scale: int
    d: pl.Expr | None = None
    is_int: bool = False  # typed int by the checker: reported as a whole number

    def at(self, scale: int) -> pl.Expr:
        """The numerator at a larger scale (the same denominator)."""
        return self.n if scale == self.scale else self.n * (10 ** (scale - self.scale))


def const(value: Decimal | int) -> Num:
    """A literal: its digits at its own scale."""
    if isinstance(value, int):
        return Num(pl.lit(value, dtype=INT), 0, None, True)
    sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)
    scale = max(-exponent, 0)
    scaled = int(value.scaleb(scale))
    return Num(pl.lit(scaled, dtype=INT), scale)


def _times(a: pl.Expr | None, b: pl.Expr | None) -> pl.Expr | None:
    if a is None:
        return b
    return a if b is None else a * b


def _one(d: pl.Expr | None) -> pl.Expr:
    return pl.lit(1, dtype=INT) if d is None else d


def add(a: Num, b: Num, sign: int = 1) -> Num:
    scale = max(a.scale, b.scale)
    left, right = a.at(scale), b.at(scale)
    if b.d is not None:
        left = left * b.d
    if a.d is not None:
        right = right * a.d
    n = left + right if sign > 0 else left - right
    return Num(n, scale, _times(a.d, b.d), a.is_int and b.is_int)


def neg(a: Num) -> Num:
    return Num(-a.n, a.scale, a.d, a.is_int)


def mul(a: Num, b: Num) -> Num:
    return Num(a.n * b.n, a.scale + b.scale, _times(a.d, b.d), a.is_int and b.is_int)


def divide(a: Num, b: Num, fails: Callable[[pl.Expr], None]) -> Num:
    """a / b exactly; `fails` is told the rows where b is 0 (an error the Python backend reports)."""
    fails(b.n == 0)
    safe = pl.when(b.n == 0).then(pl.lit(1, dtype=INT)).otherwise(b.n)
    n = a.n * (10**b.scale) * safe.sign()
    if b.d is not None:
        n = n * b.d
    return Num(n, a.scale, _times(a.d, safe.abs()))


def compare(a: Num, b: Num, op: str) -> pl.Expr:
    scale = max(a.scale, b.scale)
    left, right = a.at(scale), b.at(scale)
    if b.d is not None:
        left = left * b.d
    if a.d is not None:
        right = right * a.d
    ops: dict[str, Callable[[pl.Expr, pl.Expr], pl.Expr]] = {
        "==": pl.Expr.eq_missing,
        "!=": pl.Expr.ne_missing,
        "<": pl.Expr.lt,
        "<=": pl.Expr.le,
        ">": pl.Expr.gt,
        ">=": pl.Expr.ge,
    }
    return ops[op](left, right)


def choose(cases: list[tuple[pl.Expr, Num]], otherwise: Num | None) -> Num:
    """`when c1 then v1 when c2 then v2 ... otherwise` over numbers, in one representation."""
    values = [v for _, v in cases] + ([otherwise] if otherwise is not None else [])
    scale = max(v.scale for v in values)
    ratio = any(v.d is not None for v in values)
    n_chain: pl.Expr | None = None
    d_chain: pl.Expr | None = None
    n_when: pl.Then | pl.ChainedThen | None = None
    d_when: pl.Then | pl.ChainedThen | None = None
    for cond, value in cases:
        n_when = (pl.when(cond) if n_when is None else n_when.when(cond)).then(value.at(scale))
        if ratio:
            d_when = (pl.when(cond) if d_when is None else d_when.when(cond)).then(_one(value.d))
    assert n_when is not None
    if otherwise is not None:
        n_chain = n_when.otherwise(otherwise.at(scale))
        d_chain = d_when.otherwise(_one(otherwise.d)) if d_when is not None else None
    else:
        n_chain = n_when.otherwise(None)
        d_chain = d_when.otherwise(None) if d_when is not None else None
    return Num(n_chain, scale, d_chain, all(v.is_int for v in values))


def clamp_low(a: Num, low: Num) -> Num:
    return choose([(compare(a, low, "<"), low)], a)


def floor(a: Num) -> Num:
    return Num(a.n // (_one(a.d) * 10**a.scale), 0, None, True)


def ceil(a: Num) -> Num:
    return Num(-((-a.n) // (_one(a.d) * 10**a.scale)), 0, None, True)


def rounded(a: Num, places: int) -> pl.Expr:
    """The scaled integer of `a` rounded half away from zero to `places` (as `REPORTED`)."""
    if a.d is None and a.scale <= places:
        return a.at(places)
    denominator = pl.lit(10**a.scale, dtype=INT) if a.d is None else a.d * 10**a.scale
    numerator = a.n * 10**places
    magnitude = (numerator.abs() * 2 + denominator) // (denominator * 2)
    return pl.when(numerator < 0).then(-magnitude).otherwise(magnitude)


def round_num(a: Num, places: int) -> Num:
    return Num(rounded(a, places), places, None, places == 0)


def as_decimal(scaled: pl.Expr, places: int) -> pl.Expr:
    """A scaled integer as a polars Decimal with exactly `places` places (as results show it)."""
    whole = scaled.cast(pl.Decimal(38, 0)).cast(pl.Decimal(38, places))
    return whole / (10**places) if places else whole
