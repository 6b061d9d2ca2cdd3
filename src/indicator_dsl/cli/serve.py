"""`ind serve CATALOG_OR_BUNDLE`: score records over HTTP (docs/serve.md), on uvicorn.

Binds to 127.0.0.1 unless `--host` says otherwise. The model is loaded and checked before
the server starts: a ruleset that does not check prints its diagnostics and exits 2, as
`ind eval` does. With `--workers N` (N > 1) uvicorn runs N processes, each loading the
model itself from the configuration handed over in the environment; one reload (on request
or on a file change) reaches them all through a stamp file they poll.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from .common import ArgumentParser, add_root_option, cannot_write, load_or_report


def _positive(kind: Callable[[str], float]) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"{text} is not more than 0")
        return value

    return parse


def _parser() -> ArgumentParser:
    parser = ArgumentParser(prog="ind serve", description="Score records over HTTP (JSON API under /v1).")
    parser.add_argument("source", help="a ruleset, a catalog or a bundle")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    parser.add_argument("--port", type=int, default=8181, help="port (default 8181)")
    parser.add_argument("--workers", type=_positive(int), default=1, help="server processes (default 1)")
    parser.add_argument("--token-file", type=Path, help="bearer tokens, one NAME:TOKEN per line; without: no auth")
    parser.add_argument("--decision-log", type=Path, help="append each decision to this JSONL file")
    parser.add_argument("--log-records", action="store_true", help="also write each record's text to the log")
    parser.add_argument("--log-max-bytes", type=_positive(int), default=64 * 1024 * 1024, help="rotate past this size")
    parser.add_argument("--log-keep", type=int, default=5, help="rotated logs kept (LOG.1 ... LOG.N; default 5)")
    parser.add_argument("--max-body-bytes", type=_positive(int), default=16 * 1024 * 1024, help="request body limit")
    parser.add_argument("--max-batch", type=_positive(int), default=10_000, help="records per batch (default 10000)")
    parser.add_argument("--timeout", type=_positive(float), default=30.0, help="seconds per request (default 30)")
    parser.add_argument(
        "--watch", type=_positive(float), metavar="SECONDS", help="poll the files this often and reload on a change"
    )
    parser.add_argument("--access-log", action="store_true", help="print one line per request (uvicorn's)")
    add_root_option(parser)
    return parser


def main(argv: list[str]) -> int:
    args = _parser().parse(argv)
    if isinstance(args, int):
        return args
    try:
        import uvicorn

        from ..serve import DecisionLogConfig, Limits, ServeConfig
        from ..serve.config import read_tokens
        from ..serve.holder import ModelHolder
        from ..serve.service import Service
    except ImportError as error:
        sys.stderr.write(f"ind serve: needs the serve extra ({error.name}): pip install 'indicator-dsl[serve]'\n")
        return 2
    tokens: dict[str, str] = {}
    if args.token_file is not None:
        try:
            tokens = read_tokens(args.token_file)
        except (OSError, ValueError) as error:
            sys.stderr.write(f"ind serve: cannot read tokens: {error}\n")
            return 2
    decisions = None
    if args.decision_log is not None:
        if cannot_write(args.decision_log, "ind serve"):
            return 2
        decisions = DecisionLogConfig(
            str(args.decision_log), args.log_max_bytes, max(args.log_keep, 0), args.log_records
        )
    limits = Limits(args.max_body_bytes, args.max_batch, args.timeout)
    root = None if args.root is None else str(args.root)
    with tempfile.TemporaryDirectory(prefix="ind-serve-") as folder:
        several = args.workers > 1
        config = ServeConfig(
            source=args.source,
            root=root,
            limits=limits,
            tokens=tokens,
            decisions=decisions,
            watch_seconds=args.watch,
            reload_stamp=str(Path(folder) / "reload") if several else None,
        )
        model = load_or_report(args.source, "ind serve", args.root)  # diagnostics before the server starts
        if model is None:
            return 2
        where = f"http://{args.host}:{args.port}"
        sys.stderr.write(f"ind serve: serving {model.name} (sha256 {model.sha256}) on {where}/v1\n")
        options = {"host": args.host, "port": args.port, "log_level": "warning", "access_log": args.access_log}
        try:
            if several:
                from ..serve.config import ENVIRONMENT

                os.environ[ENVIRONMENT] = config.to_environment()
                target = "indicator_dsl.serve.app:app_from_environment"
                uvicorn.run(target, factory=True, workers=args.workers, **options)
            else:
                from ..serve import create_app

                holder = ModelHolder(args.source, root, None, model)
                app = create_app(config, Service(config, holder))
                uvicorn.Server(uvicorn.Config(app, **options)).run()
        except SystemExit as stop:  # uvicorn exits 1 when it cannot bind
            sys.stderr.write(f"ind serve: the server stopped ({stop.code}); see the message above\n")
            return 2
        except OSError as error:
            sys.stderr.write(f"ind serve: {error}\n")
            return 2
    return 0
