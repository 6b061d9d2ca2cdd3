"""What names mean at one point of a ruleset (`Scope`), and which paths a condition proves
not none (`guarded`, the narrowing of `x is none or E`, `x is not none and E`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace

from ..syntax import nodes as n
from .types import Type


def path_of(expr: n.Expr) -> str | None:
    """The narrowing key of a name or field path (`last_election`, `m.attendance`)."""
    if isinstance(expr, n.Name):
        return expr.name
    if isinstance(expr, n.HistoryRef):
        return f"history({expr.back}).{expr.part}"
    if isinstance(expr, n.Attribute):
        base = path_of(expr.obj)
        return f"{base}.{expr.name}" if base else None
    return None


@dataclass(frozen=True, slots=True)
class Scope:
    """What names mean at one point. `values` holds grading names (total, sources, grades)."""

    fields: Mapping[str, Type]
    lets: Mapping[str, n.Let] = field(default_factory=dict)
    variables: Mapping[str, Type] = field(default_factory=dict)
    values: Mapping[str, Type] = field(default_factory=dict)
    parts: frozenset[str] = frozenset()
    table_sources: frozenset[str] = frozenset()
    narrowed: frozenset[str] = frozenset()

    def narrow(self, paths: Iterable[str]) -> Scope:
        return replace(self, narrowed=self.narrowed | frozenset(paths))

    def bind(self, name: str, type_: Type) -> Scope:
        return replace(self, variables={**self.variables, name: type_})


def guarded(cond: n.Expr, *, when: bool) -> list[str]:
    """Paths known to be not none where `cond` evaluated to `when`."""
    if isinstance(cond, n.IsNone):
        path = path_of(cond.operand)
        if path and cond.negated == when:
            return [path]
        return []
    if isinstance(cond, n.Unary) and cond.op == "not":
        return guarded(cond.operand, when=not when)
    if isinstance(cond, n.Binary) and cond.op == "and" and when:
        return guarded(cond.left, when=True) + guarded(cond.right, when=True)
    if isinstance(cond, n.Binary) and cond.op == "or" and not when:
        return guarded(cond.left, when=False) + guarded(cond.right, when=False)
    return []


def missing_inputs(expr: n.Expr, field_type: Callable[[str], Type | None]) -> tuple[str, ...]:
    """The inputs of a value source that may be missing: the possibly-none record fields
    `expr` reads itself, sorted. A field read under `??` (its fallback states what happens)
    or tested with `is none` is not one; `field_type` is None for a name that is no field."""
    stated: set[int] = set()
    bound: set[str] = set()
    for node in n.walk(expr):
        if isinstance(node, n.Binary) and node.op == "??":
            stated.add(id(node.left))
        elif isinstance(node, n.IsNone):
            stated.add(id(node.operand))
        elif isinstance(node, n.Aggregate):
            bound.add(node.var)
    found = set()
    for node in n.walk(expr):
        if isinstance(node, n.Name) and id(node) not in stated and node.name not in bound:
            t = field_type(node.name)
            if t is not None and t.optional:
                found.add(node.name)
    return tuple(sorted(found))
