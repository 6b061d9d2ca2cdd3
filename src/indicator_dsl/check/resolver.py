"""From parsed files to resolved ones: imports (each file once, inside the project root),
schemas, a ruleset's base (`extends`), and a catalog's routes to its rulesets.

What a ruleset's items make of its table, inherited or not, is `check/extension.py`; the
resolved forms are in `check/resolved.py`. Problems are collected, not raised: a missing
import still lets the rest of the file be checked.
"""

from __future__ import annotations

from pathlib import Path

from ..syntax import nodes as n
from ..syntax.diagnostics import Diagnostic
from ..syntax.source import SourceFile, Span
from .extension import Assembler, close_name, duplicate, inherit
from .loader import FileCache, LoadedFile, real_path
from .project import display_path, import_target, inside, project_root
from .ranges import field_range_problems
from .resolved import Resolved, ResolvedCatalog, ResolvedRuleset, ResolvedSchema
from .types import PRIMITIVES

# A project nests five files deep (catalog, department, category, common, schema); a chain of
# thousands would exhaust Python's recursion, and each `extends` level copies its base.
MAX_IMPORT_DEPTH = 64


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
            if target not in self.cache.files and not target.exists():  # a folder or a FIFO is the reader's E001
                siblings = [p.name for p in target.parent.glob("*.ind")] if target.parent.is_dir() else []
                hint = close_name(Path(imp.path).name, siblings)
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
                self.diagnostics.append(duplicate("type", decl.name, decl.span, types[decl.name].span))
                continue
            seen: dict[str, n.FieldDecl] = {}
            for fld in decl.fields:
                if fld.name in seen:
                    self.diagnostics.append(duplicate("field", fld.name, fld.span, seen[fld.name].span))
                seen[fld.name] = fld
            types[decl.name] = decl
        for decl in schema.types:
            for fld in decl.fields:
                self._unknown_types(fld.type, types)
                self.diagnostics.extend(field_range_problems(fld))
        return ResolvedSchema(schema.name, loaded.source, types)

    def _unknown_types(self, ref: n.TypeRef, types: dict[str, n.TypeDecl]) -> None:
        """E202 for a field type naming neither a built-in nor a declared type (else it would silently
        type-check as an error value and hide every use of the field)."""
        if isinstance(ref, n.OptionalType):
            self._unknown_types(ref.inner, types)
        elif isinstance(ref, n.ListType):
            self._unknown_types(ref.item, types)
        elif isinstance(ref, n.NamedType) and ref.name not in PRIMITIVES and ref.name not in types:
            hint = close_name(ref.name, [*PRIMITIVES, *types]) or "declare it with `type NAME { ... }`"
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
            inherit(result, base)
        result.incomplete = (
            len(imported) < len(loaded.imports)
            or (node.extends is not None and base is None)
            or (base is not None and base.incomplete)
        )
        Assembler(self.diagnostics, result, extension=node.extends is not None).apply(node.items)
        return result

    def _find_base(self, node: n.Ruleset, imported: list[tuple[n.Import, Resolved]]) -> ResolvedRuleset | None:
        rulesets = {res.name: res for _, res in imported if isinstance(res, ResolvedRuleset)}
        if node.extends in rulesets:
            return rulesets[node.extends]
        hint = close_name(node.extends or "", list(rulesets)) or f"import the file that declares `{node.extends}`"
        self.diagnostics.append(
            Diagnostic(
                "E103", f"`{node.name}` extends `{node.extends}`, which no import declares", node.span, hint=hint
            )
        )
        return None

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
            hint = close_name(target, list(rulesets)) or f'add `import "{target}.ind"`'
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
