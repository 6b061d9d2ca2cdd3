"""Hand-written baseline scorer for the specification's ``party_gov`` ruleset.

This module is what a careful programmer would write by hand, with no engine, for the
ruleset in ``examples/spec/rulesets/party_gov.ind`` (the language specification, section 6) over the
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
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import (
    MAX_EMAX,
    MAX_PREC,
    MIN_EMIN,
    ROUND_FLOOR,
    ROUND_HALF_UP,
    Context,
    Decimal,
    InvalidOperation,
    localcontext,
)
from typing import Any

__all__ = [
    "DIMENSIONS",
    "INDICATOR_MAX",
    "RecordError",
    "apply_quota",
    "error_json",
    "grade_for",
    "months_between",
    "outcomes_for",
    "parse_record",
    "parse_sheets",
    "result_to_json",
    "rule_indicator_scores",
    "score_file",
    "score_jsonl_line",
    "score_population",
    "score_record",
]

# --------------------------------------------------------------------------- ruleset

RULESET_NAME = "party_gov"
RULESET_VERSION = "2023.1"
PERIOD_START = date(2023, 1, 1)
PERIOD_END = date(2023, 12, 31)

_KIND_ORDER = ("支部党员大会", "支委会", "党小组会", "党课", "主题党日", "组织生活会")
_CATEGORY_ORDER = ("党政机关", "国有企业", "事业单位", "高等学校", "公立医院", "科研院所", "社会组织", "离退休干部")
CATEGORIES = frozenset(_CATEGORY_ORDER)
MEETING_KINDS = frozenset(_KIND_ORDER)

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
_D15 = Decimal(15)
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


def _sheet_errors(sheets: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Every problem with the sheets, named (the slow path, only taken when one exists)."""
    errors: list[tuple[str, str]] = []
    errors.extend(
        (f"sheets.{source}", f"unknown source (table sources: {', '.join(TABLE_SOURCES)})")
        for source in sheets
        if source not in TABLE_SOURCES
    )
    for source in TABLE_SOURCES:
        sheet = sheets.get(source)
        if sheet is None:
            errors.extend((f"sheets.{source}.{name}", "missing judged score") for name in JUDGED)
            continue
        if not isinstance(sheet, Mapping):
            errors.append((f"sheets.{source}", f"{sheet!r} is not an object"))
            continue
        errors.extend((f"sheets.{source}.{name}", "unknown judged indicator") for name in sheet if name not in JUDGED)
        for name in JUDGED:
            value = sheet.get(name)
            if isinstance(value, Mapping):
                value = value.get("score")
            if value is None:
                errors.append((f"sheets.{source}.{name}", "missing judged score"))
            elif _judged_value(value, INDICATOR_MAX[name]) is None:
                shown = value if isinstance(value, Decimal | int) and not isinstance(value, bool) else repr(value)
                errors.append((f"sheets.{source}.{name}", f"{shown} is not a number in [0, {INDICATOR_MAX[name]}]"))
    return errors


def _judged_value(value: Any, hi: Decimal) -> Decimal | None:
    if not isinstance(value, Decimal):
        if isinstance(value, int) and not isinstance(value, bool):
            value = Decimal(value)
        elif isinstance(value, Mapping):  # {"score": 4, "reason": "…"}
            return _judged_value(value.get("score"), hi)
        else:
            return None
    elif not value.is_finite():
        return None
    return value if _D0 <= value <= hi else None


def _judged_scores(
    record_id: str | None, sheets: Mapping[str, Any] | None
) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    """Self records, self venue, superior records, superior venue, validated.

    A missing judged score, an unknown source or indicator name, or a score outside
    ``[0, max]`` raises :class:`RecordError` naming all of them.
    """
    if isinstance(sheets, dict | Mapping) and len(sheets) == 2:
        mine, theirs = sheets.get("self"), sheets.get("superior")
        if isinstance(mine, dict | Mapping) and isinstance(theirs, dict | Mapping) and len(mine) == len(theirs) == 2:
            self_records = _judged_value(mine.get("records"), _D15)
            self_venue = _judged_value(mine.get("venue"), _D15)
            superior_records = _judged_value(theirs.get("records"), _D15)
            superior_venue = _judged_value(theirs.get("venue"), _D15)
            if (
                self_records is not None
                and self_venue is not None
                and superior_records is not None
                and superior_venue is not None
            ):
                return self_records, self_venue, superior_records, superior_venue
    errors = _sheet_errors(sheets if isinstance(sheets, Mapping) else {})
    raise RecordError(record_id, errors or [("sheets", "invalid sheets")])


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

    ``sheets`` defaults to ``record["sheets"]``: ``{"self": {"records": Decimal, "venue":
    Decimal}, "superior": {...}}``. Per-source indicator, dimension and table scores and
    the survey value are exact; ``total`` is rounded half-up to 2 places (``total_exact``
    is the exact value). Raises :class:`RecordError` for bad sheets.
    """
    record_id = record.get("id")
    if sheets is None:
        sheets = record.get("sheets")
    self_records, self_venue, superior_records, superior_venue = _judged_scores(record_id, sheets)
    rules = rule_indicator_scores(record)

    with localcontext(_EXACT):
        organisation = rules["election"] + rules["committee"]
        activities = rules["member_meeting"] + rules["committee_meeting"] + rules["lesson"] + rules["dues"]
        team = rules["training"]
        base = organisation + activities + team
        self_table = base + self_records + self_venue
        superior_table = base + superior_records + superior_venue

        satisfaction = record["survey_satisfaction"]
        survey = (_D0 if satisfaction is None else satisfaction) * _D100

        honors = record["honors"]
        bonus = _D0
        if HONOR_MODEL_UNIT in honors:
            bonus += _D3
        if HONOR_BEST_CASE in honors:
            bonus += _D2
        bonus = min(bonus, BONUS_MAX)

        total_exact = W_SELF * self_table + W_SURVEY * survey + W_SUPERIOR * superior_table + bonus
        total = _EXACT.quantize(total_exact, _CENT)
        superior_activities = _EXACT.quantize(activities, _CENT)

    sources = {
        "self": {
            "table": self_table,
            "dimensions": {
                "organisation": organisation,
                "activities": activities,
                "team": team,
                "institutions": self_records,
                "support": self_venue,
            },
            "indicators": {**rules, "records": self_records, "venue": self_venue},
        },
        "survey": {"value": survey},
        "superior": {
            "table": superior_table,
            "dimensions": {
                "organisation": organisation,
                "activities": activities,
                "team": team,
                "institutions": superior_records,
                "support": superior_venue,
            },
            "indicators": {**rules, "records": superior_records, "venue": superior_venue},
        },
    }
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
                result["quota"] = [
                    *result.get("quota", []),
                    {"quota": "advanced at most 20%", "from": "advanced", "to": "standard"},
                ]
                result["outcomes"] = outcomes_for("standard")
    return out


def score_population(records: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Score typed records (each with its ``sheets``) and apply the quota."""
    batch = list(records)
    return apply_quota([score_record(r) for r in batch], batch)


# --------------------------------------------------------------------------- parsing

_Errors = list[tuple[str, str]]


def _as_decimal(value: Any) -> Decimal | None:
    """An exact decimal from a JSON number (parsed as Decimal), an int or a numeric string."""
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    if isinstance(value, str):
        # Decimal() alone would also take "1_000", " 1", "nan" and non-ASCII digits.
        if not value.isascii() or "_" in value or value.strip() != value:
            return None
        try:
            number = Decimal(value)
        except InvalidOperation:
            return None
        return number if number.is_finite() else None
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    return None


def _decimal_error(value: Any) -> str:
    if isinstance(value, float):
        return f"{value!r} is a binary float; pass a Decimal or a numeric string"
    return f"{value!r} is not a decimal number"


def _as_date(value: Any) -> date | None:
    if isinstance(value, str):
        # exactly YYYY-MM-DD (fromisoformat alone also takes "20230105" and "2023-W01-4")
        if len(value) == 10 and value[4] == "-" and value[7] == "-":
            try:
                return date.fromisoformat(value)
            except ValueError:
                return None
        return None
    return value if isinstance(value, date) and not isinstance(value, datetime) else None


def _as_int(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        return int(value)
    return None


def _required(obj: Mapping[str, Any], key: str, errors: _Errors) -> Any:
    value = obj.get(key)
    if value is None:
        errors.append((key, "field required" if key not in obj else "must not be null"))
    return value


def _text_field(obj: Mapping[str, Any], key: str, errors: _Errors) -> Any:
    value = _required(obj, key, errors)
    if value is not None and not isinstance(value, str):
        errors.append((key, f"{value!r} is not text"))
    return value


def _int_field(obj: Mapping[str, Any], key: str, errors: _Errors, default: int | None = None) -> Any:
    value = obj.get(key) if default is not None else _required(obj, key, errors)
    if value is None:
        return default
    out = _as_int(value)
    if out is None:
        errors.append((key, f"{value!r} is not an integer"))
    return out


def _decimal_field(obj: Mapping[str, Any], key: str, errors: _Errors, *, optional: bool = False) -> Any:
    value = obj.get(key) if optional else _required(obj, key, errors)
    if value is None:
        return None
    out = _as_decimal(value)
    if out is None:
        errors.append((key, _decimal_error(value)))
    return out


def _parse_meeting(obj: Any, index: int, errors: _Errors) -> dict[str, Any]:
    if not isinstance(obj, Mapping):
        errors.append((f"meetings[{index}]", f"{obj!r} is not an object"))
        return {}
    kind = obj.get("kind")
    if not (isinstance(kind, str) and kind in MEETING_KINDS):
        message = "field required" if kind is None else f"{kind!r} is not one of {', '.join(_KIND_ORDER)}"
        errors.append((f"meetings[{index}].kind", message))
    raw = obj.get("held_on")
    held_on = _as_date(raw)
    if held_on is None:
        errors.append((f"meetings[{index}].held_on", "field required" if raw is None else f"{raw!r} is not a date"))
    attendance = obj.get("attendance")
    if attendance is not None:
        raw, attendance = attendance, _as_decimal(attendance)
        if attendance is None:
            errors.append((f"meetings[{index}].attendance", _decimal_error(raw)))
    by_secretary = obj.get("by_secretary")
    if by_secretary is None:
        by_secretary = False
    elif not isinstance(by_secretary, bool):
        errors.append((f"meetings[{index}].by_secretary", f"{by_secretary!r} is not a boolean"))
    return {"kind": kind, "held_on": held_on, "attendance": attendance, "by_secretary": by_secretary}


def parse_sheets(obj: Any, record_id: str | None = None) -> dict[str, dict[str, Any]]:
    """Convert JSON sheets (numbers, numeric strings or ``{"score": …}``) to Decimals.

    Names and ranges are checked when scoring (the sheets may also come apart).
    """
    if not isinstance(obj, Mapping):
        raise RecordError(record_id, [("sheets", f"{obj!r} is not an object")])
    errors: _Errors = []
    out: dict[str, dict[str, Any]] = {}
    for source, sheet in obj.items():
        if not isinstance(sheet, Mapping):
            errors.append((f"sheets.{source}", f"{sheet!r} is not an object"))
            continue
        scores: dict[str, Any] = {}
        for name, value in sheet.items():
            if isinstance(value, Mapping):  # {"score": 4, "reason": "…"}
                value = value.get("score")
            score = _as_decimal(value)
            if score is None:
                message = "missing judged score" if value is None else _decimal_error(value)
                errors.append((f"sheets.{source}.{name}", message))
                continue
            scores[name] = score
        out[source] = scores
    if errors:
        raise RecordError(record_id, errors)
    return out


def parse_record(obj: Mapping[str, Any]) -> dict[str, Any]:
    """Validate a JSON-decoded ``Branch`` record and convert it to typed Python values.

    Use ``json.loads(text, parse_float=Decimal)``; decimals may also be numeric strings
    (never binary floats; ``NaN``/``Infinity`` are errors). Dates are ISO ``YYYY-MM-DD``
    strings (or ``date`` objects). Defaults are filled in and extra keys ignored. A
    ``sheets`` key is parsed too (see :func:`parse_sheets`). Raises :class:`RecordError`
    listing every problem with its field path.
    """
    if not isinstance(obj, Mapping):
        raise RecordError(None, [("", f"record is {type(obj).__name__}, not an object")])
    errors: _Errors = []
    record_id = _text_field(obj, "id", errors)
    department = _text_field(obj, "department", errors)
    category = _text_field(obj, "category", errors)
    if isinstance(category, str) and category not in CATEGORIES:
        errors.append(("category", f"{category!r} is not one of {', '.join(_CATEGORY_ORDER)}"))
    members = _int_field(obj, "members", errors)
    committee_size = _int_field(obj, "committee_size", errors)

    last_election = obj.get("last_election")
    if last_election is not None:
        raw, last_election = last_election, _as_date(last_election)
        if last_election is None:
            errors.append(("last_election", f"{raw!r} is not a date"))

    meetings_raw = _required(obj, "meetings", errors)
    meetings: list[dict[str, Any]] = []
    if isinstance(meetings_raw, list):
        meetings = [_parse_meeting(m, i, errors) for i, m in enumerate(meetings_raw)]
    elif meetings_raw is not None:
        errors.append(("meetings", f"{meetings_raw!r} is not a list"))

    dues_on_time = _decimal_field(obj, "dues_on_time", errors)
    secretary_trained = _required(obj, "secretary_trained", errors)
    if secretary_trained is not None and not isinstance(secretary_trained, bool):
        errors.append(("secretary_trained", f"{secretary_trained!r} is not a boolean"))
    serious_violations = _int_field(obj, "serious_violations", errors, default=0)

    honors = obj.get("honors")
    if honors is None:
        honors = []
    elif not isinstance(honors, list):
        errors.append(("honors", f"{honors!r} is not a list"))
    else:
        errors.extend((f"honors[{i}]", f"{h!r} is not text") for i, h in enumerate(honors) if not isinstance(h, str))

    record = {
        "id": record_id,
        "department": department,
        "category": category,
        "members": members,
        "committee_size": committee_size,
        "last_election": last_election,
        "meetings": meetings,
        "dues_on_time": dues_on_time,
        "secretary_trained": secretary_trained,
        "serious_violations": serious_violations,
        "honors": honors,
        "survey_satisfaction": _decimal_field(obj, "survey_satisfaction", errors, optional=True),
    }
    sheets = obj.get("sheets")
    if sheets is not None:
        try:
            record["sheets"] = parse_sheets(sheets, record_id)
        except RecordError as exc:
            errors.extend(exc.errors)
    if errors:
        raise RecordError(record_id if isinstance(record_id, str) else None, errors)
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
        "quota": list(result.get("quota", [])),
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
        "quota": [],
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


def score_file(source: str, target: str) -> int:
    """File to file, as a hand-written script would: each JSON line of `source` scored into a
    result line of `target` (no quota). Returns the number of lines written."""
    count = 0
    with open(source, encoding="utf-8") as lines, open(target, "w", encoding="utf-8") as out:
        for line in lines:
            if line.strip():
                out.write(score_jsonl_line(line) + "\n")
                count += 1
    return count


if __name__ == "__main__":
    import sys

    print(score_file(sys.argv[1], sys.argv[2]))
