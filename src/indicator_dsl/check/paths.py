"""Checking files and folders as one project: what `ind check` and `load()` share."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..syntax.diagnostics import Diagnostic, sort_key
from ..syntax.source import SourceFile, Span
from .catalog import check_catalog
from .checker import RulesetChecker
from .loader import FileCache
from .resolved import Resolved, ResolvedCatalog, ResolvedRuleset
from .resolver import Resolver
from .standards import missing_standards
from .suggestions import bounded_suggestions


@dataclass(slots=True)
class CheckReport:
    diagnostics: list[Diagnostic]
    sources: dict[str, SourceFile]
    modules: list[Resolved]

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.is_error]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if not d.is_error]


def expand_paths(paths: Iterable[str | Path]) -> tuple[list[Path], list[str]]:
    """Files as given, folders as every `*.ind` below them; also the paths that do not exist.
    A link that loops or leads nowhere is a file: reading it reports E001."""
    files: list[Path] = []
    missing: list[str] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*.ind") if p.is_file()))
        elif os.path.lexists(path):
            files.append(path)
        else:
            missing.append(str(raw))
    return files, missing


def check_resolved(resolver: Resolver, modules: Sequence[Resolved | None]) -> None:
    """Type-check every ruleset and catalog reached, bases and imports included, once each."""
    done: set[int] = set()

    def visit(module: Resolved | None) -> None:
        if module is None or id(module) in done:
            return
        done.add(id(module))
        if isinstance(module, ResolvedRuleset):
            if module.base is not None:
                visit(module.base)
            guarded(module, lambda: RulesetChecker(module, resolver.diagnostics.append).run())
        elif isinstance(module, ResolvedCatalog):
            for ruleset in module.rulesets.values():
                visit(ruleset)
            guarded(module, lambda: check_catalog(module, resolver.diagnostics.append))

    def guarded(module: ResolvedRuleset | ResolvedCatalog, check: Callable[[], None]) -> None:
        # A recursion too deep for Python (a chain of hundreds of `or`) stops this module only: it is
        # reported on the module's first line and every other module is still checked.
        try:
            check()
        except RecursionError:
            resolver.diagnostics.append(
                Diagnostic(
                    "E013",
                    f"an expression in `{module.name}` is too deeply nested to check",
                    module.node.span,
                    hint="split long `and`/`or` chains with `let` names, or use `x in [...]`",
                )
            )

    for module in modules:
        visit(module)


def unique_sorted(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    seen: set[tuple[str, str, int, int, str]] = set()
    out: list[Diagnostic] = []
    for d in diagnostics:
        key = (d.code, d.span.path, d.span.line, d.span.column, d.message)
        if key not in seen:
            seen.add(key)
            out.append(d)
    return sorted(out, key=sort_key)


def check_paths(
    paths: Iterable[str | Path],
    root: Path | None = None,
    require_standards: bool = False,
    cache: FileCache | None = None,
) -> CheckReport:
    """Check files and folders together; `root` is the folder imports may not leave (see project.py);
    `require_standards` reports every indicator without its 评分标准 (E314); `cache` may hold texts
    to read instead of the files (an editor's unsaved buffers)."""
    files, _ = expand_paths(paths)
    resolver = Resolver(cache=cache, root=root)
    modules: list[Resolved | None] = []
    try:
        with bounded_suggestions():
            for path in files:
                modules.append(resolver.resolve_path(path, str(path)))
            check_resolved(resolver, modules)
    except RecursionError:
        first = files[0] if files else Path("<input>")
        resolver.diagnostics.append(
            Diagnostic("E013", "an expression is too deeply nested to check", Span(str(first), 1, 1, 1, 1))
        )
    found = [m for m in modules if m]
    if require_standards:
        resolver.diagnostics.extend(missing_standards(found))
    return CheckReport(unique_sorted(resolver.diagnostics), resolver.cache.sources(), found)
