"""What a position in a document names: for hover and go to definition.

Positions here are 0-based lines and 0-based code-point columns of the document's text
(the server converts from and to the client's units). A name is read from the text around
the position (`m.held_on`), then looked up in the resolved module: an aggregate's variable
(`count(m in meetings ...)` binds `m` to the element type of `meetings`), a record field,
a `let`, an indicator (with where the `extends` chain added or overrode it), a grade, a
type, a built-in function or aggregate; an `import` path and an `extends` or route target
lead to their files.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from ..check.project import display_path
from ..check.resolved import Resolved, ResolvedCatalog, ResolvedRuleset, ResolvedSchema, TableIndicator
from ..semantics.builtins import AGGREGATES, FUNCTIONS
from ..syntax import nodes as n
from ..syntax.expr_text import print_expr
from ..syntax.layout import type_text
from ..syntax.source import Span

NAME_CHARS = re.compile(r"[A-Za-z0-9_.]")
BINDING = re.compile(r"\b(?:" + "|".join(sorted(AGGREGATES)) + r")\(\s*([A-Za-z_]\w*)\s+in\s+([A-Za-z_][\w.]*)")
IMPORT = re.compile(r'^\s*import\s+"([^"]*)"')


@dataclass(frozen=True, slots=True)
class Target:
    """A place to go: a file (as spans name it) and a 1-based line with the 1-based columns of the name."""

    path: str
    line: int
    column: int
    end_column: int


@dataclass(frozen=True, slots=True)
class Found:
    """What a position names: Markdown to show, and where it is defined (None: built in)."""

    hover: str
    target: Target | None


@dataclass(frozen=True, slots=True)
class Word:
    """The dotted name under the cursor: its parts, which part the cursor is on, and whether a
    `(` follows it (a call)."""

    parts: tuple[str, ...]
    index: int
    call: bool


def word_at(line: str, column: int) -> Word | None:
    start = column
    while start > 0 and NAME_CHARS.match(line[start - 1]):
        start -= 1
    end = column
    while end < len(line) and NAME_CHARS.match(line[end]):
        end += 1
    text = line[start:end]
    if not text or not re.match(r"[A-Za-z_]", text):
        return None
    index = line[start:column].count(".")
    parts = tuple(text.split("."))
    if index >= len(parts) or not parts[index]:
        return None
    return Word(parts[: index + 1], index, line[end:].lstrip().startswith("("))


def name_target(span: Span, name: str, lines: dict[str, list[str]]) -> Target:
    """The name's place on the first line of the declaration `span` covers (the whole line's
    start when the name is not found on it)."""
    text = lines.get(span.path, [])
    line = text[span.line - 1] if 0 < span.line <= len(text) else ""
    match = re.search(rf"(?<![\w.]){re.escape(name)}(?!\w)", line[max(span.column - 1, 0) :])
    if match is None:
        return Target(span.path, span.line, span.column, span.column)
    column = max(span.column - 1, 0) + match.start() + 1
    return Target(span.path, span.line, column, column + len(name))


# ---------------------------------------------------------------- types of fields


def element_type(ref: n.TypeRef) -> str | None:
    """The record type a field holds, through `?` and `list[...]` (None for text, enums, numbers)."""
    while isinstance(ref, n.OptionalType | n.ListType):
        ref = ref.inner if isinstance(ref, n.OptionalType) else ref.item
    return ref.name if isinstance(ref, n.NamedType) else None


def enum_members(ref: n.TypeRef) -> tuple[str, ...]:
    while isinstance(ref, n.OptionalType | n.ListType):
        ref = ref.inner if isinstance(ref, n.OptionalType) else ref.item
    return ref.members if isinstance(ref, n.EnumType) else ()


def field_of(types: dict[str, n.TypeDecl], type_name: str | None, name: str) -> n.FieldDecl | None:
    decl = types.get(type_name or "")
    return next((f for f in decl.fields if f.name == name), None) if decl else None


def module_types(module: Resolved) -> dict[str, n.TypeDecl]:
    return module.types if isinstance(module, ResolvedRuleset | ResolvedSchema) else {}


def record_type(module: Resolved) -> str | None:
    if isinstance(module, ResolvedRuleset) and module.record is not None:
        return module.record.type_name
    return None


def binding(text_before: str, var: str) -> str | None:
    """The source path an aggregate binds `var` to, nearest before the cursor."""
    found = [m[2] for m in BINDING.finditer(text_before) if m[1] == var]
    return found[-1] if found else None


def path_type(module: Resolved, parts: tuple[str, ...], text_before: str) -> tuple[str | None, n.FieldDecl | None]:
    """The record type that `parts` (a dotted path) holds, and the field it ends on; the first
    part is an aggregate's variable or a record field."""
    types = module_types(module)
    head, rest = parts[0], parts[1:]
    source = binding(text_before, head)
    field: n.FieldDecl | None = None
    if source is not None and source.split(".")[0] != head:
        holder, field = path_type(module, tuple(source.split(".")), text_before[: text_before.rfind(source)])
        current = holder
    else:
        field = field_of(types, record_type(module), head)
        current = element_type(field.type) if field else None
        if field is None:
            return None, None
    for part in rest:
        field = field_of(types, current, part)
        if field is None:
            return None, None
        current = element_type(field.type)
    return current, field


# ---------------------------------------------------------------- what a name is


def look_up(module: Resolved, lines: dict[str, list[str]], line: int, column: int) -> Found | None:
    """What the text of `module`'s own file names at (line, column), 0-based."""
    own = lines.get(module.source.path, [])
    if not 0 <= line < len(own):
        return None
    current = own[line]
    imported = IMPORT.match(current)
    if imported and current.find('"') < column <= current.rfind('"'):
        return _import_target(module, imported[1])
    word = word_at(current, column)
    if word is None:
        return None
    before = "\n".join([*own[:line], current[:column]])
    name = word.parts[-1]
    if word.index == 0:
        special = _header_name(module, current, name, lines)
        if special is not None:
            return special
        if word.call:
            return _builtin(name)
        source = binding(before, name)
        if source is not None:
            element, _ = path_type(module, tuple(source.split(".")), before)
            return Found(f"`{name}`: each element of `{source}`" + (f" (`{element}`)" if element else ""), None)
    if word.parts[0] == "period":
        return None
    _, field = path_type(module, word.parts, before)
    if field is not None:
        return _field(module, field, lines)
    return None if word.index else _named(module, name, lines, line + 1)


def _import_target(module: Resolved, path: str) -> Found | None:
    target = Path(os.path.normpath(Path(module.source.path).parent / path))
    if not target.is_file():
        return None
    return Found(f"import `{path}` — `{display_path(target)}`", Target(display_path(target), 1, 1, 1))


def _header_name(module: Resolved, line: str, name: str, lines: dict[str, list[str]]) -> Found | None:
    """`extends NAME` and a catalog's route targets lead to the ruleset's file."""
    if isinstance(module, ResolvedRuleset) and re.search(rf"\bextends\s+{re.escape(name)}\b", line):
        base = module.base
        if base is not None and base.name == name:
            return Found(_ruleset_hover(base), name_target(base.node.span, name, lines))
    if isinstance(module, ResolvedCatalog) and name in module.rulesets:
        ruleset = module.rulesets[name]
        return Found(_ruleset_hover(ruleset), name_target(ruleset.node.span, name, lines))
    return None


def _ruleset_hover(ruleset: ResolvedRuleset) -> str:
    label = f" {ruleset.label}" if ruleset.label else ""
    return f"ruleset **{ruleset.name}**{label} — `{ruleset.source.path}`"


def _builtin(name: str) -> Found | None:
    if name in FUNCTIONS:
        function = FUNCTIONS[name]
        shapes = " | ".join(f"{name}({', '.join(shape)})" for shape in function.shapes)
        return Found(f"```\n{shapes} → {function.result}\n```\n\n{_doc(function.implementation)}".rstrip(), None)
    if name in AGGREGATES:
        aggregate = AGGREGATES[name]
        value = ", VALUE" if aggregate.takes_value else ""
        by = ", by DATE" if aggregate.needs_by else (" [, by KEY]" if aggregate.keyed else "")
        shape = f"{name}(x in LIST [where CONDITION]{value}{by}) → {aggregate.result}"
        return Found(f"```\n{shape}\n```\n\n{_doc(aggregate.implementation)}".rstrip(), None)
    return None


def _doc(function: object) -> str:
    doc = getattr(function, "__doc__", None) or ""
    return " ".join(doc.split("\n\n")[0].split())


def _field(module: Resolved, field: n.FieldDecl, lines: dict[str, list[str]]) -> Found:
    owner = next((t for t in module_types(module).values() if field in t.fields), None)
    label = f" — {field.label}" if field.label else ""
    where = f"\n\n`{owner.name}` in `{field.span.path}`" if owner else ""
    members = enum_members(field.type)
    values = "\n\nvalues: " + ", ".join(f"`{m}`" for m in members) if members else ""
    return Found(
        f"**{field.name}**: `{type_text(field.type)}`{label}{where}{values}", name_target(field.span, field.name, lines)
    )


def _named(module: Resolved, name: str, lines: dict[str, list[str]], line: int) -> Found | None:
    types = module_types(module)
    if name in types:
        decl = types[name]
        label = f" {decl.label}" if decl.label else ""
        return Found(f"type **{name}**{label} — `{decl.span.path}`", name_target(decl.span, name, lines))
    if not isinstance(module, ResolvedRuleset):
        return None
    let = _let(module, name, line)
    if let is not None:
        return Found(f"```\nlet {name} = {print_expr(let.expr)}\n```", name_target(let.span, name, lines))
    chain = indicator_chain(module, name)
    if chain:
        return _indicator(chain, lines, line)
    grade = next((rule for rule in (module.grades.rules if module.grades else ()) if rule.name == name), None)
    if grade is not None:
        label = f" {grade.label}" if grade.label else ""
        rank = module.grade_names.index(name) + 1
        return Found(
            f"grade **{name}**{label} ({rank} of {len(module.grade_names)}, best first)",
            name_target(grade.span, name, lines),
        )
    return None


def _let(module: ResolvedRuleset, name: str, line: int) -> n.Let | None:
    """The `let` the name means at `line`: an indicator's own, its dimension's, then the ruleset's."""
    own = module.source.path
    for dimension in module.dimensions:
        for item in dimension.indicators:
            span = item.node.span
            if span.path == own and span.line <= line <= span.end_line:
                found = next((x for x in item.node.lets if x.name == name), None)
                found = found or next((x for x in dimension.lets if x.name == name), None)
                if found is not None:
                    return found
    for dimension in module.dimensions:
        found = next((x for x in dimension.lets if x.name == name), None)
        if found is not None and found.span.path == own and dimension.span.line <= line <= dimension.span.end_line:
            return found
    return module.lets.get(name)


def indicator_chain(module: ResolvedRuleset, name: str) -> list[tuple[ResolvedRuleset, TableIndicator]]:
    """The indicator in this ruleset's table and in each base's, nearest first."""
    chain: list[tuple[ResolvedRuleset, TableIndicator]] = []
    ruleset: ResolvedRuleset | None = module
    while ruleset is not None:
        found = next((i for i in ruleset.indicators() if i.node.name == name), None)
        if found is not None:
            chain.append((ruleset, found))
        ruleset = ruleset.base
    return chain


_HOW = {"base": "inherited", "added": "added", "override": "overridden", "declared": "declared"}


def _indicator(chain: list[tuple[ResolvedRuleset, TableIndicator]], lines: dict[str, list[str]], line: int) -> Found:
    _, item = chain[0]
    node = item.node
    label = f" {node.label}" if node.label else ""
    text = [f"indicator **{node.name}**{label} — max {node.max.text}, dimension `{item.dimension}`"]
    seen: set[tuple[str, int]] = set()
    for ruleset, entry in chain:
        where = (entry.origin.path, entry.origin.line)
        if entry.how == "base" or where in seen:
            continue
        seen.add(where)
        text.append(f"- {_HOW[entry.how]} in `{ruleset.name}` at `{entry.origin.path}:{entry.origin.line}`")
    if node.standard:
        text.append(f"\n评分标准: {node.standard}")
    # From its own declaration, go to what it overrides; from anywhere else, to the one in force.
    target = item.origin
    if target.path == chain[0][0].source.path and target.line == line:
        target = next((e.origin for _, e in chain[1:] if (e.origin.path, e.origin.line) != (target.path, line)), target)
    return Found("\n".join(text), name_target(target, node.name, lines))


__all__ = ["Found", "Target", "Word", "binding", "enum_members", "look_up", "path_type", "word_at"]
