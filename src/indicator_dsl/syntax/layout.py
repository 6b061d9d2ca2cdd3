"""The lines of a file: each declaration, clause or entry as one `Line`.

`layout_module` turns the AST into `Line`s (one per declaration, clause or entry, each
keeping the span it came from, with the block it opens); the renderer (`printer.render`)
writes them out, choosing one-line or block forms, breaking a line too wide at the breaks
its tokens carry (`breaking`), and placing whatever comments the formatter found.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from . import nodes as n
from .breaking import HEAD, Break, Token, flat
from .cells import display_width
from .expr_text import expr_tokens, print_expr, quote
from .source import Span


@dataclass(frozen=True, eq=False, slots=True)
class Line:
    """One declaration, clause or entry as printed, with the block it opens, if any.

    Identity, not value, tells lines apart (two `judged` clauses are two places for
    comments), hence `eq=False`. `span` is where it came from in the source: the
    formatter anchors comments by it.
    """

    text: str
    span: Span
    tokens: tuple[Token, ...] | None = None  # `text` with the places it may break, when it has any
    body: tuple[Line, ...] | None = None  # None: a leaf; otherwise the lines inside `{ }`
    compact: bool = False  # may print as `text { only_line }` when that fits
    inline: bool = False  # may print as `text { line, line, ... }` when that fits (keyed bands)
    blank_before: bool = False


def _label(label: str | None) -> str:
    return f" {quote(label)}" if label is not None else ""


def _type_tokens(ref: n.TypeRef) -> list[Token]:
    """A field's type; a long `enum(...)` may break after its commas."""
    if isinstance(ref, n.NamedType):
        return [ref.name]
    if isinstance(ref, n.EnumType):
        members: list[Token] = []
        for index, member in enumerate(ref.members):
            members += [",", Break(0), quote(member)] if index else [quote(member)]
        return ["enum(", *members, ")"]
    if isinstance(ref, n.ListType):
        return ["list[", *_type_tokens(ref.item), "]"]
    return [*_type_tokens(ref.inner), "?"]


def type_text(ref: n.TypeRef) -> str:
    """A field's type as written: `list[enum("a", "b")]?`."""
    return flat(_type_tokens(ref))


def _pad(text: str, width: int) -> str:
    return text + " " * (width - display_width(text))


def _columns(rows: Sequence[tuple[str, str | None]]) -> list[str]:
    """`name "label" ` prefixes padded into columns, as `assess` and `grades` read best."""
    name_width = max((display_width(name) for name, _ in rows), default=0)
    labels = [quote(label) if label is not None else "" for _, label in rows]
    label_width = max((display_width(label) for label in labels), default=0)
    return [
        f"{_pad(name, name_width)} " + (f"{_pad(label, label_width)} " if label_width else "")
        for (name, _), label in zip(rows, labels, strict=True)
    ]


def _leaf(
    tokens: Sequence[Token],
    span: Span,
    body: tuple[Line, ...] | None = None,
    compact: bool = False,
    inline: bool = False,
) -> Line:
    """A line (a leaf, or the head of a block when `body` is given), keeping its breaks (if
    any) for the renderer."""
    breaks = any(isinstance(token, Break) for token in tokens)
    tokens_kept = tuple(tokens) if breaks else None
    return Line(flat(tokens), span, tokens=tokens_kept, body=body, compact=compact, inline=inline)


def _conditional(head: Sequence[Token], cond: n.Expr, tail: str, span: Span, *, first_link_stays: bool = False) -> Line:
    """`head COND tail`. Too wide, the condition goes on the next line after `when`, and breaks
    there if still too wide (an `and`/`or` chain before each link, lined up under the first).
    With `first_link_stays` (a points clause), a chain breaks before each link instead, its
    first link staying on the head's line."""
    tokens = list(head)
    chain = isinstance(cond, n.Binary) and cond.op in ("and", "or")
    if not (chain and first_link_stays):
        tokens = [flat(tokens).rstrip(), HEAD]
    return _leaf([*tokens, *expr_tokens(cond), tail], span)


def _points_tokens(points: n.Points, prefix: str, depth: int) -> list[Token]:
    tokens: list[Token] = [f"{prefix}{points.kind} ", *expr_tokens(points.amount, depth)]
    if points.per is not None:
        tokens += [" per ", *expr_tokens(points.per, depth)]
    if points.up_to is not None:
        tokens += [" up to ", *expr_tokens(points.up_to, depth)]
    return tokens


def _points_line(points: n.Points, prefix: str, span: Span) -> Line:
    if points.when is None:
        return _leaf(_points_tokens(points, prefix, 0), span)
    # The condition's chain breaks first; the amounts only if still too wide.
    return _conditional([*_points_tokens(points, prefix, 1), " when "], points.when, "", span, first_link_stays=True)


def _band_line(entry: n.BandEntry) -> Line:
    score = entry.score.text
    if entry.kind == "else" or entry.test is None:
        return Line(f"else: {score}", entry.span)
    if entry.kind == "when":
        return _conditional(["when "], entry.test, f": {score}", entry.span)
    op = f"{entry.op} " if entry.kind == "compare" else ""
    return _leaf([op, *expr_tokens(entry.test), f": {score}"], entry.span)


def _clause_line(clause: n.Clause) -> Line:
    if isinstance(clause, n.Points):
        return _points_line(clause, "", clause.span)
    if isinstance(clause, n.Bands):
        head: list[Token] = ["bands"] if clause.subject is None else ["bands ", *expr_tokens(clause.subject)]
        # Bands that look values up (`"好": 4, else: 0`) may sit on one line; thresholds read as a table.
        keyed = all(e.kind in ("equal", "else") for e in clause.entries)
        return _leaf(head, clause.span, tuple(_band_line(e) for e in clause.entries), inline=keyed)
    if isinstance(clause, n.ScoreFormula):
        return _leaf(["score ", *expr_tokens(clause.expr)], clause.span)
    if isinstance(clause, n.Adjust):
        text = f"adjust{_by(clause.by)} up to {clause.bound.text}"
    else:
        text = f"judged{_by(clause.by)}"
    if clause.reason_required:
        text += " reason required"
    return Line(text, clause.span)


def _by(source: str | None) -> str:
    return "" if source is None else f" by {source}"


def _binding(head: str, expr: n.Expr, span: Span) -> Line:
    """`head = EXPR`, which breaks after the `=` first, then inside EXPR."""
    return _leaf([f"{head} =", HEAD, *expr_tokens(expr)], span)


def _indicator_line(ind: n.Indicator, keyword: str, span: Span) -> Line:
    tokens: list[Token] = [f"{keyword} {ind.name}{_label(ind.label)} max {ind.max.text}"]
    if ind.uncapped:
        tokens.append(" uncapped")
    if ind.applies is not None:
        tokens += [" applies when ", *expr_tokens(ind.applies)]
    standard = () if ind.standard is None else (Line(f"standard {quote(ind.standard)}", span),)
    lets = tuple(_binding(f"let {x.name}", x.expr, x.span) for x in ind.lets)
    body = standard + lets + tuple(_clause_line(c) for c in ind.clauses)
    compact = (
        ind.standard is None and not ind.lets and len(ind.clauses) == 1 and not isinstance(ind.clauses[0], n.Bands)
    )
    return _leaf(tokens, span, body, compact)


def _dimension_line(dim: n.Dimension) -> Line:
    text = f"dimension {dim.name}{_label(dim.label)} max {dim.max.text}"
    if dim.weight is not None:
        text += f" weight {dim.weight.text}"
    body = tuple(
        _binding(f"let {item.name}", item.expr, item.span)
        if isinstance(item, n.Let)
        else _indicator_line(item, "indicator", item.span)
        for item in dim.items
    )
    return Line(text, dim.span, body=body)


def _bonus_line(bonus: n.Bonus) -> Line:
    name = f" {bonus.name}" if bonus.name is not None else ""
    body = tuple(_points_line(i.clause, f"item {i.name}{_label(i.label)} ", i.span) for i in bonus.items)
    return Line(f"{bonus.kind}{name}{_label(bonus.label)} max {bonus.max.text}", bonus.span, body=body)


def _assess_line(assess: n.Assess) -> Line:
    prefixes = _columns([(source.name, source.label) for source in assess.sources])
    body = []
    for prefix, source in zip(prefixes, assess.sources, strict=True):
        value: list[Token] = [" =", HEAD, *expr_tokens(source.value)] if source.value is not None else []
        if source.missing is not None:
            value += [HEAD, f"when missing {source.missing}"]
        if source.corrects:
            value.append(" may correct")
        body.append(_leaf([f"{prefix}weight {source.weight.text}", *value], source.span))
    return Line("assess", assess.span, body=tuple(body))


def _grades_line(grades: n.Grades) -> Line:
    prefixes = _columns([(rule.name, rule.label) for rule in grades.rules])
    body = tuple(
        Line(f"{prefix}otherwise", rule.span)
        if rule.when is None
        else _conditional([f"{prefix}when "], rule.when, "", rule.span)
        for prefix, rule in zip(prefixes, grades.rules, strict=True)
    )
    return Line("grades", grades.span, body=body)


def quota_size_text(rounding: n.QuotaRounding | None, minimum: n.QuotaMinimum | None) -> str:
    """How a quota works out k, as written after its share (empty for the defaults)."""
    text = f" rounding {rounding}" if rounding is not None else ""
    if minimum is not None:
        places = minimum.places
        text += f" at least {places} {'place' if places == 1 else 'places'} when {minimum.members} or more"
    return text


def _quota_line(quota: n.Quota) -> Line:
    text = f"quota {', '.join(quota.grades)} {quota.direction} {quota.share.text}"
    text += quota_size_text(quota.rounding, quota.minimum)
    if quota.within is not None:
        text += f" within {quota.within}"
    if quota.replaces:
        text += " replaces rulesets"
    tail = f" ties {quota.ties}" if quota.ties is not None else ""
    tail += " hard" if quota.hard else ""
    if quota.where is None:
        return Line(text + tail, quota.span)
    return _conditional([f"{text} where "], quota.where, tail, quota.span)


def _nomination_line(item: n.Nomination) -> Line:
    text = f"nomination {item.name}{_label(item.label)} from {', '.join(item.grades)}"
    text += f" at most {item.places} per {item.per}"
    if item.exclude is None:
        return Line(text, item.span)
    return _conditional([f"{text} exclude when "], item.exclude, "", item.span)


def _item_line(item: n.RulesetItem | n.RouteTable | n.RouteWhen | n.Nomination) -> Line:
    if isinstance(item, n.RecordDecl):
        return Line(f"record {item.type_name}", item.span)
    if isinstance(item, n.PeriodDecl):
        return Line(f"period {item.start.isoformat()} to {item.end.isoformat()}", item.span)
    if isinstance(item, n.TotalDecl):
        return Line(f"total {item.value.text}", item.span)
    if isinstance(item, n.PrecisionDecl):
        return Line(f"precision {item.places}", item.span)
    if isinstance(item, n.RescaleDecl):
        return Line(f"rescale to {item.to.text}", item.span)
    if isinstance(item, n.Let):
        return _binding(f"let {item.name}", item.expr, item.span)
    if isinstance(item, n.Dimension):
        return _dimension_line(item)
    if isinstance(item, n.Bonus):
        return _bonus_line(item)
    if isinstance(item, n.Veto):
        head = f"veto {item.name}{_label(item.label)} when "
        return _conditional([head], item.when, f" {item.action} {item.grade}", item.span)
    if isinstance(item, n.Exempt):
        name = f" {item.name}" if item.name is not None else ""
        return _conditional([f"exempt{name}{_label(item.label)} when "], item.when, "", item.span)
    if isinstance(item, n.Assign):
        head = f"assign {item.name}{_label(item.label)} when "
        return _conditional([head], item.when, f" grade {item.grade}", item.span)
    if isinstance(item, n.Assess):
        return _assess_line(item)
    if isinstance(item, n.Grades):
        return _grades_line(item)
    if isinstance(item, n.Quota):
        return _quota_line(item)
    if isinstance(item, n.Nomination):
        return _nomination_line(item)
    if isinstance(item, n.Outcome):
        return _binding(f"outcome {item.name}{_label(item.label)}", item.expr, item.span)
    if isinstance(item, n.ExtendDimension):
        text = f"extend dimension {item.name}" + (f" max {item.max.text}" if item.max is not None else "")
        body = tuple(_indicator_line(ind, "add indicator", ind.span) for ind in item.indicators)
        return Line(text, item.span, body=body)
    if isinstance(item, n.OverrideIndicator):
        return _indicator_line(item.indicator, "override indicator", item.span)
    if isinstance(item, n.Relative):
        return Line(_relative_text(item), item.span)
    if isinstance(item, n.RemoveIndicator):
        reason = f" because {quote(item.reason)}" if item.reason is not None else ""
        return Line(f"remove indicator {item.name}{reason}", item.span)
    if isinstance(item, n.RouteTable):
        body = tuple(Line(f"{quote(e.value)} => {e.target}", e.span) for e in item.entries)
        return Line(f"route by {item.field}", item.span, body=body)
    return _conditional(["route "], item.cond, f" => {item.target}", item.span)


def _relative_text(rule: n.Relative) -> str:
    test = f"top {rule.bound.text}" if rule.test == "top" else f"below mean by {rule.bound.text}"
    within = f" within {rule.within}" if rule.within is not None else ""
    head = f"relative {rule.name}{_label(rule.label)} {rule.kind} {rule.points.text}"
    return f"{head} when {test} of {rule.measure}{within}"


# Runs of these stay together without blank lines; everything else is set apart.
_RUNS: tuple[tuple[type, ...], ...] = (
    (n.RecordDecl, n.PeriodDecl, n.TotalDecl, n.PrecisionDecl, n.RescaleDecl),
    (n.Let,),
    (n.Exempt, n.Assign, n.Veto),
    (n.Quota,),
    (n.Relative,),
    (n.Nomination,),
    (n.Outcome,),
    (n.RemoveIndicator,),
    (n.RouteWhen,),
)
_SETTINGS_RUN = 0


def _run_of(item: object) -> int | None:
    return next((index for index, kinds in enumerate(_RUNS) if isinstance(item, kinds)), None)


def _header(module: n.Module) -> str:
    if isinstance(module, n.Schema):
        return f"schema {module.name}{_label(module.label)}"
    if isinstance(module, n.Catalog):
        return f"catalog {module.name}{_label(module.label)}"
    text = f"ruleset {module.name}{_label(module.label)}"
    if module.version is not None:
        text += f" version {quote(module.version)}"
    if module.extends is not None:
        text += f" extends {module.extends}"
    return text


def _type_line(decl: n.TypeDecl) -> Line:
    fields = []
    for f in decl.fields:
        tokens = [f"{f.name}: ", *_type_tokens(f.type)]
        if f.range is not None:
            tokens.append(f" in {f.range.low.text}..{f.range.high.text}")
        if f.default is not None:
            tokens.append(f" = {print_expr(f.default)}")
        fields.append(_leaf([*tokens, _label(f.label)], f.span))
    return Line(f"type {decl.name}{_label(decl.label)}", decl.span, body=tuple(fields), blank_before=True)


def layout_module(imports: Sequence[n.Import], module: n.Module) -> list[Line]:
    """The top-level lines of a file, in order, each marked with the blank line it needs before it.

    Imports come first, then the header; settings (`record`, `period`, `total`, `precision`,
    `rescale`) sit right under the header as part of it. One blank line sets apart every
    other declaration, except that runs of one-line declarations of one kind (lets,
    vetoes/exempts/assigns, quotas, outcomes, removes, condition routes) stay together.
    """
    lines = [Line(f"import {quote(i.path)}", i.span) for i in imports]
    # The module's span runs to the end of the file; the header line is only its first line.
    start = module.span
    header_span = Span(start.path, start.line, start.column, start.line, start.column, start.start, start.start)
    lines.append(Line(_header(module), header_span, blank_before=bool(imports)))
    if isinstance(module, n.Schema):
        lines.extend(_type_line(decl) for decl in module.types)
        return lines
    previous_run: int | None = _SETTINGS_RUN  # the header counts as a setting: settings follow it directly
    for item in module.items:
        line = _item_line(item)
        run = _run_of(item)
        blank = run is None or run != previous_run
        lines.append(replace(line, blank_before=blank))
        previous_run = run
    return lines


__all__ = ["Line", "layout_module", "type_text"]
