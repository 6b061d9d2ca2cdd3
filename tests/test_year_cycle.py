"""The year cycle: the period as a parameter, in-year (as-of) runs, history(N) and rectification."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from support import EVAL_RULESETS, run_ind

import indicator_dsl
from indicator_dsl.evaluate.period import PeriodError
from indicator_dsl.evaluate.rectification import read_rectification_file
from indicator_dsl.semantics.calendar import cut, months_with, quarters_with

D = Decimal
FIXTURE = EVAL_RULESETS / "history.ind"
BACKENDS = ("compiled", "interpreted")
# two earlier years: a 五星 two years running, a 二星 last year, a 一星 two years running
LAST_YEAR = [
    {"id": "a", "grade": "five_star", "total": "91.00"},
    {"id": "b", "grade": "two_star", "total": "65.00"},
    {"id": "d", "grade": "one_star", "total": "50.00"},
]
YEAR_BEFORE = [{"id": "a", "grade": "five_star", "total": "92.00"}, {"id": "d", "grade": "one_star", "total": "40.00"}]


def meetings(*items: tuple[str, str]) -> list[dict[str, str]]:
    return [{"kind": kind, "held_on": day} for kind, day in items]


JUNE_RECORD = {
    "id": "j",
    "points": 60,
    "meetings": meetings(
        ("支委会", "2023-01-05"), ("支委会", "2023-03-05"), ("支委会", "2023-06-10"),
        ("支部党员大会", "2023-02-05"), ("党课", "2023-05-20"), ("党课", "2023-07-01"),
    ),
}  # fmt: skip


def load(backend: str, **params: Any) -> indicator_dsl.Ruleset:
    rs = indicator_dsl.load(FIXTURE, backend=backend, **params)
    assert isinstance(rs, indicator_dsl.Ruleset)
    return rs


def indicators(result: Any) -> dict[str, str]:
    return {k: str(v) for k, v in result.sources["table"]["indicators"].items()}


# ---------------------------------------------------------------- the calendar as of a day


def test_cut_counts_only_units_already_over() -> None:
    start, end = datetime.date(2026, 1, 1), datetime.date(2026, 12, 31)
    june_15, june_30 = datetime.date(2026, 6, 15), datetime.date(2026, 6, 30)
    assert cut(start, end, june_15, 1) == cut(start, end, datetime.date(2026, 5, 31), 1)
    assert (cut(start, end, june_15, 1).due, cut(start, end, june_15, 1).open) == (5, 7)
    assert (cut(start, end, june_30, 1).due, cut(start, end, june_30, 1).open) == (6, 6)
    assert (cut(start, end, june_15, 3).due, cut(start, end, june_15, 3).open) == (1, 3)
    assert (cut(start, end, june_30, 3).due, cut(start, end, june_30, 3).open) == (2, 2)
    assert cut(start, end, datetime.date(2026, 1, 20), 1).due == 0
    assert cut(start, end, datetime.date(2027, 3, 1), 1) == cut(start, end, end, 1)


def test_a_month_not_yet_due_counts_as_kept() -> None:
    start, end = datetime.date(2026, 1, 1), datetime.date(2026, 12, 31)
    held = [datetime.date(2026, 1, 9), datetime.date(2026, 3, 9), datetime.date(2026, 6, 9)]
    # as of June 15: Jan and Mar of the five months due, June (in progress) and Jul-Dec not yet due
    assert months_with(held, start, end, datetime.date(2026, 6, 15)) == 2 + 7
    assert months_with(held, start, end, datetime.date(2026, 6, 30)) == 3 + 6
    assert months_with(held, start, end, end) == 3
    assert quarters_with(held, start, end, datetime.date(2026, 6, 30)) == 2 + 2


@pytest.mark.parametrize("backend", BACKENDS)
def test_june_as_of_run_counts_only_the_months_and_quarters_due(backend: str) -> None:
    june_15 = load(backend, as_of="2023-06-15").evaluate(JUNE_RECORD)
    # 支委会: Jan, Mar held of Jan-May due: 3 missed; 党员大会: Q1 held; 党课 by June 15: one (July's not yet)
    assert indicators(june_15) == {
        "p": "60.00", "monthly": "9.00", "quarterly": "8.00", "lessons": "2.00", "gap": "4.00", "steady": "0.00",
    }  # fmt: skip
    assert june_15.ruleset.as_of == datetime.date(2023, 6, 15)
    june_30 = load(backend, as_of="2023-06-30").evaluate(JUNE_RECORD)
    # Jun is due now and held (3 of 6); Q2 is due and has no 党员大会
    assert indicators(june_30)["monthly"] == "9.00" and indicators(june_30)["quarterly"] == "6.00"
    year_end = load(backend).evaluate(JUNE_RECORD)
    # the whole year: 9 months missed, 3 quarters missed, two 党课, Jul-Dec without meetings
    assert indicators(year_end) == {
        "p": "60.00", "monthly": "3.00", "quarterly": "2.00", "lessons": "4.00", "gap": "0.00", "steady": "0.00",
    }  # fmt: skip
    assert year_end.ruleset.as_of is None
    assert "as_of" not in year_end.model_dump(mode="json")["ruleset"]


# ---------------------------------------------------------------- the period as a parameter


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_period_is_a_parameter_of_the_evaluation(backend: str) -> None:
    record = {"id": "y", "points": 60, "meetings": meetings(*(("支委会", f"2026-{m:02d}-03") for m in range(1, 13)))}
    declared = load(backend).evaluate(record)  # the ruleset's own 2023: no 2026 meeting counts
    assert indicators(declared)["monthly"] == "0.00"
    assert declared.ruleset.period is None
    year_2026 = load(backend, period=2026).evaluate(record)
    assert indicators(year_2026)["monthly"] == "12.00"
    assert year_2026.ruleset.period == "2026-01-01..2026-12-31"
    assert year_2026.model_dump(mode="json")["ruleset"]["period"] == "2026-01-01..2026-12-31"
    first_half = load(backend, period="2026-01-01..2026-06-30").evaluate(record)
    assert indicators(first_half)["monthly"] == "6.00"  # a six-month period: 6 held, 6 "missing" of 12


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"period": "twenty"}, "a period is a year (2026) or FIRST..LAST"),
        ({"period": "2026-12-31..2026-01-01"}, "the period starts (2026-12-31) after it ends (2026-01-01)"),
        ({"as_of": "June"}, "as_of is a date (2026-06-30), not 'June'"),
        ({"period": 2026, "as_of": "2025-12-31"}, "as of 2025-12-31 is before the period starts (2026-01-01)"),
    ],
)
def test_a_period_or_as_of_day_it_cannot_use_is_refused(params: dict[str, Any], message: str) -> None:
    with pytest.raises(PeriodError, match=message.replace("(", r"\(").replace(")", r"\)")):
        indicator_dsl.load(FIXTURE, **params)


# ---------------------------------------------------------------- history(N)


@pytest.mark.parametrize("backend", BACKENDS)
def test_history_facts_come_from_earlier_results_by_id(backend: str) -> None:
    rs = load(backend, history=[LAST_YEAR, YEAR_BEFORE])
    record = {"points": 60, "meetings": meetings(*(("支委会", f"2023-{m:02d}-03") for m in range(1, 13)))}
    results = {rid: rs.evaluate({**record, "id": rid}) for rid in ("a", "b", "c", "d")}
    steady = {rid: indicators(r)["steady"] for rid, r in results.items()}
    # a: found, 91 >= 80, 五星 two years running; b: found; c: no history; d: found
    assert steady == {"a": "10.00", "b": "4.00", "c": "0.00", "d": "4.00"}
    # 60 points + 12 monthly + 4 no long gap + steady
    assert {rid: str(r.total) for rid, r in results.items()} == {"a": "86.00", "b": "80.00", "c": "76.00", "d": "80.00"}
    # b was 二星 and has no rectification fact: capped at 三星; d 一星 two years running: capped at 二星
    assert {rid: r.grade for rid, r in results.items()} == {
        "a": "four_star", "b": "three_star", "c": "three_star", "d": "two_star",
    }  # fmt: skip
    assert results["b"].vetoes == ["unrectified"] and results["d"].vetoes == ["twice_low"]
    assert results["a"].outcomes == {"rose": D("-5.00"), "first_year": False}
    assert results["c"].outcomes == {"rose": None, "first_year": True}


def test_history_reads_are_in_the_trace() -> None:
    result = load("compiled", history=[LAST_YEAR]).evaluate({"id": "a", "points": 75}, trace=True)
    reads = {k: v for t in result.trace or [] if t.indicator == "steady" for k, v in t.reads.items()}
    assert reads == {"history(1).found": True, "history(1).total": D("91.00"), "back_to_back": False}


def test_history_files_with_bad_lines_keep_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "results-2022.jsonl"
    lines = [json.dumps(LAST_YEAR[0]), "{not json", json.dumps({"grade": "one_star"}), json.dumps(LAST_YEAR[0])]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    rs = load("compiled", history=[path])
    assert rs.history is not None
    assert len(rs.history.problems) == 3
    assert "line 2" in rs.history.problems[0]
    assert rs.history.problems[1:] == (
        f"{path} item 3: a result without an id is not history",
        f"{path} item 4: id a has an earlier result in this file",
    )
    assert indicators(rs.evaluate({"id": "a", "points": 0}))["steady"] == "7.00"  # one year: not two running


# ---------------------------------------------------------------- rectification

ITEMS = [
    # b: both items signed off in time: rectified
    {"id": "R1", "branch": "b", "issue": "三会一课不规范", "indicator": "monthly", "leader": "王处长",
     "deadline": "2023-04-30", "status": "已完成", "signed_off": "2023-04-20", "evidence": ["会议记录"]},
    {"id": "R2", "branch": "b", "issue": "党费收缴不及时", "leader": "王处长",
     "deadline": "2023-05-31", "status": "已完成", "signed_off": "2023-05-31"},
    # e: one signed off late, one still open: not rectified, the open one overdue
    {"id": "R3", "branch": "e", "issue": "阵地建设滞后", "leader": "李主任",
     "deadline": "2023-03-31", "status": "已完成", "signed_off": "2023-04-15"},
    {"id": "R4", "branch": "e", "issue": "书记未参加轮训", "indicator": "p", "leader": "李主任",
     "deadline": "2023-05-15", "status": "整改中"},
    # bad items: a missing leader, a bad status, a bad date
    {"id": "R5", "branch": "f", "issue": "x", "deadline": "2023-05-15", "status": "已完成"},
    {"id": "R6", "branch": "f", "issue": "x", "leader": "赵", "deadline": "2023-05-15", "status": "完成了"},
    {"id": "R7", "branch": "f", "issue": "x", "leader": "赵", "deadline": "5月15日", "status": "整改中"},
]  # fmt: skip


def write_items(tmp_path: Path) -> Path:
    path = tmp_path / "rectification-2022.jsonl"
    path.write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in ITEMS), encoding="utf-8")
    return path


def test_rectification_items_are_validated_and_the_rest_read(tmp_path: Path) -> None:
    path = write_items(tmp_path)
    found = read_rectification_file(path)
    assert [i.id for i in found.items] == ["R1", "R2", "R3", "R4"]
    assert len(found.problems) == 3
    assert found.problems[0] == f"{path} line 5 (id R5): leader: Field required"
    assert found.problems[1].startswith(
        f"{path} line 6 (id R6): status: Input should be '未启动', '整改中' or '已完成'"
    )
    assert found.problems[2].startswith(f"{path} line 7 (id R7): deadline: Input should be a valid date")
    assert found.rectified() == {"b": True, "e": False}
    assert [i.id for i in found.overdue(datetime.date(2023, 6, 30))] == ["R4"]
    assert [i.id for i in found.overdue(datetime.date(2023, 4, 10))] == ["R3"]  # not signed off by then


@pytest.mark.parametrize("backend", BACKENDS)
def test_rectified_follows_from_the_items(tmp_path: Path, backend: str) -> None:
    last_year = [*LAST_YEAR, {"id": "e", "grade": "two_star", "total": "62.00"}]
    rs = load(backend, history=[last_year], rectification=write_items(tmp_path))
    record = {"points": 60, "meetings": meetings(*(("支委会", f"2023-{m:02d}-03") for m in range(1, 13)))}
    b, e = rs.evaluate({**record, "id": "b"}), rs.evaluate({**record, "id": "e"})
    # both 80.00, 四星 by the rules: b rectified every item in time, e did not
    assert (str(b.total), b.grade, b.vetoes) == ("80.00", "four_star", [])
    assert (str(e.total), e.grade, e.vetoes) == ("80.00", "three_star", ["unrectified"])
    without_items = load(backend, history=[last_year]).evaluate({**record, "id": "b"})
    assert without_items.vetoes == ["unrectified"]  # no items: no rectification fact, and the rule says `?? false`


def test_ind_rectification_lists_overdue_items(tmp_path: Path) -> None:
    path = write_items(tmp_path)
    done = run_ind("rectification", path, "--as-of", "2023-06-30")
    assert done.returncode == 1
    assert "逾期未销号 overdue: 1" in done.stdout
    assert "  e  R4  书记未参加轮训  挂钩 李主任  时限 2023-05-15 (逾期 46 天)  整改中  [p]" in done.stdout
    assert "4 项整改事项 items, 2 个支部 branches, 1 个已整改到位 rectified" in done.stdout
    assert done.stderr.count("ind rectification: ") == 3
    as_json = json.loads(run_ind("rectification", path, "--as-of", "2023-06-30", "--format", "json").stdout)
    assert [i["id"] for i in as_json["overdue"]] == ["R4"] and as_json["rectified"] == {"b": True, "e": False}


# ---------------------------------------------------------------- the CLI of one year


def test_ind_eval_with_history_period_and_as_of(tmp_path: Path) -> None:
    records = tmp_path / "records.jsonl"
    records.write_text(json.dumps({**JUNE_RECORD, "id": "a"}, ensure_ascii=False) + "\n", encoding="utf-8")
    history = tmp_path / "results-2022.jsonl"
    history.write_text("".join(json.dumps(r) + "\n" for r in LAST_YEAR), encoding="utf-8")
    args = ["eval", FIXTURE, records, "--as-of", "2023-06-15", "--history", history]
    out = run_ind(*args, "--format", "jsonl")
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["ruleset"]["as_of"] == "2023-06-15"
    assert result["sources"]["table"]["indicators"]["steady"] == "7.00"  # found, 91 >= 80, one year only
    explained = run_ind(*args, "--explain", "a").stdout
    assert "截至 as of 2023-06-15: 年度未结束,月度、季度要求只计已到期的月份和季度" in explained
    refused = run_ind("eval", FIXTURE, records, "--period", "2026", "--as-of", "2025-01-01")
    assert refused.returncode == 2
    assert "as of 2025-01-01 is before the period starts (2026-01-01)" in refused.stderr


# ---------------------------------------------------------------- ind compare


def result_row(rid: str, grade: str | None, total: str, version: str, steady: str) -> dict[str, Any]:
    return {
        "id": rid,
        "ruleset": {"name": "history", "version": version, "sha256": "x"},
        "grade": grade,
        "total": total,
        "sources": {"table": {"table": total, "indicators": {"steady": steady, "p": "60.00"}}},
        "errors": [],
    }


def test_ind_compare_counts_moves_and_names_both_versions(tmp_path: Path) -> None:
    before = [
        result_row("a", "four_star", "85.00", "2023.1", "4.00"),
        result_row("b", "two_star", "65.00", "2023.1", "0.00"),
        result_row("c", "three_star", "75.00", "2023.1", "4.00"),
        result_row("d", None, "0.00", "2023.1", "0.00"),
        result_row("e", "one_star", "50.00", "2023.1", "0.00"),
    ]
    after = [
        result_row("a", "five_star", "95.00", "2024.1", "10.00"),
        result_row("b", "two_star", "66.00", "2024.1", "4.00"),
        result_row("c", "two_star", "69.00", "2024.1", "0.00"),
        result_row("d", "one_star", "40.00", "2024.1", "4.00"),
        result_row("f", "one_star", "40.00", "2024.1", "0.00"),
    ]
    paths = []
    for name, rows in (("results-2023.jsonl", before), ("results-2024.jsonl", after)):
        paths.append(tmp_path / name)
        paths[-1].write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    records = tmp_path / "records-2024.jsonl"
    records.write_text(
        "".join(json.dumps({"id": i, "department": dep}) + "\n" for i, dep in zip("abcdf", "甲甲乙乙乙", strict=True)),
        encoding="utf-8",
    )
    done = run_ind(
        "compare", *paths, "--ruleset", FIXTURE, "--records", records, "--by", "department", "--format", "json"
    )
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["versions"] == {"before": ["history 2023.1"], "after": ["history 2024.1"]}
    assert data["grade_order"] == ["five_star", "four_star", "three_star", "two_star", "one_star"]
    assert (data["matched"], data["only_before"], data["only_after"]) == (4, 1, 1)
    # a up, b same, c down; d was exempt: no move
    assert data["movements"] == {"up": 1, "down": 1, "same": 1}
    assert data["groups"]["department"] == {
        "乙": {"up": 0, "down": 1, "same": 0},
        "甲": {"up": 1, "down": 0, "same": 1},
    }
    # steady over a, b, c: +6, +4, -4 -> mean +2; p unchanged is not listed
    assert data["indicators"] == [{"indicator": "table.steady", "mean_change": "2.00", "records": 3}]
    text = run_ind("compare", *paths).stdout
    assert "history 2023.1" in text and "history 2024.1" in text
    assert "升 up 1   降 down 1   持平 same 1" in text
    assert "(by mean total; give --ruleset for the ruleset's order)" in text


def test_workers_read_the_same_history_and_as_of_day() -> None:
    rs = load("compiled", as_of="2023-06-15", history=[LAST_YEAR, YEAR_BEFORE])
    records = [{**JUNE_RECORD, "id": rid} for rid in ("a", "b", "c", "d")] * 3
    alone = [r.model_dump(mode="json") for r in rs.evaluate_many(records).results]
    assert [r.model_dump(mode="json") for r in rs.evaluate_many(records, workers=2).results] == alone
    # a: 60 + 9 + 8 + 2 + 4 + 10; b capped (二星 last year, no rectification); d capped (一星 twice)
    assert [(r["total"], r["grade"]) for r in alone[:4]] == [
        ("93.00", "five_star"), ("87.00", "three_star"), ("83.00", "four_star"), ("87.00", "two_star"),
    ]  # fmt: skip
