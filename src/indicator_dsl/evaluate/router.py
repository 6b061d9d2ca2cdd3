"""Routing records through a catalog to the ruleset that scores them.

Condition routes are tried first (the more specific department routes), then the
`route by` table. A record that two condition routes match, or none, is a per-record
error naming the routes, never a silent pick.
"""

from __future__ import annotations

import decimal
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..check.names import Names
from ..check.resolved import ResolvedCatalog
from ..codegen.expressions import ExprCompiler
from ..codegen.module import GeneratedModule
from ..codegen.planner import namespace_for
from ..semantics.arithmetic import EXACT, RUNTIME_FAILURES
from ..semantics.plan import QuotaInfo
from ..semantics.records import FieldProblem, failure_problem, quoted
from ..syntax import nodes as n
from ..syntax.source import Span
from .compiled import generated_functions
from .engine import Engine, Pending
from .history import History
from .interpreter import Interpreter
from .results import RulesetRef

RouteFn = Callable[[Any], bool]
QuotaWhere = Callable[[Any, dict[str, Any]], bool]


@dataclass(slots=True)
class Router:
    catalog: str
    ref: RulesetRef
    engines: dict[str, Engine]
    first: Engine
    conditions: list[tuple[RouteFn, str, str]]  # (test, target, shown condition)
    table: dict[str, str]
    table_field: str | None
    quotas: list[tuple[QuotaInfo, QuotaWhere | None]]
    nominations: list[tuple[n.Nomination, QuotaWhere | None]]  # (rule, its `exclude when`)

    @staticmethod
    def for_catalog(resolved: ResolvedCatalog, engines: dict[str, Engine], backend: str) -> Router:
        first_name = next(iter(engines))
        first = engines[first_name]
        whens = [item for item in resolved.node.items if isinstance(item, n.RouteWhen)]
        quota_nodes = [item for item in resolved.node.items if isinstance(item, n.Quota)]
        build = _interpreted if backend == "interpreted" else _compiled
        nomination_nodes = [item for item in resolved.node.items if isinstance(item, n.Nomination)]
        graded = [(q.where, q.span) for q in quota_nodes] + [(m.exclude, m.span) for m in nomination_nodes]
        routes, wheres = build(resolved, first_name, first, whens, graded)
        table = next((item for item in resolved.node.items if isinstance(item, n.RouteTable)), None)
        quotas = [(QuotaInfo.of(q), wheres.get(i)) for i, q in enumerate(quota_nodes)]
        sha = hashlib.sha256("".join(e.plan.sha256 for e in engines.values()).encode() + resolved.source.text.encode())
        return Router(
            catalog=resolved.name,
            ref=RulesetRef(name=resolved.name, version=None, sha256=sha.hexdigest()),
            engines=engines,
            first=first,
            conditions=[
                (route, w.target, f"{w.span.path}:{w.span.line}") for route, w in zip(routes, whens, strict=True)
            ],
            table={e.value: e.target for e in table.entries} if table else {},
            table_field=table.field if table else None,
            quotas=quotas,
            nominations=[(m, wheres.get(len(quota_nodes) + i)) for i, m in enumerate(nomination_nodes)],
        )

    def score(
        self, data: Any, sheets: Any, *, trace: bool = False, history: History | None = None
    ) -> tuple[Engine, Pending]:
        record, sheets, problems, warnings, record_id = self.first.prepare(data, sheets)
        if record is None:
            return self.first, Pending(record_id, None, None, problems, warnings, self.ref)
        if history is not None:
            history.attach(record, record_id)
        target, problem = self.route(record)
        if target is None:
            return self.first, Pending(record_id, None, None, [problem] if problem else [], warnings, self.ref)
        engine = self.engines[target]
        return engine, engine.score_valid(record, sheets, record_id, warnings, trace=trace)

    def route(self, record: Any) -> tuple[str | None, FieldProblem | None]:
        """The ruleset a record goes to, or the record's error: no route, several, or a
        route condition that fails for it (a division by zero), named by its line."""
        matched: list[tuple[str, str]] = []
        with decimal.localcontext(EXACT):
            for test, target, where in self.conditions:
                try:
                    if test(record):
                        matched.append((target, where))
                except RUNTIME_FAILURES as error:
                    return None, failure_problem(error, f"route to `{target}` ({where})")
        if len(matched) > 1:
            names = ", ".join(f"`{t}` ({w})" for t, w in matched)
            return None, FieldProblem("", f"the record matches several routes: {names}")
        if matched:
            return matched[0][0], None
        if self.table_field is not None:
            value = self.first.models.fields.read(record, self.first.plan.record_type, self.table_field)
            if value in self.table:
                return self.table[value], None
            return None, FieldProblem(self.table_field or "", f"no route for {self.table_field} = {quoted(value)}")
        return None, FieldProblem("", f"no route of catalog `{self.catalog}` matches the record")


Conditions = tuple[list[RouteFn], dict[int, QuotaWhere]]


Graded = list[tuple[n.Expr | None, Span]]  # quota `where`s, then nomination `exclude when`s


def _compiled(
    resolved: ResolvedCatalog, first_name: str, first: Engine, whens: list[n.RouteWhen], graded: Graded
) -> Conditions:
    """Route conditions and the conditions over a record and its grading values (quota
    `where`, nomination `exclude when`) as one generated module, with its line map."""
    names = namespace_for(resolved.rulesets[first_name], first.models.fields)
    lines: list[str] = []
    spans: list[Span | None] = []
    for i, route in enumerate(whens):
        lines.append(f"def route_{i}(r):\n    return {ExprCompiler(names, {}, traced=False).compile(route.cond)}")
        spans += [None, route.span]
    for i, (cond, span) in enumerate(graded):
        if cond is not None:
            body = ExprCompiler(names, {}, traced=False, grading=True).compile(cond)
            lines.append(f"def quota_{i}(r, g):\n    return {body}")
            spans += [None, span]
    module = GeneratedModule(
        "\n".join(lines) + "\n", tuple(names.constants), tuple(spans), f"<generated routes of {resolved.name}>"
    )
    functions = generated_functions(module)
    return (
        [functions[f"route_{i}"] for i in range(len(whens))],
        {i: functions[f"quota_{i}"] for i, (cond, _) in enumerate(graded) if cond is not None},
    )


def _interpreted(
    resolved: ResolvedCatalog, first_name: str, first: Engine, whens: list[n.RouteWhen], graded: Graded
) -> Conditions:
    """The same conditions walked by the reference interpreter (nothing is compiled)."""
    interpreter = Interpreter(Names.of(resolved.rulesets[first_name], first.models.fields))

    def route(cond: n.Expr) -> RouteFn:
        return lambda record: bool(interpreter.eval(cond, record, {}, {}, None))

    def where(cond: n.Expr) -> QuotaWhere:
        return lambda record, grading: bool(interpreter.eval(cond, record, {}, {}, grading))

    return [route(w.cond) for w in whens], {i: where(cond) for i, (cond, _) in enumerate(graded) if cond is not None}
