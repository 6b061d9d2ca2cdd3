"""The Python API: `load()` a ruleset or catalog, then evaluate records.

    rs = indicator_dsl.load("rulesets/party_gov.ind")
    result = rs.evaluate(record_dict)            # one record, no quotas
    batch = rs.evaluate_many(records)             # quotas, in input order
    rs2026 = indicator_dsl.load(path, period=2026, as_of="2026-06-30", history=["results-2025.jsonl"])

Loading parses, resolves and checks; any error raises `RulesetError` with every
diagnostic. Plans are compiled once per content hash and shared by later loads.
"""

from __future__ import annotations

import datetime
import decimal
import os
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from .bundles import is_bundle_path, read_bundle
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
from .evaluate.history import History, history_of
from .evaluate.interpreter import InterpretedBackend
from .evaluate.parallel import evaluate_parallel
from .evaluate.period import NO_TIMING, Timing, bind, date_of, period_of
from .evaluate.rectification import Rectification, read_rectification_file
from .evaluate.relatives import has_relatives
from .evaluate.results import Result
from .evaluate.router import Router
from .evaluate.table_api import TableScoring, python_backend
from .evaluate.workbook_layout import WorkbookLayout, layout_for
from .planning.plans import GapPlan, PlanBatch, Planner
from .planning.whatif import what_if
from .semantics.arithmetic import EXACT
from .semantics.plan import Backend
from .semantics.records import build_models
from .syntax.diagnostics import Diagnostic, RulesetError
from .syntax.source import Span

# Compiled engines by (content, place, backend, period, bundle), the most recently used last. A
# long-running host (`ind serve` reloading edited rulesets) would otherwise keep every version
# it ever compiled; a model keeps its own engines, so an engine dropped here is only compiled
# again if the same ruleset is loaded again.
_ENGINES: OrderedDict[tuple[str, str, str, str, str | None], Engine] = OrderedDict()
MAX_CACHED_ENGINES = 64


def _engine(resolved: ResolvedRuleset, backend: str, timing: Timing = NO_TIMING, bundle: str | None = None) -> Engine:
    """The engine of a resolved ruleset, compiled once per content, place, backend, period and
    bundle (results of a model loaded from a bundle name its digest: `ruleset.bundle`)."""
    sha = content_hash(resolved)
    key = (sha, location_key(resolved), backend, timing.key, bundle)
    if key not in _ENGINES:
        resolved = bind(resolved, timing)
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
        engine = Engine(plan, fast, traced, models)
        if bundle is not None:
            engine.ref = engine.ref.model_copy(update={"bundle": bundle})
        _ENGINES[key] = engine
        while len(_ENGINES) > MAX_CACHED_ENGINES:
            _ENGINES.popitem(last=False)
    _ENGINES.move_to_end(key)
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


def load(
    source: str | Path,
    *,
    backend: str = "compiled",
    root: str | Path | None = None,
    period: int | str | tuple[datetime.date, datetime.date] | None = None,
    as_of: str | datetime.date | None = None,
    history: Any = None,
    rectification: Any = None,
) -> Ruleset | Catalog:
    """Load a `.ind` file (path) or text, or a bundle (`.tar.gz` from `ind build`, verified and
    read in memory; its results name its digest). `backend="interpreted"` uses the reference
    interpreter.

    Imports may not leave `root` (default: the project of the file, see docs/decisions.md).
    The evaluation's parameters (docs/guide.md, history and the year cycle): `period` (a year,
    `"FIRST..LAST"` or two dates) replaces each ruleset's declared period; `as_of` evaluates a
    period that is not over; `history` is a list of earlier years' results (paths, or lists of
    results), last year first, that `history(N)` reads; `rectification` (a path or an
    `evaluate.rectification.Rectification`) gives last year's `rectified` fact of each branch.
    Bad parameters raise `PeriodError` (a ValueError); problems in the history files are kept
    in `model.history.problems`."""
    timing = Timing(period_of(period), date_of(as_of, "as_of"))
    past = None if history is None and rectification is None else history_of(history or [])
    if rectification is not None:
        assert past is not None
        items = (
            rectification if isinstance(rectification, Rectification) else read_rectification_file(Path(rectification))
        )
        past = past.with_rectified(items.rectified())
    if is_bundle_path(source):
        bundle = read_bundle(source)
        return _load(bundle.entry, backend, bundle.root, bundle.cache(), timing, past, bundle.digest)
    return _load(source, backend, Path(root) if root is not None else None, FileCache(), timing, past)


def _load(
    source: str | Path,
    backend: str,
    root: Path | None,
    cache: FileCache,
    timing: Timing = NO_TIMING,
    history: History | None = None,
    bundle: str | None = None,
) -> Ruleset | Catalog:
    """`load()` reading files through `cache` (files already in it are not read from disk)."""
    try:
        with bounded_suggestions():
            resolver, resolved = _resolve(source, root, cache)
            check_resolved(resolver, [resolved])
        errors = [d for d in unique_sorted(resolver.diagnostics) if d.is_error]
        if errors or resolved is None:
            raise RulesetError(errors or unique_sorted(resolver.diagnostics), resolver.cache.sources())
        return _build(resolved, source, backend, root, cache, timing, history, bundle)
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
    resolved: Resolved | None,
    source: str | Path,
    backend: str,
    root: Path | None,
    cache: FileCache,
    timing: Timing,
    history: History | None,
    bundle: str | None,
) -> Ruleset | Catalog:
    files = tuple((str(key), f.source.path, f.source.text) for key, f in cache.files.items())
    shown = source if isinstance(source, Path) else str(source)
    origin = Origin(shown, backend, root, files, timing, history, bundle)
    if isinstance(resolved, ResolvedRuleset):
        return Ruleset(_engine(resolved, python_backend(backend), timing, bundle), origin, resolved)
    if isinstance(resolved, ResolvedCatalog):
        engines = {name: _engine(r, python_backend(backend), timing, bundle) for name, r in resolved.rulesets.items()}
        catalog = Catalog(resolved, engines, origin)
        if bundle is not None:
            catalog.router.ref = catalog.router.ref.model_copy(update={"bundle": bundle})
        return catalog
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
    timing: Timing = NO_TIMING  # the evaluation's period and as-of day
    history: History | None = None  # earlier years' results, for `history(N)`
    bundle: str | None = None  # the digest of the bundle it came from

    def load(self) -> Ruleset | Catalog:
        cache = FileCache()
        for key, shown, text in self.files:
            cache.add_text(Path(key), shown, text.encode("utf-8"))
        return _load(self.source, self.backend, self.root, cache, self.timing, self.history, self.bundle)


class Model:
    """What a ruleset and a catalog share: scoring one record, or a batch with quotas;
    what-if re-scoring and gap plans (`planning/`)."""

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
    def history(self) -> History | None:
        """The earlier years' results this model reads (`load(history=...)`), with their problems."""
        return self.origin.history

    @property
    def catalog_nominations(self) -> list[CatalogNomination]:
        return []

    @property
    def label(self) -> str | None:
        raise NotImplementedError

    def resolved_rulesets(self) -> list[ResolvedRuleset]:
        """Each ruleset as resolved (clauses, where each indicator came from): what `ind table` prints."""
        raise NotImplementedError

    def workbook_layout(self) -> WorkbookLayout:
        """The data-entry workbook of this model's records: one sheet per record list and per
        source of judged scores (`ind template`, and how a filled `.xlsx` is read)."""
        rulesets = self.resolved_rulesets()
        first = rulesets[0]
        assert first.record is not None
        plans = [engine.plan for engine in self.engines.values()]
        return layout_for(first.types, first.record.type_name, plans, self.label or "")

    def read_workbook(self, path: str | Path) -> Iterator[Any]:
        """Records (each with its `sheets`) from a filled workbook, in its order; a record with
        cells that cannot be read is an `InputError` naming them. Needs the office extra."""
        from .evaluate.workbook_read import read_workbook

        return read_workbook(Path(path), self.workbook_layout())

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
        if workers > 1 and not has_relatives(self.engines):  # relative rules: one process (the batch ranks)
            batch = evaluate_parallel(self, records, sheets=sheets, trace=trace, workers=workers, adjustments=read)
        else:
            batch = run_batch(self, self.engines, records, sheets=sheets, trace=trace, adjustments=read)
        batch.problems[:0] = problems
        return batch

    def what_if(self, record: Any, changes: Iterable[Any], *, sheets: Any = None, trace: bool = False) -> Result:
        """Score `record` with indicator scores set by hand: `changes` are mappings of `source`
        (a table source, or None for every one), `indicator` and `to` (`from` is ignored), the
        shape a plan's `changes` has. They replace the scores as corrections do (after judged
        scores and adjustments); a change that cannot apply is the result's error."""
        return what_if(self, record, changes, sheets=sheets, trace=trace)

    def plan(self, record: Any, *, to: str | None = None, sheets: Any = None) -> GapPlan:
        """The gap plan of one record (no quotas: a batch's `plans` says what the quota allows)."""
        return self.planner().plan(record, to=to, sheets=sheets)

    def plans(self, records: Iterable[Any], *, to: str | None = None, grades: Iterable[str] | None = None) -> PlanBatch:
        """Score a batch (quotas apply) and plan each scored record whose grade is in `grades`
        (default: every grade that has a better one), with what the quota allows."""
        return self.planner().plans(list(records), to=to, grades=grades)

    def plans_of(
        self, records: Iterable[Any], batch: Batch, *, to: str | None = None, grades: Iterable[str] | None = None
    ) -> PlanBatch:
        """As `plans`, for a batch already scored from `records` (same order)."""
        return self.planner().plan_batch(list(records), batch, to=to, grades=grades)

    def planner(self) -> Planner:
        """The model's planner (built once: it reads the grade rules and clauses of each ruleset)."""
        found: Planner | None = self.__dict__.get("_planner")
        if found is None:
            found = self.__dict__["_planner"] = Planner(self, {r.name: r for r in self.resolved_rulesets()})
        return found


class Ruleset(Model):
    """A checked, compiled ruleset."""

    def __init__(self, engine: Engine, origin: Origin, resolved: ResolvedRuleset) -> None:
        self.engine = engine
        self.resolved = resolved
        self.engines = {engine.plan.name: engine}
        self.origin = origin
        self.tables = TableScoring(engine, resolved, origin.backend, history=origin.history is not None)

    @property
    def name(self) -> str:
        return self.engine.plan.name

    @property
    def version(self) -> str | None:
        return self.engine.plan.version

    @property
    def label(self) -> str | None:
        return self.engine.plan.label

    def resolved_rulesets(self) -> list[ResolvedRuleset]:
        return [self.resolved]

    @property
    def sha256(self) -> str:
        return self.engine.plan.sha256

    @property
    def record_model(self) -> type[BaseModel]:
        return self.engine.models.root

    def json_schema(self) -> dict[str, Any]:
        return self.record_model.model_json_schema()

    def route(self, data: Any, sheets: Any, *, trace: bool) -> tuple[Engine, Pending]:
        return self.engine, self.engine.score(data, sheets, trace=trace, history=self.origin.history)


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
    def label(self) -> str | None:
        return self.resolved.label

    def resolved_rulesets(self) -> list[ResolvedRuleset]:
        return list(self.resolved.rulesets.values())

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
        return self.router.score(data, sheets, trace=trace, history=self.origin.history)
