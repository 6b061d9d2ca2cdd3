"""`ind fmt [--check] [--diff] PATHS...`: rewrite .ind files in the canonical layout.

Without options, changed files are rewritten in place. `--check` and `--diff` only
report (CI must not touch the tree): `--check` lists the files that would change and
exits 1 if any would; `--diff` prints what would change. Exit 2 is for usage errors
(bad options, paths that do not exist); exit 1 also when a file cannot be read or
does not parse, and such a file is left as it is. Files are read as the checker reads them:
regular files only, at most the loader's size limit (a FIFO or `/dev/zero` is refused).
"""

from __future__ import annotations

import difflib
import stat
import sys
from pathlib import Path

from ..check.loader import UnreadableFile, decode, read_ruleset_bytes, real_path, scan_text
from ..check.project import inside, project_root
from ..check.renderers import render_text
from ..files import write_atomic
from ..syntax.formatter import format_source
from .common import ArgumentParser, add_root_option, ind_files


def main(argv: list[str]) -> int:
    parser = ArgumentParser(prog="ind fmt", description="Format .ind files (folders: every *.ind below them).")
    parser.add_argument("paths", nargs="+", help="files or folders")
    parser.add_argument(
        "--check", action="store_true", help="write nothing; list the files that would change (exit 1 if any)"
    )
    parser.add_argument("--diff", action="store_true", help="write nothing; print a unified diff of the changes")
    add_root_option(parser)
    args = parser.parse(argv)
    if isinstance(args, int):
        return args
    files = ind_files(args.paths, "ind fmt")
    if isinstance(files, int):
        return files
    write = not (args.check or args.diff)
    failed = changed = False
    for path in _unique(files):
        outcome = _format_file(path, args.root, write=write, check=args.check, diff=args.diff)
        failed |= outcome is None
        changed |= bool(outcome)
    return 1 if failed or (args.check and changed) else 0


def _unique(files: list[Path]) -> list[Path]:
    """A file named twice (itself and through its folder) is formatted once."""
    seen: set[Path] = set()
    out = []
    for path in files:
        key = real_path(path) or path.absolute()  # a link loop: the reader reports it
        if key not in seen:
            seen.add(key)
            out.append(path)
    return out


def _format_file(path: Path, root: Path | None, *, write: bool, check: bool, diff: bool) -> bool | None:
    """Whether the file changes (or would); None when it cannot be read, parsed or written, or when
    it is a link to a file outside the project root (formatting writes through the link)."""
    shown = str(path)
    real, top = real_path(path), project_root(path, root)
    if real is not None and not inside(real, top):
        sys.stderr.write(f"ind fmt: {shown}: the file (links followed) is outside the project root {top}\n")
        return None
    try:
        data = read_ruleset_bytes(path)
    except UnreadableFile as error:
        sys.stderr.write(f"ind fmt: {shown}: cannot read file: {error}\n")
        return None
    source, problem = decode(shown, data)
    if source is None:
        assert problem is not None  # decode returns exactly one of the two
        sys.stderr.write(f"ind fmt: {shown}: {problem.message}\n")
        return None
    too_large = next((d for d in scan_text(source) if d.code == "E003"), None)
    if too_large is not None:  # not parsed: the same limit as `ind check`
        sys.stderr.write(f"ind fmt: {too_large.span}: {too_large.message}\n")
        return None
    result = format_source(source)
    if result.text is None:
        sys.stderr.write(render_text(result.diagnostics, {shown: source}, color=sys.stderr.isatty()))
        return None
    new = result.text.encode("utf-8")
    if new == data:
        return False
    if diff:
        old_lines = data.decode("utf-8-sig").splitlines(keepends=True)
        new_lines = result.text.splitlines(keepends=True)
        sys.stdout.writelines(difflib.unified_diff(old_lines, new_lines, f"{shown} (original)", f"{shown} (formatted)"))
    if check:
        sys.stdout.write(f"would reformat {shown}\n")
    if write:
        try:
            _replace(path, new)
        except OSError as error:
            sys.stderr.write(f"ind fmt: {shown}: cannot write file: {error.strerror or error}\n")
            return None
        sys.stdout.write(f"reformatted {shown}\n")
    return True


def _replace(path: Path, data: bytes) -> None:
    """Write through a temporary file in the same folder, so a crash never leaves half a file.

    The link is followed (a symlinked ruleset stays a symlink) and the mode is kept.
    """
    target = path.resolve()
    write_atomic(target, data, stat.S_IMODE(target.stat().st_mode))
