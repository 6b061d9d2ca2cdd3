"""AST to canonical `.ind` text.

Printing happens in two steps so that the formatter can put comments back without a
second printer: `layout_module` turns the AST into `Line`s (one per declaration, clause
or entry, each keeping the span it came from), and `render` writes them out, choosing
one-line or block forms and placing whatever comments it is given. `print_module` is
the two steps with no comments.

Expressions get the fewest parentheses that parse back to the same tree. They are
printed with an explicit stack rather than recursion: the parser folds a flat
`a or b or ...` into a left-leaning tree as deep as the chain is long, and a
thousand-term chain must not overflow Python's stack.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from . import nodes as n
from .cells import display_width
from .source import Span

WIDTH = 100
"""Lines wider than this break where the layout allows: after the `=` of a `let` or
`outcome`, and before each `and`/`or` of a condition. Other lines may stay wider."""

COMPACT_WIDTH = 80
"""A one-clause indicator folds onto one line (`{ judged }`) only when it stays this narrow."""

INDENT = "  "

# ---------------------------------------------------------------- expressions

# Binding strength, loosest first, as in the grammar: if < or < and < not < comparison
# < ?? < + - < * / < unary minus < postfix and atoms.
_IF, _OR, _AND, _NOT, _COMPARE, _COALESCE, _SUM, _PRODUCT, _NEGATE, _POSTFIX = range(10)

_BINARY_LEVEL = {
    "or": _OR,
    "and": _AND,
    "??": _COALESCE,
    "+": _SUM,
    "-": _SUM,
    "*": _PRODUCT,
    "/": _PRODUCT,
    "==": _COMPARE,
    "!=": _COMPARE,
    "<": _COMPARE,
    "<=": _COMPARE,
    ">": _COMPARE,
    ">=": _COMPARE,
    "in": _COMPARE,
    "not in": _COMPARE,
}

_Part = str | tuple[n.Expr, int]
"""Printed text, or a sub-expression and the binding strength it needs to stand unbracketed."""


def quote(value: str) -> str:
    """A string literal the parser reads back as `value` (it knows `\\n`, `\\t` and `\\` + char)."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    return f'"{escaped}"'


def _level(expr: n.Expr) -> int:
    if isinstance(expr, n.IfExpr):
        return _IF
    if isinstance(expr, n.Binary):
        return _BINARY_LEVEL[expr.op]
    if isinstance(expr, n.Unary):
        return _NOT if expr.op == "not" else _NEGATE
    if isinstance(expr, n.IsNone):
        return _COMPARE
    if isinstance(expr, n.Number) and expr.text.startswith("-"):
        # The parser folds `-5` into a negative literal, so it binds like unary minus.
        return _NEGATE
    return _POSTFIX


def _starts_with_minus(expr: n.Expr) -> bool:
    return (isinstance(expr, n.Unary) and expr.op == "-") or (isinstance(expr, n.Number) and expr.text.startswith("-"))


def _joined(exprs: Iterable[n.Expr]) -> list[_Part]:
    parts: list[_Part] = []
    for index, expr in enumerate(exprs):
        if index:
            parts.append(", ")
        parts.append((expr, _IF))
    return parts


def _parts(expr: n.Expr) -> list[_Part]:
    """One level of `expr`: its own text with its operands left to print."""
    if isinstance(expr, n.Number):
        return [expr.text]
    if isinstance(expr, n.String):
        return [quote(expr.value)]
    if isinstance(expr, n.DateLit):
        return [expr.value.isoformat()]
    if isinstance(expr, n.Bool):
        return ["true" if expr.value else "false"]
    if isinstance(expr, n.NoneLit):
        return ["none"]
    if isinstance(expr, n.Name):
        return [expr.name]
    if isinstance(expr, n.PeriodRef):
        return [f"period.{expr.part}"]
    if isinstance(expr, n.ListLit):
        return ["[", *_joined(expr.items), "]"]
    if isinstance(expr, n.Attribute):
        return [(expr.obj, _POSTFIX), f".{expr.name}"]
    if isinstance(expr, n.Unary):
        if expr.op == "not":
            return ["not ", (expr.operand, _NOT)]
        # `- -x`, not `--x`: two signs must stay visibly two.
        return ["- " if _starts_with_minus(expr.operand) else "-", (expr.operand, _NEGATE)]
    if isinstance(expr, n.Binary):
        level = _BINARY_LEVEL[expr.op]
        # Chains lean left; comparisons do not chain at all, so both sides need more.
        left = level + 1 if level == _COMPARE else level
        return [(expr.left, left), f" {expr.op} ", (expr.right, level + 1)]
    if isinstance(expr, n.IsNone):
        return [(expr.operand, _COALESCE), " is not none" if expr.negated else " is none"]
    if isinstance(expr, n.IfExpr):
        return ["if ", (expr.cond, _IF), " then ", (expr.then, _IF), " else ", (expr.else_, _IF)]
    if isinstance(expr, n.Call):
        return [f"{expr.func}(", *_joined(expr.args), ")"]
    return _aggregate_parts(expr)


def _aggregate_parts(expr: n.Aggregate) -> list[_Part]:
    # The binder is read as the comparison `var in source`, so the source must bind tighter.
    parts: list[_Part] = [f"{expr.func}({expr.var} in ", (expr.source, _COALESCE)]
    if expr.where is not None:
        parts += [" where ", (expr.where, _IF)]
    if expr.value is not None:
        parts += [", ", (expr.value, _IF)]
    if expr.by is not None:
        parts += [", by ", (expr.by, _IF)]
    parts.append(")")
    return parts


def print_expr(expr: n.Expr) -> str:
    """Canonical text of one expression, bracketed only where the grammar needs it."""
    return _text(expr, _IF)


def _text(expr: n.Expr, needed: int) -> str:
    out: list[str] = []
    stack: list[_Part] = [(expr, needed)]
    while stack:
        part = stack.pop()
        if isinstance(part, str):
            out.append(part)
            continue
        node, needed = part
        pieces: list[_Part] = _parts(node) if _level(node) >= needed else ["(", (node, _IF), ")"]
        stack.extend(reversed(pieces))
    return "".join(out)


# ---------------------------------------------------------------- layout


@dataclass(frozen=True, eq=False, slots=True)
class Line:
    """One declaration, clause or entry as printed, with the block it opens, if any.

    Identity, not value, tells lines apart (two `judged` clauses are two places for
    comments), hence `eq=False`. `span` is where it came from in the source: the
    formatter anchors comments by it.
    """

    text: str
    span: Span
    wrapped: tuple[str, ...] | None = None  # the lines to print instead of `text` when it is too wide
    body: tuple[Line, ...] | None = None  # None: a leaf; otherwise the lines inside `{ }`
    compact: bool = False  # may print as `text { only_line }` when that fits
    blank_before: bool = False


@dataclass(frozen=True, slots=True)
class Comment:
    """A `# ...` comment as found in the source (the formatter finds them; the printer places them)."""

    text: str
    line: int
    column: int
    own_line: bool
    blank_after: bool = False


@dataclass(slots=True)
class Notes:
    """The comments one `Line` carries, each list in source order."""

    above: list[Comment] = field(default_factory=list)  # own-line comments printed before it
    after: list[Comment] = field(default_factory=list)  # comments at the end of its first line
    inside_end: list[Comment] = field(default_factory=list)  # own-line comments before its `}`
    after_end: list[Comment] = field(default_factory=list)  # comments after its `}`


def _label(label: str | None) -> str:
    return f" {quote(label)}" if label is not None else ""


def _type_text(ref: n.TypeRef) -> str:
    if isinstance(ref, n.NamedType):
        return ref.name
    if isinstance(ref, n.EnumType):
        return "enum(" + ", ".join(quote(m) for m in ref.members) + ")"
    if isinstance(ref, n.ListType):
        return f"list[{_type_text(ref.item)}]"
    return _type_text(ref.inner) + "?"


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


def _conditional(head: str, cond: n.Expr, tail: str, span: Span) -> Line:
    """`head COND tail`; too wide, it breaks before each link of an `and`/`or` chain, or else
    after `when`, with the condition on the next line."""
    line = Line(head + print_expr(cond) + tail, span)
    if not (isinstance(cond, n.Binary) and cond.op in ("and", "or")):
        return Line(line.text, span, wrapped=(head.rstrip(), print_expr(cond) + tail))
    level = _BINARY_LEVEL[cond.op]
    links: list[n.Expr] = []
    first: n.Expr = cond
    while isinstance(first, n.Binary) and first.op == cond.op:
        links.append(first.right)
        first = first.left
    lines = [head + _text(first, level), *(f"{cond.op} {_text(link, level + 1)}" for link in reversed(links))]
    lines[-1] += tail
    return Line(line.text, span, wrapped=tuple(lines))


def _points_line(points: n.Points, prefix: str, span: Span) -> Line:
    text = f"{prefix}{points.kind} {print_expr(points.amount)}"
    if points.per is not None:
        text += f" per {print_expr(points.per)}"
    if points.up_to is not None:
        text += f" up to {print_expr(points.up_to)}"
    if points.when is None:
        return Line(text, span)
    return _conditional(f"{text} when ", points.when, "", span)


def _band_line(entry: n.BandEntry) -> Line:
    score = entry.score.text
    if entry.kind == "else" or entry.test is None:
        return Line(f"else: {score}", entry.span)
    if entry.kind == "when":
        return _conditional("when ", entry.test, f": {score}", entry.span)
    op = f"{entry.op} " if entry.kind == "compare" else ""
    return Line(f"{op}{print_expr(entry.test)}: {score}", entry.span)


def _clause_line(clause: n.Clause) -> Line:
    if isinstance(clause, n.Points):
        return _points_line(clause, "", clause.span)
    if isinstance(clause, n.Bands):
        head = "bands" if clause.subject is None else f"bands {print_expr(clause.subject)}"
        return Line(head, clause.span, body=tuple(_band_line(e) for e in clause.entries))
    if isinstance(clause, n.ScoreFormula):
        return Line(f"score {print_expr(clause.expr)}", clause.span)
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
    """`head = EXPR`, which can break after the `=`."""
    text = print_expr(expr)
    return Line(f"{head} = {text}", span, wrapped=(f"{head} =", text))


def _indicator_line(ind: n.Indicator, keyword: str, span: Span) -> Line:
    text = f"{keyword} {ind.name}{_label(ind.label)} max {ind.max.text}"
    if ind.uncapped:
        text += " uncapped"
    if ind.applies is not None:
        text += f" applies when {print_expr(ind.applies)}"
    lets = tuple(_binding(f"let {x.name}", x.expr, x.span) for x in ind.lets)
    body = lets + tuple(_clause_line(c) for c in ind.clauses)
    compact = not ind.lets and len(ind.clauses) == 1 and not isinstance(ind.clauses[0], n.Bands)
    return Line(text, span, body=body, compact=compact)


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
        value = f" = {print_expr(source.value)}" if source.value is not None else ""
        if source.missing is not None:
            value += f" when missing {source.missing}"
        body.append(Line(f"{prefix}weight {source.weight.text}{value}", source.span))
    return Line("assess", assess.span, body=tuple(body))


def _grades_line(grades: n.Grades) -> Line:
    prefixes = _columns([(rule.name, rule.label) for rule in grades.rules])
    body = tuple(
        Line(f"{prefix}otherwise", rule.span)
        if rule.when is None
        else _conditional(f"{prefix}when ", rule.when, "", rule.span)
        for prefix, rule in zip(prefixes, grades.rules, strict=True)
    )
    return Line("grades", grades.span, body=body)


def _quota_line(quota: n.Quota) -> Line:
    text = f"quota {quota.grade} {quota.direction} {quota.share.text}"
    if quota.within is not None:
        text += f" within {quota.within}"
    ties = f" ties {quota.ties}" if quota.ties is not None else ""
    if quota.where is None:
        return Line(text + ties, quota.span)
    return _conditional(f"{text} where ", quota.where, ties, quota.span)


def _item_line(item: n.RulesetItem | n.RouteTable | n.RouteWhen) -> Line:
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
        return _conditional(head, item.when, f" {item.action} {item.grade}", item.span)
    if isinstance(item, n.Exempt):
        name = f" {item.name}" if item.name is not None else ""
        return _conditional(f"exempt{name}{_label(item.label)} when ", item.when, "", item.span)
    if isinstance(item, n.Assign):
        head = f"assign {item.name}{_label(item.label)} when "
        return _conditional(head, item.when, f" grade {item.grade}", item.span)
    if isinstance(item, n.Assess):
        return _assess_line(item)
    if isinstance(item, n.Grades):
        return _grades_line(item)
    if isinstance(item, n.Quota):
        return _quota_line(item)
    if isinstance(item, n.Outcome):
        return _binding(f"outcome {item.name}{_label(item.label)}", item.expr, item.span)
    if isinstance(item, n.ExtendDimension):
        text = f"extend dimension {item.name}" + (f" max {item.max.text}" if item.max is not None else "")
        body = tuple(_indicator_line(ind, "add indicator", ind.span) for ind in item.indicators)
        return Line(text, item.span, body=body)
    if isinstance(item, n.OverrideIndicator):
        return _indicator_line(item.indicator, "override indicator", item.span)
    if isinstance(item, n.RemoveIndicator):
        reason = f" because {quote(item.reason)}" if item.reason is not None else ""
        return Line(f"remove indicator {item.name}{reason}", item.span)
    if isinstance(item, n.RouteTable):
        body = tuple(Line(f"{quote(e.value)} => {e.target}", e.span) for e in item.entries)
        return Line(f"route by {item.field}", item.span, body=body)
    return _conditional("route ", item.cond, f" => {item.target}", item.span)


# Runs of these stay together without blank lines; everything else is set apart.
_RUNS: tuple[tuple[type, ...], ...] = (
    (n.RecordDecl, n.PeriodDecl, n.TotalDecl, n.PrecisionDecl, n.RescaleDecl),
    (n.Let,),
    (n.Exempt, n.Assign, n.Veto),
    (n.Quota,),
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
        text = f"{f.name}: {_type_text(f.type)}"
        if f.range is not None:
            text += f" in {f.range.low.text}..{f.range.high.text}"
        if f.default is not None:
            text += f" = {print_expr(f.default)}"
        fields.append(Line(text + _label(f.label), f.span))
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


# ---------------------------------------------------------------- rendering


class _Writer:
    """Writes lines and the comments attached to them; owns the output list."""

    def __init__(self, notes: Mapping[Line, Notes]) -> None:
        self.notes = notes
        self.out: list[str] = []

    def comments(self, comments: Sequence[Comment], indent: str, *, keep_blanks: bool) -> None:
        for index, comment in enumerate(comments):
            self.out.append(indent + comment.text)
            if keep_blanks and comment.blank_after and index < len(comments) - 1:
                self.out.append("")

    def line(self, line: Line, depth: int) -> None:
        indent = INDENT * depth
        notes = self.notes.get(line) or Notes()
        # Only the last comment after the first line can stay there; earlier ones (from
        # source lines that now merge into one) move above it, keeping source order.
        above = sorted([*notes.above, *notes.after], key=lambda c: (c.line, c.column))
        suffix = ""
        if notes.after and above[-1] is notes.after[-1]:
            suffix = "  " + above.pop().text
        for comment in above:
            self.out.append(indent + comment.text)
            if comment.blank_after:
                self.out.append("")
        if line.body is None:
            self.leaf(line, indent, suffix)
        else:
            self.block(line, depth, suffix, notes)

    def leaf(self, line: Line, indent: str, suffix: str) -> None:
        if line.wrapped is None or display_width(indent + line.text) <= WIDTH:
            self.out.append(indent + line.text + suffix)
            return
        first, *rest = line.wrapped
        self.out.append(indent + first)
        self.out.extend(indent + INDENT + text for text in rest)
        self.out[-1] += suffix

    def block(self, line: Line, depth: int, suffix: str, notes: Notes) -> None:
        indent = INDENT * depth
        body = line.body or ()
        end_suffix = "  " + notes.after_end[-1].text if notes.after_end else ""
        before_end = notes.inside_end + notes.after_end[:-1]
        if not body and not suffix and not before_end:
            self.out.append(f"{indent}{line.text} {{}}{end_suffix}")
            return
        if line.compact and not suffix and not before_end and len(body) == 1:
            only = body[0]
            one = f"{indent}{line.text} {{ {only.text} }}"
            if only.body is None and only not in self.notes and display_width(one) <= COMPACT_WIDTH:
                self.out.append(one + end_suffix)
                return
        self.out.append(f"{indent}{line.text} {{{suffix}")
        for child in body:
            self.line(child, depth + 1)
        self.comments(before_end, indent + INDENT, keep_blanks=False)
        self.out.append(f"{indent}}}{end_suffix}")


def render(lines: Sequence[Line], notes: Mapping[Line, Notes] | None = None, end: Sequence[Comment] = ()) -> str:
    """Write top-level `lines` with their comments; `end` are comments after the last declaration."""
    writer = _Writer(notes or {})
    for line in lines:
        if line.blank_before and writer.out:
            writer.out.append("")
        writer.line(line, 0)
    if end:
        if writer.out:
            writer.out.append("")
        writer.comments(end, "", keep_blanks=True)
    return "\n".join(writer.out) + "\n"


def print_module(imports: Sequence[n.Import], module: n.Module) -> str:
    """Canonical text of a file: the same tree always prints the same way, whatever its spans."""
    return render(layout_module(imports, module))


__all__ = ["Comment", "Line", "Notes", "layout_module", "print_expr", "print_module", "quote", "render"]
