"""Records: validation with pydantic, generated from the schema, with errors a person can read.

Two things are generated from each schema type with the same field annotations, so they
apply exactly the same rules: a pydantic model (`Ruleset.record_model`, for hosts and for
the JSON Schema) and a TypedDict validated by a pydantic `TypeAdapter`, which the engine
uses because it yields plain dicts, without building an object per nested meeting. A JSON
line is read in one step by `json_records.JsonReader` where its reading agrees with these
rules, and by `json` then this validator where it might not.

Coercion is refused where it would lie, inside pydantic-core (no Python callback per
field but one: the Decimal of a numeric text is remembered for the next record, `_remembered`):
a date is a date object or a `YYYY-MM-DD` text, never a number; an int is an int
or a text of digits, never a fraction or a bool; a decimal is read exactly from a
Decimal, an int, a numeric text ("0.96", as CSV and exports carry it) or a float by its
shortest repr, and NaN and Infinity are refused. Numbers written as text follow one
lexical rule for both (`INT_TEXT`, `DECIMAL_TEXT`): ASCII digits only, no `_` separators,
no Arabic-Indic or full-width digits, surrounding spaces ignored.

Values quoted in messages go through `quoted`, which cuts them to a bounded length: a
record's message never grows with the size (or the YAML-alias expansion) of its input.
"""

from __future__ import annotations

import datetime
import functools
import keyword
import reprlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Annotated, Any, Literal, NotRequired

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    TypeAdapter,
    ValidationError,
    create_model,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, SchemaValidator
from pydantic_core import core_schema as cs
from typing_extensions import TypedDict

from ..syntax import nodes as n
from ..syntax.source import Span
from .arithmetic import EvalError, describe_failure
from .json_records import JsonReader, reader_for

NOT_A_DATE, NOT_A_NUMBER, NOT_AN_INT = "not_a_date", "not_a_number", "not_an_int"
# Numbers written as text, for int and decimal fields alike: ASCII digits only ([0-9], not
# \d, which would admit Arabic-Indic and full-width digits), no `_` separators.
INT_TEXT = r"^[+-]?[0-9]+$"
DECIMAL_TEXT = r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$"


def python_names(names: Iterable[str]) -> dict[str, str]:
    """The attribute each field has on its pydantic model (the field name stays its alias).

    A name that is not a usable attribute (a keyword, `_x`, `model_x`, a BaseModel
    attribute such as `copy`) gets `field_<index>`, with `_` appended until it is taken by
    no other field: two fields never share an attribute, so none is dropped from a model.
    """
    fields = list(names)
    kept = {name for name in fields if _usable(name)}
    out: dict[str, str] = {}
    for index, name in enumerate(fields):
        if name in kept:
            out[name] = name
            continue
        candidate = f"field_{index}"
        while candidate in kept or candidate in out.values():
            candidate += "_"
        out[name] = candidate
    return out


def _usable(name: str) -> bool:
    return (
        name.isidentifier()
        and not keyword.iskeyword(name)
        and not name.startswith(("_", "model_"))
        and not hasattr(BaseModel, name)
    )


QUOTE_LIMIT = 60


class _Quoter(reprlib.Repr):
    """`reprlib` with our cuts; integers past Python's digit limit and Decimals as text."""

    def __init__(self) -> None:
        super().__init__()
        self.maxlevel = 2
        self.maxstring = self.maxother = self.maxlong = QUOTE_LIMIT
        self.maxlist = self.maxtuple = self.maxdict = self.maxset = self.maxfrozenset = 4

    def repr_int(self, x: int, level: int) -> str:
        try:
            return super().repr_int(x, level)
        except ValueError:  # more digits than `sys.get_int_max_str_digits()` allows
            return f"<an integer of about {int(x.bit_length() * 0.30103)} digits>"

    def repr_Decimal(self, x: Decimal, level: int) -> str:  # reprlib dispatches on the type name
        return self.repr_str(str(x), level)


_QUOTER = _Quoter()


def quoted(value: Any) -> str:
    """`repr(value)` cut to about `QUOTE_LIMIT` characters, for every value a message quotes.

    Nesting past two levels, more than four items and long texts are elided (`...`), so
    a record nested 100,000 deep, or a YAML alias bomb, costs a few characters here; an
    integer too long for `int.__repr__` is shown by its number of digits.
    """
    text = _QUOTER.repr(value)
    return text if len(text) <= QUOTE_LIMIT + 5 else text[:QUOTE_LIMIT] + "..."


def _first_of(choices: list[CoreSchema | tuple[CoreSchema, str]], error_type: str, message: str) -> CoreSchema:
    """The first of `choices` that accepts a value; else one error of `error_type` (not one per choice)."""
    return cs.union_schema(choices, mode="left_to_right", custom_error_type=error_type, custom_error_message=message)


def _remembered(schema: CoreSchema, seen: dict[str, Any]) -> CoreSchema:
    """`schema`, a validation of texts whose result depends on the text alone (a decimal's),
    with its results remembered for the texts met most recently: a batch repeats the same few
    rates many times, and pydantic-core's decimal validator costs a few microseconds a value.
    A text not met before is validated by `schema` itself, so a remembered result is the one
    `schema` gave (a Decimal is immutable, so records may share one); a text it refuses is
    refused again each time. Up to REMEMBERED_TEXTS are kept in `seen`, then it starts afresh;
    a text longer than REMEMBERED_LENGTH is validated each time and never kept, so what is
    remembered stays small whatever a record holds."""
    validator = SchemaValidator(schema)

    def validated(text: str) -> Any:
        found = seen.get(text)
        if found is None:
            try:
                found = validator.validate_python(text)
            except ValidationError as error:  # this choice fails; the union reports its own error
                raise ValueError(error.errors()[0]["msg"]) from None
            if len(text) > REMEMBERED_LENGTH:
                return found
            if len(seen) >= REMEMBERED_TEXTS:
                seen.clear()
            seen[text] = found
        return found

    return cs.no_info_plain_validator_function(validated)


REMEMBERED_TEXTS = 4096
REMEMBERED_LENGTH = 40  # characters: a rate or an amount, not a hostile million digits
DECIMAL_TEXTS_SEEN: dict[str, Any] = {}  # the Decimals of numeric texts met most recently
_DECIMAL_OF_TEXT = _remembered(cs.decimal_schema(allow_inf_nan=False), DECIMAL_TEXTS_SEEN)


class _DateRule:
    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        iso_text = cs.chain_schema([cs.str_schema(strict=True, pattern=r"^\d{4}-\d{2}-\d{2}$"), cs.date_schema()])
        return _first_of([iso_text, cs.date_schema(strict=True)], NOT_A_DATE, "not a date")


class _DecimalRule:
    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        finite = cs.decimal_schema(allow_inf_nan=False)
        numeric_text = cs.str_schema(strict=True, strip_whitespace=True, pattern=DECIMAL_TEXT)
        return _first_of(
            [  # texts first: the commonest input; each choice takes inputs of one type only, so order changes no result
                cs.chain_schema([numeric_text, _DECIMAL_OF_TEXT]),
                cs.decimal_schema(strict=True, allow_inf_nan=False),
                cs.chain_schema([cs.int_schema(strict=True), finite]),
                cs.chain_schema([cs.float_schema(strict=True, allow_inf_nan=False), finite]),
            ],
            NOT_A_NUMBER,
            "not a number",
        )


class _IntRule:
    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        digits = cs.chain_schema([cs.str_schema(strict=True, strip_whitespace=True, pattern=INT_TEXT), cs.int_schema()])
        return _first_of([cs.int_schema(strict=True), digits], NOT_AN_INT, "not a whole number")


@dataclass(frozen=True, slots=True)
class _Within:
    """A field's declared range (`decimal in 0..1`), checked after the value is read, inside
    pydantic-core like the rest; an int field keeps the whole numbers within it."""

    low: Decimal
    high: Decimal
    whole: bool

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        bound: CoreSchema = cs.decimal_schema(strict=True, ge=self.low, le=self.high)
        if self.whole:
            low = int(self.low.to_integral_value(rounding=ROUND_CEILING))
            high = int(self.high.to_integral_value(rounding=ROUND_FLOOR))
            bound = cs.int_schema(strict=True, ge=low, le=high)
        return cs.chain_schema([handler(source), bound])

    def __get_pydantic_json_schema__(self, schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        """The range as `minimum`/`maximum` on the JSON Schema's number forms (texts are read
        as numbers too, but a JSON Schema cannot bound them)."""
        shown = handler(schema)
        for option in shown.get("anyOf", [shown]):
            if option.get("type") in ("number", "integer"):
                option["minimum"], option["maximum"] = _json_number(self.low), _json_number(self.high)
        return shown


def _json_number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def within(annotation: Any, field_range: n.FieldRange, kind: str) -> Any:
    """`annotation` (a primitive field's) narrowed to the field's declared range."""
    return Annotated[annotation, _Within(field_range.low.value, field_range.high.value, kind == "int")]


DateField = Annotated[datetime.date, _DateRule]
IntField = Annotated[int, _IntRule]
DecimalField = Annotated[Decimal, _DecimalRule]
TextField = Annotated[str, Field(strict=True)]
PRIMITIVE_FIELDS: dict[str, Any] = {
    "bool": bool,
    "int": IntField,
    "decimal": DecimalField,
    "text": TextField,
    "date": DateField,
}
RECORD_CONFIG = ConfigDict(extra="ignore")


@dataclass(frozen=True, slots=True)
class FieldAccess:
    """How generated code reads a field: `key` in the record dict, or the default when absent."""

    key: str
    required: bool
    default: Any


@dataclass(frozen=True, slots=True)
class FieldMap:
    """Schema field → how to read it, per type; the compiler and interpreter read records through it."""

    fields: Mapping[str, Mapping[str, FieldAccess]]

    def access(self, type_name: str, field_name: str) -> FieldAccess:
        return self.fields[type_name][field_name]

    def read(self, record: Mapping[str, Any], type_name: str, field_name: str) -> Any:
        info = self.fields[type_name][field_name]
        return record[info.key] if info.required else record.get(info.key, info.default)


@dataclass(frozen=True, slots=True)
class RecordModels:
    root: type[BaseModel]
    by_type: Mapping[str, type[BaseModel]]
    fields: FieldMap
    validator: TypeAdapter[Any]
    # the one-step reader of the record's JSON lines (`json_records`), built when a line is
    # first read; None where it does not apply
    json_reader: Callable[[], JsonReader | None]


def _literal_default(expr: n.Expr, ref: n.TypeRef) -> Any:
    if isinstance(ref, n.OptionalType):
        ref = ref.inner
    if isinstance(expr, n.NoneLit):
        return None
    if isinstance(expr, n.ListLit):
        item = ref.item if isinstance(ref, n.ListType) else ref
        return tuple(_literal_default(x, item) for x in expr.items)
    if isinstance(expr, n.Number) and isinstance(ref, n.NamedType) and ref.name == "int":
        return int(expr.value)
    if isinstance(expr, (n.Number, n.String, n.Bool, n.DateLit)):
        return expr.value
    raise ValueError("defaults must be literal values")


def build_models(types: Mapping[str, n.TypeDecl], root: str) -> RecordModels:
    models: dict[str, type[BaseModel]] = {}
    dicts: dict[str, Any] = {}
    fields: dict[str, dict[str, FieldAccess]] = {}

    def annotation(ref: n.TypeRef, kind: str, field_range: n.FieldRange | None = None) -> Any:
        if isinstance(ref, n.OptionalType):
            return annotation(ref.inner, kind, field_range) | None
        if isinstance(ref, n.ListType):
            return list[annotation(ref.item, kind)]  # type: ignore[misc]
        if isinstance(ref, n.EnumType):
            return Literal[ref.members]
        if ref.name in PRIMITIVE_FIELDS:
            if field_range is not None and ref.name in ("int", "decimal"):
                return within(PRIMITIVE_FIELDS[ref.name], field_range, ref.name)
            return PRIMITIVE_FIELDS[ref.name]
        return model_for(ref.name) if kind == "model" else dict_for(ref.name)

    def field_info(name: str) -> None:
        if name in fields:
            return
        fields[name] = {}
        for fld in types[name].fields:
            has_default = fld.default is not None or isinstance(fld.type, n.OptionalType)
            default = _literal_default(fld.default, fld.type) if fld.default is not None else None
            fields[name][fld.name] = FieldAccess(fld.name, not has_default, default)

    def model_for(name: str) -> type[BaseModel]:
        if name in models:
            return models[name]
        field_info(name)
        decl = types[name]
        definitions: dict[str, Any] = {}
        attributes = python_names(fld.name for fld in decl.fields)
        for fld in decl.fields:
            access = fields[name][fld.name]
            title = fld.label or fld.name  # the schema's own words, not a name made up from the field's
            if access.required:
                info = Field(alias=fld.name, title=title)
            elif isinstance(access.default, tuple):
                info = Field(default_factory=lambda d=access.default: list(d), alias=fld.name, title=title)
            else:
                info = Field(default=access.default, alias=fld.name, title=title)
            definitions[attributes[fld.name]] = (annotation(fld.type, "model", fld.range), info)
        config = ConfigDict(extra="ignore", populate_by_name=True, title=decl.label or decl.name)
        model: type[BaseModel] = create_model(name, __config__=config, **definitions)
        model.__doc__ = decl.label or name
        models[name] = model
        return model

    def dict_for(name: str) -> Any:
        if name in dicts:
            return dicts[name]
        field_info(name)
        spec: dict[str, Any] = {}
        for fld in types[name].fields:
            ann = annotation(fld.type, "dict", fld.range)
            spec[fld.name] = ann if fields[name][fld.name].required else NotRequired[ann]
        typed = TypedDict(f"{name}Record", spec)  # type: ignore[misc]  # a type built at run time
        typed.__pydantic_config__ = RECORD_CONFIG  # type: ignore[attr-defined]
        dicts[name] = typed
        return typed

    root_model = model_for(root)
    validator: TypeAdapter[Any] = TypeAdapter(dict_for(root))

    @functools.cache
    def json_reader() -> JsonReader | None:
        return reader_for(types, root)

    return RecordModels(root_model, models, FieldMap(fields), validator, json_reader)


@dataclass(frozen=True, slots=True)
class FieldProblem:
    path: str
    message: str


def error_path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


_MESSAGES = {
    "missing": "is required",
    NOT_AN_INT: "{input} is not a whole number",
    NOT_A_NUMBER: "{input} is not a number",
    NOT_A_DATE: "{input} is not a date",
    "bool_parsing": "{input} is not true or false",
    "bool_type": "{input} is not true or false",
    "string_type": "{input} is not text",
    "list_type": "{input} is not a list",
    "dict_type": "{input} is not an object",
    "model_type": "{input} is not an object",
    "model_attributes_type": "{input} is not an object",
    "greater_than_equal": "{input} is below {ge}, the lowest the schema allows",
    "less_than_equal": "{input} is above {le}, the highest the schema allows",
}


def _non_finite(value: Any) -> str | None:
    """'NaN' or 'Infinity' when a value spells one (text, float or Decimal), else None."""
    try:
        number = Decimal(str(value).strip()) if isinstance(value, (str, float, Decimal)) else None
    except ArithmeticError:
        return None
    if number is None or number.is_finite():
        return None
    return "NaN" if number.is_nan() else "-Infinity" if number < 0 else "Infinity"


def _message(error: Mapping[str, Any]) -> str:
    kind = error["type"]
    value = error.get("input")
    if kind == NOT_A_NUMBER and _non_finite(value):
        return f"{_non_finite(value)} is not a finite number"
    if kind == "literal_error":
        expected = error.get("ctx", {}).get("expected", "")
        return f"{quoted(value)} is not one of {expected}"
    template = _MESSAGES.get(kind)
    if template:
        return template.format(input=quoted(value), **error.get("ctx", {}))
    return str(error["msg"])


def validate(models: RecordModels, data: Any) -> tuple[dict[str, Any] | None, list[FieldProblem]]:
    """A record as a plain dict of exact values, or every problem with its field path."""
    if isinstance(data, BaseModel):
        data = data.model_dump(by_alias=True)
    if not isinstance(data, Mapping):
        return None, [FieldProblem("", f"a record must be an object, not {type(data).__name__}")]
    try:
        return models.validator.validate_python(data), []
    except ValidationError as error:
        return None, [FieldProblem(error_path(e["loc"]), _message(e)) for e in error.errors()]


def failure_problem(error: BaseException, context: str = "", at: Span | None = None) -> FieldProblem:
    """A run-time failure (`arithmetic.RUNTIME_FAILURES`) as the error of the record it met.

    An `EvalError` names its own position; a Python error inside an expression is named by
    the clause being evaluated (`at`), as the backend knows it."""
    path = error.path if isinstance(error, EvalError) else ""
    message = describe_failure(error)
    if at is not None and not isinstance(error, EvalError):
        message += f" (at {at})"
    return FieldProblem(path, f"{context}: {message}" if context else message)
