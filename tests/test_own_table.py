"""The guide's chapter "your own table from zero": its files in examples/own_table check clean,
are already formatted, pass `ind test` with nothing left unexercised, score as the guide shows,
and the guide quotes them word for word (every quoted run of lines is a run of the file)."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import ROOT
from test_docs_reference import ELISION, GUIDE, _runs, code_blocks

from indicator_dsl.cases import run_paths
from indicator_dsl.check.paths import check_paths
from indicator_dsl.cli.main import main
from indicator_dsl.syntax.formatter import format_source
from indicator_dsl.syntax.source import SourceFile

OWN = ROOT / "examples" / "own_table"
FILES = ["schema.ind", "station.ind", "records.jsonl", "eval.txt", "tests/station.yaml"]


def test_the_files_check_clean_and_are_formatted() -> None:
    report = check_paths([OWN])
    assert [f"{d.code} {d.message}" for d in report.diagnostics] == []
    assert len(report.modules) == 2
    for path in sorted(OWN.rglob("*.ind")):
        text = path.read_text(encoding="utf-8")
        assert format_source(SourceFile(str(path), text)).text == text, path


def test_the_cases_pass_and_exercise_everything() -> None:
    report = run_paths([OWN / "tests"])
    assert report.problems == [] and [c.failures for c in report.cases] == [[]] * 8
    units = report.clauses["station"]
    assert len(units) == 15 and units <= report.fired["station"]


def test_eval_prints_what_the_guide_shows(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", str(OWN / "station.ind"), str(OWN / "records.jsonl")]) == 1  # S03 is refused
    assert capsys.readouterr().out == (OWN / "eval.txt").read_text(encoding="utf-8")


def test_the_report_and_the_schema_are_written(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "station.html"
    assert main(["report", str(OWN / "station.ind"), str(OWN / "records.jsonl"), "--out", str(out)]) == 0
    html = out.read_text(encoding="utf-8")
    assert "<title>志愿服务站考评</title>" in html and "25 is outside 0..20" in html  # titled by its label
    assert main(["schema", str(OWN / "station.ind")]) == 0
    assert '"title": "志愿服务站"' in capsys.readouterr().out


def test_the_guide_quotes_the_files_word_for_word() -> None:
    quoted = [b for b in code_blocks(GUIDE) if b.quote and b.quote.startswith("examples/own_table/")]
    assert sorted(b.quote for b in quoted) == sorted(f"examples/own_table/{f}" for f in FILES * 2)  # 中文, English
    for block in quoted:
        lines = (ROOT / str(block.quote)).read_text(encoding="utf-8").splitlines()
        position = 0
        for run in _runs(block.text):
            starts = [i for i in range(position, len(lines) - len(run) + 1) if lines[i : i + len(run)] == run]
            assert starts, f"{block.where}: lines from `{run[0]}` are not a run of {block.quote}"
            position = starts[0] + len(run)
        if not any(line.strip() in ELISION for line in block.text.splitlines()):
            assert block.text.splitlines() == lines, f"{block.where} quotes only part of {block.quote}"
