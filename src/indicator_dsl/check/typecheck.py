"""Typing expressions against the schema and the names in scope.

Every rule of spec section 5 that can be decided statically is decided here: unknown
names and fields (with a "did you mean"), enum literals, optional values used without
a guard, operand and argument types, non-boolean conditions. Guards narrow
(`x is none or E`, `x is not none and E`, `if x is none then A else E`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace

from ..semantics.history import HISTORY_PARTS
from ..syntax import nodes as n
from ..syntax.diagnostics import Diagnostic
from .calls import check_aggregate, check_call
from .scope import Scope, guarded, path_of
from .suggestions import closest, did_you_mean, field_listing
from .types import (
    BOOL,
    DATE,
    DECIMAL,
    ERROR,
    INT,
    NONE,
    PRIMITIVES,
    TEXT,
    Type,
    comparable,
    list_of,
    type_of_ref,
    unify_numeric,
)

ARITHMETIC = {"+", "-", "*", "/"}
ORDERING = {"<", "<=", ">", ">="}
EQUALITY = {"==", "!="}


class ExprChecker:
    """Types expressions; `period` says whether the ruleset declares the assessment period
    that `in_period`, `period.start` and the calendar counts read (a catalog has none);
    `grades` are the grade names `history(N).grade` may hold."""

    def __init__(
        self,
        record_types: Mapping[str, n.TypeDecl],
        report: Callable[[Diagnostic], None],
        *,
        period: bool,
        grades: Sequence[str] = (),
    ) -> None:
        self.record_types = record_types
        self.report = report
        self.period = period
        self.grades = tuple(grades)
        self.let_types: dict[int, Type] = {}
        self.in_progress: list[n.Let] = []
        self.used_lets: set[int] = set()
        self.let_deps: dict[int, set[int]] = {}
        self._field_cache: dict[str, dict[str, Type]] = {}
        # Set when the record type itself is unknown (reported once): any unknown name may be one of
        # its fields, so it is not reported again.
        self.fields_unknown = False

    # ---------------------------------------------------------------- helpers

    def fields_of(self, record: str) -> dict[str, Type]:
        if record not in self._field_cache:
            decl = self.record_types.get(record)
            known = set(self.record_types)
            out: dict[str, Type] = {}
            for fld in decl.fields if decl else ():
                out[fld.name] = type_of_ref(fld.type, known) or ERROR
            self._field_cache[record] = out
        return self._field_cache[record]

    def error(
        self, code: str, message: str, expr: n.Expr | n.Let | n.BandEntry | n.Bands, hint: str | None = None
    ) -> Type:
        self.report(Diagnostic(code, message, expr.span, hint=hint))
        return ERROR

    def required(self, t: Type, expr: n.Expr) -> Type:
        """Uses of a possibly-none value outside `??`, `is none` and `==` are errors (E204)."""
        if t.optional and t.kind != "none":
            shown = path_of(expr) or "this value"
            fallback = f"`{shown} ?? 0`, or " if t.numeric else ""
            self.error(
                "E204",
                f"`{shown}` may be none here",
                expr,
                hint=f"guard it: {fallback}`{shown} is not none and ...`",
            )
            return t.required()
        return t

    def check_condition(self, expr: n.Expr, scope: Scope, what: str) -> None:
        t = self.required(self.check(expr, scope), expr)
        if t.kind not in ("bool", "error"):
            self.error(
                "E207",
                f"the {what} condition must be true or false, but it is {t}",
                expr,
                hint="compare it, for example `... > 0`",
            )

    def check_number(self, expr: n.Expr, scope: Scope, what: str) -> Type:
        t = self.required(self.check(expr, scope), expr)
        if not t.numeric and t.kind != "error":
            return self.error("E215", f"{what} must be a number, but it is {t}", expr)
        return t

    # ---------------------------------------------------------------- dispatch

    def check(self, expr: n.Expr, scope: Scope) -> Type:
        method: Callable[[n.Expr, Scope], Type] | None = getattr(self, f"_check_{type(expr).__name__}", None)
        if method is None:  # pragma: no cover - a new node type without a checker is a bug
            raise TypeError(f"no type rule for {type(expr).__name__}")
        return method(expr, scope)

    def _check_Number(self, expr: n.Number, scope: Scope) -> Type:
        return (
            INT
            if expr.value == expr.value.to_integral_value() and "." not in expr.text and "%" not in expr.text
            else DECIMAL
        )

    def _check_String(self, expr: n.String, scope: Scope) -> Type:
        return TEXT

    def _check_DateLit(self, expr: n.DateLit, scope: Scope) -> Type:
        return DATE

    def _check_Bool(self, expr: n.Bool, scope: Scope) -> Type:
        return BOOL

    def _check_NoneLit(self, expr: n.NoneLit, scope: Scope) -> Type:
        return NONE

    def needs_period(self, what: str, expr: n.Expr) -> None:
        """E216: a built-in that reads the period, where no period is declared."""
        if not self.period:
            self.error(
                "E216",
                f"{what} reads the assessment period, but no `period` is declared",
                expr,
                hint="declare it after the ruleset line, for example `period 2023-01-01 to 2023-12-31`",
            )

    def _check_PeriodRef(self, expr: n.PeriodRef, scope: Scope) -> Type:
        self.needs_period(f"`period.{expr.part}`", expr)
        if expr.part not in ("start", "end"):
            return self.error(
                "E201",
                f"`period` has only `start` and `end`, not `{expr.part}`",
                expr,
                hint=did_you_mean(expr.part, ["start", "end"]),
            )
        return DATE

    def _check_HistoryRef(self, expr: n.HistoryRef, scope: Scope) -> Type:
        """`history(N).part`: optional (none without history), except `found`."""
        if expr.back < 1:
            return self.error(
                "E201", f"`history({expr.back})` counts years back from 1", expr, hint="last year is `history(1)`"
            )
        kind = HISTORY_PARTS.get(expr.part)
        if kind is None:
            return self.error(
                "E201",
                f"`history(N)` has no `{expr.part}`",
                expr,
                hint=did_you_mean(expr.part, HISTORY_PARTS) or "parts: " + ", ".join(f"`{p}`" for p in HISTORY_PARTS),
            )
        if expr.part == "found":
            return BOOL
        t = Type("enum", members=self.grades) if kind == "grade" and self.grades else PRIMITIVES.get(kind, TEXT)
        return t if path_of(expr) in scope.narrowed else t.maybe()

    def _check_ListLit(self, expr: n.ListLit, scope: Scope) -> Type:
        if not expr.items:
            return list_of(ERROR)
        types = [self.check(item, scope) for item in expr.items]
        first = next((t for t in types if t.kind != "error"), ERROR)
        for item, t in zip(expr.items, types, strict=True):
            if not comparable(first, t):
                self.error("E205", f"a list holds one kind of value; this is {t}, the first is {first}", item)
        if all(t.numeric for t in types):
            first = INT if all(t.kind == "int" for t in types) else DECIMAL
        return list_of(first)

    def _check_Name(self, expr: n.Name, scope: Scope) -> Type:
        name = expr.name
        if name in scope.variables:
            t = scope.variables[name]
        elif name in scope.lets:
            t = self.let_type(scope.lets[name], scope)
        elif name in scope.values:
            t = scope.values[name]
            if t.kind == "source":
                t = DECIMAL  # a table source alone is its table score
        elif name in scope.fields:
            t = scope.fields[name]
        elif name in scope.parts and len(scope.table_sources) == 1:
            return DECIMAL
        elif name in scope.parts:
            sources = ", ".join(f"`{s}.{name}`" for s in sorted(scope.table_sources))
            return self.error(
                "E212", f"`{name}` is scored by several sources; say which", expr, hint=f"write one of {sources}"
            )
        elif self.fields_unknown:
            return ERROR
        else:
            options = [*scope.variables, *scope.lets, *scope.values, *scope.fields]
            return self.error("E200", f"unknown name `{name}`", expr, hint=did_you_mean(name, options))
        return t.required() if name in scope.narrowed else t

    @staticmethod
    def _known_name(name: str, scope: Scope) -> bool:
        return any(name in names for names in (scope.variables, scope.lets, scope.values, scope.fields))

    def mark_used(self, key: int) -> None:
        """A let is used, and so is every let it reads (iteratively: chains may be long)."""
        stack = [key]
        while stack:
            current = stack.pop()
            if current not in self.used_lets:
                self.used_lets.add(current)
                stack.extend(self.let_deps.get(current, ()))

    def let_type(self, let: n.Let, scope: Scope, *, use: bool = True) -> Type:
        """The type of a let, computed once; `use` marks it (and what it reads) as used. Inside
        another let's body a let is only recorded as read: it is used if that let is."""
        key = id(let)
        if self.in_progress:
            self.let_deps[id(self.in_progress[-1])].add(key)
            use = False
        if key in self.let_types:
            if use:
                self.mark_used(key)
            return self.let_types[key]
        if let in self.in_progress:
            chain = " → ".join(x.name for x in self.in_progress[self.in_progress.index(let) :]) + f" → {let.name}"
            return self.error(
                "E213", f"`let {let.name}` refers to itself: {chain}", let, hint="a let cannot depend on itself"
            )
        self.in_progress.append(let)
        self.let_deps[key] = set()
        try:
            t = self.check(let.expr, replace(scope, variables={}, narrowed=frozenset()))
        finally:
            self.in_progress.pop()
        self.let_types[key] = t
        if use:
            self.mark_used(key)
        return t

    def _check_Attribute(self, expr: n.Attribute, scope: Scope) -> Type:
        if (
            isinstance(expr.obj, n.Name)
            and expr.obj.name in scope.table_sources
            and expr.obj.name not in scope.variables
        ):
            if expr.name in scope.parts:
                return DECIMAL
            return self.error(
                "E210",
                f"`{expr.obj.name}` has no dimension or indicator `{expr.name}`",
                expr,
                hint=did_you_mean(expr.name, scope.parts),
            )
        if (
            isinstance(expr.obj, n.Name)
            and expr.name in scope.parts
            and scope.table_sources
            and not self._known_name(expr.obj.name, scope)
        ):
            # `superiour.activities`: a part of the table qualified by a name that is no source (E209)
            sources = sorted(scope.table_sources)
            return self.error(
                "E209",
                f"unknown assessment source `{expr.obj.name}`",
                expr.obj,
                hint=did_you_mean(expr.obj.name, sources) or "sources: " + ", ".join(f"`{s}`" for s in sources),
            )
        obj = self.check(expr.obj, scope)
        if obj.kind == "error":
            return ERROR
        obj = self.required(obj, expr.obj)
        if obj.kind != "record" or obj.record is None:
            return self.error("E205", f"{obj} has no fields; `.{expr.name}` cannot be read", expr)
        fields = self.fields_of(obj.record)
        if expr.name not in fields:
            hint = did_you_mean(expr.name, fields) or field_listing(expr.name, fields)
            return self.error("E201", f"{obj.record} has no field `{expr.name}`", expr, hint=hint)
        t = fields[expr.name]
        return t.required() if path_of(expr) in scope.narrowed else t

    def _check_Unary(self, expr: n.Unary, scope: Scope) -> Type:
        if expr.op == "not":
            self.check_condition(expr.operand, scope, "`not`")
            return BOOL
        return self.check_number(expr.operand, scope, "the operand of `-`")

    def _check_IsNone(self, expr: n.IsNone, scope: Scope) -> Type:
        self.check(expr.operand, scope)
        return BOOL

    def _check_IfExpr(self, expr: n.IfExpr, scope: Scope) -> Type:
        self.check_condition(expr.cond, scope, "`if`")
        then = self.check(expr.then, scope.narrow(guarded(expr.cond, when=True)))
        other = self.check(expr.else_, scope.narrow(guarded(expr.cond, when=False)))
        return self.join(then, other, expr)

    def join(self, a: Type, b: Type, expr: n.Expr) -> Type:
        if a.kind == "error" or b.kind == "error":
            return ERROR
        if a.kind == "none":
            return b.maybe()
        if b.kind == "none":
            return a.maybe()
        optional = a.optional or b.optional
        if a.numeric and b.numeric:
            t = unify_numeric(a, b)
        elif comparable(a, b):
            t = a if a.kind == b.kind and a.members == b.members else (TEXT if a.textual else a)
        else:
            return self.error("E205", f"both branches must give the same kind of value, not {a} and {b}", expr)
        return t.maybe() if optional else t.required()

    def _check_Binary(self, expr: n.Binary, scope: Scope) -> Type:
        op = expr.op
        if op in ("and", "or"):
            self.check_condition(expr.left, scope, f"`{op}`")
            narrowed = guarded(expr.left, when=(op == "and"))
            self.check_condition(expr.right, scope.narrow(narrowed), f"`{op}`")
            return BOOL
        if op == "??":
            left = self.check(expr.left, scope)
            right = self.check(expr.right, scope)
            return self.join(left.required(), right, expr)
        left = self.check(expr.left, scope)
        right = self.check(expr.right, scope)
        if left.kind == "error" or right.kind == "error":
            return BOOL if op in ORDERING | EQUALITY | {"in", "not in"} else ERROR
        if op in ARITHMETIC:
            left, right = self.required(left, expr.left), self.required(right, expr.right)
            if not (left.numeric and right.numeric):
                return self.error(
                    "E205",
                    f"`{op}` needs two numbers, not {left} and {right}",
                    expr,
                    hint="use days_between(a, b) for dates" if "date" in (left.kind, right.kind) else None,
                )
            return DECIMAL if op == "/" else unify_numeric(left, right)
        if op in EQUALITY:
            if not comparable(left, right):
                return self.error("E205", f"{left} and {right} can never be equal", expr)
            self.enum_literal(left, expr.right)
            self.enum_literal(right, expr.left)
            return BOOL
        if op in ORDERING:
            left, right = self.required(left, expr.left), self.required(right, expr.right)
            if not ((left.numeric and right.numeric) or (left.kind == right.kind == "date")):
                return self.error("E205", f"`{op}` compares numbers or dates, not {left} and {right}", expr)
            return BOOL
        # in / not in
        left, right = self.required(left, expr.left), self.required(right, expr.right)
        if right.kind != "list" or right.item is None:
            return self.error("E205", f"`{op}` needs a list on its right, not {right}", expr.right)
        if right.item.kind != "error" and not comparable(left, right.item):
            return self.error("E205", f"a {left} is never in a list of {right.item}", expr)
        self.enum_literal(right.item, expr.left)
        self.enum_literal(left, expr.right)
        return BOOL

    def enum_literal(self, t: Type, expr: n.Expr) -> None:
        """A text literal compared with an enum must be one of its members (E203)."""
        t = t.required()
        if t.kind == "list" and t.item is not None:
            t = t.item
        if t.kind != "enum":
            return
        literals = expr.items if isinstance(expr, n.ListLit) else (expr,)
        for lit in literals:
            if isinstance(lit, n.String) and lit.value not in t.members:
                best = closest(lit.value, t.members)
                hint = f'did you mean "{best}"?' if best else ("members: " + ", ".join(f'"{m}"' for m in t.members))
                self.error("E203", f'"{lit.value}" is not one of the values of {t}', lit, hint=hint)

    def _check_Call(self, expr: n.Call, scope: Scope) -> Type:
        return check_call(self, expr, scope)

    def _check_Aggregate(self, expr: n.Aggregate, scope: Scope) -> Type:
        return check_aggregate(self, expr, scope)


# What other modules read from here: the checker, and the helpers it types with.
__all__ = ["ExprChecker", "Scope", "closest", "did_you_mean", "guarded", "path_of"]
