"""Imports, `extends` and catalogs: from parsed files to one resolved table per ruleset.

The resolver applies a department's `extend` / `override` / `remove` to its base and
keeps, for every indicator, where it came from (base file:line or the extension's), so
results and traces can say which file a point was defined in. Problems are collected,
not raised: a missing import still lets the rest of the file be checked.
"""

from __future__ import annotations

import decimal
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from ..syntax import nodes as n
from ..syntax.diagnostics import Diagnostic, Related
from ..syntax.source import SourceFile, Span
from .loader import FileCache, LoadedFile, real_path
from .project import display_path, import_target, inside, project_root
from .typecheck import did_you_mean
from .types import PRIMITIVES

# Sums of stated figures (maxes, weights) must be exact: the default 28 digits rounded a sum of large
# maxes and reported a total that does not add up (a false E301).
UNBOUNDED = decimal.Context(prec=decimal.MAX_PREC, Emax=decimal.MAX_EMAX, Emin=decimal.MIN_EMIN)


def exact_sum(values: Iterable[Decimal]) -> Decimal:
    """The sum of decimals with no digit lost, whatever their size."""
    total = Decimal(0)
    for value in values:
        total = UNBOUNDED.add(total, value)
    return total


# A project nests five files deep (catalog, department, category, common, schema); a chain of
# thousands would exhaust Python's recursion, and each `extends` level copies its base.
MAX_IMPORT_DEPTH = 64


@dataclass(slots=True)
class TableIndicator:
    node: n.Indicator
    dimension: str
    origin: Span
    how: str  # "base", "added" (extend dimension), "override", or "declared" in this file


@dataclass(slots=True)
class TableDimension:
    name: str
    label: str | None
    declared_max: n.Number | None
    weight: n.Number | None
    indicators: list[TableIndicator]
    lets: list[n.Let]
    span: Span
    max_stated_here: bool = False  # `extend dimension D max N` in this file: N is checked against the final sum

    @property
    def max(self) -> Decimal:
        """The stated max where there is one, else the sum of the indicators (extensions)."""
        if self.declared_max is not None:
            return self.declared_max.value
        return exact_sum(i.node.max.value for i in self.indicators)


@dataclass(slots=True)
class ResolvedSchema:
    name: str
    source: SourceFile
    types: dict[str, n.TypeDecl]


@dataclass(slots=True)
class ResolvedRuleset:
    name: str
    label: str | None
    version: str | None
    node: n.Ruleset
    source: SourceFile
    sources: list[SourceFile]  # this file, its bases and schemas: all that defines it
    types: dict[str, n.TypeDecl] = field(default_factory=dict)
    base: ResolvedRuleset | None = None
    record: n.RecordDecl | None = None
    period: n.PeriodDecl | None = None
    total: n.TotalDecl | None = None
    precision: n.PrecisionDecl | None = None
    rescale: n.RescaleDecl | None = None
    lets: dict[str, n.Let] = field(default_factory=dict)
    dimensions: list[TableDimension] = field(default_factory=list)
    bonus: n.Bonus | None = None
    penalty: n.Bonus | None = None  # a `penalty` block: kind "penalty"
    vetoes: list[n.Veto] = field(default_factory=list)
    exempts: list[n.Exempt] = field(default_factory=list)
    assigns: list[n.Assign] = field(default_factory=list)
    assess: n.Assess | None = None
    grades: n.Grades | None = None
    quotas: list[n.Quota] = field(default_factory=list)
    outcomes: list[n.Outcome] = field(default_factory=list)
    removed: list[n.RemoveIndicator] = field(default_factory=list)
    # An import or the base ruleset could not be read (already reported): the checker then skips
    # the errors that would only repeat it (unknown record type, unknown fields, missing total).
    incomplete: bool = False

    def indicators(self) -> list[TableIndicator]:
        return [i for d in self.dimensions for i in d.indicators]

    @property
    def precision_places(self) -> int:
        return self.precision.places if self.precision else 2

    @property
    def grade_names(self) -> list[str]:
        """The grades, best first."""
        return [rule.name for rule in self.grades.rules] if self.grades else []

    @property
    def table_sources(self) -> list[str]:
        """The sources scored by the indicator table: `table` without `assess`, else every
        assessment source without a value expression."""
        if self.assess is None:
            return ["table"]
        return [s.name for s in self.assess.sources if s.value is None]


@dataclass(slots=True)
class ResolvedCatalog:
    name: str
    label: str | None
    node: n.Catalog
    source: SourceFile
    rulesets: dict[str, ResolvedRuleset]
    sources: list[SourceFile]


Resolved = ResolvedSchema | ResolvedRuleset | ResolvedCatalog


def _did_you_mean(name: str, options: list[str]) -> str | None:
    return did_you_mean(name, options, cutoff=0.6)


class Resolver:
    """Resolves files on demand, each once; `diagnostics` collects every problem found.

    `root` is the folder imports may not leave; without it, each file checked gets its own
    (`project.project_root`), which the files it imports share.
    """

    def __init__(self, cache: FileCache | None = None, root: Path | None = None) -> None:
        self.cache = cache or FileCache()
        self.diagnostics: list[Diagnostic] = []
        self.root_option = root
        self._root = root
        self._done: dict[Path, Resolved | None] = {}
        self._stack: list[Path] = []

    # ---------------------------------------------------------------- entry points

    def resolve_path(self, path: Path, display: str | None = None) -> Resolved | None:
        key = real_path(path) or path.absolute()  # a link loop: reading it reports E001
        if key in self._done:
            return self._done[key]
        if not self._stack:
            self._root = project_root(key, self.root_option)
        loaded = self.cache.load(key, display or display_path(path))
        if loaded is None or loaded.module is None:
            self.diagnostics.extend(self.cache.failures.get(key, []))
            self._done[key] = None
            return None
        return self._resolve_loaded(key, loaded)

    def resolve_text(self, text: str, display: str = "<text>", base_dir: Path | None = None) -> Resolved | None:
        folder = base_dir or Path.cwd()
        key = (real_path(folder) or folder.absolute()) / f"<text {len(self._done)}>.ind"
        self._root = project_root(key.parent, self.root_option)
        loaded = self.cache.add_text(key, display, text.encode("utf-8"))
        if loaded is None or loaded.module is None:
            self.diagnostics.extend(self.cache.failures.get(key, []))
            return None
        return self._resolve_loaded(key, loaded)

    # ---------------------------------------------------------------- imports

    def _resolve_loaded(self, key: Path, loaded: LoadedFile) -> Resolved | None:
        self.diagnostics.extend(loaded.notes)
        self._stack.append(key)
        try:
            imported = self._imports(key, loaded)
            module = loaded.module
            result: Resolved | None
            if isinstance(module, n.Schema):
                result = self._schema(loaded, module, imported)
            elif isinstance(module, n.Ruleset):
                result = self._ruleset(loaded, module, imported)
            else:
                assert isinstance(module, n.Catalog)
                result = self._catalog(key, loaded, module, imported)
        finally:
            self._stack.pop()
        self._done[key] = result
        return result

    def _imports(self, key: Path, loaded: LoadedFile) -> list[tuple[n.Import, Resolved]]:
        out: list[tuple[n.Import, Resolved]] = []
        for imp in loaded.imports:
            target = import_target(key, imp, self._root)
            if isinstance(target, Diagnostic):
                self.diagnostics.append(target)
                continue
            if len(self._stack) >= MAX_IMPORT_DEPTH:
                self.diagnostics.append(
                    Diagnostic(
                        "E013",
                        f"imports nest more than {MAX_IMPORT_DEPTH} files deep",
                        imp.span,
                        hint="import the shared files from fewer levels (a chain of `extends` counts too)",
                    )
                )
                continue
            if target in self._stack:
                chain = [*self._stack[self._stack.index(target) :], target]
                names = " → ".join(display_path(p) for p in chain)
                self.diagnostics.append(Diagnostic("E101", f"import cycle: {names}", imp.span))
                continue
            if not target.exists():  # a folder or a FIFO is the reader's E001
                siblings = [p.name for p in target.parent.glob("*.ind")] if target.parent.is_dir() else []
                hint = _did_you_mean(Path(imp.path).name, siblings)
                self.diagnostics.append(
                    Diagnostic(
                        "E100",
                        f'cannot find "{imp.path}" (looked in {display_path(target.parent)})',
                        imp.span,
                        hint=hint,
                    )
                )
                continue
            resolved = self.resolve_path(target)
            if resolved is not None:
                out.append((imp, resolved))
        return out

    @staticmethod
    def _types_of(imported: list[tuple[n.Import, Resolved]]) -> dict[str, n.TypeDecl]:
        types: dict[str, n.TypeDecl] = {}
        for _, res in imported:
            if isinstance(res, (ResolvedSchema, ResolvedRuleset)):
                types.update(res.types)
        return types

    @staticmethod
    def _sources_of(imported: list[tuple[n.Import, Resolved]]) -> list[SourceFile]:
        out: list[SourceFile] = []
        for _, res in imported:
            more = [res.source] if isinstance(res, ResolvedSchema) else res.sources
            out.extend(s for s in more if s not in out)
        return out

    # ---------------------------------------------------------------- schema

    def _schema(
        self, loaded: LoadedFile, schema: n.Schema, imported: list[tuple[n.Import, Resolved]]
    ) -> ResolvedSchema:
        types = self._types_of(imported)
        for decl in schema.types:
            if decl.name in types and types[decl.name] is not decl:
                self._duplicate("type", decl.name, decl.span, types[decl.name].span)
                continue
            seen: dict[str, n.FieldDecl] = {}
            for fld in decl.fields:
                if fld.name in seen:
                    self._duplicate("field", fld.name, fld.span, seen[fld.name].span)
                seen[fld.name] = fld
            types[decl.name] = decl
        for decl in schema.types:
            for fld in decl.fields:
                self._unknown_types(fld.type, types)
        return ResolvedSchema(schema.name, loaded.source, types)

    def _unknown_types(self, ref: n.TypeRef, types: dict[str, n.TypeDecl]) -> None:
        """E202 for a field type naming neither a built-in nor a declared type (else it would silently
        type-check as an error value and hide every use of the field)."""
        if isinstance(ref, n.OptionalType):
            self._unknown_types(ref.inner, types)
        elif isinstance(ref, n.ListType):
            self._unknown_types(ref.item, types)
        elif isinstance(ref, n.NamedType) and ref.name not in PRIMITIVES and ref.name not in types:
            hint = _did_you_mean(ref.name, [*PRIMITIVES, *types]) or "declare it with `type NAME { ... }`"
            self.diagnostics.append(Diagnostic("E202", f"unknown type `{ref.name}`", ref.span, hint=hint))

    # ---------------------------------------------------------------- ruleset

    def _ruleset(
        self, loaded: LoadedFile, node: n.Ruleset, imported: list[tuple[n.Import, Resolved]]
    ) -> ResolvedRuleset:
        base: ResolvedRuleset | None = None
        if node.extends is not None and len(imported) == len(loaded.imports):
            base = self._find_base(node, imported)  # (with an import missing, E103 would only repeat it)
        result = ResolvedRuleset(
            name=node.name,
            label=node.label,
            version=node.version,
            node=node,
            source=loaded.source,
            sources=[loaded.source, *self._sources_of(imported)],
            types=self._types_of(imported),
            base=base,
        )
        for _, res in imported:
            if isinstance(res, ResolvedCatalog):
                self.diagnostics.append(
                    Diagnostic("E102", f"a ruleset cannot import the catalog `{res.name}`", node.span)
                )
        if base is not None:
            _inherit(result, base)
        result.incomplete = (
            len(imported) < len(loaded.imports)
            or (node.extends is not None and base is None)
            or (base is not None and base.incomplete)
        )
        _Assembler(self, result, extension=node.extends is not None).apply(node.items)
        return result

    def _find_base(self, node: n.Ruleset, imported: list[tuple[n.Import, Resolved]]) -> ResolvedRuleset | None:
        rulesets = {res.name: res for _, res in imported if isinstance(res, ResolvedRuleset)}
        if node.extends in rulesets:
            return rulesets[node.extends]
        hint = _did_you_mean(node.extends or "", list(rulesets)) or f"import the file that declares `{node.extends}`"
        self.diagnostics.append(
            Diagnostic(
                "E103", f"`{node.name}` extends `{node.extends}`, which no import declares", node.span, hint=hint
            )
        )
        return None

    def _duplicate(self, what: str, name: str, span: Span, first: Span) -> None:
        self.diagnostics.append(
            Diagnostic(
                "E104", f"{what} `{name}` is declared twice", span, related=(Related(first, "first declared here"),)
            )
        )

    # ---------------------------------------------------------------- catalog

    def _catalog(
        self, key: Path, loaded: LoadedFile, node: n.Catalog, imported: list[tuple[n.Import, Resolved]]
    ) -> ResolvedCatalog:
        rulesets = {res.name: res for _, res in imported if isinstance(res, ResolvedRuleset)}
        for target, span in _route_targets(node):
            if target in rulesets:
                continue
            found = self._find_ruleset_file(key.parent, target)
            if found is not None:
                rulesets[target] = found
                continue
            hint = _did_you_mean(target, list(rulesets)) or f'add `import "{target}.ind"`'
            self.diagnostics.append(
                Diagnostic("E108", f"the catalog routes to `{target}`, which is not imported", span, hint=hint)
            )
        sources = [loaded.source, *self._sources_of(imported)]
        for res in rulesets.values():
            sources.extend(s for s in res.sources if s not in sources)
        return ResolvedCatalog(node.name, node.label, node, loaded.source, rulesets, sources)

    def _find_ruleset_file(self, folder: Path, name: str) -> ResolvedRuleset | None:
        """A catalog may name a ruleset it does not import if `NAME.ind` lies in its folder tree
        (and, links followed, inside the project root)."""
        for candidate in sorted(folder.rglob(f"{name}.ind")):
            real = real_path(candidate)
            if real is None or (self._root is not None and not inside(real, self._root)):
                continue
            res = self.resolve_path(real)
            if isinstance(res, ResolvedRuleset) and res.name == name:
                return res
        return None


def _route_targets(node: n.Catalog) -> list[tuple[str, Span]]:
    out: list[tuple[str, Span]] = []
    for item in node.items:
        if isinstance(item, n.RouteTable):
            out.extend((e.target, e.span) for e in item.entries)
        elif isinstance(item, n.RouteWhen):
            out.append((item.target, item.span))
    return out


def _inherit(child: ResolvedRuleset, base: ResolvedRuleset) -> None:
    child.types = {**base.types, **child.types}
    child.record, child.period, child.total = base.record, base.period, base.total
    child.precision, child.rescale = base.precision, base.rescale
    child.lets = dict(base.lets)
    child.dimensions = [
        TableDimension(
            d.name,
            d.label,
            d.declared_max,
            d.weight,
            [TableIndicator(i.node, i.dimension, i.origin, "base") for i in d.indicators],
            list(d.lets),
            d.span,
        )
        for d in base.dimensions
    ]
    child.bonus, child.penalty, child.assess, child.grades = base.bonus, base.penalty, base.assess, base.grades
    child.vetoes, child.exempts, child.assigns = list(base.vetoes), list(base.exempts), list(base.assigns)
    child.quotas, child.outcomes = list(base.quotas), list(base.outcomes)
    child.removed = list(base.removed)
    for src in base.sources:
        if src not in child.sources:
            child.sources.append(src)


class _Assembler:
    """Applies one file's ruleset items onto a (possibly inherited) resolved table."""

    def __init__(self, resolver: Resolver, target: ResolvedRuleset, *, extension: bool) -> None:
        self.resolver = resolver
        self.r = target
        self.extension = extension
        self.inherited = {d.name for d in target.dimensions} | {i.node.name for i in target.indicators()}
        self.seen_blocks: dict[str, Span] = {}
        self._parts: dict[str, Span] | None = None  # dimension and indicator names; None = rebuild

    def error(
        self, code: str, message: str, span: Span, hint: str | None = None, related: tuple[Related, ...] = ()
    ) -> None:
        self.resolver.diagnostics.append(Diagnostic(code, message, span, hint=hint, related=related))

    def apply(self, items: tuple[n.RulesetItem, ...]) -> None:
        for item in items:
            handler = getattr(self, f"_on_{type(item).__name__}")
            handler(item)

    def _single(self, kind: str, span: Span) -> bool:
        if kind in self.seen_blocks:
            self.resolver._duplicate(kind, kind, span, self.seen_blocks[kind])
            return False
        self.seen_blocks[kind] = span
        return True

    # header items: a restatement in an extension replaces the base's value
    def _on_RecordDecl(self, item: n.RecordDecl) -> None:
        if self._single("record", item.span):
            self.r.record = item

    def _on_PeriodDecl(self, item: n.PeriodDecl) -> None:
        if self._single("period", item.span):
            self.r.period = item

    def _on_TotalDecl(self, item: n.TotalDecl) -> None:
        if self._single("total", item.span):
            self.r.total = item

    def _on_PrecisionDecl(self, item: n.PrecisionDecl) -> None:
        if self._single("precision", item.span):
            self.r.precision = item

    def _on_RescaleDecl(self, item: n.RescaleDecl) -> None:
        if self._single("rescale", item.span):
            self.r.rescale = item

    def _on_Assess(self, item: n.Assess) -> None:
        if self._single("assess", item.span):
            self.r.assess = item

    def _on_Grades(self, item: n.Grades) -> None:
        if self._single("grades", item.span):
            self.r.grades = item

    def _on_Bonus(self, item: n.Bonus) -> None:
        if self._single(item.kind, item.span):
            if item.kind == "penalty":
                self.r.penalty = item
            else:
                self.r.bonus = item

    def _named(self, kind: str, name: str, span: Span, existing: list[tuple[str, Span]]) -> bool:
        for other, other_span in existing:
            if other == name:
                if other_span.path != span.path and self.extension:
                    self.error(
                        "E105",
                        f"{kind} `{name}` is already declared by the base ruleset",
                        span,
                        hint="choose a new name",
                        related=(Related(other_span, "declared here"),),
                    )
                else:
                    self.resolver._duplicate(kind, name, span, other_span)
                return False
        return True

    def _on_Let(self, item: n.Let) -> None:
        if self._named("let", item.name, item.span, [(k, v.span) for k, v in self.r.lets.items()]):
            self.r.lets[item.name] = item

    def _on_Veto(self, item: n.Veto) -> None:
        if self._named("veto", item.name, item.span, [(v.name, v.span) for v in self.r.vetoes]):
            self.r.vetoes.append(item)

    def _on_Exempt(self, item: n.Exempt) -> None:
        self.r.exempts.append(item)

    def _on_Assign(self, item: n.Assign) -> None:
        if self._named("assign", item.name, item.span, [(a.name, a.span) for a in self.r.assigns]):
            self.r.assigns.append(item)

    def _on_Outcome(self, item: n.Outcome) -> None:
        if self._named("outcome", item.name, item.span, [(o.name, o.span) for o in self.r.outcomes]):
            self.r.outcomes.append(item)

    def _on_Quota(self, item: n.Quota) -> None:
        same = [q for q in self.r.quotas if (q.grade, q.direction) == (item.grade, item.direction)]
        for q in same:
            if q.span.path == item.span.path:
                self.resolver._duplicate("quota", f"{item.grade} {item.direction}", item.span, q.span)
                return
            self.r.quotas.remove(q)  # an extension's quota for the same grade replaces the base's
        self.r.quotas.append(item)

    # the table
    def _all_parts(self) -> dict[str, Span]:
        # Kept between calls (rebuilding it for every indicator was quadratic in the table's size);
        # override and remove reset it.
        if self._parts is None:
            self._parts = {d.name: d.span for d in self.r.dimensions}
            self._parts.update({i.node.name: i.origin for i in self.r.indicators()})
        return self._parts

    def _check_new_part(self, kind: str, name: str, span: Span) -> bool:
        """True when `name` is free; the caller then adds the part, so it is recorded as taken."""
        parts = self._all_parts()
        if name not in parts:
            parts[name] = span
            return True
        if name in self.inherited and self.extension:
            verb = "extend dimension" if kind == "dimension" else "override indicator"
            self.error(
                "E105",
                f"{kind} `{name}` is already in the base ruleset",
                span,
                hint=f"use `{verb} {name}` to change it, or choose a new name",
                related=(Related(parts[name], "declared here"),),
            )
        else:
            self.resolver._duplicate("dimension or indicator" if kind == "dimension" else kind, name, span, parts[name])
        return False

    def _on_Dimension(self, item: n.Dimension) -> None:
        if not self._check_new_part("dimension", item.name, item.span):
            return
        dim = TableDimension(item.name, item.label, item.max, item.weight, [], [], item.span)
        self.r.dimensions.append(dim)
        for sub in item.items:
            if isinstance(sub, n.Let):
                dim.lets.append(sub)
            elif self._check_new_part("indicator", sub.name, sub.span):
                dim.indicators.append(TableIndicator(sub, item.name, sub.span, "declared"))

    def _require_extension(self, what: str, span: Span) -> bool:
        if self.extension:
            return True
        self.error(
            "E313",
            f"`{what}` only works in a ruleset that `extends` another",
            span,
            hint="add `extends BASE` to the ruleset line",
        )
        return False

    def _dimension(self, name: str, span: Span) -> TableDimension | None:
        for dim in self.r.dimensions:
            if dim.name == name:
                return dim
        if self.r.incomplete:
            return None  # the base could not be read (reported): its parts are unknown, not missing
        self.error(
            "E107",
            f"there is no dimension `{name}` to extend",
            span,
            hint=_did_you_mean(name, [d.name for d in self.r.dimensions]),
        )
        return None

    def _on_ExtendDimension(self, item: n.ExtendDimension) -> None:
        if not self._require_extension("extend dimension", item.span):
            return
        dim = self._dimension(item.name, item.span)
        if dim is None:
            return
        rejected = False
        for ind in item.indicators:
            if self._check_new_part("indicator", ind.name, ind.span):
                dim.indicators.append(TableIndicator(ind, dim.name, ind.span, "added"))
            else:
                rejected = True
        # A stated max counts the indicators as written; with one of them refused (E104/E105) the
        # sum cannot match, and a second error about it would only repeat the first.
        dim.declared_max = None if rejected else item.max
        dim.max_stated_here = item.max is not None

    def _find_indicator(self, name: str, span: Span, verb: str) -> tuple[TableDimension, int] | None:
        for dim in self.r.dimensions:
            for index, ind in enumerate(dim.indicators):
                if ind.node.name == name:
                    return dim, index
        if self.r.incomplete:
            return None  # as in `_dimension`
        names = [i.node.name for i in self.r.indicators()]
        self.error("E107", f"there is no indicator `{name}` to {verb}", span, hint=_did_you_mean(name, names))
        return None

    def _on_OverrideIndicator(self, item: n.OverrideIndicator) -> None:
        if not self._require_extension("override indicator", item.span):
            return
        found = self._find_indicator(item.indicator.name, item.span, "override")
        if found is None:
            return
        dim, index = found
        old = dim.indicators[index]
        node = item.indicator
        if node.label is None:
            node = n.Indicator(
                name=node.name,
                label=old.node.label,
                max=node.max,
                uncapped=node.uncapped,
                applies=node.applies,
                lets=node.lets,
                clauses=node.clauses,
                span=node.span,
            )
        dim.indicators[index] = TableIndicator(node, dim.name, item.span, "override")
        self._parts = None
        if not dim.max_stated_here and old.node.max.value != node.max.value:
            dim.declared_max = None

    def _on_RemoveIndicator(self, item: n.RemoveIndicator) -> None:
        if not self._require_extension("remove indicator", item.span):
            return
        if item.reason is None or not item.reason.strip():
            self.error(
                "E106",
                f"removing `{item.name}` needs a reason",
                item.span,
                hint=f'write `remove indicator {item.name} because "..."`',
            )
        found = self._find_indicator(item.name, item.span, "remove")
        if found is None:
            return
        dim, index = found
        del dim.indicators[index]
        self._parts = None
        if not dim.max_stated_here:
            dim.declared_max = None
        self.r.removed.append(item)
