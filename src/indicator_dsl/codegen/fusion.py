"""Loop fusion: every simple aggregate over the same list is computed in one pass.

A ruleset typically asks a dozen questions of `meetings` (how many 党课, in how many
months a 支委会, any by the secretary...). Evaluated one by one that is a dozen passes
over the list; a hand-written scorer makes one. Before the indicators, the compiled
plan runs one loop per list and updates one accumulator per aggregate.

Only aggregates that cannot fail and do not depend on evaluation order are fused:
count, any, all, sum, distinct, months_with and quarters_with over a record field,
whose conditions and values contain no division, no nested aggregate and no `let`.
Evaluating those eagerly gives the same values as evaluating them lazily.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping

from ..semantics.builtins import AGGREGATES
from ..semantics.calendar import cut
from ..syntax import nodes as n
from .emitter import Emitter
from .expressions import ExprCompiler, NameSpace

FUSABLE = frozenset(name for name, aggregate in AGGREGATES.items() if aggregate.accumulator is not None)


def _children(node: object) -> Iterator[object]:
    for f in dataclasses.fields(node):  # type: ignore[arg-type]
        value = getattr(node, f.name)
        for item in value if isinstance(value, tuple) else (value,):
            if dataclasses.is_dataclass(item):
                yield item


def _is_field_path(expr: n.Expr, lets: Mapping[str, n.Let]) -> bool:
    if isinstance(expr, n.Name):
        return expr.name not in lets
    return isinstance(expr, n.Attribute) and _is_field_path(expr.obj, lets)


def _safe(expr: n.Expr | None, lets: Mapping[str, n.Let]) -> bool:
    if expr is None:
        return True
    for node in n.walk(expr):
        if isinstance(node, n.Aggregate) or (isinstance(node, n.Binary) and node.op == "/"):
            return False
        if isinstance(node, n.Name) and node.name in lets:
            return False
    return True


def fusable(expr: n.Expr, lets: Mapping[str, n.Let]) -> list[n.Aggregate]:
    """The outermost aggregates in `expr` that can be computed in a shared pass."""
    found: list[n.Aggregate] = []
    stack: list[object] = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, n.Aggregate):
            if (
                node.func in FUSABLE
                and (node.by is None or AGGREGATES[node.func].needs_by)  # a key picks first elements: not fused
                and _is_field_path(node.source, lets)
                and all(_safe(part, lets) for part in (node.where, node.value, node.by))
            ):
                found.append(node)
            continue  # nested aggregates are evaluated by their enclosing one
        stack.extend(_children(node))
    return found


def emit_fused(out: Emitter, names: NameSpace, groups: list[tuple[n.Aggregate, dict[str, n.Let]]]) -> dict[int, str]:
    """Write the fused loops; return, per aggregate node id, the code that reads its value."""
    by_source: dict[str, list[tuple[n.Aggregate, dict[str, n.Let]]]] = {}
    for aggregate, lets in groups:
        source = ExprCompiler(names, lets, traced=False).compile(aggregate.source)
        by_source.setdefault(source, []).append((aggregate, lets))
    values: dict[int, str] = {}
    for source, members in by_source.items():
        body: list[str] = []
        hoisted: dict[str, str] = {}
        for aggregate, lets in members:
            var = f"F{len(values)}"
            ec = ExprCompiler(names, lets, traced=False)
            ec.vars[aggregate.var] = ("fv", names.item_type(aggregate.source, {}))
            ec.in_aggregate = 1
            ec.hoisted = hoisted
            cond = ec.expr(aggregate.where) if aggregate.where is not None else None
            value = ec.expr(aggregate.value) if aggregate.value is not None else "fv"
            by = ec.expr(aggregate.by) if aggregate.by is not None else "None"
            start, last, open_units = _calendar_bounds(names, AGGREGATES[aggregate.func].unit_months)
            accumulator = AGGREGATES[aggregate.func].accumulator
            assert accumulator is not None
            out.line(f"{var} = {accumulator.initial}")
            body.append(
                accumulator.update.format(
                    acc=var,
                    value=value,
                    by=by,
                    start=start,
                    last=last,
                    guard=f"if {cond}: " if cond else "",
                    and_cond=f" and {cond}" if cond else "",
                    test=cond or "fv",
                )
            )
            values[id(aggregate)] = accumulator.result.format(acc=var, open=open_units)
        out.line(f"for fv in {source}:")
        for code, local in hoisted.items():
            out.line(f"    {local} = {code}")
        for line in body:
            out.line(f"    {line}")
    return values


def _calendar_bounds(names: NameSpace, unit_months: int) -> tuple[str, str, int]:
    """A fused calendar count's first day, last day counted and units not yet due (calendar.cut)."""
    if names.period is None or not unit_months:
        return "None", "None", 0
    start, end, due = names.period
    c = cut(start, end, due, unit_months)
    return names.const(start), names.const(c.last), c.open


def indicator_exprs(ind: n.Indicator) -> list[n.Expr]:
    """Every expression an indicator evaluates (applicability and clauses)."""
    exprs: list[n.Expr | None] = [ind.applies]
    for clause in ind.clauses:
        if isinstance(clause, n.Points):
            exprs += [clause.amount, clause.per, clause.up_to, clause.when]
        elif isinstance(clause, n.Bands):
            exprs += [clause.subject, *(entry.test for entry in clause.entries)]
        elif isinstance(clause, n.ScoreFormula):
            exprs.append(clause.expr)
    return [e for e in exprs if e is not None]
