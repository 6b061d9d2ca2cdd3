"""One bad record never sinks a batch (issue 9, section 3).

A route condition, a quota `where` or an outcome that fails for one record; JSON nested
deeper than the parser goes, in every input format; a CSV cell over the csv module's
limit; an integer outcome too long to print. Each is that record's error (or, for a whole
document that cannot be read, that file's, exit 2), in every mode: the Python API with and
without workers, `ind eval` sequential, `--workers 2`, streaming `--out`, `ind report`
and `ind test`. Exit codes stay 0/1/2; nothing reaches `internal error`.
"""

from __future__ import annotations

import json
import os
import pickle
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support import run_ind as ind

import indicator_dsl
from indicator_dsl.evaluate.inputs import CSV_CELL_LIMIT, InputError, read_records
from indicator_dsl.evaluate.results import Result
from indicator_dsl.semantics.arithmetic import EvalError
from indicator_dsl.semantics.records import FieldProblem
from indicator_dsl.semantics.sheets import SheetProblems
from indicator_dsl.syntax.source import Span

HOSTILE = Path(__file__).resolve().parent / "eval_fixtures" / "hostile"
RULESET = HOSTILE / "hostile.ind"
CATALOG = HOSTILE / "organs.ind"
DEEP = "[" * 100_000 + "]" * 100_000


def record(rid: str, points: int = 8, **fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"id": rid, "points": points, "x": 1, "n": 1, "e": 1, "scores": [1]}
    return base | fields


# Records of the ruleset: two good ones, then one failure of each kind.
RULESET_RECORDS = [
    record("good", 9),
    record("low", 3),
    record("quota_where", 8, n=0),
    record("outcome_min", 8, scores=[]),
    record("outcome_floor", 8, extra="1e5000"),
    record("overflow", 8, x="1e999999"),
]
RULESET_EXPECTED = {
    "good": "good",
    "low": "fair",
    "quota_where": "quota good at most 50% (hostile.ind:20): division by zero (at hostile.ind:20:",
    "outcome_min": "outcome: min(...) of nothing (at hostile.ind:22:",
    "outcome_floor": "outcome: `whole` is <an integer of about 5000 digits>, more than 60 digits",
    "overflow": "outcome: arithmetic overflow: a value is beyond the range of exact arithmetic",
}
CATALOG_RECORDS = [
    record("good", 9, department="a"),
    record("low", 3, department="a"),
    record("route", 8, department="boom", n=0),
    record("catalog_quota", 8, department="a", e=0),
]
CATALOG_EXPECTED = {
    "good": "good",
    "low": "fair",
    "route": "route to `hostile` (organs.ind:6): division by zero (at organs.ind:6:",
    "catalog_quota": "quota good at most 50% (organs.ind:12): division by zero (at organs.ind:12:",
}


def summary(results: list[dict[str, Any]]) -> dict[str, str]:
    """Each record's id → its grade, or the start of its one error message."""
    out: dict[str, str] = {}
    for r in results:
        if r["errors"]:
            assert len(r["errors"]) == 1, r["errors"]
            out[r["id"]] = r["errors"][0]["message"]
        else:
            out[r["id"]] = r["grade"]
    return out


def matches(got: dict[str, str], expected: dict[str, str]) -> None:
    """Messages name the fixture files by their path as loaded; compared by file name."""
    assert list(got) == list(expected)
    for key, want in expected.items():
        assert got[key].replace(f"{HOSTILE}{os.sep}", "").startswith(want), (key, got[key])


def write_jsonl(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


# ---------------------------------------------------------------- failures while scoring


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize(
    ("source", "records", "expected"),
    [(RULESET, RULESET_RECORDS, RULESET_EXPECTED), (CATALOG, CATALOG_RECORDS, CATALOG_EXPECTED)],
    ids=["ruleset", "catalog"],
)
def test_the_api_reports_each_failure_on_its_record(
    source: Path, records: list[dict[str, Any]], expected: dict[str, str], workers: int
) -> None:
    model = indicator_dsl.load(source)
    batch = model.evaluate_many(records, workers=workers)
    matches(summary([r.model_dump(mode="json") for r in batch]), expected)


@pytest.mark.parametrize(
    "mode",
    [[], ["--workers", "2"], ["--format", "jsonl", "--out"], ["--workers", "2", "--format", "jsonl", "--out"]],
    ids=["sequential", "workers", "streaming", "streaming-workers"],
)
@pytest.mark.parametrize(
    ("source", "records", "expected"),
    [(RULESET, RULESET_RECORDS, RULESET_EXPECTED), (CATALOG, CATALOG_RECORDS, CATALOG_EXPECTED)],
    ids=["ruleset", "catalog"],
)
def test_ind_eval_reports_each_failure_on_its_record(
    tmp_path: Path, source: Path, records: list[dict[str, Any]], expected: dict[str, str], mode: list[str]
) -> None:
    data = write_jsonl(tmp_path / "records.jsonl", records)
    out = tmp_path / "out.jsonl"
    args = [*mode, out] if mode and mode[-1] == "--out" else [*mode, "--format", "jsonl"]
    done = ind("eval", source, data, *args)
    assert done.returncode == 1, done.stderr
    assert "internal error" not in done.stderr
    text = out.read_text(encoding="utf-8") if "--out" in mode else done.stdout
    matches(summary([json.loads(line) for line in text.splitlines()]), expected)
    failed = sum(1 for v in expected.values() if v not in ("good", "fair"))
    assert f"{failed} of {len(expected)} record(s) could not be scored" in done.stderr


def test_ind_report_lists_the_failures_and_scores_the_rest(tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "records.jsonl", CATALOG_RECORDS)
    out = tmp_path / "report.html"
    done = ind("report", CATALOG.name, data, "--out", out, cwd=HOSTILE)
    assert done.returncode == 0, done.stderr
    assert "4 record(s)" in done.stdout
    html = out.read_text(encoding="utf-8")
    assert "route to `hostile` (organs.ind:6): division by zero" in html
    assert "quota good at most 50% (organs.ind:12): division by zero" in html


def test_ind_test_checks_an_expected_failure(tmp_path: Path) -> None:
    suite = tmp_path / "hostile.yaml"
    suite.write_text(
        f"ruleset: {RULESET.as_posix()}\n"
        "cases:\n"
        "  - name: min of nothing is this record's error\n"
        "    record: {id: m, points: 8, x: 1, n: 1, scores: []}\n"
        "    expect: {errors: ['min(...) of nothing']}\n"
        "  - name: a good record\n"
        "    record: {id: g, points: 8, x: 1, n: 1, scores: [1]}\n"
        "    expect: {grade: good, outcomes: {lowest: 1, product: 1}}\n",
        encoding="utf-8",
    )
    done = ind("test", suite)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 passed, 0 failed" in done.stdout


def test_per_record_error_types_survive_a_process_boundary() -> None:
    span = Span("hostile.ind", 20, 48, 20, 53)
    errors: list[Any] = [
        EvalError("division_by_zero", "division by zero", span, "x"),
        SheetProblems([FieldProblem("sheets.a", "not a number")]),
        InputError("line 3", "not JSON: nested too deeply"),
        FieldProblem("id", "an id is text"),
    ]
    for error in errors:
        copy = pickle.loads(pickle.dumps(error))
        assert type(copy) is type(error)
        assert vars(copy) == vars(error) if hasattr(error, "__dict__") else copy == error
    copy = pickle.loads(pickle.dumps(errors[0]))
    assert (copy.kind, copy.message, copy.span, copy.path) == ("division_by_zero", "division by zero", span, "x")


# ---------------------------------------------------------------- too deep for the parser


def _scored(results: list[Result]) -> dict[str | None, str]:
    return {r.id: r.grade or "; ".join(f"{e.path}: {e.message}" for e in r.errors) for r in results}


def test_a_deep_json_line_is_that_lines_error(tmp_path: Path) -> None:
    path = tmp_path / "deep.jsonl"
    path.write_text(
        json.dumps(record("a")) + "\n" + '{"id": "deep", "scores": ' + DEEP + "}\n" + json.dumps(record("b", 3)) + "\n",
        encoding="utf-8",
    )
    items = list(read_records(path))
    assert items[1] == InputError("line 2", "not JSON: nested too deeply (more than about 1,000 levels)")
    rs = indicator_dsl.load(RULESET)
    for workers in (1, 2):
        got = _scored(rs.evaluate_many(read_records(path), workers=workers).results)
        assert got == {
            "a": "good",
            None: ": line 2: not JSON: nested too deeply (more than about 1,000 levels)",
            "b": "fair",
        }


def test_a_deep_item_of_a_json_array_is_that_items_error(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    tricky = json.dumps(record("c", 9, department='x"],[{'))  # brackets inside a string are not structure
    path.write_text(
        f'[\n {json.dumps(record("a"))},\n {{"id": "deep", "scores": {DEEP}}},\n {tricky}\n]\n', encoding="utf-8"
    )
    items = list(read_records(path))
    assert len(items) == 3
    assert items[0]["id"] == "a" and items[2]["department"] == 'x"],[{'
    assert items[1] == InputError("line 3", "not JSON: nested too deeply (more than about 1,000 levels)")


def test_a_deep_record_that_parses_is_scored_in_the_parent_when_it_cannot_be_pickled() -> None:
    deep: Any = []
    for _ in range(950):  # parses, validates and prints, but is too deep for pickle's recursion
        deep = [deep]
    records = [record("a"), record("deep", scores=deep), record("b", 3)]
    with pytest.raises(RecursionError):
        pickle.dumps(records)
    rs = indicator_dsl.load(RULESET)
    got = _scored(rs.evaluate_many(records, workers=2).results)
    assert got == {"a": "good", "deep": "scores[0]: [[[...]]] is not a number", "b": "fair"}


def test_a_deep_yaml_document_is_that_files_error(tmp_path: Path) -> None:
    path = tmp_path / "deep.yaml"
    path.write_text(f"- id: a\n  points: 8\n- id: deep\n  scores: {DEEP}\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"not valid YAML: nested more than 100 levels deep\n  in .*line 4"):
        list(read_records(path))
    done = ind("eval", RULESET, path)
    assert done.returncode == 2 and "nested more than 100 levels deep" in done.stderr and not done.stdout


def test_csv_cells_too_deep_or_too_long_are_that_rows_error(tmp_path: Path) -> None:
    path = tmp_path / "records.csv"
    half = "[" * 50_000 + "]" * 50_000  # under the cell limit, over the JSON reader's depth
    path.write_text(
        "id,points,n,scores,department\n"
        "a,8,1,[1],\n"
        f'long,8,1,"{DEEP}",\n'
        f'deep,8,1,"{half}",\n'
        f'"multi\nline",3,1,[1],"{"y" * (CSV_CELL_LIMIT + 1)}"\n'
        "b,3,1,[2],x\n",
        encoding="utf-8",
    )
    items = list(read_records(path))
    assert items[1] == InputError("line 3", "a cell is longer than 131,072 characters")
    assert items[3] == InputError("line 5", "a cell is longer than 131,072 characters")
    assert items[4] == {"id": "b", "points": "3", "n": "1", "scores": [2], "department": "x"}
    done = ind("eval", RULESET, path, "--format", "jsonl")
    assert done.returncode == 1, done.stderr
    results = [json.loads(line) for line in done.stdout.splitlines()]
    assert [r["grade"] or r["errors"][0]["message"] for r in results] == [
        "fair",  # 8 points, but alone in its department: at most 50% of one is nobody
        "line 3: a cell is longer than 131,072 characters",
        "'" + "[" * 27 + "..." + "]" * 28 + "' is not a list",  # the 100,000-character cell, cut
        "line 5: a cell is longer than 131,072 characters",
        "fair",
    ]
    assert results[2]["id"] == "deep" and results[2]["errors"][0]["path"] == "scores"


def test_a_deep_sheets_file_is_a_usage_error(tmp_path: Path) -> None:
    sheets = tmp_path / "sheets.json"
    sheets.write_text('{"a": ' + DEEP + "}", encoding="utf-8")
    data = write_jsonl(tmp_path / "records.jsonl", [record("a")])
    done = ind("eval", RULESET, data, "--sheets", sheets)
    assert done.returncode == 2
    assert "cannot read sheets" in done.stderr and "nested too deeply" in done.stderr


def test_deep_or_malformed_ind_test_files_are_reported_not_raised(tmp_path: Path) -> None:
    (tmp_path / "deep.yaml").write_text(f"ruleset: hostile\ncases: {DEEP}\n", encoding="utf-8")
    (tmp_path / "shape.yaml").write_text(f"ruleset: {RULESET.as_posix()}\ncases: [1, 2]\n", encoding="utf-8")
    record_file = tmp_path / "record.yaml"
    record_file.write_text(f"id: r\nscores: {DEEP}\n", encoding="utf-8")
    (tmp_path / "cases.yaml").write_text(
        f"ruleset: {RULESET.as_posix()}\ncases:\n"
        "  - {name: deep record file, record: record.yaml, expect: {grade: good}}\n"
        "  - {name: expect is a list, record: {id: r, points: 8}, expect: [1]}\n",
        encoding="utf-8",
    )
    done = ind("test", tmp_path)
    assert done.returncode == 1 and "internal error" not in done.stderr, done.stderr
    assert "deep.yaml: cannot read: " in done.stdout and "nested more than 100 levels deep" in done.stdout
    assert "shape.yaml: `cases:` is a list of mappings" in done.stdout
    assert "record.yaml: not valid YAML: nested more than 100 levels deep" in done.stdout
    assert "`expect:` is a mapping" in done.stdout
    assert "0 passed, 2 failed" in done.stdout


# ---------------------------------------------------------------- an integer too long to print


@pytest.mark.parametrize("fmt", ["table", "json", "jsonl", "csv"])
def test_an_integer_outcome_too_long_to_print_is_the_records_error_in_every_format(tmp_path: Path, fmt: str) -> None:
    data = write_jsonl(tmp_path / "records.jsonl", [record("a"), record("big", extra="1e5000"), record("b", 3)])
    done = ind("eval", RULESET, data, "--format", fmt)
    assert done.returncode == 1, done.stderr
    assert "outcome: `whole` is <an integer of about 5000 digits>, more than 60 digits" in done.stdout
    assert "1 of 3 record(s) could not be scored" in done.stderr


def test_an_integer_outcome_of_60_digits_is_printed_whole() -> None:
    rs = indicator_dsl.load(RULESET)
    edge = rs.evaluate(record("edge", extra="9" * 60 + ".5"))
    assert edge.ok and edge.outcomes["whole"] == int("9" * 60)
    over = rs.evaluate(record("over", extra="1" + "0" * 60))
    assert [e.message for e in over.errors] == [
        "outcome: `whole` is 1" + "0" * 27 + "..." + "0" * 29 + ", more than 60 digits"
    ]
    assert Decimal(edge.model_dump(mode="json")["outcomes"]["product"]) == 1


# ---------------------------------------------------------------- anything at all


def json_like() -> st.SearchStrategy[Any]:
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.integers(min_value=10**70, max_value=10**4000),
        st.decimals(allow_nan=True, allow_infinity=True),
        st.text(),
        st.sampled_from(["1e999999", "-1e999999", "1_0", "\u0661", "NaN", "2023-13-01", "\x1b[31m"]),
    )
    return st.recursive(
        scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner), max_leaves=20
    )


FIELDS = ["id", "points", "x", "n", "e", "extra", "scores", "department", "category", "sheets", "meetings"]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(json_like(), st.dictionaries(st.sampled_from(FIELDS), json_like())), max_size=6))
def test_any_batch_gives_one_result_per_record_and_raises_nothing(records: list[Any]) -> None:
    for model in (indicator_dsl.load(RULESET), indicator_dsl.load(CATALOG)):
        batch = model.evaluate_many([*records, record("good", 9)])
        assert len(batch.results) == len(records) + 1
        assert batch.results[-1].id == "good" and batch.results[-1].ok
        for result in batch.results:
            assert result.ok == (result.total is not None)
            json.dumps(result.model_dump(mode="json"))  # every result prints


def test_quota_groups_and_route_tables_read_a_fields_default() -> None:
    # `department` defaults to 机关 and `category` to 党政机关 (tests/eval_fixtures/schema/unit.ind):
    # records that leave them out are in the same quota group, and the same route, as records that
    # state them.
    records = [record("s1", 9, department="机关"), record("s2", 7, department="机关"), record("o1", 8), record("o2", 6)]
    for model in (indicator_dsl.load(RULESET), indicator_dsl.load(CATALOG)):
        batch = model.evaluate_many(records)
        assert [r.grade for r in batch] == ["good", "fair", "good", "fair"]
        assert [r.ruleset.name for r in batch] == ["hostile"] * 4
        assert batch.results[3].steps[-1].reason == "quota: good at most 50% within department = 机关"
