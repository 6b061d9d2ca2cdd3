"""Records for any ruleset, drawn from its own schema, and one way to score them on either backend.

Used by the compiled == interpreted property tests: every shipped and fixture ruleset gets
records built from its record type (text fields drawn from the strings its sources mention,
so routes and `in` tests hit), sheets built from its judged indicators, and the comparison
covers the whole `Result` (figures, grade steps and trace) under several decimal contexts.
"""

from __future__ import annotations

import datetime
import decimal
import re
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

import indicator_dsl
from indicator_dsl.api import Catalog, Ruleset
from indicator_dsl.check.resolved import ResolvedCatalog, ResolvedRuleset
from indicator_dsl.check.resolver import Resolver
from indicator_dsl.semantics.arithmetic import EXACT
from indicator_dsl.syntax import nodes as n

ROOT = Path(__file__).resolve().parents[1]
JIANGSU = sorted((ROOT / "rulesets" / "jiangsu").rglob("*.ind"))
JIANGSU_RULESETS = [p for p in JIANGSU if "schema" not in p.parts]
FIXTURES = sorted((ROOT / "tests" / "eval_fixtures").rglob("*.ind"))
FIXTURE_RULESETS = [p for p in FIXTURES if "schema" not in p.parts and not p.name.endswith("_schema.ind")]

# The contexts a caller may have set: the default, a hostile one, and the engine's own.
HOSTILE = decimal.Context(prec=5, rounding=decimal.ROUND_DOWN, traps=[])
CONTEXTS = {"default": decimal.Context(), "hostile": HOSTILE, "exact": EXACT}


@contextmanager
def caller_context(name: str) -> Iterator[None]:
    with decimal.localcontext(CONTEXTS[name].copy()):
        yield


@cache
def model(path: Path, backend: str) -> Ruleset | Catalog:
    if path.name == "history.ind":  # the year-cycle fixture: in-year, with two earlier years
        return indicator_dsl.load(path, backend=backend, as_of="2023-06-15", history=history_years(path))
    return indicator_dsl.load(path, backend=backend)


def history_years(path: Path) -> list[list[dict[str, Any]]]:
    """Two earlier years of results for the ids records are drawn with (the ruleset's strings and
    short texts), with every grade, totals, exempt and absent records, and rectification facts."""
    ids = [*strings_in(path), "a", "b", "甲", "ab"]
    grades = next(iter(r.grade_names for r in rulesets_of(path)))
    years: list[list[dict[str, Any]]] = []
    for back in (1, 2):
        years.append(
            [
                {
                    "id": rid,
                    "grade": grades[(k + back) % len(grades)],
                    "total": str(55 + (k * 7 + back) % 45),
                    "exempt": k % 5 == 4,
                }
                for k, rid in enumerate(ids)
                if (k + back) % 3
            ]
        )
    return years


@cache
def resolved(path: Path) -> ResolvedRuleset | ResolvedCatalog:
    result = Resolver().resolve_path(path, str(path))
    assert isinstance(result, (ResolvedRuleset, ResolvedCatalog))
    return result


def rulesets_of(path: Path) -> list[ResolvedRuleset]:
    r = resolved(path)
    return list(r.rulesets.values()) if isinstance(r, ResolvedCatalog) else [r]


def strings_in(path: Path) -> list[str]:
    texts = [s.text for ruleset in rulesets_of(path) for s in ruleset.sources]
    if isinstance(resolved(path), ResolvedCatalog):
        texts.append(resolved(path).source.text)
    found = {m for text in texts for m in re.findall(r'"([^"\n]{1,20})"', text)}
    return sorted(found - {""}) or ["x"]


def decimals(low: str, high: str, places: int) -> st.SearchStrategy[Any]:
    number = st.decimals(
        min_value=Decimal(low), max_value=Decimal(high), places=places, allow_nan=False, allow_infinity=False
    )
    return st.one_of(number, number.map(str))


NUMBERS = st.one_of(
    decimals("0", "1", 3), decimals("-5", "120", 2), st.integers(min_value=0, max_value=10000), decimals("0", "9", 1)
)
INTS = st.one_of(st.integers(min_value=0, max_value=14), st.integers(min_value=-3, max_value=200))


def value_of(ref: n.TypeRef, ruleset: ResolvedRuleset, strings: list[str], depth: int = 0) -> st.SearchStrategy[Any]:
    if isinstance(ref, n.OptionalType):
        return st.one_of(st.none(), value_of(ref.inner, ruleset, strings, depth))
    if isinstance(ref, n.EnumType):
        return st.sampled_from(ref.members)
    if isinstance(ref, n.ListType):
        item = value_of(ref.item, ruleset, strings, depth + 1)
        return st.lists(item, max_size=14 if depth == 0 else 3)
    name = ref.name
    if name in ruleset.types:
        return record_of(ruleset.types[name], ruleset, strings, depth + 1)
    if name == "text":
        return st.one_of(st.sampled_from(strings), st.text(alphabet="ab甲", max_size=2))
    if name == "int":
        return INTS
    if name == "decimal":
        return NUMBERS
    if name == "bool":
        return st.booleans()
    if name == "date":
        start, end = datetime.date(2022, 6, 1), datetime.date(2024, 6, 30)
        return st.dates(min_value=start, max_value=end).map(lambda d: d.isoformat())
    raise AssertionError(f"no strategy for type {name}")


def record_of(decl: n.TypeDecl, ruleset: ResolvedRuleset, strings: list[str], depth: int) -> st.SearchStrategy[Any]:
    required = {f.name: value_of(f.type, ruleset, strings, depth) for f in decl.fields if f.default is None}
    optional = {f.name: value_of(f.type, ruleset, strings, depth) for f in decl.fields if f.default is not None}
    return st.fixed_dictionaries(required, optional=optional)


def sheets_of(ruleset: ResolvedRuleset) -> st.SearchStrategy[Any]:
    """Mostly complete sheets with scores in range; now and then one with a score out of range,
    missing or without its reason, so both scored records and per-record sheet errors are drawn;
    and now and then a table source correcting computed indicators (`{"correct": ...}`), in or
    out of range, with or without its reason."""
    sources = [s.name for s in ruleset.assess.sources if s.value is None] if ruleset.assess else ["table"]
    good: dict[str, dict[str, st.SearchStrategy[Any]]] = {s: {} for s in sources}
    odd: dict[str, dict[str, st.SearchStrategy[Any]]] = {s: {} for s in sources}
    computed: dict[str, st.SearchStrategy[Any]] = {}
    for table_ind in ruleset.indicators():
        judged = next((c for c in table_ind.node.clauses if isinstance(c, n.Judged)), None)
        top = table_ind.node.max.value
        if judged is None:
            if not any(isinstance(c, n.Adjust) for c in table_ind.node.clauses):
                computed[table_ind.node.name] = st.fixed_dictionaries(
                    {"correct": st.one_of(decimals("0", str(top), 2), decimals("0", str(top + 2), 1))},
                    optional={"reason": st.sampled_from(["台账核实", " "]), "evidence": st.just(["台账 p.12"])},
                )
            continue
        fine, wild = decimals("0", str(top), 2), decimals("0", str(top + 2), 1)
        if judged.reason_required:
            fine = st.fixed_dictionaries({"score": fine, "reason": st.just("说明")})
            wild = st.fixed_dictionaries({"score": wild}, optional={"reason": st.sampled_from(["说明", " "])})
        for source in [judged.by] if judged.by else sources:
            good[source][table_ind.node.name] = fine
            odd[source][table_ind.node.name] = wild
    complete = st.fixed_dictionaries({s: st.fixed_dictionaries(e) for s, e in good.items() if e})
    partial = st.fixed_dictionaries({s: st.fixed_dictionaries({}, optional=e) for s, e in odd.items() if e})
    if not computed:
        return st.one_of(complete, complete, complete, complete, complete, partial)
    corrections = st.fixed_dictionaries({}, optional={s: st.fixed_dictionaries({}, optional=computed) for s in sources})
    corrected = st.tuples(complete, corrections).map(
        lambda pair: {s: {**pair[0].get(s, {}), **pair[1].get(s, {})} for s in {*pair[0], *pair[1]}}
    )
    return st.one_of(complete, complete, complete, complete, corrected, corrected, partial)


def routed_to(path: Path, ruleset: ResolvedRuleset) -> dict[str, Any]:
    """In a catalog, the `route by` value that sends a record to `ruleset` (if one does)."""
    catalog = resolved(path)
    if not isinstance(catalog, ResolvedCatalog):
        return {}
    for item in catalog.node.items:
        if isinstance(item, n.RouteTable):
            for entry in item.entries:
                if entry.target == ruleset.name:
                    return {item.field: entry.value}
    return {}


@cache
def records_for(path: Path) -> st.SearchStrategy[dict[str, Any]]:
    strings = strings_in(path)
    choices = []
    for ruleset in rulesets_of(path):
        assert ruleset.record is not None
        decl = ruleset.types[ruleset.record.type_name]
        record = record_of(decl, ruleset, strings, 0)
        route = routed_to(path, ruleset)
        choices.append(
            st.tuples(record, sheets_of(ruleset)).map(lambda pair, route=route: {**pair[0], **route, "sheets": pair[1]})
        )
    return st.one_of(choices)


def one(path: Path, backend: str, record: Any, *, trace: bool) -> dict[str, Any]:
    """One record through the per-record path of the engine (routing included), no API context."""
    m = model(path, backend)
    engine, pending = m.route(record, None, trace=trace)
    data: dict[str, Any] = engine.finish(pending).model_dump(mode="json")
    return data


def batch(path: Path, backend: str, records: list[Any], *, trace: bool) -> list[dict[str, Any]]:
    return [r.model_dump(mode="json") for r in model(path, backend).evaluate_many(records, trace=trace)]
