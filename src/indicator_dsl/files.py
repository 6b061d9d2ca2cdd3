"""Writing output files atomically: the base stage, below every other and importing none.

An output is written to a temporary file beside it (`.NAME.XXXX`, private until finished)
and renamed into place, so a reader never sees half a file and a failed or interrupted run
leaves the previous file as it was. `temporary()` hands out such a file and removes it
again whatever happens unless it was `publish`ed.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def output_problem(path: Path) -> str | None:
    """Why `path` cannot be written as an output file (to follow "cannot write PATH: "), or
    None when it looks writable.

    Checked before a long run so that a mistyped `--out` fails at once; the final rename
    can still fail (the disk fills up), and callers handle that `OSError` too."""
    if path.is_dir():
        return "it is a folder"
    folder = path.parent
    while not folder.exists():
        folder = folder.parent
    if not folder.is_dir():
        return f"{folder} is not a folder"
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"no permission to make files in {folder}"
    return None


def publish(temp: str | Path, path: Path, mode: int | None = None) -> None:
    """Move a finished temporary file into place: its data on disk first, then the permissions
    (`mode`, or those a new file would get: `mkstemp` makes it private), then the rename."""
    fd = os.open(temp, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    if mode is None:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    os.chmod(temp, mode)
    os.replace(temp, path)


@contextmanager
def temporary(path: Path, infix: str = "") -> Iterator[Path]:
    """A new private file beside `path` (named `.NAME.INFIX…`), removed when the block ends
    unless it was published; the folders above `path` are made if missing. Until then it is
    also listed in `LIVE`, for `remove_leftovers`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.{infix}", dir=path.parent)
    LIVE.add(name)
    os.close(fd)
    try:
        yield Path(name)
    finally:
        Path(name).unlink(missing_ok=True)
        LIVE.discard(name)


LIVE: set[str] = set()  # the temporary files handed out and not yet removed


def remove_leftovers() -> None:
    """Remove the temporary files a block could not: a signal's exception can arrive on the
    first step of the block's clean-up and skip it (the command line calls this on its way
    out after a signal)."""
    for name in list(LIVE):
        Path(name).unlink(missing_ok=True)
        LIVE.discard(name)


def write_atomic(path: Path, text: str | bytes, mode: int | None = None) -> None:
    """Replace `path` with `text` (UTF-8) or bytes in one step; `mode` as `publish`."""
    with temporary(path) as temp:
        if isinstance(text, bytes):
            temp.write_bytes(text)
        else:
            temp.write_text(text, encoding="utf-8", newline="")
        publish(temp, path, mode)
