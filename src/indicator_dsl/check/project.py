"""The project root: the folder that imports and catalog routes may not leave.

A ruleset comes from a pull request; its `import` lines must not reach the rest of the machine
(a `.env` two folders up, `/etc/passwd`). Every path an import names is followed through its
links and must end inside the root of the file being checked (E109), and must name a `.ind`
file (E110). Nothing is read from a refused target, so no diagnostic can quote it.

Without `--root` (or `root=` in `load`), the root of a checked file is the nearest folder, from
the file's own folder upwards, that holds a `catalog.ind` or an empty `.indroot` marker file;
failing that, the working folder when the file lies below it, else the file's own folder.
"""

from __future__ import annotations

from pathlib import Path

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
    return folder


def inside(path: Path, root: Path) -> bool:
    """Whether a fully resolved path lies in the root folder (or is it)."""
    return path.is_relative_to(root)
