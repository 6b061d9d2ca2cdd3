"""Catalog nominations: drawn after quotas and adjustments, at most N per group, highest total
first, ties by id, `exclude when` honoured; the same nominees on both backends (hand-computed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support import project_with, run_ind
from test_eval_grading import BACKENDS, QUOTA_TEMPLATE, SCHEMA, unit
from test_eval_quota_rules import CATALOG

import indicator_dsl
from indicator_dsl.outputs.explain import explain
from indicator_dsl.syntax.diagnostics import RulesetError
from indicator_dsl.syntax.parser import parse_source
from indicator_dsl.syntax.printer import print_module
from indicator_dsl.syntax.source import SourceFile

NOMINATION = (
    'nomination provincial "省级机关先进基层党组织" from advanced at most 2 per department'
    " exclude when not has_party_cadre"
)


def _catalog(tmp_path: Path, nomination: str, backend: str = "compiled") -> indicator_dsl.Catalog:
    root = project_with(tmp_path, SCHEMA)
    for name in ("a", "b"):
        text = QUOTA_TEMPLATE.format(schema=SCHEMA.name, quotas="").replace("ruleset quotas", f"ruleset quotas_{name}")
        (root / f"{name}.ind").write_text(text, encoding="utf-8")
    (root / "both.ind").write_text(CATALOG.format(quota=nomination), encoding="utf-8")
    catalog = indicator_dsl.load(root / "both.ind", backend=backend)
    assert isinstance(catalog, indicator_dsl.Catalog)
    return catalog


# 甲: advanced J1 96, J2 91, J4 91 (J3 99 has no party cadre: excluded), J5 standard; 乙: Y1 advanced, Y2 standard
RECORDS = [
    unit("J1", "96", department="甲"),
    unit("J2", "91", department="甲", category="国有企业"),
    unit("J3", "99", department="甲", has_party_cadre=False),
    unit("J4", "91", department="甲"),
    unit("J5", "75", department="甲"),
    unit("Y1", "93", department="乙", category="国有企业"),
    unit("Y2", "80", department="乙"),
]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("workers", [1, 2])
def test_nominees_at_most_two_per_department_ties_by_id(tmp_path: Path, backend: str, workers: int) -> None:
    batch = _catalog(tmp_path, NOMINATION, backend).evaluate_many(RECORDS, workers=workers)
    assert batch.nominees() == {
        "provincial": [
            ("J1", "rank 1 of 3 advanced in department = 甲"),
            ("J2", "rank 2 of 3 advanced in department = 甲"),
            ("Y1", "rank 1 of 1 advanced in department = 乙"),
        ]
    }
    j1 = next(r for r in batch.results if r.id == "J1")
    assert [(m.award, m.label) for m in j1.nominations] == [("provincial", "省级机关先进基层党组织")]
    assert "nominations" in j1.model_dump() and "nominations" not in batch.results[2].model_dump()


@pytest.mark.parametrize("backend", BACKENDS)
def test_nominations_follow_the_adjustments(tmp_path: Path, backend: str) -> None:
    # J1 adjusted down to standard: 甲 has J2, J4 (91, 91) advanced; both nominated, J2 first by id
    adjustment = {"id": "J1", "grade": "standard", "reason": "群众来信核实", "by": "机关党委"}
    batch = _catalog(tmp_path, NOMINATION, backend).evaluate_many(RECORDS, adjustments=[adjustment])
    assert batch.problems == []
    assert [i for i, _ in batch.nominees()["provincial"]] == ["J2", "J4", "Y1"]
    assert batch.nominees()["provincial"][1][1] == "rank 2 of 2 advanced in department = 甲"


def test_a_single_record_is_never_nominated(tmp_path: Path) -> None:
    result = _catalog(tmp_path, NOMINATION).evaluate(RECORDS[0])
    assert result.grade == "advanced" and result.nominations == []


@pytest.mark.parametrize(
    "line",
    [NOMINATION, "nomination city from advanced, standard at most 1 per category"],
)
def test_nominations_print_back_the_same(line: str) -> None:
    parsed = parse_source(SourceFile("c.ind", CATALOG.format(quota=line)))
    assert parsed.diagnostics == [] and parsed.module is not None
    printed = print_module(parsed.imports, parsed.module)
    assert line in " ".join(printed.split())  # a long line is broken before its condition
    again = parse_source(SourceFile("c.ind", printed))
    assert again.module == parsed.module


@pytest.mark.parametrize(
    ("line", "code", "message"),
    [
        ("nomination p from advancd at most 2 per department", "E211", "grade `advancd`"),
        ("nomination p from advanced at most 2 per departmnt", "E201", "`departmnt`, which is not a field"),
        ("nomination p from advanced at most 2 per department exclude when points", "E", "exclude when"),
    ],
)
def test_nomination_mistakes_are_diagnostics(tmp_path: Path, line: str, code: str, message: str) -> None:
    with pytest.raises(RulesetError) as raised:
        _catalog(tmp_path, line)
    found = [d for d in raised.value.diagnostics if d.code.startswith(code) and message in d.message]
    assert len(found) == 1, raised.value.diagnostics


def test_explain_names_the_award_and_the_rule(tmp_path: Path) -> None:
    batch = _catalog(tmp_path, NOMINATION).evaluate_many(RECORDS, trace=True)
    text = explain(next(r for r in batch.results if r.id == "Y1"))
    assert "推荐 nominated: 省级机关先进基层党组织 (provincial) — rank 1 of 1 advanced in department = 乙" in text


@pytest.mark.parametrize("workers", ["1", "2"])
def test_streamed_cli_results_keep_the_nominees(tmp_path: Path, workers: str) -> None:
    # streamed: nominees are chosen from the standings after pass one, and their records are
    # finished again in pass two with their nominations, like the records a quota moved
    catalog = _catalog(tmp_path, NOMINATION)
    records = tmp_path / "records.jsonl"
    records.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in RECORDS), encoding="utf-8")
    out = tmp_path / "results.jsonl"
    done = run_ind("eval", catalog.origin.source, records, "--format", "jsonl", "--out", out, "--workers", workers)
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in lines if r.get("nominations")] == ["J1", "J2", "Y1"]
    in_memory = catalog.evaluate_many(RECORDS)
    expected = {r.id: [n.model_dump(mode="json") for n in r.nominations] for r in in_memory.results}
    assert {r["id"]: r.get("nominations", []) for r in lines} == expected
    assert [r["grade"] for r in lines] == [r.grade for r in in_memory.results]
