"""JSON lines read in one step: msgspec decodes a line straight into the record's fields.

`JsonReader.read` gives a JSON line's record and sheets exactly as `json.loads` (decimals
exact) followed by the record validator (`records.validate`) would, or None, and then the
line is read that way, which gives its value or its errors. It takes a line only when its
text keeps to forms both readings agree on:

- text, bool (`true`/`false`), date (`YYYY-MM-DD`), enum and int fields (a whole JSON number;
  `json` and msgspec refuse the same ones past 4,300 digits) as msgspec reads them, strictly;
  an int's declared range is checked here;
- a decimal is read as any JSON value, then: a JSON number (a fraction comes as the Decimal
  of its own text, never through a binary float), a whole number, or a text of the ASCII
  characters of a number (`0-9 . e E + -`, which `Decimal()` then reads by the same rule as
  `records.DECIMAL_TEXT`); a text with anything else (a space, `_`, a letter, another
  script's digits), a none where none is not allowed, or a value out of its range is left
  to the slow reading;
- the record has no unknown field (those are warned about) and its `sheets` are read by
  `json` from their own text.

Anything msgspec refuses (a lone surrogate, a control character in a text, a value of
another type, a missing field) is left to the slow reading too.
tests/test_json_lines_fast.py draws lines for every shipped and fixture ruleset, spoils
them, and holds both readings equal.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, Literal

import msgspec

from ..syntax import nodes as n

Fix = Callable[[Any], Any]
SHEETS_KEY = "sheets"  # a record's judged scores, beside its fields
_NOT_NUMERIC = str.maketrans("", "", "0123456789.eE+-")
_UNSET = msgspec.UNSET
_PRIMITIVES: dict[str, Any] = {"text": str, "bool": bool, "date": datetime.date, "int": int}
_SHEETS_READER = json.JSONDecoder(parse_float=Decimal)


class NotTaken(Exception):
    """The line is left to the slow reading."""


class _Number:
    """A decimal field's check: the Decimal of what was decoded, or NotTaken. The Decimals of
    texts already read are remembered (a few thousand; a column of rates holds few distinct
    values), each having passed this field's range."""

    __slots__ = ("bounds", "optional", "texts")

    def __init__(self, optional: bool, bounds: tuple[Decimal, Decimal] | None) -> None:
        self.optional, self.bounds = optional, bounds
        self.texts: dict[str, Decimal] = {}

    def __call__(self, value: Any) -> Any:
        kind = value.__class__
        if kind is str:
            found = self.texts.get(value)
            if found is not None:
                return found
            if value.translate(_NOT_NUMERIC):
                raise NotTaken
            found = Decimal(value)
            if not found.is_finite():  # a caller's context that does not trap a malformed text
                raise NotTaken
        elif kind is Decimal:
            found = value
        elif kind is int:
            found = Decimal(value)
        elif value is None and self.optional:
            return None
        else:
            raise NotTaken
        if self.bounds is not None and not self.bounds[0] <= found <= self.bounds[1]:
            raise NotTaken
        if kind is str:
            if len(self.texts) >= REMEMBERED:
                self.texts.clear()
            self.texts[value] = found
        return found


REMEMBERED = 4096


def _whole(low: Decimal, high: Decimal) -> Fix:
    def whole(value: int) -> int:
        if not low <= value <= high:
            raise NotTaken
        return value

    return whole


def _each(item: Fix) -> Fix:
    def each(values: list[Any]) -> list[Any]:
        return [item(value) for value in values]

    return each


def _each_one(key: str, fix: Fix) -> Fix:
    """`_each(_fields([(key, fix)]))` in one loop: a list of objects with one field to check,
    as a record's meetings with their attendance."""
    missing = object()
    texts = fix.texts if isinstance(fix, _Number) else {}

    def each_one(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for record in records:
            value = record.get(key, missing)
            if value is not missing:
                if value.__class__ is str:  # a text read before: its Decimal, at once
                    found = texts.get(value)
                    if found is not None:
                        record[key] = found
                        continue
                record[key] = fix(value)
        return records

    return each_one


def _fields(fixes: list[tuple[str, Fix]]) -> Fix:
    if len(fixes) == 1:
        (key, fix), missing = fixes[0], object()

        def one(record: dict[str, Any]) -> dict[str, Any]:
            value = record.get(key, missing)
            if value is not missing:
                record[key] = fix(value)
            return record

        return one

    def several(record: dict[str, Any]) -> dict[str, Any]:
        for key, fix in fixes:
            if key in record:
                record[key] = fix(record[key])
        return record

    return several


class JsonReader:
    """A record type's one-step JSON reader: a msgspec struct per schema type (fields in the
    schema's order, so the record's objects come out in that order, as the validator gives
    them), with the checks msgspec does not make (decimals, ranges) done on what it decoded."""

    def __init__(self, types: Mapping[str, n.TypeDecl], root: str) -> None:
        self.types = types
        self.structs: dict[str, tuple[Any, Fix | None]] = {}
        self.single_fix: dict[Fix, tuple[str, Fix]] = {}  # an object's check that checks one field: which
        self.holds_itself = False
        struct, self.fix = self.struct(root, top=True)
        self.decoder = msgspec.json.Decoder(struct, float_hook=Decimal)

    def annotation(
        self, ref: n.TypeRef, field_range: n.FieldRange | None = None, optional: bool = False
    ) -> tuple[Any, Fix | None]:
        """The msgspec type of a field and what is checked on its decoded value (None: nothing)."""
        if isinstance(ref, n.OptionalType):
            return self.annotation(ref.inner, field_range, optional=True)
        fix: Fix | None = None
        if isinstance(ref, n.ListType):
            item, item_fix = self.annotation(ref.item)
            annotation: Any = list[item]  # type: ignore[valid-type]
            if item_fix is not None:
                single = self.single_fix.get(item_fix)
                fix = _each(item_fix) if single is None else _each_one(*single)
        elif isinstance(ref, n.EnumType):
            annotation = Literal[ref.members]
        elif ref.name == "decimal":
            bounds = None if field_range is None else (field_range.low.value, field_range.high.value)
            return Any, _Number(optional, bounds)  # none, when allowed, is the check's to take
        elif ref.name in _PRIMITIVES:
            annotation = _PRIMITIVES[ref.name]
            if ref.name == "int" and field_range is not None:
                fix = _whole(field_range.low.value, field_range.high.value)
        else:
            annotation, fix = self.struct(ref.name)
        if optional:
            return annotation | None, None if fix is None else _maybe(fix)
        return annotation, fix

    def struct(self, name: str, top: bool = False) -> tuple[Any, Fix | None]:
        """The struct of a type and the check of its decoded object; `top`: the record itself,
        with its `sheets` and no unknown field."""
        if name in self.structs and not top:
            self.holds_itself = self.holds_itself or self.structs[name] == (Any, None)
            return self.structs[name]
        self.structs[name] = (Any, None)  # until it is built: a type that holds itself is not read here
        fields: list[tuple[str, Any, Any]] = []
        fixes: list[tuple[str, Fix]] = []
        for index, fld in enumerate(self.types[name].fields):
            annotation, fix = self.annotation(fld.type, fld.range)
            required = fld.default is None and not isinstance(fld.type, n.OptionalType)
            if required:
                fields.append((f"f{index}", annotation, msgspec.field(name=fld.name)))
            else:
                fields.append(
                    (f"f{index}", annotation | msgspec.UnsetType, msgspec.field(name=fld.name, default=_UNSET))
                )
            if fix is not None:
                fixes.append((fld.name, fix))
        if top:
            fields.append(("sheets", msgspec.Raw | msgspec.UnsetType, msgspec.field(name=SHEETS_KEY, default=_UNSET)))
        struct = msgspec.defstruct(f"{name}Line", fields, kw_only=True, forbid_unknown_fields=top)
        check = _fields(fixes) if fixes else None
        if check is not None and len(fixes) == 1:
            self.single_fix[check] = fixes[0]
        self.structs[name] = found = (struct, check)
        return found

    def read(self, raw: bytes) -> tuple[dict[str, Any], Any] | None:
        """The record and sheets of a JSON line, or None: read it the slow way."""
        try:
            line = self.decoder.decode(raw)
            sheets, line.sheets = line.sheets, _UNSET
            record: dict[str, Any] = msgspec.to_builtins(line, builtin_types=_KEPT)
            if self.fix is not None:
                self.fix(record)
            return record, None if sheets is _UNSET else _SHEETS_READER.decode(bytes(sheets).decode("utf-8"))
        except (msgspec.ValidationError, msgspec.DecodeError, NotTaken, ArithmeticError, ValueError, RecursionError):
            return None


_KEPT = (datetime.date, Decimal)  # what the record keeps as it was decoded (not as its JSON text)


def _maybe(fix: Fix) -> Fix:
    def maybe(value: Any) -> Any:
        return None if value is None else fix(value)

    return maybe


def reader_for(types: Mapping[str, n.TypeDecl], root: str) -> JsonReader | None:
    """The one-step reader of a record type; None when the record has a field named `sheets`
    (JSON lines give judged scores under that name) or a type that holds itself."""
    if any(fld.name == SHEETS_KEY for fld in types[root].fields):
        return None
    reader = JsonReader(types, root)
    return None if reader.holds_itself else reader
