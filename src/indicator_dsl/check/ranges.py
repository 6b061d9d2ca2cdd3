"""What the checker knows of the values numbers can take, and the comparisons that settles (W505).

A schema field may declare the values a record may hold (`attendance: decimal in 0..1`);
records outside it are refused when they are read (`semantics/records.py`), so the checker
may rely on it. From those ranges and from literals, every number expression gets an
interval by plain interval arithmetic (`+ - * /`, unary minus, `if`, `??`, `floor`,
`ceil`, `round`, `abs`, `min`, `max`, `clamp`, and `min`/`max`/`avg`/`sum` over a list);
counts (`count`, `distinct`, `len`, `months_with`, `quarters_with`) are never negative.
Anything else (a field with no range, a grading value, a date difference) is unknown.
The intervals only ever widen (bounds are rounded outwards), so a warning is never false:
a comparison is reported only when the intervals settle it for every record.

W505 then says what a wrong scale looks like: `attendance >= 90` on a ratio can never be
true (hint: `90%`), `count(...) >= 0` is always true, and bands whose every threshold
lies outside their subject's range can only ever give their `else`.
"""

from __future__ import annotations

import decimal
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from ..syntax import nodes as n
from ..syntax.diagnostics import Diagnostic
from ..syntax.printer import print_expr
from .resolved import figure
from .typecheck import ExprChecker, Scope

INFINITY = Decimal("Infinity")
_DOWN = decimal.Context(prec=60, rounding=ROUND_FLOOR, traps=[decimal.InvalidOperation, decimal.Overflow])
_UP = decimal.Context(prec=60, rounding=ROUND_CEILING, traps=[decimal.InvalidOperation, decimal.Overflow])
HUNDRED = Decimal(100)

COUNTS = frozenset({"count", "distinct", "months_with", "quarters_with"})
ORDERING = {"<", "<=", ">", ">="}
FLIPPED = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}


@dataclass(frozen=True, slots=True)
class Interval:
    """All the values an expression may take, both ends included; an end may be infinite."""

    low: Decimal
    high: Decimal

    def __str__(self) -> str:
        if self.high == INFINITY:
            return f"at least {figure(self.low)}"
        if self.low == -INFINITY:
            return f"at most {figure(self.high)}"
        return f"between {figure(self.low)} and {figure(self.high)}"


NON_NEGATIVE = Interval(Decimal(0), INFINITY)


def _product(a: Decimal, b: Decimal, context: decimal.Context) -> Decimal:
    return Decimal(0) if a == 0 or b == 0 else context.multiply(a, b)


def add(a: Interval, b: Interval) -> Interval:
    return Interval(_DOWN.add(a.low, b.low), _UP.add(a.high, b.high))


def negate(a: Interval) -> Interval:
    return Interval(-a.high, -a.low)


def multiply(a: Interval, b: Interval) -> Interval:
    corners = [(x, y) for x in (a.low, a.high) for y in (b.low, b.high)]
    return Interval(min(_product(x, y, _DOWN) for x, y in corners), max(_product(x, y, _UP) for x, y in corners))


def divide(a: Interval, b: Interval) -> Interval | None:
    """a / b, unknown when b may be 0 (then the division fails at run time anyway)."""
    if b.low <= 0 <= b.high:
        return None
    inverse = Interval(_DOWN.divide(1, b.high), _UP.divide(1, b.low))
    return multiply(a, inverse)


def hull(a: Interval | None, b: Interval | None) -> Interval | None:
    if a is None or b is None:
        return None
    return Interval(min(a.low, b.low), max(a.high, b.high))


def decided(op: str, left: Interval, right: Interval) -> bool | None:
    """True or False when `left OP right` is so for every pair of values, else None."""
    if op in (">", ">="):
        return decided(FLIPPED[op], right, left)
    if op == "<":
        return True if left.high < right.low else False if left.low >= right.high else None
    if op == "<=":
        return True if left.high <= right.low else False if left.low > right.high else None
    disjoint = left.high < right.low or right.high < left.low
    if op == "==":
        return False if disjoint else None
    if op == "!=":
        return True if disjoint else None
    return None


def field_ranges(types: Mapping[str, n.TypeDecl]) -> dict[tuple[str, str], Interval]:
    """(record type, field) -> its declared range."""
    return {
        (decl.name, fld.name): Interval(fld.range.low.value, fld.range.high.value)
        for decl in types.values()
        for fld in decl.fields
        if fld.range is not None
    }


class RangeChecker:
    """Intervals of expressions in a ruleset, and the W505 comparisons they settle.

    `types` is a second expression checker whose reports are dropped: it only says which
    record type an expression like `m` in `m.attendance` holds (the checker proper has
    reported its problems already)."""

    def __init__(
        self, record_types: Mapping[str, n.TypeDecl], root: str | None, report: Callable[[Diagnostic], None]
    ) -> None:
        self.ranges = field_ranges(record_types)
        self.root = root
        self.report = report
        self.types = ExprChecker(record_types, lambda _: None, period=True)
        self._lets: dict[int, Interval | None] = {}
        self._in_progress: set[int] = set()

    # ---------------------------------------------------------------- intervals

    def interval(self, expr: n.Expr, scope: Scope) -> Interval | None:
        """The values `expr` may take, or None when nothing is known."""
        if not self.ranges and not isinstance(expr, (n.Number, n.Aggregate, n.Call)):
            return None  # no field has a range: only literals and counts have one
        try:
            return self._interval(expr, scope)
        except (ArithmeticError, RecursionError):  # beyond the exact context's reach: say nothing
            return None

    def _interval(self, expr: n.Expr, scope: Scope) -> Interval | None:
        if isinstance(expr, n.Number):
            return Interval(expr.value, expr.value)
        if isinstance(expr, n.Name):
            return self._name(expr.name, scope)
        if isinstance(expr, n.Attribute):
            obj = self.types.check(expr.obj, scope).required()
            if obj.kind == "record" and obj.record is not None:
                return self.ranges.get((obj.record, expr.name))
            return None
        if isinstance(expr, n.Unary) and expr.op == "-":
            inner = self._interval(expr.operand, scope)
            return None if inner is None else negate(inner)
        if isinstance(expr, n.Binary):
            return self._binary(expr, scope)
        if isinstance(expr, n.IfExpr):
            return hull(self._interval(expr.then, scope), self._interval(expr.else_, scope))
        if isinstance(expr, n.Call):
            return self._call(expr, scope)
        if isinstance(expr, n.Aggregate):
            return self._aggregate(expr, scope)
        return None

    def _name(self, name: str, scope: Scope) -> Interval | None:
        if name in scope.variables or name in scope.values:
            return None
        if name in scope.lets:
            let = scope.lets[name]
            key = id(let)
            if key not in self._lets:
                if key in self._in_progress:  # a cycle (E213)
                    return None
                self._in_progress.add(key)
                try:
                    self._lets[key] = self._interval(let.expr, replace(scope, variables={}, narrowed=frozenset()))
                finally:
                    self._in_progress.discard(key)
            return self._lets[key]
        if name in scope.fields and self.root is not None:
            return self.ranges.get((self.root, name))
        return None

    def _binary(self, expr: n.Binary, scope: Scope) -> Interval | None:
        if expr.op not in ("+", "-", "*", "/", "??"):
            return None
        left = self._interval(expr.left, scope)
        right = self._interval(expr.right, scope)
        if expr.op == "??":
            return hull(left, right)
        if left is None or right is None:
            return None
        if expr.op == "+":
            return add(left, right)
        if expr.op == "-":
            return add(left, negate(right))
        if expr.op == "*":
            return multiply(left, right)
        return divide(left, right)

    def _call(self, expr: n.Call, scope: Scope) -> Interval | None:
        if expr.func == "len":
            return NON_NEGATIVE
        args = [self._interval(a, scope) for a in expr.args]
        if any(a is None for a in args) or not args:
            return None
        known = [a for a in args if a is not None]
        first = known[0]
        if expr.func in ("floor", "ceil", "round") and len(known) == 1:
            # every rounding stays within one unit of its argument, inside the whole numbers around it
            return Interval(first.low.to_integral_value(ROUND_FLOOR), first.high.to_integral_value(ROUND_CEILING))
        if expr.func == "abs":
            if first.low >= 0:
                return first
            return Interval(Decimal(0) if first.high >= 0 else -first.high, max(-first.low, first.high))
        if expr.func in ("min", "max") and len(known) == 2:
            pick = min if expr.func == "min" else max
            return Interval(pick(first.low, known[1].low), pick(first.high, known[1].high))
        if expr.func == "clamp" and len(known) == 3:
            low, high = known[1], known[2]
            return Interval(max(first.low, low.low), min(max(first.high, low.high), high.high))
        return None

    def _aggregate(self, expr: n.Aggregate, scope: Scope) -> Interval | None:
        if expr.func in COUNTS:
            return NON_NEGATIVE
        if expr.func not in ("sum", "min", "max", "avg") or expr.value is None:
            return None
        value = self._interval(expr.value, self.inner_scope(expr, scope))
        if value is None:
            return None
        if expr.func == "sum":  # of nothing is 0; of non-negative values never below it
            return NON_NEGATIVE if value.low >= 0 else None
        return value

    def inner_scope(self, expr: n.Aggregate, scope: Scope) -> Scope:
        """The scope inside an aggregate, its variable bound to the list's element type."""
        source = self.types.check(expr.source, scope).required()
        item = source.item if source.kind == "list" and source.item is not None else source
        return scope.bind(expr.var, item)

    # ---------------------------------------------------------------- W505

    def visit(self, expr: n.Expr, scope: Scope) -> None:
        """Report every comparison in `expr` that the ranges settle."""
        if not self.ranges and not any(isinstance(x, n.Aggregate) and x.func in COUNTS for x in n.walk(expr)):
            return  # nothing is ranged: literal-against-literal is all that is left, and it is not worth a walk
        stack: list[tuple[n.Expr, Scope]] = [(expr, scope)]
        while stack:
            current, where = stack.pop()
            if isinstance(current, n.Binary) and current.op in ORDERING | {"==", "!="}:
                self.comparison(current, where)
            if isinstance(current, n.Aggregate):
                inner = self.inner_scope(current, where)
                stack.append((current.source, where))
                stack.extend((part, inner) for part in (current.where, current.value, current.by) if part is not None)
                continue
            stack.extend((child, where) for child in _children(current))

    def comparison(self, expr: n.Binary, scope: Scope) -> None:
        left, right = self.interval(expr.left, scope), self.interval(expr.right, scope)
        if left is None or right is None:
            return
        if isinstance(expr.left, n.Number) and isinstance(expr.right, n.Number):
            return  # two literals: a deliberate constant, not a scale mistake
        verdict = decided(expr.op, left, right)
        if verdict is None:
            return
        ranged, other, known = (
            (expr.left, expr.right, left) if right.low == right.high else (expr.right, expr.left, right)
        )
        what = "always true" if verdict else "never true"
        self.report(
            Diagnostic(
                "W505",
                f"`{_shown(expr)}` is {what}: `{_shown(ranged)}` is {known}",
                expr.span,
                hint=_hint(other, known, verdict),
            )
        )

    def bands(self, bands: n.Bands, scope: Scope) -> None:
        """W505 for value bands over a ranged subject: one for the whole clause when no
        threshold can ever apply, else one per band that never (or always) applies."""
        for entry in bands.entries:
            if entry.kind == "when" and entry.test is not None:
                self.visit(entry.test, scope)
        if bands.subject is None:
            return
        subject = self.interval(bands.subject, scope)
        if subject is None:
            return
        verdicts: list[tuple[n.BandEntry, bool | None]] = []
        for entry in bands.entries:
            if entry.kind in ("else", "when") or entry.test is None:
                continue
            test = self.interval(entry.test, scope)
            op = "==" if entry.kind == "equal" else entry.op or "=="
            verdicts.append((entry, None if test is None else decided(op, subject, test)))
        shown = _shown(bands.subject)
        if len(verdicts) > 1 and all(v is False for _, v in verdicts):
            first = verdicts[0][0]
            assert first.test is not None
            self.report(
                Diagnostic(
                    "W505",
                    f"no band can ever apply: every threshold is outside the range of `{shown}` ({subject})",
                    bands.span,
                    hint=_hint(first.test, subject, False) or "write the thresholds on the subject's scale",
                )
            )
            return
        for entry, verdict in verdicts:
            if verdict is None:
                continue
            assert entry.test is not None
            what = "always applies" if verdict else "can never apply"
            self.report(
                Diagnostic(
                    "W505",
                    f"this band {what}: `{shown}` is {subject}",
                    entry.span,
                    hint=_hint(entry.test, subject, verdict),
                )
            )


def _shown(expr: n.Expr, width: int = 60) -> str:
    """An expression as a message quotes it, cut to `width` characters."""
    text = print_expr(expr)
    return text if len(text) <= width else text[: width - 1] + "…"


def _children(expr: n.Expr) -> list[n.Expr]:
    if isinstance(expr, n.Binary):
        return [expr.left, expr.right]
    if isinstance(expr, (n.Unary, n.IsNone)):
        return [expr.operand]
    if isinstance(expr, n.IfExpr):
        return [expr.cond, expr.then, expr.else_]
    if isinstance(expr, n.Call):
        return list(expr.args)
    if isinstance(expr, n.Attribute):
        return [expr.obj]
    if isinstance(expr, n.ListLit):
        return list(expr.items)
    return []


def _hint(threshold: n.Expr, known: Interval, verdict: bool) -> str:
    """`write 90%` when the threshold is a number that, read as a percentage, falls in range."""
    if isinstance(threshold, n.Number) and "%" not in threshold.text:
        share = threshold.value / HUNDRED
        outside = not known.low <= threshold.value <= known.high
        if outside and known.low <= share <= known.high:
            return f"on this scale a percentage is written with `%`: `{threshold.text}%` is {figure(share)}"
    if verdict:
        return "the condition holds for every record: drop it, or check the threshold"
    return "check the threshold against the range declared in the schema"


def field_range_problems(fld: n.FieldDecl) -> list[Diagnostic]:
    """A declared range must belong to an `int` or `decimal` field (E205), run from low to
    high, and hold the field's default (E311)."""
    declared = fld.range
    if declared is None:
        return []
    ref = fld.type.inner if isinstance(fld.type, n.OptionalType) else fld.type
    if not (isinstance(ref, n.NamedType) and ref.name in ("int", "decimal")):
        return [
            Diagnostic(
                "E205",
                f"`{fld.name}` has a range, but only an `int` or `decimal` field can",
                declared.span,
                hint="remove `in ...`, or give the field a number type",
            )
        ]
    low, high = declared.low.value, declared.high.value
    if low > high:
        return [
            Diagnostic(
                "E311",
                f"the range of `{fld.name}` runs from {declared.low.text} down to {declared.high.text}",
                declared.span,
                hint=f"write `in {declared.high.text}..{declared.low.text}`",
            )
        ]
    if isinstance(fld.default, n.Number) and not low <= fld.default.value <= high:
        return [
            Diagnostic(
                "E311",
                f"the default {fld.default.text} of `{fld.name}` is outside its range "
                f"{declared.low.text}..{declared.high.text}",
                fld.default.span,
            )
        ]
    return []
