"""`ind build CATALOG --out FILE.tar.gz`: pack a checked catalog (or ruleset) with every file it
reads and a manifest of their sha256 into one bundle (docs/bundles.md)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from .. import __version__
from .common import ArgumentParser, add_root_option, cannot_write


def main(argv: list[str]) -> int:
    parser = ArgumentParser(
        prog="ind build", description="Pack a catalog or ruleset and every file it reads into a verifiable bundle."
    )
    parser.add_argument("catalog", help="the catalog (or ruleset) .ind file")
    parser.add_argument("--out", type=Path, required=True, help="the bundle to write (.tar.gz)")
    add_root_option(parser)
    args = parser.parse(argv)
    if isinstance(args, int):
        return args
    from ..bundles import SUFFIXES, build_bundle
    from ..check.renderers import render_text
    from ..files import write_atomic
    from ..syntax.diagnostics import RulesetError

    if not str(args.out).endswith(SUFFIXES):
        sys.stderr.write(f"ind build: {args.out}: a bundle's name ends in .tar.gz (or .tgz)\n")
        return 2
    if not os.path.lexists(args.catalog):
        sys.stderr.write(f"ind build: {args.catalog}: no such file\n")
        return 2
    if cannot_write(args.out, "ind build"):
        return 2
    try:
        built = build_bundle(Path(args.catalog), engine=__version__, root=args.root)
    except RulesetError as error:
        sys.stderr.write(render_text(error.diagnostics, error.sources))
        return 1
    try:
        write_atomic(args.out, built.data)
    except OSError as error:
        sys.stderr.write(f"ind build: cannot write {args.out}: {error.strerror or error}\n")
        return 2
    files = len(built.manifest["files"])
    sys.stdout.write(f"wrote {args.out}: {files} files, entry {built.manifest['entry']}, sha256 {built.digest}\n")
    return 0
