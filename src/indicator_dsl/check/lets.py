"""Typing the lets declared together in one scope, and bounding how deep they chain."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from ..syntax import nodes as n
from ..syntax.diagnostics import Diagnostic
from .typecheck import ExprChecker, Scope

# Compiled plans evaluate a let by calling the lets it reads, one Python frame each: a chain
# longer than this would exhaust the interpreter's recursion limit on some record.
MAX_LET_DEPTH = 256


def declare_lets(
    lets: Iterable[n.Let],
    scope: Scope,
    exprs: ExprChecker,
    depth: dict[int, int],
    report: Callable[[Diagnostic], None],
) -> None:
    """Type the lets declared together (they may be in any order), each after the lets it
    reads, so that typing one never recurses through a long chain of others. A cycle is
    typed from the let where it was entered, which E213 then names first. `depth` (shared by
    every scope of a ruleset: a dimension's let may read the ruleset's) keeps, per let, the
    longest chain of lets it reads through, itself included; past `MAX_LET_DEPTH`, E013."""
    done: set[int] = set()
    path: set[int] = set()
    too_deep = False
    for first in lets:
        stack: list[tuple[n.Let, bool]] = [(first, False)]
        while stack:
            let, expanded = stack.pop()
            if expanded:
                path.discard(id(let))
                exprs.let_type(let, scope, use=False)
                reads = [read for read in (_let_read(x, scope) for x in n.walk(let.expr)) if read]
                depth[id(let)] = 1 + max((depth.get(id(read), 0) for read in reads), default=0)
                if depth[id(let)] > MAX_LET_DEPTH and not too_deep:
                    too_deep = True
                    message = (
                        f"`{let.name}` is computed from a chain of {depth[id(let)]} lets, each reading the next;"
                        f" at most {MAX_LET_DEPTH} can be evaluated"
                    )
                    report(Diagnostic("E013", message, let.span, hint="compute the value from fewer intermediate lets"))
                continue
            if id(let) in done:
                continue
            done.add(id(let))
            path.add(id(let))
            stack.append((let, True))
            for node in n.walk(let.expr):
                read = _let_read(node, scope)
                if read is not None:
                    if id(read) in path:
                        exprs.let_type(read, scope, use=False)
                    else:
                        stack.append((read, False))


def _let_read(node: object, scope: Scope) -> n.Let | None:
    """The let a node of an expression reads, if it is the name of one."""
    return scope.lets.get(node.name) if isinstance(node, n.Name) else None
