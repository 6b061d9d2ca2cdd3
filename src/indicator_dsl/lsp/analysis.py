"""Checking a document as the editor holds it: open buffers over the files on disk.

The check is `ind check FILE`'s own (`check.paths.check_paths`), with a file cache that
already holds the unsaved buffers, so the diagnostics (codes, spans, hints) are the ones
`ind check --format json` gives for the saved files, across imports and `extends`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ..check.loader import FileCache, real_path
from ..check.paths import CheckReport, check_paths
from ..check.project import display_path
from ..check.resolved import Resolved
from ..syntax.diagnostics import Diagnostic


@dataclass(slots=True)
class Analysis:
    """One check of a document: every diagnostic found (in it and in what it reaches) and its
    resolved module (None when it does not parse)."""

    path: Path
    shown: str  # the path as spans name it
    report: CheckReport
    module: Resolved | None

    def by_file(self) -> dict[Path, list[Diagnostic]]:
        """The diagnostics grouped by the absolute path of the file they point into."""
        grouped: dict[Path, list[Diagnostic]] = {}
        for diagnostic in self.report.diagnostics:
            grouped.setdefault(absolute(diagnostic.span.path), []).append(diagnostic)
        return grouped


def absolute(shown: str) -> Path:
    """A span's path (as `display_path` wrote it, relative to the working folder) made absolute."""
    path = Path(shown)
    return real_path(path) or path.absolute()


def analyse(path: Path, buffers: Mapping[Path, str], root: Path | None = None) -> Analysis:
    """Check `path` as `ind check` would, reading `buffers` (absolute path → text) instead of
    those files."""
    cache = FileCache()
    for buffer_path, text in buffers.items():
        key = real_path(buffer_path) or buffer_path.absolute()
        cache.add_text(key, display_path(buffer_path), text.encode("utf-8"))
    shown = display_path(path)
    report = check_paths([shown], root=root, cache=cache)
    module = next((m for m in report.modules if m.source.path == shown), None)
    return Analysis(path, shown, report, module)


__all__ = ["Analysis", "absolute", "analyse"]
