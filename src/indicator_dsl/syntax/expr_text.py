"""Expressions as text: the fewest parentheses that parse back to the same tree (and one pair
more: a comparison under `not` is bracketed, `not (x in xs)`, for the reader), and the
places (`breaking.Break`) where a long one may break.

Expressions are printed with an explicit stack rather than recursion: the parser folds a
flat `a or b or ...` into a left-leaning tree as deep as the chain is long, and a
thousand-term chain must not overflow Python's stack.
"""

from __future__ import annotations

from collections.abc import Iterable

from . import nodes as n
from .breaking import Break, Token, flat

# Binding strength, loosest first, as in the grammar: if < or < and < not < comparison
# < ?? < + - < * / < unary minus < postfix and atoms.
_IF, _OR, _AND, _NOT, _COMPARE, _COALESCE, _SUM, _PRODUCT, _NEGATE, _POSTFIX = range(10)

_BINARY_LEVEL = {
    "or": _OR,
    "and": _AND,
    "??": _COALESCE,
    "+": _SUM,
    "-": _SUM,
    "*": _PRODUCT,
    "/": _PRODUCT,
    "==": _COMPARE,
    "!=": _COMPARE,
    "<": _COMPARE,
    "<=": _COMPARE,
    ">": _COMPARE,
    ">=": _COMPARE,
    "in": _COMPARE,
    "not in": _COMPARE,
}


class _Space:
    """A space the line may break at: a `Break` at the depth of the node it belongs to; with
    `each`, once broken there every part takes its own line (`and`/`or` links, `else`s)."""

    def __init__(self, each: bool) -> None:
        self.each = each


_SPACE = _Space(each=False)
_LINK = _Space(each=True)

_Part = str | _Space | tuple[n.Expr, int]
"""Printed text, a space that may break, or a sub-expression and the binding strength it
needs to stand unbracketed."""


def quote(value: str) -> str:
    """A string literal the parser reads back as `value` (it knows `\\n`, `\\t` and `\\` + char)."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    return f'"{escaped}"'


def _level(expr: n.Expr) -> int:
    if isinstance(expr, n.IfExpr):
        return _IF
    if isinstance(expr, n.Binary):
        return _BINARY_LEVEL[expr.op]
    if isinstance(expr, n.Unary):
        return _NOT if expr.op == "not" else _NEGATE
    if isinstance(expr, n.IsNone):
        return _COMPARE
    if isinstance(expr, n.Number) and expr.text.startswith("-"):
        # The parser folds `-5` into a negative literal, so it binds like unary minus.
        return _NEGATE
    return _POSTFIX


def _starts_with_minus(expr: n.Expr) -> bool:
    return (isinstance(expr, n.Unary) and expr.op == "-") or (isinstance(expr, n.Number) and expr.text.startswith("-"))


def _joined(exprs: Iterable[n.Expr]) -> list[_Part]:
    parts: list[_Part] = []
    for index, expr in enumerate(exprs):
        if index:
            parts += [",", _SPACE]
        parts.append((expr, _IF))
    return parts


def _parts(expr: n.Expr) -> list[_Part]:
    """One level of `expr`: its own text with its operands left to print."""
    if isinstance(expr, n.Number):
        return [expr.text]
    if isinstance(expr, n.String):
        return [quote(expr.value)]
    if isinstance(expr, n.DateLit):
        return [expr.value.isoformat()]
    if isinstance(expr, n.Bool):
        return ["true" if expr.value else "false"]
    if isinstance(expr, n.NoneLit):
        return ["none"]
    if isinstance(expr, n.Name):
        return [expr.name]
    if isinstance(expr, n.PeriodRef):
        return [f"period.{expr.part}"]
    if isinstance(expr, n.HistoryRef):
        return [f"history({expr.back}).{expr.part}"]
    if isinstance(expr, n.ListLit):
        return ["[", *_joined(expr.items), "]"]
    if isinstance(expr, n.Attribute):
        return [(expr.obj, _POSTFIX), f".{expr.name}"]
    if isinstance(expr, n.Unary):
        if expr.op == "not":
            # `not (x in xs)`, not `not x in xs`: the grammar needs no brackets, a reader does.
            return ["not ", (expr.operand, _COALESCE if _level(expr.operand) == _COMPARE else _NOT)]
        # `- -x`, not `--x`: two signs must stay visibly two.
        return ["- " if _starts_with_minus(expr.operand) else "-", (expr.operand, _NEGATE)]
    if isinstance(expr, n.Binary):
        level = _BINARY_LEVEL[expr.op]
        # Chains lean left; comparisons do not chain at all, so both sides need more.
        left = level + 1 if level == _COMPARE else level
        space = _LINK if expr.op in ("and", "or") else _SPACE
        return [(expr.left, left), space, f"{expr.op} ", (expr.right, level + 1)]
    if isinstance(expr, n.IsNone):
        return [(expr.operand, _COALESCE), " is not none" if expr.negated else " is none"]
    if isinstance(expr, n.IfExpr):
        return ["if ", (expr.cond, _IF), _SPACE, "then ", (expr.then, _IF), _LINK, "else ", (expr.else_, _IF)]
    if isinstance(expr, n.Call):
        return [f"{expr.func}(", *_joined(expr.args), ")"]
    return _aggregate_parts(expr)


def _aggregate_parts(expr: n.Aggregate) -> list[_Part]:
    # The binder is read as the comparison `var in source`, so the source must bind tighter.
    parts: list[_Part] = [f"{expr.func}({expr.var} in ", (expr.source, _COALESCE)]
    if expr.where is not None:
        parts += [_SPACE, "where ", (expr.where, _IF)]
    if expr.value is not None:
        parts += [",", _SPACE, (expr.value, _IF)]
    if expr.by is not None:
        parts += [",", _SPACE, "by ", (expr.by, _IF)]
    parts.append(")")
    return parts


def expr_tokens(expr: n.Expr, depth: int = 0) -> list[Token]:
    """`expr` as text and breaks. The breaks of its outermost node are at `depth` (with those of
    the further links of its chain: `a and b and c`, `if … else if …`); every other node inside
    it (an operand, an argument, a bracketed expression) has its breaks one level deeper."""
    out: list[Token] = []
    # Each entry: a part and the depth of the node it belongs to.
    stack: list[tuple[_Part, int]] = [((expr, _IF), depth)]
    while stack:
        part, at = stack.pop()
        if isinstance(part, str):
            out.append(part)
            continue
        if isinstance(part, _Space):
            out.append(Break(at, each=part.each))
            continue
        node, needed = part
        if _level(node) < needed:
            stack += [(")", at), ((node, _IF), at + 1), ("(", at)]
            continue
        pieces = _parts(node)
        for index in range(len(pieces) - 1, -1, -1):
            piece = pieces[index]
            if isinstance(piece, tuple):
                child, child_needed = piece
                link = _continues(node, child, first=index == 0) and _level(child) >= child_needed
                stack.append((piece, at if link else at + 1))
            else:
                stack.append((piece, at))
    return out


def _continues(node: n.Expr, child: n.Expr, *, first: bool) -> bool:
    """Whether `child` is a further link of `node`'s chain, so its breaks sit at the same depth:
    the left operand of a binary operator of the same strength, the `else` that is an `if`."""
    if isinstance(node, n.Binary):
        return first and isinstance(child, n.Binary) and _BINARY_LEVEL[child.op] == _BINARY_LEVEL[node.op]
    return isinstance(node, n.IfExpr) and child is node.else_ and isinstance(child, n.IfExpr)


def print_expr(expr: n.Expr) -> str:
    """Canonical text of one expression, bracketed only where the grammar needs it."""
    return flat(expr_tokens(expr))


__all__ = ["expr_tokens", "print_expr", "quote"]
