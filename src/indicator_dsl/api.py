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

from .check.loader import FileCache, real_path
from .check.paths import check_resolved, unique_sorted
from .check.resolved import Resolved, ResolvedCatalog, ResolvedRuleset
from .check.resolver import Resolver
from .check.suggestions import bounded_suggestions
from .codegen.planner import build_plan, content_hash, location_key, namespace_for
from .evaluate.adjustments import read_adjustments
from .evaluate.batch import Batch, CatalogNomination, CatalogQuota, run_batch
from .evaluate.compiled import compile_ruleset
from .evaluate.engine import Engine, Pending
from .evaluate.interpreter import InterpretedBackend
from .evaluate.parallel import evaluate_parallel
from .evaluate.results import Result
from .evaluate.router import Router
from .evaluate.table_api import TableScoring, python_backend
from .semantics.arithmetic import EXACT
from .semantics.plan import Backend
from .semantics.records import build_models
from .syntax.diagnostics import Diagnostic, RulesetError
from .syntax.source import Span

_ENGINES: dict[tuple[str, str, str], Engine] = {}


def _engine(resolved: ResolvedRuleset, backend: str) -> Engine:
    sha = content_hash(resolved)
    key = (sha, location_key(resolved), backend)
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


def _resolve(source: str | Path, root: Path | None, cache: FileCache) -> tuple[Resolver, Resolved | None]:
    resolver = Resolver(cache, root=root)
    if _is_path(source):
        path = Path(source)
        known = (real_path(path) or path.absolute()) in cache.files  # a worker's snapshot of the files
        if not known and not os.path.lexists(path):  # a folder, a FIFO or a link loop is E001 from the reader
            raise FileNotFoundError(f"no such ruleset file: {path}")
        return resolver, resolver.resolve_path(path, str(path))
    return resolver, resolver.resolve_text(str(source))


def load(source: str | Path, *, backend: str = "compiled", root: str | Path | None = None) -> Ruleset | Catalog:
    """Load a `.ind` file (path) or text. `backend="interpreted"` uses the reference interpreter.

    Imports may not leave `root` (default: the project of the file, see docs/decisions.md)."""
    return _load(source, backend, Path(root) if root is not None else None, FileCache())


def _load(source: str | Path, backend: str, root: Path | None, cache: FileCache) -> Ruleset | Catalog:
    """`load()` reading files through `cache` (files already in it are not read from disk)."""
    try:
        with bounded_suggestions():
            resolver, resolved = _resolve(source, root, cache)
            check_resolved(resolver, [resolved])
        errors = [d for d in unique_sorted(resolver.diagnostics) if d.is_error]
        if errors or resolved is None:
            raise RulesetError(errors or unique_sorted(resolver.diagnostics), resolver.cache.sources())
        return _build(resolved, source, backend, root, cache)
    except RecursionError:  # a pathologically deep expression, past the checker (code generation bugs propagate)
        where = Span(str(source) if _is_path(source) else "<text>", 1, 1, 1, 1)
        raise RulesetError(
            [
                Diagnostic(
                    "E013", "an expression is too deeply nested to compile", where, hint="split it with `let` names"
                )
            ]
        ) from None


def _build(
    resolved: Resolved | None, source: str | Path, backend: str, root: Path | None, cache: FileCache
) -> Ruleset | Catalog:
    files = tuple((str(key), f.source.path, f.source.text) for key, f in cache.files.items())
    origin = Origin(source if isinstance(source, Path) else str(source), backend, root, files)
    if isinstance(resolved, ResolvedRuleset):
        return Ruleset(_engine(resolved, python_backend(backend)), origin, resolved)
    if isinstance(resolved, ResolvedCatalog):
        engines = {name: _engine(r, python_backend(backend)) for name, r in resolved.rulesets.items()}
        return Catalog(resolved, engines, origin)
    raise RulesetError([])  # a schema file: nothing to evaluate


@dataclass(frozen=True, slots=True)
class Origin:
    """What a model was loaded from, frozen at load time: the path or text given to `load()` and
    the text of every file the resolver read (resolved path, path as shown, text). Worker
    processes rebuild the model from these texts, never from disk, so a file edited during a run
    cannot change how its records are scored."""

    source: str | Path
    backend: str
    root: Path | None
    files: tuple[tuple[str, str, str], ...]

    def load(self) -> Ruleset | Catalog:
        cache = FileCache()
        for key, shown, text in self.files:
            cache.add_text(Path(key), shown, text.encode("utf-8"))
        return _load(self.source, self.backend, self.root, cache)


class Model:
    """What a ruleset and a catalog share: scoring one record, or a batch with quotas."""

    engines: dict[str, Engine]
    origin: Origin
    tables: TableScoring

    @property
    def columnar_note(self) -> str | None:
        """Why `backend="auto"` (or a table) is scored by the Python backend, else None."""
        return self.tables.note

    def read_table(self, source: Any) -> Any:
        """A table of records (Parquet, Arrow IPC, JSON lines, a polars DataFrame) as a DataFrame."""
        return self.tables.read(source)

    def evaluate_table(self, table: Any) -> Any:
        """Results of every record of a table, one row each, with the fields of the JSON results."""
        return self.tables.evaluate(self, table)

    def route(self, data: Any, sheets: Any, *, trace: bool) -> tuple[Engine, Pending]:
        raise NotImplementedError

    @property
    def sha256(self) -> str:
        """What results name as `ruleset.sha256`: a hash of every file the model was built from."""
        raise NotImplementedError

    @property
    def catalog_quotas(self) -> list[CatalogQuota]:
        return []

    @property
    def catalog_nominations(self) -> list[CatalogNomination]:
        return []

    def evaluate(self, record: Any, *, sheets: Any = None, trace: bool = False) -> Result:
        """Score one record alone: grades without quotas (quotas need a batch)."""
        with decimal.localcontext(EXACT):
            engine, pending = self.route(record, sheets, trace=trace)
            return engine.finish(pending)

    def evaluate_many(
        self,
        records: Iterable[Any],
        *,
        sheets: dict[str, Any] | None = None,
        trace: bool = False,
        workers: int = 1,
        adjustments: Iterable[Any] = (),
    ) -> Batch:
        """Score a batch: quotas apply, then `adjustments` by people (mappings of id, grade,
        reason, by); results come back in input order; `workers` processes. Adjustments that
        cannot be applied are listed in `Batch.problems`; the others are still applied."""
        read, problems = read_adjustments(adjustments)
        if workers > 1:
            batch = evaluate_parallel(self, records, sheets=sheets, trace=trace, workers=workers, adjustments=read)
        else:
            batch = run_batch(self, self.engines, records, sheets=sheets, trace=trace, adjustments=read)
        batch.problems[:0] = problems
        return batch


class Ruleset(Model):
    """A checked, compiled ruleset."""

    def __init__(self, engine: Engine, origin: Origin, resolved: ResolvedRuleset | None = None) -> None:
        self.engine = engine
        self.engines = {engine.plan.name: engine}
        self.origin = origin
        self.tables = TableScoring(engine, resolved, origin.backend)

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
        self.tables = TableScoring(None, None, origin.backend)

    @property
    def name(self) -> str:
        return self.resolved.name

    @property
    def sha256(self) -> str:
        """sha256 over the catalog's text and the sha256 of each ruleset it routes to."""
        return self.router.ref.sha256

    @property
    def catalog_quotas(self) -> list[CatalogQuota]:
        return self.router.quotas

    @property
    def catalog_nominations(self) -> list[CatalogNomination]:
        return self.router.nominations

    def route(self, data: Any, sheets: Any, *, trace: bool) -> tuple[Engine, Pending]:
        return self.router.score(data, sheets, trace=trace)
