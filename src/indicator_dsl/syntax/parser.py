"""Text to AST.

The generated parser (`_standalone.py`, Lark's LALR runtime) parses; `_Builder` turns its
tree into `nodes`. Nothing from it leaves this module: its exceptions are its own classes, not
`lark.exceptions`, and syntax errors become `Diagnostic`s with a message a ruleset author can act on.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from . import nodes as n
from ._standalone import Token, Tree, UnexpectedInput, UnexpectedToken
from .diagnostics import Diagnostic
from .grammar import lark_parser
from .messages import describe_unexpected
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
MAX_NESTING = 64


class _Problem(Exception):
    """A well-formedness problem found while building the AST (bad date, bad aggregate)."""

    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic


@dataclass(frozen=True, slots=True)
class _Tagged:
    """An optional piece of a declaration, tagged so that positions do not matter."""

    tag: str
    value: Any


@dataclass(frozen=True, slots=True)
class ParseResult:
    module: n.Module | None
    imports: tuple[n.Import, ...]
    diagnostics: list[Diagnostic]


def _span(path: str, meta: Any) -> Span:
    if getattr(meta, "empty", True):
        return Span(path, 1, 1, 1, 1)
    return Span(path, meta.line, meta.column, meta.end_line, meta.end_column, meta.start_pos, meta.end_pos)


def _token_span(path: str, token: Token) -> Span:
    return Span(
        path,
        token.line or 1,
        token.column or 1,
        token.end_line or token.line or 1,
        token.end_column or token.column or 1,
        token.start_pos or 0,
        token.end_pos or 0,
    )


def _unquote(token: Token) -> str:
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


def _pick(children: list[Any], tag: str) -> Any:
    for child in children:
        if isinstance(child, _Tagged) and child.tag == tag:
            return child.value
    return None


def _plain(children: list[Any], kind: type) -> list[Any]:
    return [c for c in children if isinstance(c, kind)]


class _Builder:
    """One method per grammar rule or alias, called with the node's position and its children
    already built (dispatch by name, as Lark's Transformer does, without its per-call wrappers)."""

    def __init__(self, source: SourceFile) -> None:
        self.path = source.path

    def build(self, tree: Tree[Token]) -> Any:
        children = [self.build(c) if isinstance(c, Tree) else c for c in tree.children]
        return getattr(self, tree.data)(tree.meta, children)

    def _s(self, meta: Any) -> Span:
        return _span(self.path, meta)

    # ---- shared pieces
    def label(self, meta: Any, c: list[Any]) -> _Tagged:
        return _Tagged("label", _unquote(c[0]))

    def _number(self, token: Token) -> n.Number:
        return n.Number(value=number_from_text(str(token)), text=str(token), span=_token_span(self.path, token))

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

    # ---- file
    def start(self, meta: Any, c: list[Any]) -> tuple[tuple[n.Import, ...], n.Module]:
        imports = tuple(_plain(c, n.Import))
        return imports, c[-1]

    def import_decl(self, meta: Any, c: list[Any]) -> n.Import:
        return n.Import(path=_unquote(c[0]), span=self._s(meta))

    # ---- schema
    def schema(self, meta: Any, c: list[Any]) -> n.Schema:
        return n.Schema(
            name=str(c[0]), label=_pick(c, "label"), imports=(), types=tuple(_plain(c, n.TypeDecl)), span=self._s(meta)
        )

    def type_decl(self, meta: Any, c: list[Any]) -> n.TypeDecl:
        return n.TypeDecl(
            name=str(c[0]), label=_pick(c, "label"), fields=tuple(_plain(c, n.FieldDecl)), span=self._s(meta)
        )

    def field_decl(self, meta: Any, c: list[Any]) -> n.FieldDecl:
        return n.FieldDecl(
            name=str(c[0]), type=c[1], default=_pick(c, "default"), label=_pick(c, "label"), span=self._s(meta)
        )

    def default(self, meta: Any, c: list[Any]) -> _Tagged:
        return _Tagged("default", c[0])

    def named_type(self, meta: Any, c: list[Any]) -> n.NamedType:
        return n.NamedType(name=str(c[0]), span=self._s(meta))

    def enum_type(self, meta: Any, c: list[Any]) -> n.EnumType:
        return n.EnumType(members=tuple(_unquote(t) for t in c), span=self._s(meta))

    def list_type(self, meta: Any, c: list[Any]) -> n.ListType:
        return n.ListType(item=c[0], span=self._s(meta))

    def optional_type(self, meta: Any, c: list[Any]) -> n.OptionalType:
        return n.OptionalType(inner=c[0], span=self._s(meta))

    # ---- ruleset header
    def ruleset(self, meta: Any, c: list[Any]) -> n.Ruleset:
        items = tuple(x for x in c[1:] if not isinstance(x, _Tagged))
        return n.Ruleset(
            name=str(c[0]),
            label=_pick(c, "label"),
            version=_pick(c, "version"),
            extends=_pick(c, "extends"),
            imports=(),
            items=items,
            span=self._s(meta),
        )

    def version(self, meta: Any, c: list[Any]) -> _Tagged:
        return _Tagged("version", _unquote(c[0]))

    def extends(self, meta: Any, c: list[Any]) -> _Tagged:
        return _Tagged("extends", str(c[0]))

    def record_decl(self, meta: Any, c: list[Any]) -> n.RecordDecl:
        return n.RecordDecl(type_name=str(c[0]), span=self._s(meta))

    def period_decl(self, meta: Any, c: list[Any]) -> n.PeriodDecl:
        return n.PeriodDecl(start=self._date(c[0]), end=self._date(c[1]), span=self._s(meta))

    def total_decl(self, meta: Any, c: list[Any]) -> n.TotalDecl:
        return n.TotalDecl(value=c[0], span=self._s(meta))

    def precision_decl(self, meta: Any, c: list[Any]) -> n.PrecisionDecl:
        return n.PrecisionDecl(places=int(c[0]), span=self._s(meta))

    def rescale_decl(self, meta: Any, c: list[Any]) -> n.RescaleDecl:
        return n.RescaleDecl(to=c[0], span=self._s(meta))

    def let_decl(self, meta: Any, c: list[Any]) -> n.Let:
        return n.Let(name=str(c[0]), expr=c[1], span=self._s(meta))

    # ---- table
    def dimension(self, meta: Any, c: list[Any]) -> n.Dimension:
        return n.Dimension(
            name=str(c[0]),
            label=_pick(c, "label"),
            max=_plain(c, n.Number)[0],
            weight=_pick(c, "weight"),
            items=tuple(x for x in c if isinstance(x, (n.Indicator, n.Let))),
            span=self._s(meta),
        )

    def weight(self, meta: Any, c: list[Any]) -> _Tagged:
        return _Tagged("weight", c[0])

    def indicator(self, meta: Any, c: list[Any]) -> n.Indicator:
        lets, clauses = c[-1]
        modifiers = [x.tag for x in c if isinstance(x, _Tagged) and x.tag in ("applies", "uncapped")]
        for tag in ("applies", "uncapped"):
            if modifiers.count(tag) > 1:
                word = "applies when" if tag == "applies" else tag
                raise _Problem(
                    Diagnostic(
                        "E104",
                        f"indicator `{c[0]}` says `{word}` twice",
                        self._s(meta),
                        hint="combine the conditions with `and`" if tag == "applies" else None,
                    )
                )
        return n.Indicator(
            name=str(c[0]),
            label=_pick(c, "label"),
            max=_plain(c, n.Number)[0],
            uncapped=any(isinstance(x, _Tagged) and x.tag == "uncapped" for x in c),
            applies=_pick(c, "applies"),
            lets=lets,
            clauses=clauses,
            span=self._s(meta),
        )

    def uncapped(self, meta: Any, c: list[Any]) -> _Tagged:
        return _Tagged("uncapped", True)

    def applies(self, meta: Any, c: list[Any]) -> _Tagged:
        return _Tagged("applies", c[0])

    def indicator_body(self, meta: Any, c: list[Any]) -> tuple[tuple[n.Let, ...], tuple[n.Clause, ...]]:
        return tuple(_plain(c, n.Let)), tuple(x for x in c if not isinstance(x, n.Let))

    def points_kind(self, meta: Any, c: list[Any]) -> str:
        return str(c[0])

    def points_clause(self, meta: Any, c: list[Any]) -> n.Points:
        per = _pick(c, "per")
        return n.Points(
            kind=c[0],
            amount=c[1],
            per=per[0] if per else None,
            up_to=per[1] if per else None,
            when=_pick(c, "when"),
            span=self._s(meta),
        )

    def per(self, meta: Any, c: list[Any]) -> _Tagged:
        return _Tagged("per", (c[0], _pick(c, "up_to")))

    def up_to(self, meta: Any, c: list[Any]) -> _Tagged:
        return _Tagged("up_to", c[0])

    def when(self, meta: Any, c: list[Any]) -> _Tagged:
        return _Tagged("when", c[0])

    def score_formula(self, meta: Any, c: list[Any]) -> n.ScoreFormula:
        return n.ScoreFormula(expr=c[0], span=self._s(meta))

    def judged(self, meta: Any, c: list[Any]) -> n.Judged:
        return n.Judged(by=_pick(c, "by"), reason_required=_pick(c, "reason") is not None, span=self._s(meta))

    def adjust(self, meta: Any, c: list[Any]) -> n.Adjust:
        return n.Adjust(
            bound=_plain(c, n.Number)[0],
            by=_pick(c, "by"),
            reason_required=_pick(c, "reason") is not None,
            span=self._s(meta),
        )

    def judged_by(self, meta: Any, c: list[Any]) -> _Tagged:
        return _Tagged("by", str(c[0]))

    def reason_required(self, meta: Any, c: list[Any]) -> _Tagged:
        return _Tagged("reason", True)

    def bands(self, meta: Any, c: list[Any]) -> n.Bands:
        entries = tuple(_plain(c, n.BandEntry))
        subject = c[0] if c and not isinstance(c[0], n.BandEntry) else None
        return n.Bands(subject=subject, entries=entries, span=self._s(meta))

    def band_compare(self, meta: Any, c: list[Any]) -> n.BandEntry:
        return n.BandEntry(kind="compare", op=str(c[0]), test=c[1], score=c[2], span=self._s(meta))

    def band_when(self, meta: Any, c: list[Any]) -> n.BandEntry:
        return n.BandEntry(kind="when", test=c[0], score=c[1], span=self._s(meta))

    def band_equal(self, meta: Any, c: list[Any]) -> n.BandEntry:
        return n.BandEntry(kind="equal", test=c[0], score=c[1], span=self._s(meta))

    def band_else(self, meta: Any, c: list[Any]) -> n.BandEntry:
        return n.BandEntry(kind="else", score=c[0], span=self._s(meta))

    # ---- grading
    def bonus(self, meta: Any, c: list[Any]) -> n.Bonus:
        name = str(c[0]) if isinstance(c[0], Token) else None
        return n.Bonus(
            name=name,
            label=_pick(c, "label"),
            max=_plain(c, n.Number)[0],
            items=tuple(_plain(c, n.BonusItem)),
            span=self._s(meta),
        )

    def penalty(self, meta: Any, c: list[Any]) -> n.Bonus:
        bonus = self.bonus(meta, c)
        return n.Bonus(
            name=bonus.name, label=bonus.label, max=bonus.max, items=bonus.items, kind="penalty", span=bonus.span
        )

    def bonus_item(self, meta: Any, c: list[Any]) -> n.BonusItem:
        return n.BonusItem(name=str(c[0]), label=_pick(c, "label"), clause=c[-1], span=self._s(meta))

    def veto_action(self, meta: Any, c: list[Any]) -> str:
        return str(c[0])

    def veto(self, meta: Any, c: list[Any]) -> n.Veto:
        rest = [x for x in c if not isinstance(x, _Tagged)]
        return n.Veto(
            name=str(rest[0]),
            label=_pick(c, "label"),
            when=rest[1],
            action=rest[2],
            grade=str(rest[3]),
            span=self._s(meta),
        )

    def exempt(self, meta: Any, c: list[Any]) -> n.Exempt:
        name = str(c[0]) if isinstance(c[0], Token) else None
        return n.Exempt(name=name, label=_pick(c, "label"), when=c[-1], span=self._s(meta))

    def assign(self, meta: Any, c: list[Any]) -> n.Assign:
        rest = [x for x in c if not isinstance(x, _Tagged)]
        return n.Assign(
            name=str(rest[0]), label=_pick(c, "label"), when=rest[1], grade=str(rest[2]), span=self._s(meta)
        )

    def assess(self, meta: Any, c: list[Any]) -> n.Assess:
        return n.Assess(sources=tuple(c), span=self._s(meta))

    def source(self, meta: Any, c: list[Any]) -> n.Source:
        return n.Source(
            name=str(c[0]),
            label=_pick(c, "label"),
            weight=_plain(c, n.Number)[0],
            value=_pick(c, "value"),
            span=self._s(meta),
        )

    def source_value(self, meta: Any, c: list[Any]) -> _Tagged:
        return _Tagged("value", c[0])

    def grades(self, meta: Any, c: list[Any]) -> n.Grades:
        return n.Grades(rules=tuple(c), span=self._s(meta))

    def grade_rule(self, meta: Any, c: list[Any]) -> n.GradeRule:
        return n.GradeRule(name=str(c[0]), label=_pick(c, "label"), when=c[-1].value, span=self._s(meta))

    def grade_when(self, meta: Any, c: list[Any]) -> _Tagged:
        return _Tagged("when", c[0])

    def grade_otherwise(self, meta: Any, c: list[Any]) -> _Tagged:
        return _Tagged("otherwise", None)

    def quota_direction(self, meta: Any, c: list[Any]) -> _Tagged:
        return _Tagged("direction", f"{c[0]} {c[1]}")

    def ties_rule(self, meta: Any, c: list[Any]) -> str:
        return str(c[0])

    def quota_within(self, meta: Any, c: list[Any]) -> _Tagged:
        return _Tagged("within", str(c[0]))

    def quota_where(self, meta: Any, c: list[Any]) -> _Tagged:
        return _Tagged("where", c[0])

    def quota_ties(self, meta: Any, c: list[Any]) -> _Tagged:
        return _Tagged("ties", c[0])

    def quota(self, meta: Any, c: list[Any]) -> n.Quota:
        return n.Quota(
            grade=str(c[0]),
            direction=_pick(c, "direction"),
            share=_plain(c, n.Number)[0],
            within=_pick(c, "within"),
            where=_pick(c, "where"),
            ties=_pick(c, "ties"),
            span=self._s(meta),
        )

    def outcome(self, meta: Any, c: list[Any]) -> n.Outcome:
        return n.Outcome(name=str(c[0]), label=_pick(c, "label"), expr=c[-1], span=self._s(meta))

    # ---- extensions
    def extend_dimension(self, meta: Any, c: list[Any]) -> n.ExtendDimension:
        numbers = _plain(c, n.Number)
        return n.ExtendDimension(
            name=str(c[0]),
            max=numbers[0] if numbers else None,
            indicators=tuple(_plain(c, n.Indicator)),
            span=self._s(meta),
        )

    def override_indicator(self, meta: Any, c: list[Any]) -> n.OverrideIndicator:
        return n.OverrideIndicator(indicator=c[0], span=self._s(meta))

    def remove_indicator(self, meta: Any, c: list[Any]) -> n.RemoveIndicator:
        return n.RemoveIndicator(name=str(c[0]), reason=_pick(c, "because"), span=self._s(meta))

    def because(self, meta: Any, c: list[Any]) -> _Tagged:
        return _Tagged("because", _unquote(c[0]))

    # ---- catalog
    def catalog(self, meta: Any, c: list[Any]) -> n.Catalog:
        return n.Catalog(
            name=str(c[0]),
            label=_pick(c, "label"),
            imports=(),
            items=tuple(x for x in c[1:] if not isinstance(x, _Tagged)),
            span=self._s(meta),
        )

    def route_table(self, meta: Any, c: list[Any]) -> n.RouteTable:
        return n.RouteTable(field=str(c[0]), entries=tuple(c[1:]), span=self._s(meta))

    def route_entry(self, meta: Any, c: list[Any]) -> n.RouteEntry:
        return n.RouteEntry(value=_unquote(c[0]), target=str(c[1]), span=self._s(meta))

    def route_when(self, meta: Any, c: list[Any]) -> n.RouteWhen:
        return n.RouteWhen(cond=c[0], target=str(c[1]), span=self._s(meta))

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

    def where_arg(self, meta: Any, c: list[Any]) -> _Tagged:
        return _Tagged("where", (c[0], c[1], self._s(meta)))

    def by_arg(self, meta: Any, c: list[Any]) -> _Tagged:
        return _Tagged("by", (c[0], self._s(meta)))

    def call(self, meta: Any, c: list[Any]) -> n.Expr:
        func, args, span = str(c[0]), c[1:], self._s(meta)
        binder = args[0] if args else None
        if isinstance(binder, _Tagged) and binder.tag == "where":
            binder_expr, where = binder.value[0], binder.value[1]
        else:
            binder_expr, where = binder, None
        is_binder = (
            isinstance(binder_expr, n.Binary) and binder_expr.op == "in" and isinstance(binder_expr.left, n.Name)
        )
        if func in AGGREGATES and is_binder:
            return self._aggregate(func, binder_expr, where, args[1:], span)
        for arg in args:
            if isinstance(arg, _Tagged):
                word = "where" if arg.tag == "where" else "by"
                raise _Problem(
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
            if isinstance(arg, _Tagged) and arg.tag == "by":
                by = arg.value[0]
            elif isinstance(arg, _Tagged):
                raise _Problem(Diagnostic("E015", "only one `where` is allowed in an aggregate", arg.value[-1]))
            elif value is None:
                value = arg
            else:
                raise _Problem(Diagnostic("E015", f"too many arguments to {func}(...)", span))
        return n.Aggregate(
            func=func, var=binder.left.name, source=binder.right, where=where, value=value, by=by, span=span
        )

    def string(self, meta: Any, c: list[Any]) -> n.String:
        return n.String(value=_unquote(c[0]), span=self._s(meta))

    def _date(self, token: Token) -> datetime.date:
        try:
            return datetime.date.fromisoformat(str(token))
        except ValueError:
            raise _Problem(
                Diagnostic(
                    "E014", f"{token} is not a real date", _token_span(self.path, token), hint="dates are YYYY-MM-DD"
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

    def list_literal(self, meta: Any, c: list[Any]) -> n.ListLit:
        return n.ListLit(items=tuple(c), span=self._s(meta))


# Comments and texts are skipped whole; brackets are taken in runs, so that a long file costs a
# few regex matches rather than a Python step per character (a 10 MB file is checked in well under
# a second). `\\` escapes any character, a line break included, as the old per-character scan did.
_BRACKET_RUNS = re.compile(r'#[^\n]*|"(?:[^"\\\n]|\\[\s\S])*"?|[(\[{]+|[)\]}]+')


def _nesting_problem(source: SourceFile) -> Diagnostic | None:
    """Deep bracket nesting is refused before parsing so later recursive stages stay safe."""
    depth = 0
    for match in _BRACKET_RUNS.finditer(source.text):
        run = match.group()
        if run[0] in '#"':
            continue
        if run[0] in ")]}":
            depth = max(0, depth - len(run))
            continue
        if depth + len(run) > MAX_NESTING:
            offset = match.start() + MAX_NESTING - depth
            return Diagnostic(
                "E013",
                f"brackets are nested more than {MAX_NESTING} deep",
                Span.at(source, offset, offset + 1),
                hint="split the expression with `let` names",
            )
        depth += len(run)
    return None


_NAME = re.compile(r"[^\W\d]\w*")


def _keyword_as_name(error: UnexpectedInput) -> bool:
    """A keyword where only a name fits is a name (`total otherwise` in grades, a field called
    `record`): the lexer reads every keyword-shaped word as the keyword (one regex for the whole
    file, no parser state), so where the parser refuses it but takes a NAME, it is fed as NAME."""
    if (
        isinstance(error, UnexpectedToken)
        and "NAME" in error.accepts
        and error.token.type != "NAME"
        and _NAME.fullmatch(str(error.token))
    ):
        token = error.token
        where = (token.start_pos, token.line, token.column, token.end_line, token.end_column, token.end_pos)
        error.interactive_parser.feed_token(Token("NAME", str(token), *where))
        return True
    return False


def parse_source(source: SourceFile) -> ParseResult:
    """Parse one file. Never raises for bad text: problems come back as diagnostics."""
    too_deep = _nesting_problem(source)
    if too_deep:
        return ParseResult(None, (), [too_deep])
    try:
        tree = lark_parser().parse(source.text, on_error=_keyword_as_name)
    except UnexpectedInput as error:
        return ParseResult(None, (), [describe_unexpected(source, error)])
    try:
        imports, module = _Builder(source).build(tree)
    except _Problem as problem:
        return ParseResult(None, (), [problem.diagnostic])
    except RecursionError:
        return ParseResult(None, (), [_too_long(source)])
    return ParseResult(module, imports, [])


def _too_long(source: SourceFile) -> Diagnostic:
    return Diagnostic(
        "E013",
        "an expression is too long or too deeply nested to read",
        Span.at(source, 0, 0),
        hint="split it with `let` names",
    )


__all__ = ["ParseResult", "parse_source"]
