"""Properties over generated records (hypothesis): the compiled plan agrees with the reference
interpreter, scores stay within their bounds, deductions per shortfall are monotone, batches and quotas
do not depend on record order, and a pickled compiled backend gives the same results.

Example counts are modest so the file runs well under a minute.
"""

from __future__ import annotations

import copy
import datetime
import pickle
import random
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from backend_agreement import (
    CONTEXTS,
    FIXTURE_RULESETS,
    JIANGSU_RULESETS,
    ROOT,
    batch,
    caller_context,
    one,
    records_for,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import SPEC_EXAMPLES, project_with

import indicator_dsl
from indicator_dsl.api import Ruleset
from indicator_dsl.evaluate.engine import Engine

HERE = Path(__file__).resolve().parent
RULESETS = HERE / "eval_fixtures" / "rulesets"
SPEC_RULESETS = SPEC_EXAMPLES / "rulesets"
D = Decimal
# hypothesis writes its failure report through a module that warns on import; keep failures readable
pytestmark = pytest.mark.filterwarnings("ignore:mypy_extensions.TypedDict is deprecated:DeprecationWarning")
FIXTURE_NAMES = [
    "shapes",
    "applies",
    "weighted",
    "uncapped",
    "judged",
    "grading",
    "errors",
    "rounding",
    "combine",
    "scopes",
    "judged_applies",
]
SETTINGS = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@cache
def load(path: Path, backend: str) -> Ruleset:
    rs = indicator_dsl.load(path, backend=backend)
    assert isinstance(rs, Ruleset)
    return rs


def spec(name: str, backend: str = "compiled") -> Ruleset:
    return load(SPEC_RULESETS / f"{name}.ind", backend)


def fixture(name: str, backend: str = "compiled") -> Ruleset:
    return load(RULESETS / f"{name}.ind", backend)


def figures(result: Any) -> dict[str, Any]:
    data: dict[str, Any] = result.model_dump(mode="json")
    data.pop("trace", None)
    return data


# ---------------------------------------------------------------- strategies


def dates(start: datetime.date, end: datetime.date) -> st.SearchStrategy[str]:
    return st.dates(min_value=start, max_value=end).map(lambda d: d.isoformat())


def decimals(low: str, high: str, places: int = 3) -> st.SearchStrategy[Any]:
    number = st.decimals(min_value=D(low), max_value=D(high), places=places, allow_nan=False, allow_infinity=False)
    # records carry decimals as JSON numbers (Decimal after exact parsing), as numeric strings, or as ints
    return st.one_of(number, number.map(str), st.integers(min_value=int(D(low)), max_value=int(D(high))))


AROUND_2023 = dates(datetime.date(2022, 9, 1), datetime.date(2024, 2, 28))
MEETING_KINDS = ["支部党员大会", "支委会", "党小组会", "党课", "主题党日", "组织生活会"]
HONORS = ["模范机关建设先进单位", "模范机关建设优秀案例", "其他表彰"]

meeting = st.fixed_dictionaries(
    {"kind": st.sampled_from(MEETING_KINDS), "held_on": AROUND_2023},
    optional={"attendance": st.one_of(st.none(), decimals("0", "1")), "by_secretary": st.booleans()},
)


def good_sheet(names_max: dict[str, int]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({name: decimals("0", str(top), places=3) for name, top in names_max.items()})


def any_sheet(names_max: dict[str, int]) -> st.SearchStrategy[dict[str, Any]]:
    """Mostly good sheets; now and then a score above the max or a missing one (a per-record error)."""
    odd = st.fixed_dictionaries(
        {}, optional={name: decimals("0", str(top + 2), places=1) for name, top in names_max.items()}
    )
    good = good_sheet(names_max)
    return st.one_of(good, good, good, odd)


def branches(sheet: Any) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {
            "id": st.text(alphabet="ABCDEFGH0123456789", min_size=1, max_size=6),
            "department": st.sampled_from(["省发展改革委", "省财政厅", "省教育厅"]),
            "category": st.sampled_from(
                ["党政机关", "国有企业", "事业单位", "高等学校", "公立医院", "科研院所", "社会组织", "离退休干部"]
            ),
            "members": st.integers(min_value=0, max_value=40),
            "committee_size": st.integers(min_value=0, max_value=9),
            "meetings": st.lists(meeting, max_size=30),
            "dues_on_time": decimals("0", "1.05", places=3),
            "secretary_trained": st.booleans(),
            "sheets": st.fixed_dictionaries(
                {"self": sheet({"records": 15, "venue": 15}), "superior": sheet({"records": 15, "venue": 15})}
            ),
        },
        optional={
            "last_election": st.one_of(st.none(), dates(datetime.date(2018, 1, 1), datetime.date(2024, 6, 30))),
            "serious_violations": st.integers(min_value=0, max_value=2),
            "honors": st.lists(st.sampled_from(HONORS), max_size=3, unique=True),
            "survey_satisfaction": st.one_of(st.none(), decimals("0", "1", places=4)),
        },
    )


branch = branches(any_sheet)  # sometimes a sheet error: both backends must report it alike
good_branch = branches(good_sheet)

UNIT_KINDS = ["支部党员大会", "支委会", "党课", "主题党日"]
unit_meeting = st.fixed_dictionaries(
    {"kind": st.sampled_from(UNIT_KINDS), "held_on": AROUND_2023},
    optional={"hours": decimals("0", "4", places=1), "by_secretary": st.booleans()},
)
activity = st.fixed_dictionaries(
    {"name": st.sampled_from(["甲", "乙", "丙"])},
    optional={"reported": st.booleans(), "points": decimals("0", "10", places=2)},
)
student = st.fixed_dictionaries(
    {"name": st.just("学员")},
    optional={
        "courses": st.lists(st.fixed_dictionaries({"mark": st.integers(min_value=0, max_value=100)}), max_size=3)
    },
)

unit = st.fixed_dictionaries(
    {
        "id": st.text(alphabet="UVWXYZ0123456789", min_size=1, max_size=6),
    },
    optional={
        "department": st.sampled_from(["甲", "乙"]),
        "category": st.sampled_from(["党政机关", "国有企业", "离退休干部"]),
        "founded_on": dates(datetime.date(2021, 1, 1), datetime.date(2024, 1, 31)),
        "last_election": st.one_of(st.none(), dates(datetime.date(2019, 1, 1), datetime.date(2024, 6, 30))),
        "secretary_rating": st.sampled_from(["好", "较好", "一般", "差"]),
        "meetings": st.lists(unit_meeting, max_size=12),
        "activities": st.lists(activity, max_size=6),
        "students": st.lists(student, max_size=3),
        "lesson_attendance": decimals("0", "1", places=2),
        "systems": st.lists(
            st.sampled_from(["组织生活", "学习", "议事规则", "谈心谈话", "党务公开", "其他"]), max_size=6, unique=True
        ),
        "activist_ratio": decimals("0", "1", places=3),
        "has_party_cadre": st.booleans(),
        "honors": st.lists(st.sampled_from(["优秀", "先进", "先进基层党组织", "通报批评"]), max_size=3, unique=True),
        "violations": st.integers(min_value=0, max_value=2),
        "major_accidents": st.integers(min_value=0, max_value=2),
        "survey_satisfaction": st.one_of(st.none(), decimals("0", "1", places=3)),
        "points": st.one_of(decimals("0", "100", places=3), decimals("85", "100", places=3)),
        "extra": decimals("-20", "20", places=2),
        "x": decimals("-50", "50", places=2),
        "n": st.integers(min_value=0, max_value=5),
        "e": st.one_of(st.integers(min_value=-3, max_value=12), decimals("-3", "12", places=1)),
        "scores": st.lists(decimals("-5", "5", places=2), max_size=4),
    },
)

UNIT_SHEETS: dict[str, Any] = {
    "judged": st.fixed_dictionaries(
        {
            "self": st.fixed_dictionaries(
                {
                    "records": decimals("0", "10"),
                    "venue": st.fixed_dictionaries(
                        {"score": decimals("0", "10"), "reason": st.sampled_from(["好", "达标"])}
                    ),
                }
            ),
            "superior": st.fixed_dictionaries(
                {
                    "records": decimals("0", "10"),
                    "innovation": decimals("0", "5"),
                    "venue": st.fixed_dictionaries({"score": decimals("0", "10"), "reason": st.just("说明")}),
                }
            ),
        }
    ),
    "rounding": st.fixed_dictionaries({"table": st.fixed_dictionaries({"assessed": decimals("0", "60", places=4)})}),
    "judged_applies": st.fixed_dictionaries(
        {"table": st.fixed_dictionaries({}, optional={"venue": decimals("0", "11", places=2)})}
    ),
}


judged_entry = st.one_of(
    decimals("0", "12", places=2),
    st.fixed_dictionaries(
        {"score": decimals("0", "12", places=2)}, optional={"reason": st.sampled_from(["", " ", "说明"])}
    ),
    st.just("abc"),
    st.fixed_dictionaries(
        {"correct": decimals("0", "12", places=2)},
        optional={"reason": st.sampled_from(["", "台账核实"]), "evidence": st.sampled_from([[], ["p.3"], "p.3"])},
    ),
)
# anything a hand-filled sheet may hold: missing, unknown or misplaced names, out-of-range scores, no reason
wild_sheets = st.one_of(
    st.none(),
    st.just(["not", "a", "sheet"]),
    st.dictionaries(
        st.sampled_from(["self", "superior", "survey", "auditor"]),
        st.dictionaries(
            st.sampled_from(["records", "innovation", "venue", "computed", "nonsense"]), judged_entry, max_size=5
        ),
        max_size=4,
    ),
)


def unit_for(name: str) -> st.SearchStrategy[dict[str, Any]]:
    if name not in UNIT_SHEETS:
        return unit
    sheets = st.one_of(UNIT_SHEETS[name], wild_sheets) if name == "judged" else UNIT_SHEETS[name]
    return st.tuples(unit, sheets).map(lambda pair: {**pair[0], "sheets": pair[1]})


# ---------------------------------------------------------------- compiled == interpreted


@pytest.mark.parametrize("name", ["party_gov", "finance"])
@SETTINGS
@given(records=st.lists(branch, min_size=1, max_size=6))
def test_compiled_equals_interpreted_on_the_spec_rulesets(name: str, records: list[dict[str, Any]]) -> None:
    compiled, interpreted = spec(name), spec(name, "interpreted")
    for record in records:
        assert figures(compiled.evaluate(record)) == figures(interpreted.evaluate(record))
        assert figures(compiled.evaluate(record, trace=True)) == figures(interpreted.evaluate(record))
    batch_c = [figures(r) for r in compiled.evaluate_many(records)]
    batch_i = [figures(r) for r in interpreted.evaluate_many(records)]
    assert batch_c == batch_i


AGREEMENT_PATHS = [*JIANGSU_RULESETS, *FIXTURE_RULESETS]


def _id(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


@pytest.mark.parametrize("context", sorted(CONTEXTS))
@pytest.mark.parametrize("path", AGREEMENT_PATHS, ids=_id)
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_compiled_equals_interpreted_including_traces(path: Path, context: str, data: st.DataObject) -> None:
    """The whole Result (figures, grade steps, trace) is the same on both backends, whatever
    decimal context the caller has set, and the same as under the exact context."""
    records = data.draw(st.lists(records_for(path), min_size=1, max_size=3))
    for record in records:
        for trace in (False, True):
            with caller_context("exact"):
                reference = one(path, "interpreted", record, trace=trace)
            with caller_context(context):
                assert one(path, "compiled", record, trace=trace) == reference
                assert one(path, "interpreted", record, trace=trace) == reference
    with caller_context(context):
        assert batch(path, "compiled", records, trace=True) == batch(path, "interpreted", records, trace=True)


# ---------------------------------------------------------------- bounds


def assert_within_bounds(rs: Ruleset, result: Any) -> None:
    if result.errors:
        return
    plan = rs.engine.plan
    for source in result.sources.values():
        if "indicators" not in source:
            continue
        for info in plan.indicators:
            value = source["indicators"][info.name]
            if value is None:
                continue
            assert value >= 0, (info.name, value)
            if not info.uncapped:
                assert value <= info.max, (info.name, value)
    assert result.total is not None and result.total >= 0


@pytest.mark.parametrize("name", ["party_gov", "finance"])
@SETTINGS
@given(record=good_branch)
def test_spec_indicators_within_bounds(name: str, record: dict[str, Any]) -> None:
    rs = spec(name)
    result = rs.evaluate(record)
    assert result.errors == []
    assert_within_bounds(rs, result)
    # a table is at most its total (no uncapped indicator here) and bonus at most 5
    for source in ("self", "superior"):
        assert D(0) <= result.sources[source]["table"] <= D(100)
    assert result.bonus <= D(5)
    assert result.total <= D(105)


@pytest.mark.parametrize("name", FIXTURE_NAMES)
@SETTINGS
@given(data=st.data())
def test_fixture_indicators_within_bounds(name: str, data: st.DataObject) -> None:
    rs = fixture(name)
    assert_within_bounds(rs, rs.evaluate(data.draw(unit_for(name))))


# ---------------------------------------------------------------- monotone deductions per shortfall


@pytest.mark.parametrize(("indicator", "kind"), [("member_meeting", "支部党员大会"), ("committee_meeting", "支委会")])
@SETTINGS
@given(record=good_branch, held_on=AROUND_2023)
def test_one_more_matching_meeting_never_lowers_a_deduct_per_indicator(
    indicator: str, kind: str, record: dict[str, Any], held_on: str
) -> None:
    for name in ("party_gov", "finance"):
        rs = spec(name)
        before = rs.evaluate(record).sources["superior"]["indicators"][indicator]
        more = {**record, "meetings": [*record["meetings"], {"kind": kind, "held_on": held_on}]}
        after = rs.evaluate(more).sources["superior"]["indicators"][indicator]
        assert after >= before


@SETTINGS
@given(record=unit, held_on=AROUND_2023)
def test_one_more_meeting_never_lowers_the_frequency_band(record: dict[str, Any], held_on: str) -> None:
    rs = fixture("shapes")
    before = rs.evaluate(record)
    more = {**record, "meetings": [*record.get("meetings", []), {"kind": "支部党员大会", "held_on": held_on}]}
    after = rs.evaluate(more)
    assert after.sources["table"]["indicators"]["frequency"] >= before.sources["table"]["indicators"]["frequency"]


# ---------------------------------------------------------------- order independence


@SETTINGS
@given(records=st.lists(branch, min_size=2, max_size=12), seed=st.integers(min_value=0, max_value=2**32 - 1))
def test_spec_batches_do_not_depend_on_order(records: list[dict[str, Any]], seed: int) -> None:
    records = [{**r, "id": f"B{i:03d}"} for i, r in enumerate(records)]
    rs = spec("party_gov")
    reference = {r.id: figures(r) for r in rs.evaluate_many(records)}
    shuffled = list(records)
    random.Random(seed).shuffle(shuffled)
    batch = rs.evaluate_many(shuffled)
    assert [r.id for r in batch.results] == [r["id"] for r in shuffled]
    assert {r.id: figures(r) for r in batch.results} == reference


@SETTINGS
@given(records=st.lists(unit, min_size=2, max_size=15), seed=st.integers(min_value=0, max_value=2**32 - 1))
def test_quota_batches_do_not_depend_on_order(
    tmp_path_factory: pytest.TempPathFactory, records: list[dict[str, Any]], seed: int
) -> None:
    rs = quota_fixture(tmp_path_factory)
    records = [{**r, "id": f"U{i:03d}"} for i, r in enumerate(records)]
    reference = {r.id: figures(r) for r in rs.evaluate_many(records)}
    shuffled = list(records)
    random.Random(seed).shuffle(shuffled)
    assert {r.id: figures(r) for r in rs.evaluate_many(shuffled)} == reference


_QUOTA: list[Ruleset] = []


def quota_fixture(tmp_path_factory: pytest.TempPathFactory) -> Ruleset:
    """grading.ind plus quotas of every kind, in a temporary copy beside the schema."""
    if not _QUOTA:
        text = (RULESETS / "grading.ind").read_text(encoding="utf-8")
        text = text.replace('import "../schema/unit.ind"', 'import "unit.ind"')
        text += (
            "\nquota five_star at most 30% within department ties demote\n"
            "quota four_star at most 40% ties admit\n"
            'quota one_star at least 20% where category != "离退休干部" ties demote\n'
            "quota two_star at least 10% within category ties admit\n"
        )
        folder = project_with(tmp_path_factory.mktemp("quota_props"), RULESETS.parent / "schema" / "unit.ind")
        path = folder / "quota_grading.ind"
        path.write_text(text, encoding="utf-8")
        _QUOTA.append(load(path, "compiled"))
    return _QUOTA[0]


# ---------------------------------------------------------------- pickled backend


def with_unpickled_backend(rs: Ruleset) -> Ruleset:
    engine = rs.engine
    backend = pickle.loads(pickle.dumps(engine.backend))
    assert backend is not engine.backend
    clone = copy.copy(rs)
    object.__setattr__(clone, "engine", Engine(engine.plan, backend, engine.traced, engine.models))
    return clone


@SETTINGS
@given(records=st.lists(branch, min_size=1, max_size=6))
def test_pickled_compiled_backend_gives_equal_results(records: list[dict[str, Any]]) -> None:
    for name in ("party_gov", "finance"):
        rs = spec(name)
        again = with_unpickled_backend(rs)
        assert [figures(r) for r in again.evaluate_many(records)] == [figures(r) for r in rs.evaluate_many(records)]


@pytest.mark.parametrize("name", FIXTURE_NAMES)
@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_pickled_fixture_backend_gives_equal_results(name: str, data: st.DataObject) -> None:
    rs = fixture(name)
    again = with_unpickled_backend(rs)
    records = data.draw(st.lists(unit_for(name), min_size=1, max_size=4))
    assert [figures(r) for r in again.evaluate_many(records)] == [figures(r) for r in rs.evaluate_many(records)]
