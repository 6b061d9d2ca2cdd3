"""`ind eval RULESET|CATALOG RECORDS...`: score records; one result per input record, in order."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .common import (
    ArgumentParser,
    add_root_option,
    cannot_write,
    load_or_report,
    progress,
    progress_callback,
    record_files,
)
from .year import add_year_options, year_params


def main(argv: list[str]) -> int:
    parser = ArgumentParser(prog="ind eval", description="Score records with a ruleset or catalog.")
    parser.add_argument("ruleset", help="a ruleset or catalog .ind file")
    parser.add_argument("records", nargs="+", help="record files: .json, .jsonl, .yaml, .csv, .xlsx, .parquet, .arrow")
    parser.add_argument("--format", choices=["table", "json", "jsonl", "csv", "xlsx"], default="table")
    parser.add_argument("--input-format", choices=["json", "jsonl", "yaml", "csv"], help="override the file suffix")
    parser.add_argument("--out", type=Path, help="write results to this file (atomically) instead of stdout")
    parser.add_argument("--explain", metavar="ID", help="print a readable trace of the record with this id")
    parser.add_argument("--sheets", type=Path, help="a JSON file of sheets keyed by record id")
    parser.add_argument("--workers", type=int, default=1, help="processes that score, this one among them (default 1)")
    parser.add_argument(
        "--adjustments",
        type=Path,
        help="grades set by people after quotas: .yaml, .json or .csv of id, grade, reason, by",
    )
    add_year_options(parser)
    parser.add_argument(
        "--backend",
        choices=["python", "columnar", "auto"],
        default="python",
        help="columnar: the polars plan (exact; a ruleset it cannot compile is refused); auto: columnar when it can",
    )
    parser.add_argument(
        "--dask",
        metavar="ADDRESS",
        help="score each record file as a partition on a Dask cluster (`local`: two worker processes here); "
        "--out is then a folder of part-NNNNN.parquet",
    )
    add_root_option(parser)
    args = parser.parse(argv)
    if isinstance(args, int):
        return args
    from . import table_eval

    if table_eval.wanted(args):
        return table_eval.run(args)

    from ..evaluate.heap import keep_freed_memory
    from ..evaluate.inputs import loads
    from ..evaluate.relatives import has_relatives
    from ..evaluate.stream import stream_jsonl
    from ..evaluate.workers import WorkerSetupError
    from ..files import write_atomic
    from ..outputs.formats import RESULT_FORMATS

    if args.out is not None and cannot_write(args.out, "ind eval"):
        return 2
    keep_freed_memory()  # this command's process is the engine's own (workers set it as they start)
    model = load_or_report(args.ruleset, "ind eval", args.root, **year_params(args))
    if model is None:
        return 2
    for problem in model.history.problems if model.history is not None else ():
        sys.stderr.write(f"ind eval: history: {problem}\n")
    sheets = None
    if args.sheets is not None:
        try:
            sheets = loads(args.sheets.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            sys.stderr.write(f"ind eval: cannot read sheets {args.sheets}: {error}\n")
            return 2
    adjustments: list[Any] = []
    adjustment_problems: list[str] = []
    if args.adjustments is not None:
        from ..evaluate.adjustments import read_adjustment_file

        try:
            adjustments, adjustment_problems = read_adjustment_file(args.adjustments)
        except (OSError, ValueError) as error:
            sys.stderr.write(f"ind eval: cannot read adjustments {args.adjustments}: {error}\n")
            return 2
    paths = record_files(args.records, "ind eval")
    if isinstance(paths, int):
        return paths

    if args.workers < 1:
        sys.stderr.write("ind eval: --workers must be at least 1\n")
        return 2
    streaming = (
        args.adjustments is None
        and args.format == "jsonl"
        and args.out is not None
        and not args.explain
        and args.input_format in (None, "jsonl")
        and all(p.suffix.lower() in (".jsonl", ".ndjson") for p in paths)
        and not has_relatives(model.engines)
    )
    if streaming:
        try:
            count, failed = stream_jsonl(
                model, paths, args.out, workers=args.workers, sheets=sheets, on_progress=progress_callback("scoring")
            )
        except (OSError, ValueError, WorkerSetupError) as error:
            sys.stderr.write(f"ind eval: {args.out} not written: {error}\n")
            return 2
        sys.stderr.write(f"ind eval: {count} result(s) written to {args.out}\n")
        if failed:
            sys.stderr.write(f"ind eval: {failed} of {count} record(s) could not be scored\n")
        return 1 if failed else 0

    def records() -> Iterator[Any]:
        for path in paths:
            yield from read_any(model, path, args.input_format)

    try:
        batch = model.evaluate_many(
            progress(records(), "scoring"),
            sheets=sheets,
            trace=bool(args.explain),
            workers=args.workers,
            adjustments=adjustments,
        )
    except (OSError, ValueError, WorkerSetupError) as error:
        sys.stderr.write(f"ind eval: {error}\n")
        return 2
    problems = adjustment_problems + batch.problems
    for problem in problems:
        sys.stderr.write(f"ind eval: {problem}\n")
    if args.explain:
        from ..outputs.explain import explain

        chosen = [r for r in batch.results if r.id == args.explain]
        if not chosen:
            sys.stderr.write(f"ind eval: no record with id {args.explain!r}\n")
            return 2
        engine = model.engines.get(chosen[0].ruleset.name)
        sys.stdout.write(explain(chosen[0], engine.plan if engine is not None else None))
        return 1 if chosen[0].errors or problems else 0
    if args.format == "xlsx":
        return _write_xlsx(model, batch, args.out) or (1 if batch.failed or problems else 0)
    text = RESULT_FORMATS[args.format](batch.results)
    if args.out is not None:
        try:
            write_atomic(args.out, text)
        except OSError as error:
            sys.stderr.write(f"ind eval: cannot write {args.out}: {error.strerror or error}\n")
            return 2
        sys.stderr.write(f"ind eval: {len(batch.results)} result(s) written to {args.out}\n")
    else:
        sys.stdout.write(text)
    failed = len(batch.failed)
    if failed:
        sys.stderr.write(f"ind eval: {failed} of {len(batch.results)} record(s) could not be scored\n")
    return 1 if failed or problems else 0


def read_any(model: Any, path: Path, input_format: str | None) -> Iterator[Any]:
    """Records of a file: a workbook (.xlsx) read by the model's layout, else `read_records`."""
    from ..evaluate.inputs import read_records

    if (input_format or path.suffix.lower().lstrip(".")) == "xlsx":
        return model.read_workbook(path)  # type: ignore[no-any-return]
    return read_records(path, input_format)


def _write_xlsx(model: Any, batch: Any, out: Path | None) -> int:
    """Results as a workbook (`--format xlsx`, needs `--out`): 0 when written, else 2."""
    from ..outputs.branch_rows import batch_view
    from ..outputs.xlsx_results import write_results

    if out is None:
        sys.stderr.write("ind eval: --format xlsx needs --out FILE.xlsx\n")
        return 2
    try:
        write_results(out, batch_view(model, batch.results, batch.attributes))
    except (OSError, ValueError) as error:
        sys.stderr.write(f"ind eval: {out} not written: {error}\n")
        return 2
    sys.stderr.write(f"ind eval: {len(batch.results)} result(s) written to {out}\n")
    return 0
