"""Expressions to Python source text.

Names resolve as the checker resolves them (`check.names`). Built-in functions,
aggregates and operators are written as their entries in `semantics.builtins` say. Each
`let` is computed at most once per generated function call: its body is written once, in
a small closure (`let_closures`), and every use calls that closure, so generated code grows
linearly with the ruleset, however the lets build on each other. In a traced plan, every
field, let and aggregate a clause reads is recorded with its value.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..check.names import LetScope, Names
from ..check.typecheck import path_of
from ..check.types import Type
from ..semantics.builtins import AGGREGATES, COALESCE_RUNTIME, DIVISION_RUNTIME, FUNCTIONS, OPERATORS
from ..semantics.history import HISTORY_RUNTIME
from ..syntax import nodes as n
from ..syntax.source import Span
from .emitter import Emitter


@dataclass(slots=True)
class NameSpace(Names):
    """The names of a ruleset plus what generated code refers to by name: numbered
    constants (user values never enter the code as text), lets' closures, temporaries."""

    constants: list[Any] = field(default_factory=list)
    _const_index: dict[tuple[type, Any], int] = field(default_factory=dict)
    _let_vars: dict[int, str] = field(default_factory=dict)
    variables: int = 0

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
        """`L3`: the local holding a let's value once computed; its closure is `l3`."""
        key = id(let)
        if key not in self._let_vars:
            self._let_vars[key] = f"L{len(self._let_vars)}"
        return self._let_vars[key]

    def let_function(self, let: n.Let) -> str:
        return "l" + self.let_var(let)[1:]

    def fresh(self, prefix: str) -> str:
        self.variables += 1
        return f"{prefix}{self.variables}"

    def period_code(self) -> tuple[str, str, str] | None:
        """The constants of the period's start, end and as-of day (semantics/calendar.py)."""
        if self.period is None:
            return None
        start, end, due = self.period
        return self.const(start), self.const(end), self.const(due)

    def read_code(self, obj: str, record_type: str, field_name: str) -> str:
        access = self.fields.access(record_type, field_name)
        if access.required:
            return f"{obj}[{access.key!r}]"
        return f"{obj}.get({access.key!r}, {self.const(access.default)})"


def let_closures(
    out: Emitter, names: NameSpace, lets: Iterable[n.Let], scope: LetScope, fused: Mapping[int, str] | None = None
) -> None:
    """Write, inside a generated function, one closure per let: `l3()` computes the let's body
    on its first call and keeps the value in `L3` for the rest of the call of that function."""
    for let in lets:
        value = names.let_var(let)
        body = ExprCompiler(names, names.scope_of(let, scope), traced=False, fused=fused).compile(let.expr)
        out.line(f"{value} = _U")
        out.line(f"def {names.let_function(let)}():")
        out.line(f"    nonlocal {value}")
        out.line(f"    if {value} is _U: {value} = {body}")
        out.line(f"    return {value}")


class ExprCompiler:
    def __init__(
        self,
        names: NameSpace,
        lets: LetScope,
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
        self.in_iterable = 0  # inside the list an aggregate goes over (at any depth), Python allows no `:=`
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
        period = self.names.period_code()
        assert period is not None  # without a period the checker reports E216
        return period[0 if e.part == "start" else 1]

    def _HistoryRef(self, e: n.HistoryRef) -> str:
        label = f"history({e.back}).{e.part}"
        return self._recorded(label, f"{HISTORY_RUNTIME}(r, {e.back}, {e.part!r})")

    # ---------------------------------------------------------------- names
    def variable_types(self) -> dict[str, Type | None]:
        return {name: t for name, (_, t) in self.vars.items()}

    def _Name(self, e: n.Name) -> str:
        if e.name in self.vars:
            return self.vars[e.name][0]
        meaning = self.names.meaning(e.name, self.lets, grading=self.grading)
        if meaning.let is not None:
            return self._recorded(e.name, f"{self.names.let_function(meaning.let)}()")
        if meaning.kind == "grading":
            return f"g[{meaning.key!r}]"
        if meaning.kind == "grade":
            return repr(meaning.key)
        return self._recorded(e.name, self.names.read_code("r", self.names.root, e.name))

    def _Attribute(self, e: n.Attribute) -> str:
        key = self.names.source_part(e, self.vars, grading=self.grading)
        if key is not None:
            return f"g[{key!r}]"
        record = self.names.record_of(e.obj, self.variable_types())
        saved = self.reads
        self.reads = None
        obj = self.expr(e.obj)
        self.reads = saved
        code = self.names.read_code(obj, record, e.name)
        if self.hoisted is not None and obj == "fv":  # a field of a fused loop's element: read once per element
            code = self.hoisted.setdefault(code, f"a{len(self.hoisted)}")
        return self._recorded(path_of(e) or e.name, code)

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
            return f"{DIVISION_RUNTIME}({left}, {right}, {self.names.span(e.span)})"
        if e.op == "??":  # the left side is written once: it may be long, and `??` chains
            if self.in_iterable:
                return f"{COALESCE_RUNTIME}({left}, lambda: {right})"
            temp = self.names.fresh("t")
            return f"({temp} if ({temp} := {left}) is not None else {right})"
        if e.op in ("and", "or"):
            return f"({left} {e.op} {right})"
        return f"({left} {OPERATORS[e.op].python} {right})"

    def _Call(self, e: n.Call) -> str:
        return FUNCTIONS[e.func].emit([self.expr(a) for a in e.args], self.names.period_code())

    def _Aggregate(self, e: n.Aggregate) -> str:
        if id(e) in self.fused:
            return self._recorded(f"{e.func}(...)", self.fused[id(e)])
        self.in_aggregate += 1  # the list itself is not worth a trace entry; the aggregate's value is
        self.in_iterable += 1
        try:
            source = self.expr(e.source)
        finally:
            self.in_aggregate -= 1
            self.in_iterable -= 1
        item_type = self.names.item_type(e.source, self.variable_types())
        var = self.names.fresh("v")
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
        aggregate = AGGREGATES[e.func]
        start, end, due = self.names.period_code() or ("None", "None", "None")
        code = aggregate.emit.format(
            runtime=aggregate.runtime,
            loop=aggregate.loop(var, source, cond, by),
            var=var,
            source=source,
            value=value,
            by=by,
            test=cond or var,
            span=self.names.span(e.span),
            start=start,
            end=end,
            due=due,
        )
        return self._recorded(f"{e.func}(...)", code)
