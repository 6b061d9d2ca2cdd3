"""Typing calls of built-in functions and aggregates, as the table of built-ins
(`semantics.builtins`) describes them; `ExprChecker` dispatches calls and aggregates here."""

from __future__ import annotations

from typing import Protocol

from ..semantics.builtins import AGGREGATES, FUNCTIONS
from ..syntax import nodes as n
from .scope import Scope, guarded, path_of
from .suggestions import did_you_mean
from .types import BOOL, DATE, DECIMAL, ERROR, INT, Type, unify_numeric


class ExprChecker(Protocol):
    """What typing a call needs of `typecheck.ExprChecker`: typing its arguments, and reporting."""

    def check(self, expr: n.Expr, scope: Scope) -> Type: ...

    def required(self, t: Type, expr: n.Expr) -> Type: ...

    def check_condition(self, expr: n.Expr, scope: Scope, what: str) -> None: ...

    def needs_period(self, what: str, expr: n.Expr) -> None: ...

    def error(self, code: str, message: str, expr: n.Expr, hint: str | None = None) -> Type: ...


def check_call(checker: ExprChecker, expr: n.Call, scope: Scope) -> Type:
    """A call of a built-in function: its shape and argument kinds, its result type."""
    function = FUNCTIONS.get(expr.func)
    if function is None:
        if expr.func in AGGREGATES:
            return checker.error(
                "E015", f"{expr.func}(...) needs `NAME in LIST`, for example {expr.func}(m in meetings ...)", expr
            )
        return checker.error("E208", f"unknown function `{expr.func}`", expr, hint=did_you_mean(expr.func, FUNCTIONS))
    shape = next((s for s in function.shapes if len(s) == len(expr.args)), None)
    if shape is None:
        counts = " or ".join(str(len(s)) for s in function.shapes)
        return checker.error("E206", f"{expr.func}(...) takes {counts} argument(s), not {len(expr.args)}", expr)
    if function.reads_period:
        checker.needs_period(f"{expr.func}(...)", expr)
    types: list[Type] = []
    for arg, kind in zip(expr.args, shape, strict=True):
        t = checker.required(checker.check(arg, scope), arg)
        types.append(t)
        wanted = {"num": t.numeric, "int": t.kind == "int", "date": t.kind == "date", "list": t.kind == "list"}[kind]
        if not wanted and t.kind != "error":
            words = {"num": "a number", "int": "a whole number", "date": "a date", "list": "a list"}
            checker.error("E206", f"{expr.func}(...) needs {words[kind]} here, not {t}", arg)
            return ERROR
    if function.result == "same":
        return types[0]
    if function.result == "unify":
        out = types[0]
        for t in types[1:]:
            out = unify_numeric(out, t)
        return out
    if function.result == "round":
        return INT if len(types) == 1 else DECIMAL
    return {"int": INT, "bool": BOOL, "decimal": DECIMAL}[function.result]


def check_aggregate(checker: ExprChecker, expr: n.Aggregate, scope: Scope) -> Type:
    """An aggregate: its list, filter, `by` (a date or a key) and value, and its result type."""
    source = checker.required(checker.check(expr.source, scope), expr.source)
    if source.kind == "error":
        item = ERROR
    elif source.kind != "list" or source.item is None:
        checker.error(
            "E205",
            f"{expr.func}(...) goes over a list, but `{path_of(expr.source) or 'this'}` is {source}",
            expr.source,
        )
        item = ERROR
    else:
        item = source.item
    inner = scope.bind(expr.var, item)
    if expr.where is not None:
        checker.check_condition(expr.where, inner, "`where`")
        inner = inner.narrow(guarded(expr.where, when=True))
    func, aggregate = expr.func, AGGREGATES[expr.func]
    if aggregate.reads_period:
        checker.needs_period(f"{func}(...)", expr)
    if aggregate.needs_by:
        if expr.by is None:
            return checker.error("E206", f"{func}(...) needs `by DATE`, for example `, by m.held_on`", expr)
        by = checker.required(checker.check(expr.by, inner), expr.by)
        if by.kind not in ("date", "error"):
            checker.error("E206", f"`by` must give a date, not {by}", expr.by)
        return INT
    if expr.by is not None and aggregate.keyed:
        key = checker.required(checker.check(expr.by, inner), expr.by)
        if key.kind in ("list", "record", "source"):
            checker.error("E206", f"`by` picks one element per distinct key; a key is a value, not {key}", expr.by)
    elif expr.by is not None:
        dated = ", ".join(f"{a.name}(...)" for a in AGGREGATES.values() if a.needs_by)
        keyed = ", ".join(f"{a.name}(...)" for a in AGGREGATES.values() if a.keyed)
        checker.error("E206", f"`by` belongs in {dated} (a date) and {keyed} (a key)", expr.by)
    if not aggregate.takes_value:
        if expr.value is not None:
            checker.error("E206", f"{func}(...) takes no value expression", expr.value)
        if func == "all" and expr.where is None and item.kind not in ("bool", "error"):
            checker.error(
                "E206",
                f"all(...) without `where` asks whether every element is true, but they are {item}",
                expr,
                hint=f"say what every element must satisfy: all({expr.var} in ... where CONDITION)",
            )
        return INT if aggregate.result == "int" else BOOL
    value = item if expr.value is None else checker.check(expr.value, inner)
    if value.kind == "error":
        return INT if aggregate.result == "int" else DECIMAL
    if aggregate.result == "int":
        return INT
    value = checker.required(value, expr.value or expr)
    if aggregate.over_dates and value.kind == "date":
        return DATE
    if not value.numeric:
        what = "its values" if expr.value is not None else "the list's elements"
        return checker.error("E206", f"{func}(...) adds up numbers, but {what} are {value}", expr.value or expr)
    if aggregate.result == "decimal":
        return DECIMAL
    return value
