"""What each name in a checked ruleset means, for the stages that evaluate it.

The checker decides which names are allowed; `Names` answers the same questions for the
code generator and the reference interpreter alike, so the two resolve every name by one
rule (reference §19): aggregate variables (the caller's own), then lets (lexically
scoped), then grading names where they exist, then record fields, then unqualified
dimension and indicator names in grading expressions of a ruleset with one table source.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, TypeVar

from ..semantics.records import FieldMap
from ..syntax import nodes as n
from .resolved import ResolvedRuleset
from .scope import missing_inputs
from .types import Type, type_of_ref

GRADING_WORDS = ("total", "bonus", "penalty", "grade")
LetScope = dict[str, n.Let]
_N = TypeVar("_N", bound="Names")


@dataclass(frozen=True, slots=True)
class Meaning:
    """What a name stands for: a let, a grading value (`key` into the grading values), a grade
    name (outcomes compare `grade` with them), or a field of the root record."""

    kind: Literal["let", "grading", "grade", "field"]
    key: str
    let: n.Let | None = None


@dataclass(slots=True)
class Names:
    """The names of one resolved ruleset and the record fields behind them."""

    types: dict[str, n.TypeDecl]
    fields: FieldMap
    root: str
    period: tuple[datetime.date, datetime.date, datetime.date] | None  # start, end, as of (calendar.py)
    lets: LetScope
    table_sources: list[str]
    value_sources: list[str]
    parts: set[str]
    grades: list[str]
    let_scopes: dict[int, LetScope] = field(default_factory=dict)  # id(let) -> the lets its body sees
    _let_orders: dict[int, list[n.Let]] = field(default_factory=dict)

    @classmethod
    def of(cls: type[_N], ruleset: ResolvedRuleset, fields: FieldMap) -> _N:
        assert ruleset.record is not None
        sources = ruleset.assess.sources if ruleset.assess else ()
        names = cls(
            types=ruleset.types,
            fields=fields,
            root=ruleset.record.type_name,
            period=(ruleset.period.start, ruleset.period.end, ruleset.as_of or ruleset.period.end)
            if ruleset.period
            else None,
            lets=dict(ruleset.lets),
            table_sources=ruleset.table_sources,
            value_sources=[s.name for s in sources if s.value is not None],
            parts={d.name for d in ruleset.dimensions} | {i.node.name for i in ruleset.indicators()},
            grades=ruleset.grade_names,
        )
        # each let's body is evaluated in the scope where it is declared (ruleset, dimension, indicator)
        for let in ruleset.lets.values():
            names.let_scopes[id(let)] = dict(ruleset.lets)
        for dim in ruleset.dimensions:
            dim_scope = names.scope_for(dim.lets)
            for let in dim.lets:
                names.let_scopes[id(let)] = dim_scope
            for table_ind in dim.indicators:
                ind_scope = names.scope_for(dim.lets, table_ind.node.lets)
                for let in table_ind.node.lets:
                    names.let_scopes[id(let)] = ind_scope
        return names

    def scope_of(self, let: n.Let, fallback: LetScope) -> LetScope:
        """The lets a let's body sees: those visible where it is declared (lexical scope, as the
        checker reads it), never an indicator's let of the same name at the place of use."""
        return self.let_scopes.get(id(let), fallback)

    def scope_for(self, *groups: Sequence[n.Let]) -> LetScope:
        scope = dict(self.lets)
        for group in groups:
            scope.update({let.name: let for let in group})
        return scope

    def lets_reached(self, exprs: Iterable[n.Expr | None], scope: LetScope) -> list[n.Let]:
        """The lets that `exprs` (read in `scope`) may use, directly or through other lets."""
        found: dict[int, n.Let] = {}
        work: list[tuple[n.Expr, LetScope]] = [(e, scope) for e in exprs if e is not None]
        while work:
            expr, where = work.pop()
            for node in n.walk(expr):
                if isinstance(node, n.Name) and node.name in where and id(where[node.name]) not in found:
                    let = where[node.name]
                    found[id(let)] = let
                    work.append((let.expr, self.scope_of(let, where)))
        return list(found.values())

    def let_order(self, let: n.Let, scope: LetScope) -> list[n.Let]:
        """`let` and every let it may read, each after the lets it reads (`let` last): evaluated
        in this order, no let's evaluation waits on a chain of others, however long."""
        if id(let) not in self._let_orders:
            order: list[n.Let] = []
            seen: set[int] = set()
            stack: list[tuple[n.Let, LetScope, bool]] = [(let, scope, False)]
            while stack:
                current, where, expanded = stack.pop()
                if expanded:
                    order.append(current)
                    continue
                if id(current) in seen:
                    continue
                seen.add(id(current))
                stack.append((current, where, True))
                inner = self.scope_of(current, where)
                for node in n.walk(current.expr):
                    if isinstance(node, n.Name) and node.name in inner and id(inner[node.name]) not in seen:
                        stack.append((inner[node.name], inner, False))
            self._let_orders[id(let)] = order
        return self._let_orders[id(let)]

    def meaning(self, name: str, lets: Mapping[str, n.Let], *, grading: bool) -> Meaning:
        """A name that is no aggregate variable; `grading` where grading names exist."""
        if name in lets:
            return Meaning("let", name, lets[name])
        if grading:
            if name in GRADING_WORDS or name in self.table_sources or name in self.value_sources:
                return Meaning("grading", name)
            if name in self.grades:
                return Meaning("grade", name)
        if self.field_type(self.root, name) is not None:
            return Meaning("field", name)
        if grading and name in self.parts:
            return Meaning("grading", f"{self.table_sources[0]}.{name}")
        raise NameError(name)  # the checker has rejected unknown names before evaluation

    def source_part(self, e: n.Attribute, variables: Mapping[str, object], *, grading: bool) -> str | None:
        """The grading key of `SOURCE.PART` (`superior.activities`), or None for a field read."""
        if grading and isinstance(e.obj, n.Name) and e.obj.name in self.table_sources and e.obj.name not in variables:
            return f"{e.obj.name}.{e.name}"
        return None

    def static_type(self, e: n.Expr, variables: Mapping[str, Type | None]) -> Type | None:
        """The type of a name or field path: which record type a field is read from."""
        if isinstance(e, n.Name):
            if e.name in variables:
                return variables[e.name]
            return self.field_type(self.root, e.name)
        if isinstance(e, n.Attribute):
            obj = self.static_type(e.obj, variables)
            if obj is not None and obj.kind == "record" and obj.record:
                return self.field_type(obj.record, e.name)
        return None

    def record_of(self, e: n.Expr, variables: Mapping[str, Type | None]) -> str:
        """The record type whose field `e.NAME` reads (the checker has typed `e` as a record)."""
        obj_type = self.static_type(e, variables)
        assert obj_type is not None and obj_type.record is not None
        return obj_type.record

    def item_type(self, source: n.Expr, variables: Mapping[str, Type | None]) -> Type | None:
        """The element type of the list an aggregate goes over, when it is a field path."""
        source_type = self.static_type(source, variables)
        return source_type.item if source_type is not None and source_type.kind == "list" else None

    def source_inputs(self, expr: n.Expr) -> tuple[str, ...]:
        """The root record's possibly-none fields a value source reads (`scope.missing_inputs`)."""
        return missing_inputs(expr, lambda name: self.field_type(self.root, name))

    def field_type(self, record: str, name: str) -> Type | None:
        decl = self.types.get(record)
        for fld in decl.fields if decl else ():
            if fld.name == name:
                return type_of_ref(fld.type, set(self.types))
        return None
