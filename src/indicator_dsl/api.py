"""The Python API: `load()` a ruleset or catalog, then evaluate records.

    rs = indicator_dsl.load("rulesets/party_gov.ind")
    result = rs.evaluate(record_dict)            # one record, no quotas
    batch = rs.evaluate_many(records)             # quotas, in input order

Loading parses, resolves and checks; any error raises `RulesetError` with every
diagnostic. Plans are compiled once per content hash and shared by later loads.
"""

from __future__ import annotations

import decimal
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from .check.paths import check_resolved, unique_sorted
from .check.resolver import Resolved, ResolvedCatalog, ResolvedRuleset, Resolver
from .check.suggestions import bounded_suggestions
from .codegen.planner import build_plan, content_hash, namespace_for
from .evaluate.batch import Batch, CatalogQuota, run_batch
from .evaluate.compiled import compile_ruleset
from .evaluate.engine import Engine, Pending
from .evaluate.interpreter import InterpretedBackend
from .evaluate.parallel import evaluate_parallel
from .evaluate.results import Result
from .evaluate.router import Router
from .semantics.arithmetic import EXACT
from .semantics.plan import Backend
from .semantics.records import build_models
from .syntax.diagnostics import Diagnostic, RulesetError
from .syntax.source import Span

_ENGINES: dict[tuple[str, str], Engine] = {}


def _engine(resolved: ResolvedRuleset, backend: str) -> Engine:
    sha = content_hash(resolved)
    key = (sha, backend)
    if key not in _ENGINES:
        assert resolved.record is not None
        models = build_models(resolved.types, resolved.record.type_name)
        names = namespace_for(resolved, models.fields)
        plan = build_plan(resolved, names, sha)
        fast: Backend
        traced: Backend
        if backend == "interpreted":
            fast = traced = InterpretedBackend(resolved, names)
        else:
            fast = compile_ruleset(resolved, names, plan, traced=False)
            traced = compile_ruleset(resolved, names, plan, traced=True)
        _ENGINES[key] = Engine(plan, fast, traced, models)
    return _ENGINES[key]


def _is_path(source: str | Path) -> bool:
    return isinstance(source, Path) or ("\n" not in source and source.endswith(".ind"))


def _resolve(source: str | Path, root: Path | None) -> tuple[Resolver, Resolved | None]:
    resolver = Resolver(root=root)
    if _is_path(source):
        path = Path(source)
        if not os.path.lexists(path):  # a folder, a FIFO or a link loop is E001 from the reader
            raise FileNotFoundError(f"no such ruleset file: {path}")
        return resolver, resolver.resolve_path(path, str(path))
    return resolver, resolver.resolve_text(str(source))


def load(source: str | Path, *, backend: str = "compiled", root: str | Path | None = None) -> Ruleset | Catalog:
    """Load a `.ind` file (path) or text. `backend="interpreted"` uses the reference interpreter.

    Imports may not leave `root` (default: the project of the file, see docs/decisions.md)."""
    root_path = Path(root) if root is not None else None
    try:
        with bounded_suggestions():
            resolver, resolved = _resolve(source, root_path)
            check_resolved(resolver, [resolved])
        errors = [d for d in unique_sorted(resolver.diagnostics) if d.is_error]
        if errors or resolved is None:
            raise RulesetError(errors or unique_sorted(resolver.diagnostics), resolver.cache.sources())
        return _build(resolved, source, backend, root_path)
    except RecursionError:  # a pathologically deep expression, past the checker (code generation bugs propagate)
        where = Span(str(source) if _is_path(source) else "<text>", 1, 1, 1, 1)
        raise RulesetError(
            [
                Diagnostic(
                    "E013", "an expression is too deeply nested to compile", where, hint="split it with `let` names"
                )
            ]
        ) from None


def _build(resolved: Resolved | None, source: str | Path, backend: str, root: Path | None) -> Ruleset | Catalog:
    origin = Origin(
        str(source) if isinstance(source, Path) or _is_path(source) else None,
        None if isinstance(source, Path) or _is_path(source) else str(source),
        backend,
        root,
    )
    if isinstance(resolved, ResolvedRuleset):
        return Ruleset(_engine(resolved, backend), origin)
    if isinstance(resolved, ResolvedCatalog):
        engines = {name: _engine(r, backend) for name, r in resolved.rulesets.items()}
        return Catalog(resolved, engines, origin)
    raise RulesetError([])  # a schema file: nothing to evaluate


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a model was loaded from, so worker processes can load the same one."""

    path: str | None
    text: str | None
    backend: str
    root: Path | None = None

    def load(self) -> Ruleset | Catalog:
        return load(Path(self.path) if self.path else str(self.text), backend=self.backend, root=self.root)


class Model:
    """What a ruleset and a catalog share: scoring one record, or a batch with quotas."""

    engines: dict[str, Engine]
    origin: Origin

    def route(self, data: Any, sheets: Any, *, trace: bool) -> tuple[Engine, Pending]:
        raise NotImplementedError

    @property
    def catalog_quotas(self) -> list[CatalogQuota]:
        return []

    def evaluate(self, record: Any, *, sheets: Any = None, trace: bool = False) -> Result:
        """Score one record alone: grades without quotas (quotas need a batch)."""
        with decimal.localcontext(EXACT):
            engine, pending = self.route(record, sheets, trace=trace)
            return engine.finish(pending)

    def evaluate_many(
        self, records: Iterable[Any], *, sheets: dict[str, Any] | None = None, trace: bool = False, workers: int = 1
    ) -> Batch:
        """Score a batch: quotas apply; results come back in input order; `workers` processes."""
        if workers > 1:
            return evaluate_parallel(self, records, sheets=sheets, trace=trace, workers=workers)
        return run_batch(self, self.engines, records, sheets=sheets, trace=trace)


class Ruleset(Model):
    """A checked, compiled ruleset."""

    def __init__(self, engine: Engine, origin: Origin) -> None:
        self.engine = engine
        self.engines = {engine.plan.name: engine}
        self.origin = origin

    @property
    def name(self) -> str:
        return self.engine.plan.name

    @property
    def version(self) -> str | None:
        return self.engine.plan.version

    @property
    def sha256(self) -> str:
        return self.engine.plan.sha256

    @property
    def record_model(self) -> type[BaseModel]:
        return self.engine.models.root

    def json_schema(self) -> dict[str, Any]:
        return self.record_model.model_json_schema()

    def route(self, data: Any, sheets: Any, *, trace: bool) -> tuple[Engine, Pending]:
        return self.engine, self.engine.score(data, sheets, trace=trace)


class Catalog(Model):
    """A checked catalog: routes each record to one of its compiled rulesets."""

    def __init__(self, resolved: ResolvedCatalog, engines: dict[str, Engine], origin: Origin) -> None:
        self.resolved = resolved
        self.engines = engines
        self.origin = origin
        self.router = Router.for_catalog(resolved, engines, origin.backend)

    @property
    def name(self) -> str:
        return self.resolved.name

    @property
    def catalog_quotas(self) -> list[CatalogQuota]:
        return self.router.quotas

    def route(self, data: Any, sheets: Any, *, trace: bool) -> tuple[Engine, Pending]:
        return self.router.score(data, sheets, trace=trace)
