"""A file's outline for the editor: dimensions with their indicators (and a ruleset's other
blocks), a schema's types with their fields, a catalog's routes.

Read from the document's own parse, so it works while the file does not check (an unknown
import) and shows what this file declares, not what it inherits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from ..syntax import nodes as n
from ..syntax.parser import parse_source
from ..syntax.source import SourceFile, Span

Kind = Literal["module", "namespace", "field", "class", "event", "variable", "enum"]


@dataclass(frozen=True, slots=True)
class Symbol:
    name: str
    detail: str
    kind: Kind
    span: Span
    children: list[Symbol] = field(default_factory=list)


def _indicator(ind: n.Indicator, prefix: str = "") -> Symbol:
    return Symbol(f"{prefix}{ind.name}", f"{ind.label or ''} max {ind.max.text}".strip(), "field", ind.span)


def _item(item: object) -> Symbol | None:
    if isinstance(item, n.Dimension):
        children = [_indicator(i) for i in item.items if isinstance(i, n.Indicator)]
        return Symbol(item.name, f"{item.label or ''} max {item.max.text}".strip(), "namespace", item.span, children)
    if isinstance(item, n.ExtendDimension):
        children = [_indicator(i, "+ ") for i in item.indicators]
        return Symbol(f"extend {item.name}", "", "namespace", item.span, children)
    if isinstance(item, n.OverrideIndicator):
        return _indicator(item.indicator, "override ")
    if isinstance(item, n.RemoveIndicator):
        return Symbol(f"remove {item.name}", item.reason or "", "field", item.span)
    if isinstance(item, n.Bonus):
        children = [Symbol(i.name, i.label or "", "field", i.span) for i in item.items]
        return Symbol(item.name or item.kind, item.label or "", "namespace", item.span, children)
    if isinstance(item, n.Veto | n.Exempt | n.Assign):
        return Symbol(item.name or type(item).__name__.lower(), item.label or "", "event", item.span)
    if isinstance(item, n.Grades):
        children = [Symbol(r.name, r.label or "", "enum", r.span) for r in item.rules]
        return Symbol("grades", "", "namespace", item.span, children)
    if isinstance(item, n.Let):
        return Symbol(item.name, "let", "variable", item.span)
    if isinstance(item, n.RouteTable):
        children = [Symbol(e.value, e.target, "field", e.span) for e in item.entries]
        return Symbol(f"route by {item.field}", "", "namespace", item.span, children)
    return None


def outline(path: str, text: str) -> list[Symbol]:
    """The symbols of one file (none when it does not parse)."""
    parsed = parse_source(SourceFile(path, text))
    module = parsed.module
    if module is None:
        return []
    if isinstance(module, n.Schema):
        return [
            Symbol(
                t.name,
                t.label or "",
                "class",
                t.span,
                [Symbol(f.name, f.label or "", "field", f.span) for f in t.fields],
            )
            for t in module.types
        ]
    return [symbol for item in module.items if (symbol := _item(item)) is not None]


__all__ = ["Symbol", "outline"]
