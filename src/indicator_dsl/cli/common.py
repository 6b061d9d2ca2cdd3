"""Pieces every sub-command shares: argument parsing without tracebacks, diagnostics output."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from ..syntax.diagnostics import Diagnostic
from ..syntax.source import SourceFile

T = TypeVar("T")


class ArgumentParser(argparse.ArgumentParser):
    """argparse that exits with code 2 and a one-line message, as every `ind` command does."""

    def parse(self, argv: list[str]) -> argparse.Namespace | int:
        """The parsed arguments, or the exit code when argparse is done (usage error, --help)."""
        try:
            return self.parse_args(argv)
        except SystemExit as stop:
            return int(stop.code or 0)

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        sys.stderr.write(f"{self.prog}: {message}\n")
        raise SystemExit(2)


def render_diagnostics(
    diagnostics: Sequence[Diagnostic], sources: Mapping[str, SourceFile], fmt: str, version: str
) -> str:
    from ..check import renderers as render

    if fmt == "json":
        return render.render_json(diagnostics)
    if fmt == "sarif":
        return render.render_sarif(diagnostics, tool_version=version)
    if fmt == "github":
        return render.render_github(diagnostics)
    return render.render_text(diagnostics, sources, color=sys.stdout.isatty())


def add_root_option(parser: argparse.ArgumentParser) -> None:
    """`--root DIR`: the folder that imports may not leave (docs/errors/E109.md)."""
    parser.add_argument(
        "--root",
        type=_folder,
        help="the project folder that imports may not leave "
        "(default: the nearest folder holding catalog.ind or .indroot, else the working folder)",
    )


def _folder(text: str) -> Path:
    if not Path(text).is_dir():
        raise argparse.ArgumentTypeError(f"{text}: no such folder")
    return Path(text)


def load_or_report(path: str, prog: str, root: Path | None = None, **params: Any) -> Any:
    """Load a ruleset or catalog (imports kept inside `root`; `params`: the evaluation's period,
    as-of day, history, rectification), or print its diagnostics (or why the parameters cannot
    be used) and return None."""
    from .. import api
    from ..check.renderers import render_text
    from ..syntax.diagnostics import RulesetError

    if not os.path.lexists(path):
        sys.stderr.write(f"{prog}: {path}: no such file\n")
        return None
    try:
        return api.load(Path(path), root=root, **params)
    except RulesetError as error:
        sys.stderr.write(render_text(error.diagnostics, error.sources))
        return None
    except (OSError, ValueError) as error:  # a period, as-of day, history or rectification file it cannot use
        sys.stderr.write(f"{prog}: {error}\n")
        return None


def progress(items: Iterable[T], what: str, every: int = 500) -> Iterator[T]:
    """Pass items through, showing a count on stderr when it is a terminal."""
    if not sys.stderr.isatty():
        yield from items
        return
    count = 0
    for item in items:
        count += 1
        if count % every == 0:
            sys.stderr.write(f"\r{what}: {count:,} records")
            sys.stderr.flush()
        yield item
    sys.stderr.write(f"\r{what}: {count:,} records\n")


def progress_callback(what: str, every: int = 1000) -> Callable[[int], None] | None:
    """A `count -> None` reporter for long batches, or None when stderr is not a terminal."""
    if not sys.stderr.isatty():
        return None

    def report(count: int) -> None:
        if count % every == 0:
            sys.stderr.write(f"\r{what}: {count:,} records")
            sys.stderr.flush()

    return report


def ind_files(paths: Sequence[str], prog: str) -> list[Path] | int:
    """The `.ind` files named (folders: every one below them), or exit code 2 with the reason."""
    from ..check.paths import expand_paths

    files, missing = expand_paths(paths)
    for name in missing:
        sys.stderr.write(f"{prog}: {name}: no such file or folder\n")
    if missing:
        return 2
    if not files:
        sys.stderr.write(f"{prog}: no .ind files found\n")
        return 2
    return files


def record_files(names: Sequence[str], prog: str) -> list[Path] | int:
    """The record files named, or exit code 2 after saying which one does not exist."""
    paths = [Path(name) for name in names]
    missing = [p for p in paths if not p.is_file()]
    if missing:
        sys.stderr.write(f"{prog}: {missing[0]}: no such file\n")
        return 2
    return paths


def cannot_write(path: Path, prog: str) -> bool:
    """Say so (one line on stderr) if `path` cannot be an output file: a folder, or a place
    where no file can be made. Checked before a long run, so a typo fails at once."""
    from ..files import output_problem

    problem = output_problem(path)
    if problem is not None:
        sys.stderr.write(f"{prog}: cannot write {path}: {problem}\n")
    return problem is not None


def records_in(paths: Sequence[Path]) -> Iterator[Any]:
    """Every record of the files, in order, read lazily (`evaluate.inputs.read_records`)."""
    from ..evaluate.inputs import read_records

    for path in paths:
        yield from read_records(path)


def written(path: Path, text: str, prog: str) -> bool:
    """Write `text` to `path` atomically; on failure say why (one line on stderr) and return False."""
    from ..files import write_atomic

    try:
        write_atomic(path, text)
    except OSError as error:
        sys.stderr.write(f"{prog}: cannot write {path}: {error.strerror or error}\n")
        return False
    return True
