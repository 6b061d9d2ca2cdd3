"""Checking `bands`: subject and test types, enum coverage, bands that can never apply.

An `else` may be left out only when the bands cover every member of an enum subject;
a band hidden by an earlier one is a warning, never an error (spec 6.2).
"""

from __future__ import annotations

from decimal import Decimal

from ..syntax import nodes as n
from ..syntax.diagnostics import Diagnostic
from .typecheck import ExprChecker, Scope
from .types import Type, comparable


def check_bands(exprs: ExprChecker, bands: n.Bands, scope: Scope) -> None:
    subject: Type | None = None
    if bands.subject is not None:
        subject = exprs.required(exprs.check(bands.subject, scope), bands.subject)
    seen_equal: set[object] = set()
    lower_bounds: list[tuple[str, Decimal]] = []  # thresholds of earlier >= / > bands
    upper_bounds: list[tuple[str, Decimal]] = []
    always_matched = False
    for entry in bands.entries:
        if entry.score.value < 0:
            exprs.error("E311", "a band's score must not be negative", entry.score)
        if always_matched:
            _unreachable(exprs, entry, "an earlier band or `else` always applies")
            continue
        if entry.kind == "else":
            always_matched = True
            if subject is not None and subject.kind == "enum" and set(subject.members) <= seen_equal:
                exprs.report(Diagnostic("W502", "`else` can never apply: the bands cover every value", entry.span))
            continue
        if entry.kind == "when":
            assert entry.test is not None
            if bands.subject is not None:
                exprs.error("E205", "`when` bands belong in `bands { ... }` without a subject", entry)
            exprs.check_condition(entry.test, scope, "band")
            if isinstance(entry.test, n.Bool) and entry.test.value:
                always_matched = True
            continue
        if subject is None:
            exprs.error(
                "E205",
                "this band compares a value, but the bands have no subject",
                entry,
                hint="write `bands FIELD { ... }`, or `when CONDITION: points`",
            )
            continue
        assert entry.test is not None
        _value_band(exprs, entry, subject, scope, seen_equal, lower_bounds, upper_bounds)
    if not always_matched and not (
        subject is not None and subject.kind == "enum" and set(subject.members) <= seen_equal
    ):
        hint = None
        if subject is not None and subject.kind == "enum":
            missing = [m for m in subject.members if m not in seen_equal]
            hint = "not covered: " + ", ".join(f'"{m}"' for m in missing)
        exprs.error(
            "E308", "these bands have no `else`, and some values match no band", bands, hint=hint or "add `else: 0`"
        )


def _value_band(
    exprs: ExprChecker,
    entry: n.BandEntry,
    subject: Type,
    scope: Scope,
    seen_equal: set[object],
    lower_bounds: list[tuple[str, Decimal]],
    upper_bounds: list[tuple[str, Decimal]],
) -> None:
    assert entry.test is not None
    test = exprs.required(exprs.check(entry.test, scope), entry.test)
    if entry.kind == "equal":
        if not comparable(subject, test):
            exprs.error("E205", f"a band value {test} can never equal the subject, a {subject}", entry.test)
        exprs.enum_literal(subject, entry.test)
        key = _literal_key(entry.test)
        if key is not None:
            if key in seen_equal:
                _unreachable(exprs, entry, "the same value has an earlier band")
            seen_equal.add(key)
        return
    ordered = (subject.numeric and test.numeric) or (subject.kind == test.kind == "date")
    if not ordered and "error" not in (subject.kind, test.kind):
        exprs.error("E205", f"`{entry.op}` compares numbers or dates, not {subject} and {test}", entry)
        return
    if not isinstance(entry.test, n.Number):
        return
    value, op = entry.test.value, entry.op or ""
    if op in (">=", ">"):
        if any(v < value or (v == value and (o == ">=" or op == ">")) for o, v in lower_bounds):
            _unreachable(exprs, entry, "an earlier band already takes every value it would")
        lower_bounds.append((op, value))
    elif op in ("<=", "<"):
        if any(v > value or (v == value and (o == "<=" or op == "<")) for o, v in upper_bounds):
            _unreachable(exprs, entry, "an earlier band already takes every value it would")
        upper_bounds.append((op, value))


def _literal_key(expr: n.Expr) -> object | None:
    if isinstance(expr, (n.String, n.Number, n.DateLit, n.Bool)):
        return expr.value
    return None


def _unreachable(exprs: ExprChecker, entry: n.BandEntry, why: str) -> None:
    exprs.report(Diagnostic("W500", f"this band can never apply: {why}", entry.span))
