"""Pieces every sub-command shares: argument parsing without tracebacks, diagnostics output."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping, Sequence

from ..diagnostics import Diagnostic
from ..source import SourceFile


class ArgumentParser(argparse.ArgumentParser):
    """argparse that exits with code 2 and a one-line message, as every `ind` command does."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        sys.stderr.write(f"{self.prog}: {message}\n")
        raise SystemExit(2)


def render_diagnostics(
    diagnostics: Sequence[Diagnostic], sources: Mapping[str, SourceFile], fmt: str, version: str
) -> str:
    from .. import render

    if fmt == "json":
        return render.render_json(diagnostics)
    if fmt == "sarif":
        return render.render_sarif(diagnostics, tool_version=version)
    if fmt == "github":
        return render.render_github(diagnostics)
    return render.render_text(diagnostics, sources, color=sys.stdout.isatty())
