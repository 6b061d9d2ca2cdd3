"""What may be typed at a position: completion items from the text before the cursor.

- after `PATH.`: the fields of the record type PATH holds (`m.` inside `count(m in
  meetings ...)` offers Meeting's fields; `period.` offers `start` and `end`);
- inside a string compared with an enum field (`kind == "`, `kind in ["`) or in the entries
  of `bands FIELD {`: the enum's values;
- elsewhere: the record's fields, the `let`s, indicators, grades, built-in functions and
  aggregates, and the language's keywords (read from the grammar).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Literal

from ..check.resolved import Resolved, ResolvedRuleset
from ..semantics.builtins import AGGREGATES, FUNCTIONS
from ..syntax.grammar import lark_parser
from ..syntax.layout import type_text
from .lookup import enum_members, field_of, module_types, path_type, record_type

Kind = Literal["field", "value", "variable", "function", "keyword", "grade", "indicator"]

MEMBER = re.compile(r"([A-Za-z_][\w.]*)\.(\w*)$")
COMPARED = re.compile(
    r"([A-Za-z_][\w.]*)\s*(?:==|!=)\s*\"[^\"]*$|([A-Za-z_][\w.]*)\s+(?:not\s+)?in\s+\[[^\]]*\"[^\"]*$"
)
BANDS = re.compile(r"\bbands\s+([A-Za-z_][\w.]*)\s*\{")
WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True, slots=True)
class Item:
    label: str
    kind: Kind
    detail: str = ""


@functools.cache
def keywords() -> tuple[str, ...]:
    """The grammar's keywords: its string terminals that are words."""
    terminals = lark_parser().terminals
    found = {t.pattern.value for t in terminals if t.pattern.type == "str" and WORD.fullmatch(t.pattern.value)}
    return tuple(sorted(found))


def complete(module: Resolved | None, text_before: str) -> list[Item]:
    """The items for a cursor after `text_before` (the document's text up to it)."""
    line = text_before.rsplit("\n", 1)[-1]
    if module is not None and _in_string(line):
        return _values(module, line, text_before)
    member = MEMBER.search(line)
    if member is not None:
        return [] if module is None else _members(module, member[1], text_before)
    items = [Item(word, "keyword") for word in keywords()]
    items += [Item(name, "function", "function") for name in FUNCTIONS]
    items += [Item(name, "function", "aggregate") for name in AGGREGATES]
    return ([] if module is None else _names(module)) + items


def _in_string(line: str) -> bool:
    return line.count('"') % 2 == 1


def _values(module: Resolved, line: str, text_before: str) -> list[Item]:
    compared = COMPARED.search(line)
    path = (compared[1] or compared[2]) if compared else None
    if path is None and line.strip().startswith('"'):
        bands = list(BANDS.finditer(text_before))
        path = bands[-1][1] if bands else None
    if path is None:
        return []
    _, field = path_type(module, tuple(path.split(".")), text_before)
    return [Item(value, "value", field.name) for value in enum_members(field.type)] if field else []


def _members(module: Resolved, path: str, text_before: str) -> list[Item]:
    if path == "period":
        return [Item("start", "field", "date"), Item("end", "field", "date")]
    holder, _ = path_type(module, tuple(path.split(".")), text_before)
    decl = module_types(module).get(holder or "")
    return [_field_item(f.name, type_text(f.type), f.label) for f in decl.fields] if decl else []


def _field_item(name: str, type_: str, label: str | None) -> Item:
    return Item(name, "field", f"{type_} {label}" if label else type_)


def _names(module: Resolved) -> list[Item]:
    types = module_types(module)
    record = types.get(record_type(module) or "")
    items = [_field_item(f.name, type_text(f.type), f.label) for f in record.fields] if record else []
    items.append(Item("period", "variable", "the assessment period: .start, .end"))
    if isinstance(module, ResolvedRuleset):
        items += [Item(name, "variable", "let") for name in module.lets]
        items += [Item(x.name, "variable", "let") for d in module.dimensions for x in d.lets]
        items += [Item(i.node.name, "indicator", i.node.label or "") for i in module.indicators()]
        items += [Item(r.name, "grade", r.label or "grade") for r in (module.grades.rules if module.grades else ())]
    return items


__all__ = ["Item", "complete", "field_of", "keywords"]
