"""Intermediate values of the columnar compiler kept as columns of their own."""

from __future__ import annotations

import dataclasses

import polars as pl

from .columnar_numbers import Num

Value = Num | pl.Expr  # a number, or a bool / text / date / list expression


class Stages:
    """Intermediate values kept as columns, so that an expression reads a let, an indicator or a
    table by name instead of repeating its whole tree. Each column is computed in the stage
    after the last column it reads (`levels`), so `with_columns` per stage evaluates them."""

    def __init__(self) -> None:
        self.levels: dict[str, int] = {}
        self.stages: list[dict[str, pl.Expr]] = []

    def put(self, expr: pl.Expr) -> pl.Expr:
        name = f"__v{len(self.levels)}"
        level = 1 + max((self.levels.get(root, -1) for root in expr.meta.root_names()), default=-1)
        self.levels[name] = level
        while len(self.stages) <= level:
            self.stages.append({})
        self.stages[level][name] = expr
        return pl.col(name)

    def keep(self, value: Value) -> Value:
        """`value` computed once, in a column of its own (a number's numerator and denominator)."""
        if isinstance(value, Num):
            d = None if value.d is None else self.put(value.d)
            return dataclasses.replace(value, n=self.put(value.n), d=d)
        return self.put(value)
