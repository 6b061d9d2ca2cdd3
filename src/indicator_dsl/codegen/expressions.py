"""Expressions to Python source text.

Names resolve as the checker resolves them: aggregate variables, then lets, then
grading values (`total`, sources, parts, grades), then record fields. Lets are computed
at most once per record (cached in a local) unless used inside an aggregate, where
they are inlined. In a traced plan, every field, let and aggregate a clause reads is
recorded with its value.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..check.typecheck import path_of
from ..check.types import Type, type_of_ref
from ..semantics.records import FieldMap
from ..syntax import nodes as n
from ..syntax.source import Span

BINARY_PY = {
    "and": "and",
    "or": "or",
    "==": "==",
    "!=": "!=",
    "<": "<",
    "<=": "<=",
    ">": ">",
    ">=": ">=",
    "+": "+",
    "-": "-",
    "*": "*",
    "in": "in",
    "not in": "not in",
}
SIMPLE_CALLS = {
    "floor": "_floor",
    "ceil": "_ceil",
    "abs": "abs",
    "round": "_round",
    "min": "min",
    "max": "max",
    "clamp": "_clamp",
    "len": "len",
    "days_between": "_days",
    "months_between": "_months",
    "quarter": "_quarter",
}


@dataclass(slots=True)
class NameSpace:
    """Everything generated code refers to by name: constants, spans, lets, the schema."""

    types: dict[str, n.TypeDecl]
    fields: FieldMap
    root: str
    period: tuple[datetime.date, datetime.date] | None
    lets: dict[str, n.Let]
    table_sources: list[str]
    value_sources: list[str]
    parts: set[str]
    grades: list[str]
    constants: list[Any] = field(default_factory=list)
    _const_index: dict[tuple[type, Any], int] = field(default_factory=dict)
    _let_vars: dict[int, str] = field(default_factory=dict)
    variables: int = 0
    let_scopes: dict[int, dict[str, n.Let]] = field(default_factory=dict)  # id(let) -> names its body sees

    def const(self, value: Any) -> str:
        if isinstance(value, bool) or value is None:
            return repr(value)
        if isinstance(value, int):
            return repr(value)
        key = (type(value), value if not isinstance(value, Span) else id(value))
        if key not in self._const_index:
            self._const_index[key] = len(self.constants)
            self.constants.append(value)
        return f"K{self._const_index[key]}"

    def span(self, span: Span) -> str:
        return self.const(span)

    def let_var(self, let: n.Let) -> str:
        key = id(let)
        if key not in self._let_vars:
            self._let_vars[key] = f"L{len(self._let_vars)}"
        return self._let_vars[key]

    def scope_of(self, let: n.Let, fallback: dict[str, n.Let]) -> dict[str, n.Let]:
        """The lets a let's body sees: those visible where it is declared (lexical scope, as the
        checker reads it), never an indicator's let of the same name at the place of use."""
        return self.let_scopes.get(id(let), fallback)

    def scope_for(self, *groups: list[n.Let] | tuple[n.Let, ...]) -> dict[str, n.Let]:
        scope = dict(self.lets)
        for group in groups:
            scope.update({let.name: let for let in group})
        return scope

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

    def read_code(self, obj: str, record_type: str, field_name: str) -> str:
        access = self.fields.access(record_type, field_name)
        if access.required:
            return f"{obj}[{access.key!r}]"
        return f"{obj}.get({access.key!r}, {self.const(access.default)})"

    def field_type(self, record: str, name: str) -> Type | None:
        decl = self.types.get(record)
        for fld in decl.fields if decl else ():
            if fld.name == name:
                return type_of_ref(fld.type, set(self.types))
        return None


class ExprCompiler:
    def __init__(
        self,
        names: NameSpace,
        lets: dict[str, n.Let],
        *,
        traced: bool,
        grading: bool = False,
        fused: Mapping[int, str] | None = None,
    ) -> None:
        self.names = names
        self.lets = lets
        self.traced = traced
        self.grading = grading
        self.fused = fused or {}
        self.hoisted: dict[str, str] | None = None  # fused loops: element field read -> local name
        self.vars: dict[str, tuple[str, Type | None]] = {}
        self.in_aggregate = 0
        self.reads: str | None = None

    def compile(self, expr: n.Expr, reads: str | None = None) -> str:
        previous = self.reads
        self.reads = reads if self.traced else None
        try:
            return self.expr(expr)
        finally:
            self.reads = previous

    def _recorded(self, label: str, code: str) -> str:
        if self.reads is None or self.in_aggregate:
            return code
        return f"_rd({self.reads}, {label!r}, {code})"

    def expr(self, e: n.Expr) -> str:
        method = getattr(self, f"_{type(e).__name__}", None)
        if method is None:  # pragma: no cover - every node type has a rule below
            raise TypeError(f"cannot compile {type(e).__name__}")
        code: str = method(e)
        return code

    # ---------------------------------------------------------------- literals
    def _Number(self, e: n.Number) -> str:
        if "." not in e.text and "%" not in e.text:
            return repr(int(e.value))
        return self.names.const(e.value)

    def _String(self, e: n.String) -> str:
        return repr(e.value)

    def _DateLit(self, e: n.DateLit) -> str:
        return self.names.const(e.value)

    def _Bool(self, e: n.Bool) -> str:
        return repr(e.value)

    def _NoneLit(self, e: n.NoneLit) -> str:
        return "None"

    def _ListLit(self, e: n.ListLit) -> str:
        items = [self.expr(item) for item in e.items]
        return "(" + "".join(f"{item}, " for item in items) + ")"

    def _PeriodRef(self, e: n.PeriodRef) -> str:
        assert self.names.period is not None
        return self.names.const(self.names.period[0 if e.part == "start" else 1])

    # ---------------------------------------------------------------- names
    def static_type(self, e: n.Expr) -> Type | None:
        return self.names.static_type(e, {name: t for name, (_, t) in self.vars.items()})

    def _grading_value(self, key: str) -> str:
        return f"g[{key!r}]"

    def _Name(self, e: n.Name) -> str:
        name = e.name
        if name in self.vars:
            return self.vars[name][0]
        if name in self.lets:
            return self._let(self.lets[name])
        if self.grading:
            if (
                name in ("total", "bonus", "grade")
                or name in self.names.table_sources
                or name in self.names.value_sources
            ):
                return self._grading_value(name)
            if name in self.names.grades:
                return repr(name)
        if self.names.field_type(self.names.root, name) is not None:
            return self._recorded(name, self.names.read_code("r", self.names.root, name))
        if self.grading and name in self.names.parts:
            return self._grading_value(f"{self.names.table_sources[0]}.{name}")
        raise NameError(name)  # the checker has rejected unknown names before compilation

    def _let(self, let: n.Let) -> str:
        inner = ExprCompiler(
            self.names,
            self.names.scope_of(let, self.lets),
            traced=False,
            grading=self.grading,
            fused=self.fused if not self.in_aggregate else None,
        )
        body = inner.expr(let.expr)
        if self.in_aggregate or self.grading:
            return f"({body})"
        var = self.names.let_var(let)
        return self._recorded(let.name, f"({var} if {var} is not _U else ({var} := {body}))")

    def _Attribute(self, e: n.Attribute) -> str:
        if (
            isinstance(e.obj, n.Name)
            and e.obj.name in self.names.table_sources
            and e.obj.name not in self.vars
            and self.grading
        ):
            return self._grading_value(f"{e.obj.name}.{e.name}")
        obj_type = self.static_type(e.obj)
        assert obj_type is not None and obj_type.record is not None
        saved = self.reads
        self.reads = None
        obj = self.expr(e.obj)
        self.reads = saved
        label = path_of(e) or e.name
        code = self.names.read_code(obj, obj_type.record, e.name)
        if self.hoisted is not None and obj == "fv":  # a field of a fused loop's element: read once per element
            code = self.hoisted.setdefault(code, f"a{len(self.hoisted)}")
        return self._recorded(label, code)

    # ---------------------------------------------------------------- operators
    def _Unary(self, e: n.Unary) -> str:
        operand = self.expr(e.operand)
        return f"(not {operand})" if e.op == "not" else f"(-{operand})"

    def _IsNone(self, e: n.IsNone) -> str:
        return f"({self.expr(e.operand)} is {'not ' if e.negated else ''}None)"

    def _IfExpr(self, e: n.IfExpr) -> str:
        return f"({self.expr(e.then)} if {self.expr(e.cond)} else {self.expr(e.else_)})"

    def _Binary(self, e: n.Binary) -> str:
        left, right = self.expr(e.left), self.expr(e.right)
        if e.op == "/":
            return f"_div({left}, {right}, {self.names.span(e.span)})"
        if e.op == "??":
            return f"({left} if {left} is not None else {right})"
        return f"({left} {BINARY_PY[e.op]} {right})"

    def _Call(self, e: n.Call) -> str:
        args = [self.expr(a) for a in e.args]
        if e.func == "in_period":
            start, end = (self.names.const(d) for d in self.names.period or (datetime.date.min, datetime.date.max))
            return f"({start} <= {args[0]} <= {end})"
        if e.func in ("year", "month"):
            return f"{args[0]}.{e.func}"
        return f"{SIMPLE_CALLS[e.func]}({', '.join(args)})"

    def _Aggregate(self, e: n.Aggregate) -> str:
        if id(e) in self.fused:
            return self._recorded(f"{e.func}(...)", self.fused[id(e)])
        self.in_aggregate += 1  # the list itself is not worth a trace entry; the aggregate's value is
        try:
            source = self.expr(e.source)
        finally:
            self.in_aggregate -= 1
        source_type = self.static_type(e.source)
        item_type = source_type.item if source_type is not None and source_type.kind == "list" else None
        self.names.variables += 1
        var = f"v{self.names.variables}"
        saved = self.vars.get(e.var)
        self.vars[e.var] = (var, item_type)
        self.in_aggregate += 1
        try:
            cond = self.expr(e.where) if e.where is not None else None
            value = self.expr(e.value) if e.value is not None else var
            by = self.expr(e.by) if e.by is not None else None
        finally:
            self.in_aggregate -= 1
            if saved is None:
                del self.vars[e.var]
            else:
                self.vars[e.var] = saved
        loop = f"for {var} in {source}" + (f" if {cond}" if cond else "")
        func, span = e.func, self.names.span(e.span)
        if func == "count":
            code = f"len([1 {loop}])"
        elif func == "any":
            code = f"any(True {loop})"
        elif func == "all":
            code = f"all({cond or var} for {var} in {source})"
        elif func == "sum":
            code = f"sum([{value} {loop}])"
        elif func in ("min", "max", "avg"):
            code = f"_{func}([{value} {loop}], {span})"
        elif func == "distinct":
            code = f"len({{{value} {loop}}})"
        else:
            assert by is not None and self.names.period is not None
            start, end = (self.names.const(d) for d in self.names.period)
            code = f"_{func}([{by} {loop}], {start}, {end})"
        return self._recorded(f"{func}(...)", code)
