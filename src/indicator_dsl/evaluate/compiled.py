"""Running generated code: the compiled backend of a ruleset, and the catalog's route tests.

A generated module is compiled under its own file name (one per ruleset and variant) and
run with `RUNTIME_GLOBALS` and its constants. Each call runs under the backend's exact
context, which generated code also passes explicitly to the helpers that divide and round,
so no caller's decimal context reaches a score. When a record's evaluation fails, the
innermost traceback line in generated code is mapped back through the module's line map
to the `.ind` clause it evaluates, and the record's error names that clause. A module
that does not compile, or that uses a name it was not given, is a code-generation bug
and raises `CodegenBug`, never a user diagnostic or a per-record error.
"""

from __future__ import annotations

import decimal
import linecache
from collections.abc import Callable
from typing import Any

from ..check.resolved import ResolvedRuleset
from ..codegen.expressions import NameSpace
from ..codegen.module import RUNTIME_GLOBALS, GeneratedModule, generate
from ..semantics.arithmetic import EXACT, RUNTIME_FAILURES
from ..semantics.grading import Conditions, Scored, grade, value_readers
from ..semantics.plan import GradingValues, TablePlan, Trace
from ..semantics.records import FieldProblem, failure_problem
from ..semantics.sheets import SheetProblems, SheetReader, judged_value
from ..syntax.source import Span


class CodegenBug(RuntimeError):
    """Generated code that does not compile or names what it was not given: a bug in the
    code generator, reported as an internal error (the user's ruleset is not at fault)."""


class TooDeep(RecursionError):
    """An expression nested deeper than Python's own parser accepts (`load` reports E013)."""


def generated_functions(module: GeneratedModule, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Run a generated module with the runtime helpers and constants it names; its functions."""
    namespace: dict[str, Any] = dict(RUNTIME_GLOBALS)
    namespace.update({f"K{i}": value for i, value in enumerate(module.constants)})
    namespace.update(extra or {})
    try:
        code = compile(module.code, module.filename, "exec")
    except SyntaxError as error:
        if "too many nested parentheses" in str(error.msg):
            raise TooDeep(str(error.msg)) from error
        raise CodegenBug(f"code generation bug: {module.filename} does not compile: {error}") from error
    # as Jinja does, so that a traceback through generated code shows its lines
    linecache.cache[module.filename] = (len(module.code), None, module.code.splitlines(True), module.filename)
    exec(code, namespace)
    return namespace


def _rebuild(module: GeneratedModule, plan: TablePlan) -> CompiledBackend:
    return CompiledBackend(module, plan)


class CompiledBackend:
    """The functions of one generated module: `score` computes a record's figures, then the
    grade comes from `grading.grade` with the generated conditions. Picklable (as its module
    and plan); worker processes do not need that, they load the ruleset again."""

    def __init__(self, module: GeneratedModule, plan: TablePlan) -> None:
        self.module = module
        self.plan = plan
        self.context = EXACT
        namespace = generated_functions(module, {"_sheets": SheetReader(plan), "_jv": judged_value})
        self._score: Callable[[Any, Any, Trace | None, decimal.Context], Scored] = namespace["score"]

        def group(kind: str, count: int) -> list[Callable[[Any, GradingValues], Any]]:
            return [namespace[f"cond_{kind}_{i}"] for i in range(count)]

        self.conditions = Conditions(
            exempts=group("exempt", len(plan.exempts)),
            grades=group("grade", sum(1 for g in plan.grades if not g.otherwise)),
            assigns=group("assign", len(plan.assigns)),
            vetoes=group("veto", len(plan.vetoes)),
            readers=value_readers(plan),
        )
        self._quota_where = group("quota", sum(q.has_where for q in plan.quotas))
        self._outcomes: Callable[[Any, GradingValues], dict[str, Any]] = namespace["outcomes"]

    def __reduce__(self) -> tuple[Callable[..., CompiledBackend], tuple[GeneratedModule, TablePlan]]:
        return _rebuild, (self.module, self.plan)

    def where(self, error: BaseException) -> Span | None:
        """The `.ind` span of the innermost generated line with a span that an error passed
        through. A let's closure has none: like the interpreter, the error names the clause
        that used the let."""
        found = None
        tb = error.__traceback__
        while tb is not None:
            if tb.tb_frame.f_code.co_filename == self.module.filename:
                found = self.module.spans[tb.tb_lineno - 1] or found
            tb = tb.tb_next
        return found

    def score(self, plan: TablePlan, record: Any, sheets: Any, *, trace: bool = False) -> Scored | list[FieldProblem]:
        context = self.context
        try:
            with decimal.localcontext(context):
                scored = self._score(record, sheets, [] if trace else None, context)
                grade(plan, self.conditions, record, scored, context)
        except SheetProblems as problems:
            return problems.problems
        except RUNTIME_FAILURES as error:
            return [failure_problem(error, at=self.where(error))]
        except NameError as error:
            raise self.bug(error) from error
        return scored

    def bug(self, error: NameError) -> CodegenBug:
        return CodegenBug(f"code generation bug: {self.module.filename} uses an unknown name: {error}")

    def quota_where(self, index: int, record: Any, grading: GradingValues) -> bool:
        try:
            with decimal.localcontext(self.context):
                return bool(self._quota_where[index](record, grading))
        except NameError as error:
            raise self.bug(error) from error

    def outcomes(self, record: Any, grading: GradingValues) -> dict[str, Any]:
        try:
            with decimal.localcontext(self.context):
                return self._outcomes(record, grading)
        except NameError as error:
            raise self.bug(error) from error


def compile_ruleset(ruleset: ResolvedRuleset, names: NameSpace, plan: TablePlan, *, traced: bool) -> CompiledBackend:
    return CompiledBackend(generate(ruleset, names, plan, traced=traced), plan)
