"""Checking a catalog: routes name real rulesets, route values fit the field, and every
record goes to exactly one ruleset where that can be seen without data.

Condition routes of the shape `field == "literal" and ...` are compared statically: two
such routes where one implies the other would both match a record (E400). A `route by`
table over an enum field must name every member unless a condition route catches the rest.
"""

from __future__ import annotations

from collections.abc import Callable

from ..syntax import nodes as n
from ..syntax.diagnostics import Diagnostic, Related
from ..syntax.source import Span
from .quotas import quota_ladder, quota_shape
from .resolved import ResolvedCatalog
from .typecheck import ExprChecker, Scope, did_you_mean
from .types import Type


def _constraints(cond: n.Expr) -> dict[str, object] | None:
    """`a == "x" and b == "y"` as {a: x, b: y}; None when the condition has another shape."""
    if isinstance(cond, n.Binary) and cond.op == "and":
        left, right = _constraints(cond.left), _constraints(cond.right)
        if left is None or right is None:
            return None
        if any(k in right and right[k] != v for k, v in left.items()):
            return None
        return {**left, **right}
    if isinstance(cond, n.Binary) and cond.op == "==":
        for name, lit in ((cond.left, cond.right), (cond.right, cond.left)):
            if isinstance(name, n.Name) and isinstance(lit, (n.String, n.Number, n.Bool)):
                return {name.name: lit.value}
    return None


def check_catalog(catalog: ResolvedCatalog, report: Callable[[Diagnostic], None]) -> None:
    rulesets = list(catalog.rulesets.values())
    record_names = {r.record.type_name for r in rulesets if r.record is not None}
    first = next((r for r in rulesets if r.record is not None), None)
    if len(record_names) > 1:
        report(
            Diagnostic(
                "E402",
                "the catalog's rulesets score different record types: " + ", ".join(sorted(record_names)),
                catalog.node.span,
            )
        )
    exprs = ExprChecker(first.types if first else {}, report, period=False)
    fields: dict[str, Type] = exprs.fields_of(first.record.type_name) if first and first.record else {}
    scope = Scope(fields=fields)
    whens = [item for item in catalog.node.items if isinstance(item, n.RouteWhen)]
    tables = [item for item in catalog.node.items if isinstance(item, n.RouteTable)]
    for route in whens:
        exprs.check_condition(route.cond, scope, "route")
    _overlapping_conditions(whens, report)
    for table in tables:
        _route_table(table, fields, exprs, bool(whens), report)
    if len(tables) > 1:
        report(
            Diagnostic(
                "E400",
                "a catalog has at most one `route by` table",
                tables[1].span,
                related=(Related(tables[0].span, "the first table"),),
            )
        )
    if not tables and not whens:
        report(Diagnostic("E401", f"catalog `{catalog.name}` has no routes", catalog.node.span))
    grades = set().union(*(r.grade_names for r in rulesets)) if rulesets else set()
    for quota in (item for item in catalog.node.items if isinstance(item, n.Quota)):
        _unknown_grades(quota.grades, grades, quota.span, report)
        if quota.ties is None:
            report(
                Diagnostic(
                    "E307",
                    f"quota on `{', '.join(quota.grades)}` must say how ties are treated",
                    quota.span,
                    hint="add `ties demote` or `ties admit`",
                )
            )
        if quota.within is not None:
            _group_field(quota.within, "quota groups by", fields, quota.span, report)
        if quota.where is not None:
            exprs.check_condition(quota.where, scope, "quota `where`")
        ladder = next((r.grade_names for r in rulesets if set(quota.grades) <= set(r.grade_names)), [])
        for found in [*quota_shape(quota, in_catalog=True), *quota_ladder(quota, ladder)]:
            report(found)
    for nomination in (item for item in catalog.node.items if isinstance(item, n.Nomination)):
        _nomination(nomination, grades, fields, exprs, scope, report)


def _unknown_grades(named: tuple[str, ...], grades: set[str], span: Span, report: Callable[[Diagnostic], None]) -> None:
    """E211 for each grade a catalog quota or nomination names that no routed ruleset has."""
    for grade in (g for g in named if g not in grades):
        report(Diagnostic("E211", f"no routed ruleset has a grade `{grade}`", span, hint=did_you_mean(grade, grades)))


def _group_field(
    name: str, what: str, fields: dict[str, Type], span: Span, report: Callable[[Diagnostic], None]
) -> None:
    """E201 when a catalog quota or nomination groups by a name that is not a record field."""
    if name not in fields:
        message = f"{what} `{name}`, which is not a field of the record"
        report(Diagnostic("E201", message, span, hint=did_you_mean(name, fields)))


def _nomination(
    nomination: n.Nomination,
    grades: set[str],
    fields: dict[str, Type],
    exprs: ExprChecker,
    scope: Scope,
    report: Callable[[Diagnostic], None],
) -> None:
    """A nomination draws from grades a routed ruleset has, groups by a record field and
    excludes by a boolean condition over the record and its grading values."""
    _unknown_grades(nomination.grades, grades, nomination.span, report)
    _group_field(nomination.per, f"nomination `{nomination.name}` counts per", fields, nomination.span, report)
    if nomination.exclude is not None:
        exprs.check_condition(nomination.exclude, scope, "nomination `exclude when`")


def _overlapping_conditions(whens: list[n.RouteWhen], report: Callable[[Diagnostic], None]) -> None:
    shapes = [(_constraints(w.cond), w) for w in whens]
    for i, (a, route_a) in enumerate(shapes):
        for b, route_b in shapes[:i]:
            if a is None or b is None:
                continue
            a_implies_b = all(k in a and a[k] == v for k, v in b.items())
            b_implies_a = all(k in b and b[k] == v for k, v in a.items())
            if a_implies_b or b_implies_a:
                report(
                    Diagnostic(
                        "E400",
                        f"routes to `{route_b.target}` and `{route_a.target}` can match the same record",
                        route_a.span,
                        hint="make the conditions exclusive",
                        related=(Related(route_b.span, "the other route"),),
                    )
                )


def _route_table(
    table: n.RouteTable,
    fields: dict[str, Type],
    exprs: ExprChecker,
    has_whens: bool,
    report: Callable[[Diagnostic], None],
) -> None:
    if table.field not in fields:
        report(
            Diagnostic(
                "E402",
                f"routes by `{table.field}`, which is not a field of the record",
                table.span,
                hint=did_you_mean(table.field, fields),
            )
        )
        return
    field_type = fields[table.field].required()
    if not field_type.textual:
        report(
            Diagnostic("E402", f"`route by` needs a text or enum field; `{table.field}` is {field_type}", table.span)
        )
        return
    seen: dict[str, n.RouteEntry] = {}
    for entry in table.entries:
        if entry.value in seen:
            report(
                Diagnostic(
                    "E400",
                    f'"{entry.value}" is routed twice',
                    entry.span,
                    related=(Related(seen[entry.value].span, "first route"),),
                )
            )
        seen[entry.value] = entry
        exprs.enum_literal(field_type, n.String(value=entry.value, span=entry.span))
    if field_type.kind == "enum" and not has_whens:
        missing = [m for m in field_type.members if m not in seen]
        if missing:
            report(
                Diagnostic(
                    "E401",
                    f"records with {table.field} " + ", ".join(f'"{m}"' for m in missing) + " have no route",
                    table.span,
                    hint="add a route for each",
                )
            )
