"""Records: a pydantic model per schema type, and validation with errors a person can read.

The model is generated from the same schema the checker types against, so a host
that validates with `Ruleset.record_model` applies exactly the engine's rules. Coercion
is refused where it would lie: no number for a date, no fraction for an int, no NaN
or Infinity; numeric strings (CSV, exports) are read exactly as decimals.
"""

from __future__ import annotations

import datetime
import keyword
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, create_model

from . import nodes as n

RESERVED_PREFIXES = ("_", "model_")


def python_name(name: str, index: int) -> str:
    """The attribute a field has on its model; unusual names get a safe one and an alias."""
    if name.isidentifier() and not keyword.iskeyword(name) and not name.startswith(RESERVED_PREFIXES) \
            and not hasattr(BaseModel, name):
        return name
    return f"field_{index}"


def _no_numbers_for_dates(value: Any) -> Any:
    if isinstance(value, (bool, int, float, Decimal)):
        raise ValueError(f"{value!r} is not a date")
    if isinstance(value, datetime.datetime):
        raise ValueError(f"{value.isoformat()!r} is a date and time, not a date")
    if isinstance(value, str) and len(value) != 10:
        raise ValueError(f"{value!r} is not a date (write YYYY-MM-DD)")
    return value


def _whole_numbers_only(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a whole number")
    if isinstance(value, str):
        text = value.strip()
        if not text.lstrip("+-").isdigit():
            raise ValueError(f"{value!r} is not a whole number")
        return int(text)
    return value


def _exact_decimal(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a number")
    if isinstance(value, float):
        return Decimal(repr(value))  # the shortest text that round-trips: what the writer meant
    if isinstance(value, str):
        text = value.strip()
        if text.endswith("%"):
            try:
                return Decimal(text[:-1]) / 100
            except ArithmeticError:
                raise ValueError(f"{value!r} is not a number") from None
        return text
    return value


DateField = Annotated[datetime.date, BeforeValidator(_no_numbers_for_dates)]
IntField = Annotated[int, BeforeValidator(_whole_numbers_only)]
DecimalField = Annotated[Decimal, BeforeValidator(_exact_decimal), Field(allow_inf_nan=False)]
PRIMITIVE_FIELDS: dict[str, Any] = {"bool": bool, "int": IntField, "decimal": DecimalField, "text": str, "date": DateField}


@dataclass(frozen=True, slots=True)
class FieldMap:
    """Schema field name → model attribute, per type; the compiler reads records through it."""

    attributes: Mapping[str, Mapping[str, str]]

    def attr(self, type_name: str, field_name: str) -> str:
        return self.attributes[type_name][field_name]


@dataclass(frozen=True, slots=True)
class RecordModels:
    root: type[BaseModel]
    by_type: Mapping[str, type[BaseModel]]
    fields: FieldMap


def _literal_default(expr: n.Expr) -> Any:
    if isinstance(expr, (n.Number, n.String, n.Bool, n.DateLit)):
        return expr.value
    if isinstance(expr, n.NoneLit):
        return None
    if isinstance(expr, n.ListLit):
        return [_literal_default(item) for item in expr.items]
    raise ValueError("defaults must be literal values")


def build_models(types: Mapping[str, n.TypeDecl], root: str) -> RecordModels:
    models: dict[str, type[BaseModel]] = {}
    attributes: dict[str, dict[str, str]] = {}

    def annotation(ref: n.TypeRef) -> Any:
        if isinstance(ref, n.OptionalType):
            return annotation(ref.inner) | None
        if isinstance(ref, n.ListType):
            return list[annotation(ref.item)]  # type: ignore[misc]
        if isinstance(ref, n.EnumType):
            return Literal[ref.members]
        if ref.name in PRIMITIVE_FIELDS:
            return PRIMITIVE_FIELDS[ref.name]
        return model_for(ref.name)

    def model_for(name: str) -> type[BaseModel]:
        if name in models:
            return models[name]
        decl = types[name]
        definitions: dict[str, Any] = {}
        attributes[name] = {}
        for index, fld in enumerate(decl.fields):
            attr = python_name(fld.name, index)
            attributes[name][fld.name] = attr
            ann = annotation(fld.type)
            if fld.default is not None:
                default = _literal_default(fld.default)
                info = Field(default_factory=lambda d=default: list(d)) if isinstance(default, list) else Field(default=default)
            elif isinstance(fld.type, n.OptionalType):
                info = Field(default=None)
            else:
                info = Field()
            if attr != fld.name:
                info.alias = fld.name
                info.validation_alias = fld.name
            info.description = fld.label
            definitions[attr] = (ann, info)
        config = ConfigDict(extra="ignore", populate_by_name=True, title=decl.label or decl.name)
        model = create_model(f"Record_{len(models)}_{name}", __config__=config, **definitions)
        model.__doc__ = decl.label or name
        models[name] = model
        return model

    root_model = model_for(root)
    for name in types:
        if name not in models:
            try:
                model_for(name)
            except ValueError:
                continue
    return RecordModels(root_model, models, FieldMap(attributes))


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
    "int_from_float": "{input!r} is not a whole number",
    "int_parsing": "{input!r} is not a whole number",
    "int_type": "{input!r} is not a whole number",
    "decimal_parsing": "{input!r} is not a number",
    "decimal_type": "{input!r} is not a number",
    "finite_number": "{input!r} is not a finite number",
    "date_from_datetime_parsing": "{input!r} is not a date",
    "date_parsing": "{input!r} is not a date",
    "date_type": "{input!r} is not a date",
    "date_from_datetime_inexact": "{input!r} is not a date",
    "bool_parsing": "{input!r} is not true or false",
    "bool_type": "{input!r} is not true or false",
    "string_type": "{input!r} is not text",
    "list_type": "{input!r} is not a list",
    "model_type": "{input!r} is not an object",
    "model_attributes_type": "{input!r} is not an object",
}


def _message(error: Mapping[str, Any]) -> str:
    kind = error["type"]
    value = error.get("input")
    if kind == "literal_error":
        expected = error.get("ctx", {}).get("expected", "")
        return f"{value!r} is not one of {expected}"
    if kind == "value_error":
        return str(error.get("ctx", {}).get("error", error["msg"]))
    template = _MESSAGES.get(kind)
    if template:
        return template.format(input=value if not isinstance(value, Decimal) else str(value))
    return str(error["msg"])


def validate(model: type[BaseModel], data: Any) -> tuple[BaseModel | None, list[FieldProblem]]:
    if isinstance(data, model):
        return data, []
    if not isinstance(data, Mapping):
        return None, [FieldProblem("", f"a record must be an object, not {type(data).__name__}")]
    try:
        return model.model_validate(data), []
    except ValidationError as error:
        return None, [FieldProblem(error_path(e["loc"]), _message(e)) for e in error.errors()]
