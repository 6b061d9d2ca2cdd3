"""`ind lsp`: the language server on stdin/stdout, for editors (docs/editors.md)."""

from __future__ import annotations

import sys

from .common import ArgumentParser


def main(argv: list[str]) -> int:
    parser = ArgumentParser(
        prog="ind lsp",
        description="Run the language server on stdin/stdout (an editor starts it; see docs/editors.md).",
    )
    parser.add_argument(
        "--stdio", action="store_true", help="accepted for editors that pass it; stdio is the only transport"
    )
    args = parser.parse(argv)
    if isinstance(args, int):
        return args
    try:
        from ..lsp.server import serve
    except ImportError as error:
        sys.stderr.write(f"ind lsp: the language server needs pygls ({error}); pip install 'indicator-dsl[lsp]'\n")
        return 2
    serve()
    return 0
