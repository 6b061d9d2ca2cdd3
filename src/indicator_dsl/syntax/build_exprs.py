"""Building AST nodes from the generated parser's tree: the pieces every builder shares
(tags, texts, numbers, dates, positions) and the expressions.

`ExprBuilder` has one method per grammar rule or alias of an expression or a shared piece,
called with the node's position and its children already built; `builder.TreeBuilder` adds
the declarations. A problem found while building (a bad date, a bad aggregate) is raised as
`BuildProblem` carrying its diagnostic.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from . import nodes as n
from ._standalone import Token, Tree
from .diagnostics import Diagnostic
from .source import SourceFile, Span

# The names read as aggregates (`NAME in LIST` first); semantics/builtins.py holds what each does.
AGGREGATES = frozenset(
    {
        "count",
        "any",
        "all",
        "sum",
        "min",
        "max",
        "avg",
        "distinct",
        "months_with",
        "quarters_with",
        "longest_gap",
        "longest_gap_months",
    }
)


class BuildProblem(Exception):
    """A well-formedness problem found while building the AST (bad date, bad aggregate)."""

    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic


@dataclass(frozen=True, slots=True)
class Tagged:
    """An optional piece of a declaration, tagged so that positions do not matter."""

    tag: str
    value: Any


def span_of(path: str, meta: Any) -> Span:
    if getattr(meta, "empty", True):
        return Span(path, 1, 1, 1, 1)
    return Span(path, meta.line, meta.column, meta.end_line, meta.end_column, meta.start_pos, meta.end_pos)


def token_span(path: str, token: Token) -> Span:
    return Span(
        path,
        token.line or 1,
        token.column or 1,
        token.end_line or token.line or 1,
        token.end_column or token.column or 1,
        token.start_pos or 0,
        token.end_pos or 0,
    )


def unquote(token: Token) -> str:
    body = str(token)[1:-1]
    if "\\" not in body:
        return body
    out: list[str] = []
    chars = iter(body)
    for ch in chars:
        if ch == "\\":
            nxt = next(chars, "")
            out.append({"n": "\n", "t": "\t"}.get(nxt, nxt))
        else:
            out.append(ch)
    return "".join(out)


def number_from_text(text: str) -> Decimal:
    if text.endswith("%"):
        return Decimal(text[:-1]) / 100
    return Decimal(text)


def pick(children: list[Any], tag: str) -> Any:
    for child in children:
        if isinstance(child, Tagged) and child.tag == tag:
            return child.value
    return None


def plain(children: list[Any], kind: type) -> list[Any]:
    return [c for c in children if isinstance(c, kind)]


class ExprBuilder:
    """One method per grammar rule or alias of an expression or a shared piece, called with the
    node's position and its children already built (dispatch by name, as Lark's Transformer
    does, without its per-call wrappers)."""

    def __init__(self, source: SourceFile) -> None:
        self.path = source.path

    def build(self, tree: Tree[Token]) -> Any:
        children = [self.build(c) if isinstance(c, Tree) else c for c in tree.children]
        return getattr(self, tree.data)(tree.meta, children)

    def _s(self, meta: Any) -> Span:
        return span_of(self.path, meta)

    # ---- shared pieces
    def label(self, meta: Any, c: list[Any]) -> Tagged:
        return Tagged("label", unquote(c[0]))

    def _number(self, token: Token) -> n.Number:
        return n.Number(value=number_from_text(str(token)), text=str(token), span=token_span(self.path, token))

    def number(self, meta: Any, c: list[Any]) -> n.Number:
        return self._number(c[0])

    def percent(self, meta: Any, c: list[Any]) -> n.Number:
        return self._number(c[0])

    plain_number = percent

    def signed_number(self, meta: Any, c: list[Any]) -> n.Number:
        negative = len(c) == 2
        num = self._number(c[-1])
        if negative:
            return n.Number(value=-num.value, text="-" + num.text, span=self._s(meta))
        return num

    # ---- expressions
    def if_expr(self, meta: Any, c: list[Any]) -> n.IfExpr:
        return n.IfExpr(cond=c[0], then=c[1], else_=c[2], span=self._s(meta))

    def _chain(self, op: str, meta: Any, c: list[Any]) -> n.Expr:
        """`a or b or c` as left-nested binaries, built in a loop: long chains never recurse here."""
        result: n.Expr = c[0]
        for right in c[1:]:
            result = n.Binary(op=op, left=result, right=right, span=self._s(meta))
        return result

    def or_chain(self, meta: Any, c: list[Any]) -> n.Expr:
        return self._chain("or", meta, c)

    def and_chain(self, meta: Any, c: list[Any]) -> n.Expr:
        return self._chain("and", meta, c)

    def not_op(self, meta: Any, c: list[Any]) -> n.Unary:
        return n.Unary(op="not", operand=c[0], span=self._s(meta))

    def negate(self, meta: Any, c: list[Any]) -> n.Expr:
        operand = c[0]
        if isinstance(operand, n.Number) and not operand.text.startswith("-"):
            return n.Number(value=-operand.value, text="-" + operand.text, span=self._s(meta))
        return n.Unary(op="-", operand=operand, span=self._s(meta))

    def compare(self, meta: Any, c: list[Any]) -> n.Binary:
        return n.Binary(op=str(c[1]), left=c[0], right=c[2], span=self._s(meta))

    def _binary(self, op: str, meta: Any, c: list[Any]) -> n.Binary:
        return n.Binary(op=op, left=c[0], right=c[1], span=self._s(meta))

    def in_op(self, meta: Any, c: list[Any]) -> n.Binary:
        return self._binary("in", meta, c)

    def not_in_op(self, meta: Any, c: list[Any]) -> n.Binary:
        return self._binary("not in", meta, c)

    def coalesce_op(self, meta: Any, c: list[Any]) -> n.Binary:
        return self._binary("??", meta, c)

    def add(self, meta: Any, c: list[Any]) -> n.Binary:
        return self._binary("+", meta, c)

    def subtract(self, meta: Any, c: list[Any]) -> n.Binary:
        return self._binary("-", meta, c)

    def multiply(self, meta: Any, c: list[Any]) -> n.Binary:
        return self._binary("*", meta, c)

    def divide(self, meta: Any, c: list[Any]) -> n.Binary:
        return self._binary("/", meta, c)

    def is_none(self, meta: Any, c: list[Any]) -> n.IsNone:
        return n.IsNone(operand=c[0], negated=False, span=self._s(meta))

    def is_not_none(self, meta: Any, c: list[Any]) -> n.IsNone:
        return n.IsNone(operand=c[0], negated=True, span=self._s(meta))

    def attribute(self, meta: Any, c: list[Any]) -> n.Attribute:
        return n.Attribute(obj=c[0], name=str(c[1]), span=self._s(meta))

    def where_arg(self, meta: Any, c: list[Any]) -> Tagged:
        return Tagged("where", (c[0], c[1], self._s(meta)))

    def by_arg(self, meta: Any, c: list[Any]) -> Tagged:
        return Tagged("by", (c[0], self._s(meta)))

    def call(self, meta: Any, c: list[Any]) -> n.Expr:
        func, args, span = str(c[0]), c[1:], self._s(meta)
        binder = args[0] if args else None
        if isinstance(binder, Tagged) and binder.tag == "where":
            binder_expr, where = binder.value[0], binder.value[1]
        else:
            binder_expr, where = binder, None
        is_binder = (
            isinstance(binder_expr, n.Binary) and binder_expr.op == "in" and isinstance(binder_expr.left, n.Name)
        )
        if func in AGGREGATES and is_binder:
            return self._aggregate(func, binder_expr, where, args[1:], span)
        for arg in args:
            if isinstance(arg, Tagged):
                word = "where" if arg.tag == "where" else "by"
                raise BuildProblem(
                    Diagnostic(
                        "E015",
                        f"`{word}` can only follow `NAME in LIST` inside an aggregate such as count(...)",
                        arg.value[-1],
                        hint=f"write {func}(m in meetings where ...)" if func in AGGREGATES else None,
                    )
                )
        return n.Call(func=func, args=tuple(args), span=span)

    def _aggregate(self, func: str, binder: n.Binary, where: n.Expr | None, rest: list[Any], span: Span) -> n.Aggregate:
        assert isinstance(binder.left, n.Name)
        value: n.Expr | None = None
        by: n.Expr | None = None
        for arg in rest:
            if isinstance(arg, Tagged) and arg.tag == "by":
                by = arg.value[0]
            elif isinstance(arg, Tagged):
                raise BuildProblem(Diagnostic("E015", "only one `where` is allowed in an aggregate", arg.value[-1]))
            elif value is None:
                value = arg
            else:
                raise BuildProblem(Diagnostic("E015", f"too many arguments to {func}(...)", span))
        return n.Aggregate(
            func=func, var=binder.left.name, source=binder.right, where=where, value=value, by=by, span=span
        )

    def string(self, meta: Any, c: list[Any]) -> n.String:
        return n.String(value=unquote(c[0]), span=self._s(meta))

    def _date(self, token: Token) -> datetime.date:
        try:
            return datetime.date.fromisoformat(str(token))
        except ValueError:
            raise BuildProblem(
                Diagnostic(
                    "E014", f"{token} is not a real date", token_span(self.path, token), hint="dates are YYYY-MM-DD"
                )
            ) from None

    def date(self, meta: Any, c: list[Any]) -> n.DateLit:
        return n.DateLit(value=self._date(c[0]), span=self._s(meta))

    def true(self, meta: Any, c: list[Any]) -> n.Bool:
        return n.Bool(value=True, span=self._s(meta))

    def false(self, meta: Any, c: list[Any]) -> n.Bool:
        return n.Bool(value=False, span=self._s(meta))

    def none(self, meta: Any, c: list[Any]) -> n.NoneLit:
        return n.NoneLit(span=self._s(meta))

    def name(self, meta: Any, c: list[Any]) -> n.Name:
        return n.Name(name=str(c[0]), span=self._s(meta))

    def period_ref(self, meta: Any, c: list[Any]) -> n.PeriodRef:
        return n.PeriodRef(part=str(c[0]), span=self._s(meta))

    def history_ref(self, meta: Any, c: list[Any]) -> n.HistoryRef:
        return n.HistoryRef(back=int(str(c[0])), part=str(c[1]), span=self._s(meta))

    def list_literal(self, meta: Any, c: list[Any]) -> n.ListLit:
        return n.ListLit(items=tuple(c), span=self._s(meta))
