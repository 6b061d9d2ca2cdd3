"""The layout of a data-entry workbook, derived from a ruleset: which sheet holds what, and
which column holds which field. Writing a template (`outputs/workbook_template.py`) and reading
a filled one back (`evaluate/workbook_read.py`) both follow this one layout, so a template is
read back exactly as it was written.

One sheet per record (the root type: one row per record, nested record types flattened into
`标签.标签` columns, a list of texts or choices in one cell separated by `；`), one sheet per
list of records at the root (`党员名册`: one row per member, its record's id in the first
column), and one sheet per assessment source that takes judged scores (`上级党组织考评`: one row
per record, one column per judged or adjusted indicator, and a `理由` column where a reason is
needed). Headers are the schema's and the ruleset's labels; the field name is the header where
there is no label, and a label that two columns share gets the field name added.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from ..semantics.plan import TablePlan
from ..syntax import nodes as n

CellKind = Literal["text", "int", "decimal", "date", "bool", "enum", "list", "json", "score", "adjust", "reason"]
SheetKind = Literal["records", "list", "scores", "corrections"]
LIST_SEPARATOR = "；"
TRUE_WORDS = ("是", "true", "True", "TRUE", "yes", "1")
FALSE_WORDS = ("否", "false", "False", "FALSE", "no", "0")
REASONS = ""  # a reason column's path is (REASONS, indicator): no indicator is named ""
SHEET_NAME_LIMIT = 31  # Excel's
_FORBIDDEN = str.maketrans({c: "_" for c in "[]:*?/\\"})


@dataclass(frozen=True, slots=True)
class Column:
    """One column: its header, where its value goes in the row's object (`path`), and its kind."""

    header: str
    path: tuple[str, ...]
    kind: CellKind
    required: bool = False
    members: tuple[str, ...] = ()  # an enum's choices (of each item, for a list of choices)
    low: Decimal | None = None
    high: Decimal | None = None
    item: str = "text"  # a list's item kind (text, enum, int, decimal, date)
    values: tuple[str, ...] = ()  # what each of `members` stands for (a name for a label), when not itself


@dataclass(frozen=True, slots=True)
class SheetLayout:
    """A sheet: `records` (one row per record), `list` (the root field `field`, one row per
    item, the record's id first), `scores` (the source `field`'s judged scores, id first) or
    `corrections` (one row per correction of a computed score: id, source, indicator, score,
    reason, evidence)."""

    title: str
    kind: SheetKind
    field: str | None
    label: str
    columns: tuple[Column, ...]


@dataclass(frozen=True, slots=True)
class WorkbookLayout:
    title: str
    id_field: str
    sheets: tuple[SheetLayout, ...]

    def sheet(self, kind: SheetKind, field: str | None = None) -> SheetLayout | None:
        return next((s for s in self.sheets if s.kind == kind and s.field == field), None)


def _sheet_title(label: str, taken: set[str]) -> str:
    title = label.translate(_FORBIDDEN).strip("'")[:SHEET_NAME_LIMIT] or "sheet"
    base, number = title, 2
    while title.lower() in taken:
        suffix = f"({number})"
        title, number = base[: SHEET_NAME_LIMIT - len(suffix)] + suffix, number + 1
    taken.add(title.lower())
    return title


def _unique_headers(columns: list[Column]) -> tuple[Column, ...]:
    """Headers made unique: a shared label gets the field path added (`好(members.good)`)."""
    counts: dict[str, int] = {}
    for column in columns:
        counts[column.header] = counts.get(column.header, 0) + 1
    out = []
    for column in columns:
        if counts[column.header] > 1:
            column = Column(
                f"{column.header}({'.'.join(column.path)})",
                column.path,
                column.kind,
                column.required,
                column.members,
                column.low,
                column.high,
                column.item,
                column.values,
            )
        out.append(column)
    return tuple(out)


def _scalar(ref: n.TypeRef) -> tuple[str, tuple[str, ...]] | None:
    """The kind and choices of a scalar type (None for a record type or a list)."""
    if isinstance(ref, n.EnumType):
        return "enum", ref.members
    if isinstance(ref, n.NamedType) and ref.name in ("text", "int", "decimal", "date", "bool"):
        return ref.name, ()
    return None


def _columns(
    types: Mapping[str, n.TypeDecl], type_name: str, prefix: tuple[str, ...], heading: str, required: bool
) -> list[Column]:
    """The columns of a record type's fields, nested record types flattened."""
    out: list[Column] = []
    for fld in types[type_name].fields:
        ref, optional = fld.type, False
        if isinstance(ref, n.OptionalType):
            ref, optional = ref.inner, True
        needed = required and not optional and fld.default is None
        header = f"{heading}.{fld.label or fld.name}" if heading else fld.label or fld.name
        path = (*prefix, fld.name)
        low = fld.range.low.value if fld.range else None
        high = fld.range.high.value if fld.range else None
        scalar = _scalar(ref)
        if scalar is not None:
            kind, members = scalar
            out.append(Column(header, path, kind, needed, members, low, high))  # type: ignore[arg-type]
        elif isinstance(ref, n.ListType):
            item = _scalar(ref.item.inner if isinstance(ref.item, n.OptionalType) else ref.item)
            if item is None:
                out.append(Column(header, path, "json", needed))
            else:
                out.append(Column(header, path, "list", needed, item[1], item=item[0]))
        elif isinstance(ref, n.NamedType) and ref.name in types:
            out.extend(_columns(types, ref.name, path, header, needed))
    return out


def _id_column(id_field: str, header: str) -> Column:
    return Column(header, (id_field,), "text", True)


def layout_for(
    types: Mapping[str, n.TypeDecl], root: str, plans: Sequence[TablePlan], title: str = ""
) -> WorkbookLayout:
    """The workbook layout for records of type `root`, scored by `plans` (one per ruleset of a
    catalog, or the ruleset's own): their judged indicators make the score sheets."""
    decl = types[root]
    id_field = "id" if any(f.name == "id" for f in decl.fields) else ""
    id_label = next((f.label or f.name for f in decl.fields if f.name == id_field), "id")
    taken: set[str] = set()
    lists: list[SheetLayout] = []
    for fld in decl.fields:
        ref = fld.type.inner if isinstance(fld.type, n.OptionalType) else fld.type
        if id_field and isinstance(ref, n.ListType) and isinstance(ref.item, n.NamedType) and ref.item.name in types:
            columns = [_id_column(id_field, id_label), *_columns(types, ref.item.name, (), "", True)]
            lists.append(SheetLayout("", "list", fld.name, fld.label or fld.name, _unique_headers(columns)))
    listed = {s.field for s in lists}
    record_columns = [c for c in _columns(types, root, (), "", True) if c.path[0] not in listed]
    sheets = [SheetLayout("", "records", None, decl.label or root, _unique_headers(record_columns)), *lists]
    sheets.extend(_score_sheets(plans, id_field, id_label))
    if id_field:
        sheets.extend(_corrections_sheet(plans, id_field, id_label))
    titled = tuple(SheetLayout(_sheet_title(s.label, taken), s.kind, s.field, s.label, s.columns) for s in sheets)
    return WorkbookLayout(title or decl.label or root, id_field, titled)


def _score_sheets(plans: Sequence[TablePlan], id_field: str, id_label: str) -> list[SheetLayout]:
    """One sheet per source that takes judged scores or adjustments, over every plan."""
    by_source: dict[str, tuple[str, dict[str, Column], dict[str, Column]]] = {}
    for plan in plans:
        table_sources = [s for s in plan.sources if s.is_table]
        for info in plan.indicators:
            if not info.from_sheets:
                continue
            for table in table_sources:
                if info.judged_by is not None and info.judged_by != table.name:
                    continue
                label, scores, reasons = by_source.setdefault(table.name, (table.label or table.name, {}, {}))
                kind: CellKind = "score" if info.adjust is None else "adjust"
                known = scores.get(info.name)
                top = info.max if info.adjust is None else info.adjust
                if known is None or (known.high is not None and known.high < top):
                    low = Decimal(0) if info.adjust is None else -top
                    scores[info.name] = Column(info.label or info.name, (info.name,), kind, False, (), low, top)
                if info.reason_required or info.adjust is not None:
                    reasons[info.name] = Column(f"{info.label or info.name}·理由", (REASONS, info.name), "reason")
    sheets = []
    for source, (label, scores, reasons) in by_source.items():
        columns = [_id_column(id_field, id_label)]
        for name, column in scores.items():
            columns.append(column)
            if name in reasons:
                columns.append(reasons[name])
        sheets.append(SheetLayout("", "scores", source, label, _unique_headers(columns)))
    return sheets


def _labelled(pairs: Sequence[tuple[str, str | None]]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(labels, names) of named things, each once, a label two of them share told apart by the name."""
    unique = dict.fromkeys((name, label or name) for name, label in pairs)
    counts: dict[str, int] = {}
    for _, label in unique:
        counts[label] = counts.get(label, 0) + 1
    shown = tuple(label if counts[label] == 1 else f"{label}({name})" for name, label in unique)
    return shown, tuple(name for name, _ in unique)


def _corrections_sheet(plans: Sequence[TablePlan], id_field: str, id_label: str) -> list[SheetLayout]:
    """The sheet of corrections of computed scores by a table source (none without a computed indicator)."""
    sources = _labelled([(s.name, s.label) for p in plans for s in p.sources if s.is_table])
    indicators = _labelled([(i.name, i.label) for p in plans for i in p.indicators if not i.from_sheets])
    if not sources[0] or not indicators[0]:
        return []
    columns = (
        _id_column(id_field, id_label),
        Column("评分表", ("source",), "enum", True, sources[0], values=sources[1]),
        Column("指标", ("indicator",), "enum", True, indicators[0], values=indicators[1]),
        Column("核正分值", ("correct",), "decimal", True),
        Column("理由", ("reason",), "text", True),
        Column("证据", ("evidence",), "list"),
    )
    return [SheetLayout("", "corrections", None, "核正", columns)]
