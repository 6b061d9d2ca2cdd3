"""The project root: the folder that imports and catalog routes may not leave.

A ruleset comes from a pull request; its `import` lines must not reach the rest of the machine
(a `.env` two folders up, `/etc/passwd`). Every path an import names is followed through its
links and must end inside the root of the file being checked (E109), and must name a `.ind`
file (E110). Nothing is read from a refused target, so no diagnostic can quote it.

Without `--root` (or `root=` in `load`), the root of a checked file is the nearest folder, from
the file's own folder upwards, that holds a `catalog.ind` or an empty `.indroot` marker file;
failing that, the working folder when the file lies below it, else the folder above the file's
own folder: a ruleset in `rulesets/` may import its schema from `../schema/` beside it (the
layout of the language's own examples), and nothing further up.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..syntax import nodes as n
from ..syntax.diagnostics import Diagnostic
from .loader import real_path

ROOT_MARKERS = ("catalog.ind", ".indroot")


def project_root(entry: Path, explicit: Path | None = None) -> Path:
    """The root for a file (found from the folder that holds it, a link not followed) or a folder."""
    if explicit is not None:
        return real_path(explicit) or explicit.absolute()
    start = entry.absolute()
    start = start if start.is_dir() else start.parent
    folder = real_path(start) or start
    for candidate in (folder, *folder.parents):
        if any((candidate / marker).is_file() for marker in ROOT_MARKERS):
            return candidate
    here = real_path(Path.cwd())
    if here is not None and here != Path(here.anchor) and folder.is_relative_to(here):
        return here
    return folder if folder.parent == folder else folder.parent


def inside(path: Path, root: Path) -> bool:
    """Whether a fully resolved path lies in the root folder (or is it)."""
    return path.is_relative_to(root)


def import_target(importing: Path, imp: n.Import, root: Path | None) -> Path | Diagnostic:
    """The real path an import names, or why it may not be read: not a `.ind` file (E110), links
    that loop (E001), or outside the root (E109). Nothing is opened here."""
    if not imp.path.endswith(".ind"):
        return Diagnostic(
            "E110",
            f'"{imp.path}" is not a `.ind` file; only rulesets, schemas and catalogs can be imported',
            imp.span,
            hint='import a file whose name ends in ".ind"',
        )
    target = real_path(importing.parent / imp.path)
    if target is None:
        return Diagnostic("E001", f'cannot read "{imp.path}": symbolic links form a loop', imp.span)
    if root is not None and not inside(target, root):
        return Diagnostic(
            "E109",
            f'"{imp.path}" is outside the project root {display_path(root)}',
            imp.span,
            hint="imports stay inside the project: the folder holding `catalog.ind` or `.indroot`, "
            "or the one given with `--root`",
        )
    return target


def display_path(path: Path) -> str:
    """A path as messages show it: relative to the working folder unless that climbs two levels."""
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return str(path)
    return rel if not rel.startswith(".." + os.sep + "..") else str(path)
