"""What a plan reads of a ruleset's text: each grade rule's conditions one by one, and each
indicator's clauses as written, so that a plan can say which condition fails and which
clause cost the points. Conditions are evaluated by the reference interpreter on the
record and its grading values (the figures the backends graded with), with what they read.
"""

from __future__ import annotations

import dataclasses
import decimal
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ..check.resolved import ResolvedRuleset
from ..check.scope import path_of
from ..codegen.planner import namespace_for
from ..evaluate.engine import Engine
from ..evaluate.interpreter import InterpretedBackend
from ..semantics.arithmetic import EXACT, RUNTIME_FAILURES
from ..semantics.plan import GradingValues
from ..syntax import nodes as n
from ..syntax.expr_text import print_expr


@dataclass(frozen=True, slots=True)
class ConditionCheck:
    """One condition of a grade rule (a conjunct of its `when`), on one record."""

    text: str  # as written: `superior >= 88`
    holds: bool | None  # None: it could not be evaluated (its error is in `reads`)
    reads: dict[str, Any]  # the values it read: {"superior": 86.2}
    short: Decimal | None = None  # a failing `A >= B` (or >, <=, <) of numbers: how far A is from B


def conjuncts(expr: n.Expr) -> list[n.Expr]:
    """`a and b and c` as [a, b, c] (without recursion: a long chain is a deep tree)."""
    out: list[n.Expr] = []
    stack = [expr]
    while stack:
        e = stack.pop()
        if isinstance(e, n.Binary) and e.op == "and":
            stack.extend((e.right, e.left))
        else:
            out.append(e)
    return out


def graded_reads(expr: n.Expr, grading: GradingValues) -> dict[str, Any]:
    """The grading values (`total`, `superior`, `self.team` …) an expression names, with their values."""
    found: dict[str, Any] = {}
    stack: list[Any] = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, (list, tuple)):
            stack.extend(node)
            continue
        if not dataclasses.is_dataclass(node):
            continue
        key = path_of(node) if isinstance(node, n.Attribute) else getattr(node, "name", None)
        if isinstance(node, (n.Name, n.Attribute)) and isinstance(key, str) and key in grading:
            found[key] = grading[key]
        stack.extend(getattr(node, f.name) for f in dataclasses.fields(node) if f.name != "span")
    return dict(reversed(found.items()))


def clause_text(clause: n.Clause) -> str:
    """A scoring clause as its line reads, in short."""
    if isinstance(clause, n.Points):
        text = f"{clause.kind} {print_expr(clause.amount)}"
        if clause.per is not None:
            text += f" per {print_expr(clause.per)}"
        if clause.up_to is not None:
            text += f" up to {print_expr(clause.up_to)}"
        if clause.when is not None:
            text += f" when {print_expr(clause.when)}"
        return text
    if isinstance(clause, n.Bands):
        return "bands" + (f" {print_expr(clause.subject)}" if clause.subject is not None else "")
    if isinstance(clause, n.ScoreFormula):
        return f"score = {print_expr(clause.expr)}"
    if isinstance(clause, n.Judged):
        return "judged" + (f" by {clause.by}" if clause.by else "")
    return f"adjust up to {clause.bound.value}" + (f" by {clause.by}" if clause.by else "")


class RuleText:
    """One ruleset's grade rules split into conditions, and its indicators' clauses."""

    def __init__(self, resolved: ResolvedRuleset, engine: Engine) -> None:
        self.interpreter = InterpretedBackend(resolved, namespace_for(resolved, engine.models.fields))
        rules = resolved.grades.rules if resolved.grades else ()
        self.grade_rules: dict[str, list[n.Expr]] = {r.name: conjuncts(r.when) for r in rules if r.when is not None}
        self.clauses: dict[str, list[str]] = {
            t.node.name: [clause_text(c) for c in t.node.clauses] for t in resolved.indicators()
        }

    def checks(self, grade: str, record: Any, grading: GradingValues) -> list[ConditionCheck]:
        """Each condition of `grade`'s rule on this record ([] for `otherwise`)."""
        found: list[ConditionCheck] = []
        interpreter = self.interpreter.i
        for expr in self.grade_rules.get(grade, []):
            interpreter.reads = []
            try:
                with decimal.localcontext(EXACT):
                    holds: bool | None = bool(interpreter.eval(expr, record, {}, self.interpreter.lets, grading))
                reads = {**graded_reads(expr, grading), **dict(interpreter.reads)}
            except RUNTIME_FAILURES as error:
                holds, reads = None, {"error": str(error)}
            finally:
                interpreter.reads = None
            short = self.shortfall(expr, record, grading) if holds is False else None
            found.append(ConditionCheck(print_expr(expr), holds, reads, short))
        return found

    def shortfall(self, expr: n.Expr, record: Any, grading: GradingValues) -> Decimal | None:
        """|A - B| of a failing comparison of two numbers, else None."""
        if not (isinstance(expr, n.Binary) and expr.op in (">=", ">", "<=", "<")):
            return None
        try:
            with decimal.localcontext(EXACT):
                sides = [
                    self.interpreter.i.eval(e, record, {}, self.interpreter.lets, grading)
                    for e in (expr.left, expr.right)
                ]
        except RUNTIME_FAILURES:
            return None
        if not all(isinstance(v, (int, Decimal)) and not isinstance(v, bool) for v in sides):
            return None
        return abs(Decimal(sides[1]) - Decimal(sides[0]))
