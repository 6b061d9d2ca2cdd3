"""`ind eval` over tables: `--backend columnar|auto`, Parquet and Arrow in, Parquet out.

Taken by `ind eval` when `--backend` is `columnar` or `auto`, when a record file is a table
(`.parquet`, `.arrow`), or when `--out` is a `.parquet` file. The records are read as one
table (`Ruleset.read_table`), scored by `Ruleset.evaluate_table` (the columnar plan, or the
Python backend for a ruleset it does not support, which is said on stderr), and written as
Parquet (nested lists and structs kept) or in any of the text formats of `ind eval`. One
Parquet table of more than `table_slices.SLICE_ABOVE` records written to Parquet is scored in
slices (`evaluate/table_slices.py`), quotas across all of them.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path
from typing import Any

from . import local_cluster

TABLE_SUFFIXES = (".parquet", ".arrow", ".feather", ".ipc")


def wanted(args: argparse.Namespace) -> bool:
    """Whether `ind eval` runs over tables for these arguments."""
    if args.backend in ("columnar", "auto") or getattr(args, "dask", None):
        return True
    out = args.out is not None and args.out.suffix.lower() == ".parquet"
    return out or any(Path(p).suffix.lower() in TABLE_SUFFIXES for p in args.records)


def run(args: argparse.Namespace) -> int:
    # before polars is imported, so that the workers forked for `--dask local` have one polars thread
    forkable = args.dask == "local" and local_cluster.one_polars_thread()
    from ..api import Ruleset, load
    from ..evaluate.table_api import INSTALL, ColumnarUnsupported
    from ..syntax.diagnostics import RulesetError

    if args.sheets is not None or args.adjustments is not None or args.explain or args.workers != 1:
        sys.stderr.write(
            "ind eval: tables take no --sheets, --adjustments, --explain or --workers (sheets go in the table)\n"
        )
        return 2
    backend = "compiled" if args.backend == "python" and not args.dask else args.backend
    if backend == "python":  # --dask scores with the columnar plan
        backend = "columnar"
    try:
        import polars as pl
    except ImportError:
        sys.stderr.write(f"ind eval: tables need the columnar extra: {INSTALL}\n")
        return 2
    try:
        model = load(Path(args.ruleset), backend=backend, root=args.root)
    except ColumnarUnsupported as error:
        sys.stderr.write(f"ind eval: {error} (--backend auto scores it with the Python backend)\n")
        return 2
    except (RulesetError, OSError) as error:
        from ..check.renderers import render_text

        if isinstance(error, RulesetError):
            sys.stderr.write(render_text(error.diagnostics, error.sources))
        else:
            sys.stderr.write(f"ind eval: {error}\n")
        return 2
    if not isinstance(model, Ruleset):
        sys.stderr.write("ind eval: tables are scored by a ruleset, not a catalog (yet)\n")
        return 2
    if model.columnar_note:
        sys.stderr.write(f"ind eval: {model.columnar_note}\n")
    if args.dask:
        return on_dask(model, args, forkable)
    if sliced(model, args):
        return in_slices(model, args)
    paths = [Path(p) for p in args.records]
    try:
        if model.tables.scorer is not None and len(paths) == 1 and paths[0].suffix.lower() == ".parquet":
            pl.read_parquet_schema(paths[0])  # (read by the plan as it runs: only the columns it reads)
            table: Any = paths[0]
        else:
            frames = [model.read_table(p) for p in paths]
            table = pl.concat(frames, how="diagonal_relaxed") if len(frames) > 1 else frames[0]
    except (OSError, ValueError, pl.exceptions.PolarsError) as error:
        sys.stderr.write(f"ind eval: cannot read the records: {error}\n")
        return 2
    results = model.evaluate_table(table)
    return write(results, args)


def sliced(model: Any, args: argparse.Namespace) -> bool:
    """One Parquet table of more than `SLICE_ABOVE` records to a Parquet file, scored by the plan:
    in slices, so that memory does not grow with the table."""
    from ..evaluate import table_slices

    paths = [Path(p) for p in args.records]
    if model.tables.scorer is None or args.out is None or args.out.suffix.lower() != ".parquet":
        return False
    if len(paths) != 1 or paths[0].suffix.lower() != ".parquet" or not paths[0].is_file():
        return False
    try:
        return table_slices.parquet_rows(paths[0]) > table_slices.SLICE_ABOVE
    except (OSError, ValueError):
        return False  # read as a whole, which reports why it cannot be read


def in_slices(model: Any, args: argparse.Namespace) -> int:
    from ..evaluate import table_slices

    try:
        written = table_slices.evaluate_slices(model, Path(args.records[0]), args.out, table_slices.SLICE_ROWS)
    except OSError as error:
        sys.stderr.write(f"ind eval: cannot write {args.out}: {error.strerror or error}\n")
        return 2
    sys.stderr.write(f"ind eval: {written.results} result(s) written to {args.out}\n")
    if written.failed:
        sys.stderr.write(f"ind eval: {written.failed} of {written.results} record(s) could not be scored\n")
    return 1 if written.failed else 0


def on_dask(model: Any, args: argparse.Namespace, forkable: bool) -> int:
    """`--dask ADDRESS|local`: each record file a partition, results under the `--out` folder;
    `local` a cluster of this process (`local_cluster`), forked from it when `forkable`."""
    if args.out is None or model.tables.scorer is None:
        sys.stderr.write("ind eval: --dask needs --out FOLDER and a ruleset the columnar backend scores\n")
        return 2
    try:
        distributed: Any = importlib.import_module("distributed")
    except ImportError:
        from ..evaluate.table_api import INSTALL

        sys.stderr.write(f"ind eval: --dask needs dask[distributed]: {INSTALL}\n")
        return 2
    from ..evaluate.distributed import evaluate_dask

    if args.dask == "local":
        # each worker one thread, and so one polars thread: two workers of polars' two would
        # share this machine's cores four ways (partitions took 4.0 s instead of 3.6 at 1,000,000)
        cluster, client = local_cluster.start(distributed, model, forkable)
    else:
        cluster, client = None, distributed.Client(args.dask)
    try:
        count = evaluate_dask(model, [Path(p) for p in args.records], args.out, client)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    sys.stderr.write(f"ind eval: {count} result(s) written under {args.out}\n")
    return 0


def write(results: Any, args: argparse.Namespace) -> int:
    from ..evaluate.columnar_results import json_rows
    from ..files import publish, temporary, write_atomic

    failed = int(results.select(results["errors"].list.len() > 0).to_series().sum())
    if args.out is not None and args.out.suffix.lower() == ".parquet":
        try:
            with temporary(args.out) as part:
                results.write_parquet(part)
                publish(part, args.out)
        except OSError as error:
            sys.stderr.write(f"ind eval: cannot write {args.out}: {error.strerror or error}\n")
            return 2
        sys.stderr.write(f"ind eval: {results.height} result(s) written to {args.out}\n")
    else:
        from ..evaluate.results import Result
        from ..outputs.formats import RESULT_FORMATS

        text = RESULT_FORMATS[args.format]([Result.model_validate(row) for row in json_rows(results)])
        if args.out is not None:
            write_atomic(args.out, text)
            sys.stderr.write(f"ind eval: {results.height} result(s) written to {args.out}\n")
        else:
            sys.stdout.write(text)
    if failed:
        sys.stderr.write(f"ind eval: {failed} of {results.height} record(s) could not be scored\n")
    return 1 if failed else 0
