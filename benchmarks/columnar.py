"""The columnar backend against the Python backend on the same records, in one run.

    python -m benchmarks.columnar --size 20000

Generates `size` records of the benchmark ruleset (`benchmarks/party_gov.ind`), writes them
as JSON lines and as Parquet (the generator's records read by the columnar reader, decimals
kept exact as text), then times: the Python backend's batch (`evaluate_many`, compiled plan,
one process), the columnar backend from Parquet to a results DataFrame, and Parquet to Parquet
end to end. Every result of the two backends is compared as the JSON results show it, and how
many rows the columnar plan left to the Python backend is printed. Ratios matter more than
seconds on a shared machine.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import indicator_dsl
from indicator_dsl.api import Ruleset
from indicator_dsl.evaluate.columnar_results import json_rows

from .records import generate_party_gov_records, write_jsonl

RULESET = Path(__file__).resolve().parent / "party_gov.ind"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=20_000)
    args = parser.parse_args(argv)
    python = indicator_dsl.load(RULESET)
    columnar = indicator_dsl.load(RULESET, backend="columnar")
    assert isinstance(python, Ruleset) and isinstance(columnar, Ruleset) and columnar.tables.scorer is not None
    records = generate_party_gov_records(args.size, seed=1)
    with tempfile.TemporaryDirectory() as folder:
        jsonl, parquet, out = Path(folder) / "r.jsonl", Path(folder) / "r.parquet", Path(folder) / "out.parquet"
        write_jsonl(jsonl, records)
        columnar.read_table(jsonl).write_parquet(parquet)

        start = time.perf_counter()
        expected = [r.model_dump(mode="json") for r in python.evaluate_many(records)]
        python_s = time.perf_counter() - start

        start = time.perf_counter()
        frame = columnar.evaluate_table(parquet)
        columnar_s = time.perf_counter() - start

        start = time.perf_counter()
        columnar.evaluate_table(parquet).write_parquet(out)
        end_to_end_s = time.perf_counter() - start

    for row in expected:
        row.pop("trace", None)
    same = json_rows(frame) == expected
    report = {
        "records": args.size,
        "python_batch_s": round(python_s, 2),
        "columnar_parquet_to_frame_s": round(columnar_s, 2),
        "columnar_parquet_to_parquet_s": round(end_to_end_s, 2),
        "speedup_vs_python": round(python_s / columnar_s, 1),
        "rows_left_to_python": columnar.tables.scorer.python_rows,
        "identical_results": same,
    }
    print(json.dumps(report, indent=2))
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
