"""`ind eval` over tables and `ind schema --format arrow` (the `columnar` extra)."""

from __future__ import annotations

from pathlib import Path

import pytest

pl = pytest.importorskip("polars", reason="the columnar backend needs polars: pip install -e '.[columnar]'")
pytest.importorskip("pyarrow", reason="the columnar backend needs pyarrow: pip install -e '.[columnar]'")

from benchmarks.records import generate_party_gov_records, write_jsonl  # noqa: E402

from indicator_dsl.cli.main import main  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
BENCHMARK = ROOT / "benchmarks" / "party_gov.ind"
DEDUCTIONS = ROOT / "tests" / "eval_fixtures" / "rulesets" / "deductions.ind"


def test_parquet_in_and_out_gives_the_python_backends_results(tmp_path: Path) -> None:
    records = generate_party_gov_records(40, seed=11)
    records[2]["members"] = -1.5  # not an int: this row's error, the others scored
    write_jsonl(tmp_path / "r.jsonl", records)
    assert (
        main(
            [
                "eval",
                str(BENCHMARK),
                str(tmp_path / "r.jsonl"),
                "--format",
                "jsonl",
                "--out",
                str(tmp_path / "py.jsonl"),
            ]
        )
        == 1
    )
    assert (
        main(
            [
                "eval",
                str(BENCHMARK),
                str(tmp_path / "r.jsonl"),
                "--backend",
                "columnar",
                "--out",
                str(tmp_path / "o.parquet"),
            ]
        )
        == 1
    )
    out = pl.read_parquet(tmp_path / "o.parquet")
    assert out.height == 40 and out["errors"].list.len().to_list().count(1) == 1
    args = ["eval", str(BENCHMARK), str(tmp_path / "r.jsonl"), "--backend", "columnar", "--format", "jsonl"]
    assert main([*args, "--out", str(tmp_path / "col.jsonl")]) == 1
    assert (tmp_path / "col.jsonl").read_text(encoding="utf-8") == (tmp_path / "py.jsonl").read_text(encoding="utf-8")


def test_an_unsupported_ruleset_is_refused_by_columnar_and_scored_by_auto(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_jsonl(tmp_path / "r.jsonl", [{"id": "a"}])
    assert main(["eval", str(DEDUCTIONS), str(tmp_path / "r.jsonl"), "--backend", "columnar"]) == 2
    assert "longest_gap_months" in capsys.readouterr().err
    main(["eval", str(DEDUCTIONS), str(tmp_path / "r.jsonl"), "--backend", "auto", "--format", "json"])
    assert "scored by the Python backend" in capsys.readouterr().err


def test_schema_as_arrow_names_every_field_and_the_sheets(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema", str(BENCHMARK), "--format", "arrow"]) == 0
    text = capsys.readouterr().out
    assert "dues_on_time: decimal128(38, 9) not null" in text
    assert "meetings: large_list<item: struct<kind: large_string, held_on: date32[day]" in text
    assert "sheets: struct<self: struct<records: decimal128(38, 9), venue: decimal128(38, 9)>" in text
