"""Hand-written baseline scorer for the specification's ``party_gov`` ruleset.

This module is what a careful programmer would write by hand, with no engine, for the
ruleset in ``spec/examples/rulesets/party_gov.ind`` (LANGUAGE.md section 6) over the
``Branch`` schema of section 4. It is the yardstick for the engine's benchmarks and an
independent oracle for its results:

- :func:`score_record` scores one typed record (dates as ``datetime.date``, decimals as
  ``Decimal``) with its assessors' sheets and returns every source's indicator, dimension
  and table scores, the survey value, bonus, vetoes, total and grades, and the outcomes.
- :func:`apply_quota` is the population stage: ``quota advanced at most 20% within
  department ties demote`` (section 6.2).
- :func:`parse_record` validates a JSON-decoded record and converts it to the typed form.
- :func:`score_jsonl_line` is the end-to-end path: one JSON line in, one JSON result out,
  with decimals as strings with exactly two places (section 8).

All arithmetic is exact ``Decimal`` arithmetic; reported values are rounded half-up to two
places, and grades compare the rounded values.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from decimal import (
    MAX_EMAX,
    MAX_PREC,
    MIN_EMIN,
    ROUND_FLOOR,
    ROUND_HALF_UP,
    Context,
    Decimal,
    localcontext,
)
from typing import Any

__all__ = [
    "DIMENSIONS",
    "INDICATOR_MAX",
    "RecordError",
    "apply_quota",
    "grade_for",
    "months_between",
    "outcomes_for",
    "parse_record",
    "parse_sheets",
    "result_to_json",
    "rule_indicator_scores",
    "score_jsonl_line",
    "score_population",
    "score_record",
]

# --------------------------------------------------------------------------- ruleset

RULESET_NAME = "party_gov"
RULESET_VERSION = "2023.1"
PERIOD_START = date(2023, 1, 1)
PERIOD_END = date(2023, 12, 31)

MEETING_KINDS = frozenset({"支部党员大会", "支委会", "党小组会", "党课", "主题党日", "组织生活会"})
CATEGORIES = frozenset(
    {"党政机关", "国有企业", "事业单位", "高等学校", "公立医院", "科研院所", "社会组织", "离退休干部"}
)

# Dimensions in declaration order, each with its indicators in declaration order.
DIMENSIONS: dict[str, tuple[str, ...]] = {
    "organisation": ("election", "committee"),
    "activities": ("member_meeting", "committee_meeting", "lesson", "dues"),
    "team": ("training",),
    "institutions": ("records",),
    "support": ("venue",),
}
INDICATOR_MAX: dict[str, Decimal] = {
    "election": Decimal(10),
    "committee": Decimal(10),
    "member_meeting": Decimal(8),
    "committee_meeting": Decimal(12),
    "lesson": Decimal(10),
    "dues": Decimal(10),
    "training": Decimal(10),
    "records": Decimal(15),
    "venue": Decimal(15),
}
JUDGED = ("records", "venue")
TABLE_SOURCES = ("self", "superior")
SOURCES = ("self", "survey", "superior")  # in `assess` order

W_SELF = Decimal("0.2")
W_SURVEY = Decimal("0.2")
W_SUPERIOR = Decimal("0.6")
BONUS_MAX = Decimal(5)
HONOR_MODEL_UNIT = "模范机关建设先进单位"
HONOR_BEST_CASE = "模范机关建设优秀案例"

GRADES = ("advanced", "standard", "lagging")  # best first
_GRADE_RANK = {g: i for i, g in enumerate(GRADES)}
QUOTA_SHARE = Decimal("0.2")
PROGRAMMES = {"advanced": "头雁工程", "standard": "提升工程", "lagging": "转化工程"}

_D0 = Decimal(0)
_D1 = Decimal(1)
_D2 = Decimal(2)
_D3 = Decimal(3)
_D4 = Decimal(4)
_D6 = Decimal(6)
_D10 = Decimal(10)
_D12 = Decimal(12)
_D32 = Decimal(32)
_D70 = Decimal(70)
_D90 = Decimal(90)
_D100 = Decimal(100)
_P100 = Decimal("1.00")
_P95 = Decimal("0.95")
_P90 = Decimal("0.90")
_CENT = Decimal("0.01")

# Every operation is exact under this context (no decimal value is ever rounded by
# precision); its rounding mode is only used by ``quantize``, for reported values.
_EXACT = Context(prec=MAX_PREC, Emax=MAX_EMAX, Emin=MIN_EMIN, rounding=ROUND_HALF_UP)


def _round(value: Decimal) -> Decimal:
    """Round half-up (ties away from zero) to the ruleset's precision, 2 places."""
    return _EXACT.quantize(value, _CENT)


def _clamp(value: Decimal, hi: Decimal) -> Decimal:
    if value < _D0:
        return _D0
    return hi if value > hi else value


def months_between(a: date, b: date) -> int:
    """Whole months from ``a`` to ``b`` (LANGUAGE.md 6.2)."""
    months = (b.year - a.year) * 12 + (b.month - a.month)
    return months - 1 if b.day < a.day else months


# --------------------------------------------------------------------------- errors


class RecordError(ValueError):
    """A record or its sheets cannot be scored; ``errors`` lists every (path, message)."""

    def __init__(self, record_id: str | None, errors: Sequence[tuple[str, str]]) -> None:
        self.record_id = record_id
        self.errors = list(errors)
        shown = "; ".join(f"{path}: {message}" if path else message for path, message in self.errors)
        super().__init__(f"{record_id or '<no id>'}: {shown}")


# --------------------------------------------------------------------------- scoring


def rule_indicator_scores(record: Mapping[str, Any]) -> dict[str, Decimal]:
    """The seven indicators computed from the record (the same for every source)."""
    start, end = PERIOD_START, PERIOD_END
    member_quarters: set[int] = set()
    committee_months: set[int] = set()
    lessons = 0
    lesson_by_secretary = False
    for m in record["meetings"]:
        kind = m["kind"]
        if kind == "支委会":
            held = m["held_on"]
            if start <= held <= end:
                committee_months.add(held.year * 12 + held.month)
        elif kind == "支部党员大会":
            held = m["held_on"]
            if start <= held <= end:
                member_quarters.add(held.year * 4 + (held.month - 1) // 3)
        elif kind == "党课":
            lessons += 1
            if m["by_secretary"]:
                lesson_by_secretary = True

    # organisation
    last = record["last_election"]
    election = _D0 if last is None or months_between(last, end) > 36 else _D10
    committee = _D0 if record["members"] >= 7 and record["committee_size"] < 3 else _D10

    # activities
    member_meeting = _clamp(Decimal(8) - _D2 * max(_D4 - len(member_quarters), _D0), Decimal(8))
    committee_meeting = _clamp(_D12 - _D1 * max(_D12 - len(committee_months), _D0), _D12)
    lesson = _D0
    if lessons >= 4:
        lesson += _D6
    if lesson_by_secretary:
        lesson += _D4
    lesson = _clamp(lesson, _D10)
    dues_on_time = record["dues_on_time"]
    if dues_on_time >= _P100:
        dues = _D10
    elif dues_on_time >= _P95:
        dues = _D6
    elif dues_on_time >= _P90:
        dues = _D3
    else:
        dues = _D0

    # team
    training = _D10 if record["secretary_trained"] else _D0

    return {
        "election": election,
        "committee": committee,
        "member_meeting": member_meeting,
        "committee_meeting": committee_meeting,
        "lesson": lesson,
        "dues": dues,
        "training": training,
    }


def _judged_scores(record_id: str | None, sheets: Mapping[str, Any] | None) -> dict[str, dict[str, Decimal]]:
    """Validate the sheets: every judged score present, known and inside ``[0, max]``."""
    errors: list[tuple[str, str]] = []
    out: dict[str, dict[str, Decimal]] = {}
    sheets = sheets or {}
    for source in sheets:
        if source not in TABLE_SOURCES:
            errors.append((f"sheets.{source}", f"unknown source (table sources: {', '.join(TABLE_SOURCES)})"))
    for source in TABLE_SOURCES:
        sheet = sheets.get(source)
        if sheet is None:
            errors.extend((f"sheets.{source}.{name}", "missing judged score") for name in JUDGED)
            continue
        scores: dict[str, Decimal] = {}
        for name in sheet:
            if name not in JUDGED:
                errors.append((f"sheets.{source}.{name}", "unknown judged indicator"))
        for name in JUDGED:
            path = f"sheets.{source}.{name}"
            value = sheet.get(name)
            if value is None:
                errors.append((path, "missing judged score"))
                continue
            if isinstance(value, Mapping):  # {"score": 4, "reason": "…"}
                value = value.get("score")
            if isinstance(value, int) and not isinstance(value, bool):
                value = Decimal(value)
            if not isinstance(value, Decimal) or not value.is_finite():
                errors.append((path, f"{value!r} is not a number"))
                continue
            if not _D0 <= value <= INDICATOR_MAX[name]:
                errors.append((path, f"{value} is outside [0, {INDICATOR_MAX[name]}]"))
                continue
            scores[name] = value
        out[source] = scores
    if errors:
        raise RecordError(record_id, errors)
    return out


def grade_for(total: Decimal, superior_activities: Decimal) -> str:
    """The `grades` block, given the ROUNDED total and superior activities score."""
    if total >= _D90 and superior_activities >= _D32:
        return "advanced"
    if total >= _D70:
        return "standard"
    return "lagging"


def outcomes_for(grade: str) -> dict[str, Any]:
    return {"programme": PROGRAMMES[grade], "nominee": grade == "advanced"}


def score_record(record: Mapping[str, Any], sheets: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Score one typed record under ``party_gov`` (no quota; see :func:`apply_quota`).

    ``sheets`` defaults to ``record["sheets"]``. Per-source indicator, dimension and table
    scores and the survey value are exact; ``total`` is rounded half-up to 2 places and
    ``total_exact`` is the exact value. Raises :class:`RecordError` for bad sheets.
    """
    record_id = record.get("id")
    if sheets is None:
        sheets = record.get("sheets")
    judged = _judged_scores(record_id, sheets)
    rules = rule_indicator_scores(record)

    with localcontext(_EXACT):
        sources: dict[str, dict[str, Any]] = {}
        tables: dict[str, Decimal] = {}
        for source in TABLE_SOURCES:
            indicators = {**rules, **judged[source]}
            dimensions = {dim: sum((indicators[i] for i in names), _D0) for dim, names in DIMENSIONS.items()}
            table = sum(dimensions.values(), _D0)
            tables[source] = table
            sources[source] = {"table": table, "dimensions": dimensions, "indicators": indicators}
        satisfaction = record["survey_satisfaction"]
        survey = (_D0 if satisfaction is None else satisfaction) * _D100
        sources = {"self": sources["self"], "survey": {"value": survey}, "superior": sources["superior"]}

        honors = record["honors"]
        bonus = _D0
        if HONOR_MODEL_UNIT in honors:
            bonus += _D3
        if HONOR_BEST_CASE in honors:
            bonus += _D2
        bonus = min(bonus, BONUS_MAX)

        total_exact = W_SELF * tables["self"] + W_SURVEY * survey + W_SUPERIOR * tables["superior"] + bonus
        total = _round(total_exact)
        superior_activities = _round(sources["superior"]["dimensions"]["activities"])

    grade_by_rules = grade_for(total, superior_activities)
    vetoes = ["discipline"] if record["serious_violations"] > 0 else []
    grade_after_veto = "lagging" if vetoes else grade_by_rules  # cap lagging: at most lagging
    return {
        "id": record_id,
        "sources": sources,
        "bonus": bonus,
        "vetoes": vetoes,
        "total_exact": total_exact,
        "total": total,
        "grade_by_rules": grade_by_rules,
        "grade_after_veto": grade_after_veto,
        "grade": grade_after_veto,
        "quota": [],
        "outcomes": outcomes_for(grade_after_veto),
        "errors": [],
    }


# --------------------------------------------------------------------------- population


def apply_quota(results: Sequence[Mapping[str, Any]], records: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """``quota advanced at most 20% within department ties demote`` (LANGUAGE.md 6.2).

    ``results[i]`` is the result of ``records[i]`` (the record supplies the department).
    Results without a grade (failed records) neither count nor move. Returns new result
    dicts (the inputs are not modified); demoted ones get ``grade`` ``standard``, a
    ``quota`` entry and recomputed outcomes. The outcome does not depend on input order.
    """
    if len(results) != len(records):
        raise ValueError(f"{len(results)} results for {len(records)} records")
    out = [dict(r) for r in results]
    groups: dict[Any, list[int]] = {}
    for i, (result, record) in enumerate(zip(out, records, strict=True)):
        if result.get("grade") is not None:
            groups.setdefault(record["department"], []).append(i)
    for members in groups.values():
        k = int((len(members) * QUOTA_SHARE).to_integral_value(ROUND_FLOOR))
        holders = [i for i in members if out[i]["grade"] == "advanced"]
        if len(holders) <= k:
            continue
        line = sorted((out[i]["total"] for i in holders), reverse=True)[k]
        for i in holders:
            result = out[i]
            if result["total"] <= line:  # ties demote: keep only totals strictly above t_k
                result["grade"] = "standard"
                result["quota"] = [*result.get("quota", []), {"quota": "advanced at most 20%", "from": "advanced",
                                                               "to": "standard"}]
                result["outcomes"] = outcomes_for("standard")
    return out


def score_population(
    records: Iterable[Mapping[str, Any]],
) -> list[dict[str, Any]]:
    """Score typed records (each with its ``sheets``) and apply the quota."""
    records = list(records)
    return apply_quota([score_record(r) for r in records], records)


# --------------------------------------------------------------------------- parsing

_MISSING: Any = object()
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _text(value: Any, path: str, errors: list[tuple[str, str]]) -> Any:
    if value is _MISSING or isinstance(value, str):
        return value
    errors.append((path, f"{value!r} is not text"))
    return _MISSING


def _int(value: Any, path: str, errors: list[tuple[str, str]]) -> Any:
    if value is _MISSING or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        return int(value)
    errors.append((path, f"{value!r} is not an integer"))
    return _MISSING


def _bool(value: Any, path: str, errors: list[tuple[str, str]]) -> Any:
    if value is _MISSING or isinstance(value, bool):
        return value
    errors.append((path, f"{value!r} is not a boolean"))
    return _MISSING


def _decimal(value: Any, path: str, errors: list[tuple[str, str]]) -> Any:
    """Exact decimals only: JSON numbers (parsed as Decimal), ints and numeric strings."""
    if value is _MISSING:
        return value
    if isinstance(value, Decimal):
        if value.is_finite():
            return value
    elif isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    elif isinstance(value, str) and _NUMBER.fullmatch(value):
        return Decimal(value)
    elif isinstance(value, float):
        errors.append((path, f"{value!r} is a binary float; pass a Decimal or a numeric string"))
        return _MISSING
    errors.append((path, f"{value!r} is not a decimal number"))
    return _MISSING


def _date(value: Any, path: str, errors: list[tuple[str, str]]) -> Any:
    if value is _MISSING:
        return value
    if isinstance(value, date):
        return value
    if isinstance(value, str) and _DATE.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    errors.append((path, f"{value!r} is not a date"))
    return _MISSING


def _required(obj: Mapping[str, Any], key: str, errors: list[tuple[str, str]], path: str | None = None) -> Any:
    value = obj.get(key, _MISSING)
    if value is _MISSING or value is None:
        errors.append((path or key, "field required" if value is _MISSING else "must not be null"))
        return _MISSING
    return value


def _parse_meeting(obj: Any, path: str, errors: list[tuple[str, str]]) -> dict[str, Any]:
    if not isinstance(obj, Mapping):
        errors.append((path, f"{obj!r} is not an object"))
        return {}
    kind = _text(_required(obj, "kind", errors, f"{path}.kind"), f"{path}.kind", errors)
    if isinstance(kind, str) and kind not in MEETING_KINDS:
        errors.append((f"{path}.kind", f"{kind!r} is not one of {', '.join(sorted(MEETING_KINDS))}"))
    attendance = obj.get("attendance")
    by_secretary = obj.get("by_secretary", False)
    return {
        "kind": kind,
        "held_on": _date(_required(obj, "held_on", errors, f"{path}.held_on"), f"{path}.held_on", errors),
        "attendance": None if attendance is None else _decimal(attendance, f"{path}.attendance", errors),
        "by_secretary": _bool(False if by_secretary is None else by_secretary, f"{path}.by_secretary", errors),
    }


def parse_sheets(obj: Any, record_id: str | None = None) -> dict[str, dict[str, Any]]:
    """Convert JSON sheets (numbers, numeric strings or ``{"score": …}``) to Decimals.

    Names and ranges are checked when scoring (the sheets may also come apart).
    """
    if not isinstance(obj, Mapping):
        raise RecordError(record_id, [("sheets", f"{obj!r} is not an object")])
    errors: list[tuple[str, str]] = []
    out: dict[str, dict[str, Any]] = {}
    for source, sheet in obj.items():
        if not isinstance(sheet, Mapping):
            errors.append((f"sheets.{source}", f"{sheet!r} is not an object"))
            continue
        scores: dict[str, Any] = {}
        for name, value in sheet.items():
            if isinstance(value, Mapping):
                value = value.get("score", _MISSING)
            if value is _MISSING or value is None:
                errors.append((f"sheets.{source}.{name}", "missing judged score"))
                continue
            scores[name] = _decimal(value, f"sheets.{source}.{name}", errors)
        out[source] = scores
    if errors:
        raise RecordError(record_id, errors)
    return out


def parse_record(obj: Mapping[str, Any]) -> dict[str, Any]:
    """Validate a JSON-decoded ``Branch`` record and convert it to typed Python values.

    Use ``json.loads(text, parse_float=Decimal)``; decimals may also be numeric strings.
    Dates are ISO ``YYYY-MM-DD`` strings. Defaults are filled in. A ``sheets`` key is
    parsed too (see :func:`parse_sheets`). Raises :class:`RecordError` listing every
    problem with its field path.
    """
    if not isinstance(obj, Mapping):
        raise RecordError(None, [("", f"record is {type(obj).__name__}, not an object")])
    errors: list[tuple[str, str]] = []
    raw_id = obj.get("id")
    record_id = raw_id if isinstance(raw_id, str) else None

    category = _text(_required(obj, "category", errors), "category", errors)
    if isinstance(category, str) and category not in CATEGORIES:
        errors.append(("category", f"{category!r} is not one of {', '.join(sorted(CATEGORIES))}"))

    meetings_raw = _required(obj, "meetings", errors)
    meetings: list[dict[str, Any]] = []
    if isinstance(meetings_raw, list):
        meetings = [_parse_meeting(m, f"meetings[{i}]", errors) for i, m in enumerate(meetings_raw)]
    elif meetings_raw is not _MISSING:
        errors.append(("meetings", f"{meetings_raw!r} is not a list"))

    honors_raw = obj.get("honors")
    honors: list[str] = []
    if isinstance(honors_raw, list):
        honors = [_text(h, f"honors[{i}]", errors) for i, h in enumerate(honors_raw)]
    elif honors_raw is not None:
        errors.append(("honors", f"{honors_raw!r} is not a list"))

    last_election = obj.get("last_election")
    survey = obj.get("survey_satisfaction")
    violations = obj.get("serious_violations")
    record = {
        "id": _text(_required(obj, "id", errors), "id", errors),
        "department": _text(_required(obj, "department", errors), "department", errors),
        "category": category,
        "members": _int(_required(obj, "members", errors), "members", errors),
        "committee_size": _int(_required(obj, "committee_size", errors), "committee_size", errors),
        "last_election": None if last_election is None else _date(last_election, "last_election", errors),
        "meetings": meetings,
        "dues_on_time": _decimal(_required(obj, "dues_on_time", errors), "dues_on_time", errors),
        "secretary_trained": _bool(_required(obj, "secretary_trained", errors), "secretary_trained", errors),
        "serious_violations": 0 if violations is None else _int(violations, "serious_violations", errors),
        "honors": honors,
        "survey_satisfaction": None if survey is None else _decimal(survey, "survey_satisfaction", errors),
    }
    sheets = obj.get("sheets")
    if sheets is not None:
        try:
            record["sheets"] = parse_sheets(sheets, record_id)
        except RecordError as exc:
            errors.extend(exc.errors)
    if errors:
        raise RecordError(record_id, errors)
    return record


# --------------------------------------------------------------------------- JSON results


def _fmt(value: Decimal) -> str:
    return str(_round(value))


def _source_json(source: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "table": _fmt(source["table"]),
        "dimensions": {k: _fmt(v) for k, v in source["dimensions"].items()},
        "indicators": {k: _fmt(v) for k, v in source["indicators"].items()},
    }


def result_to_json(result: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON form of section 8: decimals as strings with exactly 2 places."""
    sources = result["sources"]
    return {
        "id": result["id"],
        "ruleset": {"name": RULESET_NAME, "version": RULESET_VERSION},
        "sources": {
            "self": _source_json(sources["self"]),
            "survey": {"value": _fmt(sources["survey"]["value"])},
            "superior": _source_json(sources["superior"]),
        },
        "bonus": _fmt(result["bonus"]),
        "vetoes": list(result["vetoes"]),
        "total": _fmt(result["total"]),
        "grade": result["grade"],
        "grade_by_rules": result["grade_by_rules"],
        "grade_after_veto": result["grade_after_veto"],
        "outcomes": dict(result["outcomes"]),
        "errors": [],
    }


def error_json(record_id: str | None, errors: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """The JSON form of a record that could not be scored: null scores and its errors."""
    return {
        "id": record_id,
        "ruleset": {"name": RULESET_NAME, "version": RULESET_VERSION},
        "sources": None,
        "bonus": None,
        "vetoes": [],
        "total": None,
        "grade": None,
        "grade_by_rules": None,
        "grade_after_veto": None,
        "outcomes": None,
        "errors": [{"path": path, "message": message} for path, message in errors],
    }


def score_jsonl_line(line: str) -> str:
    """End to end for one JSONL line: parse, validate, score, serialise (no quota)."""
    try:
        obj = json.loads(line, parse_float=Decimal)
    except ValueError as exc:
        return json.dumps(error_json(None, [("", f"invalid JSON: {exc}")]), ensure_ascii=False)
    try:
        out = result_to_json(score_record(parse_record(obj)))
    except RecordError as exc:
        out = error_json(exc.record_id, exc.errors)
    return json.dumps(out, ensure_ascii=False)
