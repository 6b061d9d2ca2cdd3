"""The printer: generated trees print to text that parses back to the same tree.

Strategies build ASTs from `nodes` directly (not from the grammar), so they reach
shapes no example file has: deep operator mixes, odd literals, every declaration kind.
They produce only trees the parser can produce; the few it cannot are named below.
"""

from __future__ import annotations

import datetime
import re
from typing import TypeVar
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indicator_dsl.syntax import nodes as n
from indicator_dsl.syntax import printer
from indicator_dsl.syntax.parser import AGGREGATES, number_from_text, parse_source
from indicator_dsl.syntax.printer import print_expr, print_module, quote
from indicator_dsl.syntax.source import SourceFile

# Declaration names avoid keywords: after an expression or a number, the LALR tables
# merge look-ahead from every context, so the lexer reads `total` (or `record`, `cap`,
# `grade` ...) there as the keyword even where a name is expected (reported to the lead).
# Inside expressions a keyword that cannot start an expression is read as a name, so
# EXPR_NAMES has a few; words that do start one (`if not true false none period history`) never
# can be names there.
NAMES = st.sampled_from(["a", "b", "x", "m", "members", "held_on", "支部", "党员_2"])
EXPR_NAMES = NAMES | st.sampled_from(["total", "weight", "grade", "cap", "record", "max", "score"])
TYPE_NAMES = st.sampled_from(["int", "decimal", "text", "date", "bool", "Meeting"])
STRINGS = st.text(st.sampled_from([*'ab "\\\n\t#{}()中文,:%', "\r", "\u3000"]), max_size=6) | st.text(max_size=4)
INT_TEXT = st.integers(0, 999).map(str)
FRACTIONS = st.sampled_from(["0", "5", "25", "125", "50"])
DECIMAL_TEXT = st.builds("{}.{}".format, st.integers(0, 99), FRACTIONS)
PERCENT_TEXT = (INT_TEXT | DECIMAL_TEXT).map(lambda t: t + "%")
NUMBER_TEXT = INT_TEXT | DECIMAL_TEXT | PERCENT_TEXT
SHARE_TEXT = PERCENT_TEXT | st.builds("0.{}".format, FRACTIONS)


T = TypeVar("T")


def number(text: str) -> n.Number:
    return n.Number(value=number_from_text(text), text=text)


def numbers(texts: st.SearchStrategy[str]) -> st.SearchStrategy[n.Number]:
    return texts.map(number)


def optional(strategy: st.SearchStrategy[T]) -> st.SearchStrategy[T | None]:
    return st.none() | strategy


LEAVES: st.SearchStrategy[n.Expr] = st.one_of(
    numbers(NUMBER_TEXT),
    numbers(NUMBER_TEXT.map(lambda t: "-" + t)),
    st.builds(n.String, value=STRINGS),
    st.builds(n.DateLit, value=st.dates()),
    st.builds(n.Bool, value=st.booleans()),
    st.builds(n.NoneLit),
    st.builds(n.Name, name=EXPR_NAMES),
    st.builds(n.PeriodRef, part=st.sampled_from(["start", "end"])),
    st.builds(n.HistoryRef, back=st.integers(1, 12), part=st.sampled_from(["found", "grade", "rectified"])),
)


def _is_binder(expr: n.Expr) -> bool:
    return isinstance(expr, n.Binary) and expr.op == "in" and isinstance(expr.left, n.Name)


def _folds_into_literal(expr: n.Expr) -> bool:
    # The parser reads `-5` as the literal -5, so `-` applied to a plain literal is not a tree it makes.
    return isinstance(expr, n.Number) and not expr.text.startswith("-")


def _compound(children: st.SearchStrategy[n.Expr]) -> st.SearchStrategy[n.Expr]:
    ops = st.sampled_from(["or", "and", "==", "!=", "<", "<=", ">", ">=", "in", "not in", "??", "+", "-", "*", "/"])
    calls = st.builds(
        n.Call,
        func=st.sampled_from(["f", "floor", "round", "min", "max", "count", "sum"]),
        args=st.lists(children, max_size=3).map(tuple),
    ).filter(lambda c: c.func not in AGGREGATES or not c.args or not _is_binder(c.args[0]))
    return st.one_of(
        st.builds(n.ListLit, items=st.lists(children, max_size=3).map(tuple)),
        st.builds(n.Attribute, obj=children, name=EXPR_NAMES),
        st.builds(n.Unary, op=st.just("not"), operand=children),
        st.builds(n.Unary, op=st.just("-"), operand=children.filter(lambda e: not _folds_into_literal(e))),
        st.builds(n.Binary, op=ops, left=children, right=children),
        st.builds(n.IsNone, operand=children, negated=st.booleans()),
        st.builds(n.IfExpr, cond=children, then=children, else_=children),
        calls,
        st.builds(
            n.Aggregate,
            func=st.sampled_from(sorted(AGGREGATES)),
            var=NAMES,
            source=children,
            where=optional(children),
            value=optional(children),
            by=optional(children),
        ),
    )


EXPRS: st.SearchStrategy[n.Expr] = st.recursive(LEAVES, _compound, max_leaves=10)
SMALL_EXPRS: st.SearchStrategy[n.Expr] = st.recursive(LEAVES, _compound, max_leaves=3)


def parse(text: str) -> tuple[tuple[n.Import, ...], n.Module]:
    result = parse_source(SourceFile("printed.ind", text))
    assert result.module is not None, f"{result.diagnostics}\n{text}"
    return result.imports, result.module


def round_trips(imports: tuple[n.Import, ...], module: n.Module) -> None:
    text = print_module(imports, module)
    assert parse(text) == (imports, module), text
    assert print_module(*parse(text)) == text


def let_module(expr: n.Expr) -> n.Ruleset:
    return n.Ruleset(name="r", label=None, version=None, extends=None, imports=(), items=(n.Let(name="v", expr=expr),))


# ---------------------------------------------------------------- expressions


@settings(max_examples=120, deadline=None)
@given(EXPRS)
def test_generated_expressions_parse_back_to_the_same_tree(expr: n.Expr) -> None:
    round_trips((), let_module(expr))


def _grouping_parens(text: str) -> list[tuple[int, int]]:
    """Pairs of bracketing parentheses (not call parentheses), outside string literals."""
    pairs, stack, in_string, index = [], [], False, 0
    while index < len(text):
        ch = text[index]
        if in_string:
            if ch == "\\":
                index += 1
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch == "(":
            is_call = index > 0 and (text[index - 1].isalnum() or text[index - 1] == "_")
            stack.append((index, is_call))
        elif ch == ")":
            start, is_call = stack.pop()
            if not is_call:
                pairs.append((start, index))
        index += 1
    return pairs


@settings(max_examples=60, deadline=None)
@given(EXPRS)
def test_every_printed_parenthesis_is_needed(expr: n.Expr) -> None:
    text = print_expr(expr)
    for start, end in _grouping_parens(text):
        if text[:start].endswith("not "):
            continue  # `not (a == b)`: brackets for the reader (checked in the table below)
        without = text[:start] + text[start + 1 : end] + text[end + 1 :]
        result = parse_source(SourceFile("x.ind", f"ruleset r\nlet v = {without}\n"))
        assert result.module is None or result.module != let_module(expr), f"redundant parentheses in {text}"


@pytest.mark.parametrize(
    ("source", "printed"),
    [
        ("((a + b)) * c", "(a + b) * c"),
        ("a + (b * c)", "a + b * c"),
        ("(a - b) - c", "a - b - c"),
        ("a - (b - c)", "a - (b - c)"),
        ("a / (b * c)", "a / (b * c)"),
        ("(a or b) and c", "(a or b) and c"),
        ("a or (b and c)", "a or b and c"),
        ("a or (b or c)", "a or (b or c)"),
        ("not (a and b)", "not (a and b)"),
        ("not (a == b)", "not (a == b)"),
        ("not (x in xs)", "not (x in xs)"),
        ("not (a is none)", "not (a is none)"),
        ("(not a) == b", "(not a) == b"),
        ("(a == b) == c", "(a == b) == c"),
        ("(a ?? b) ?? c", "a ?? b ?? c"),
        ("a ?? (b ?? c)", "a ?? (b ?? c)"),
        ("(a ?? 0) * 100", "(a ?? 0) * 100"),
        ("a ?? (b + 1)", "a ?? b + 1"),
        ("(a + 1) is none", "a + 1 is none"),
        ("(a == b) is not none", "(a == b) is not none"),
        ("-(a + b)", "-(a + b)"),
        ("(-a).b", "(-a).b"),
        ("-(a.b)", "-a.b"),
        ("a - -5", "a - -5"),
        ("- - a", "- -a"),
        ("(if a then b else c) + 1", "(if a then b else c) + 1"),
        (
            "if (if a then b else c) then (d or e) else (if f then g else h)",
            "if if a then b else c then d or e else if f then g else h",
        ),
        ("count(m in (a ?? b) where (m.k == 1), by m.d)", "count(m in a ?? b where m.k == 1, by m.d)"),
        ("count(m in (a or b))", "count(m in (a or b))"),
        ("sum(m in ms, (m.h + 1))", "sum(m in ms, m.h + 1)"),
        ("max((a), (b))", "max(a, b)"),
        ("[1,2,]", "[1, 2]"),
        ("period.end", "period.end"),
        ("95%", "95%"),
        ("1.50", "1.50"),
        ('"q\\"uote \\\\ tab\\t nl\\n"', '"q\\"uote \\\\ tab\\t nl\\n"'),
        ("2023-06-30", "2023-06-30"),
    ],
)
def test_parentheses_are_minimal_and_literals_keep_their_text(source: str, printed: str) -> None:
    _, module = parse(f"ruleset r\nlet v = {source}\n")
    assert isinstance(module, n.Ruleset) and isinstance(module.items[0], n.Let)
    assert print_expr(module.items[0].expr) == printed


def test_quote_escapes_what_the_parser_unescapes() -> None:
    assert quote('a"b\\c\nd\te') == '"a\\"b\\\\c\\nd\\te"'


def test_long_chains_print_without_recursion() -> None:
    # The parser folds a flat `or` chain into a left-leaning tree as deep as the chain.
    expr: n.Expr = n.Name(name="a")
    for _ in range(5000):
        expr = n.Binary(op="or", left=expr, right=n.Name(name="b"))
    assert print_expr(expr) == "a" + " or b" * 5000


# ---------------------------------------------------------------- declarations

LABELS = optional(STRINGS)
MAXES = numbers(INT_TEXT | DECIMAL_TEXT)


@st.composite
def points(draw: st.DrawFn) -> n.Points:
    per = draw(optional(SMALL_EXPRS))
    return n.Points(
        kind=draw(st.sampled_from(["deduct", "award"])),
        amount=draw(SMALL_EXPRS),
        per=per,
        up_to=draw(optional(SMALL_EXPRS)) if per is not None else None,
        when=draw(optional(SMALL_EXPRS)),
    )


# Band scores are drawn without a sign: the parser currently drops it (see
# test_formatter.test_negative_band_scores_keep_their_sign).
BAND_ENTRIES = st.one_of(
    st.builds(
        n.BandEntry,
        kind=st.just("compare"),
        score=numbers(NUMBER_TEXT),
        op=st.sampled_from(["==", "!=", "<", "<=", ">", ">="]),
        test=SMALL_EXPRS,
    ),
    st.builds(n.BandEntry, kind=st.just("when"), score=numbers(NUMBER_TEXT), test=SMALL_EXPRS),
    st.builds(
        n.BandEntry,
        kind=st.just("equal"),
        score=numbers(NUMBER_TEXT),
        test=st.one_of(
            st.builds(n.String, value=STRINGS),
            numbers(NUMBER_TEXT),
            st.builds(n.DateLit, value=st.dates()),
            st.builds(n.Bool, value=st.booleans()),
        ),
    ),
    st.builds(n.BandEntry, kind=st.just("else"), score=numbers(NUMBER_TEXT)),
)
CLAUSES = st.one_of(
    points(),
    st.builds(n.Bands, subject=optional(SMALL_EXPRS), entries=st.lists(BAND_ENTRIES, max_size=3).map(tuple)),
    st.builds(n.ScoreFormula, expr=SMALL_EXPRS),
    st.builds(n.Judged, by=optional(NAMES), reason_required=st.booleans()),
    st.builds(n.Adjust, bound=MAXES, by=optional(NAMES), reason_required=st.booleans()),
)
LETS = st.builds(n.Let, name=NAMES, expr=SMALL_EXPRS)
INDICATORS = st.builds(
    n.Indicator,
    name=NAMES,
    label=LABELS,
    max=MAXES,
    uncapped=st.booleans(),
    applies=optional(SMALL_EXPRS),
    standard=optional(STRINGS),
    lets=st.lists(LETS, max_size=2).map(tuple),
    clauses=st.lists(CLAUSES, max_size=2).map(tuple),
)
QUOTAS = st.builds(
    n.Quota,
    grades=st.lists(NAMES, min_size=1, max_size=3).map(tuple),
    direction=st.sampled_from(["at most", "at least"]),
    share=numbers(SHARE_TEXT),
    rounding=optional(st.sampled_from(["floor", "half up", "ceil"])),
    minimum=optional(st.builds(n.QuotaMinimum, places=st.integers(0, 30), members=st.integers(0, 300))),
    within=optional(NAMES),
    replaces=st.booleans(),
    where=optional(SMALL_EXPRS),
    ties=optional(st.sampled_from(["demote", "admit"])),
    hard=st.booleans(),
)
RULESET_ITEMS = st.one_of(
    st.builds(n.RecordDecl, type_name=NAMES),
    st.builds(n.PeriodDecl, start=st.dates(), end=st.dates()),
    st.builds(n.TotalDecl, value=MAXES),
    st.builds(n.PrecisionDecl, places=st.integers(0, 12)),
    st.builds(n.RescaleDecl, to=MAXES),
    LETS,
    st.builds(
        n.Dimension,
        name=NAMES,
        label=LABELS,
        max=MAXES,
        weight=optional(numbers(SHARE_TEXT)),
        items=st.lists(INDICATORS | LETS, max_size=2).map(tuple),
    ),
    st.builds(
        n.Bonus,
        name=optional(NAMES),
        label=LABELS,
        max=MAXES,
        items=st.lists(st.builds(n.BonusItem, name=NAMES, label=LABELS, clause=points()), max_size=2).map(tuple),
        kind=st.sampled_from(["bonus", "penalty"]),
    ),
    st.builds(
        n.Veto, name=NAMES, label=LABELS, when=SMALL_EXPRS, action=st.sampled_from(["cap", "force"]), grade=NAMES
    ),
    st.builds(n.Exempt, name=optional(NAMES), label=LABELS, when=SMALL_EXPRS),
    st.builds(n.Assign, name=NAMES, label=LABELS, when=SMALL_EXPRS, grade=NAMES),
    st.builds(
        n.Assess,
        sources=st.lists(
            st.builds(n.Source, name=NAMES, label=LABELS, weight=numbers(SHARE_TEXT), value=optional(SMALL_EXPRS)),
            max_size=3,
        ).map(tuple),
    ),
    st.builds(
        n.Grades,
        rules=st.lists(st.builds(n.GradeRule, name=NAMES, label=LABELS, when=optional(SMALL_EXPRS)), max_size=3).map(
            tuple
        ),
    ),
    QUOTAS,
    st.builds(n.Outcome, name=NAMES, label=LABELS, expr=SMALL_EXPRS),
    st.builds(
        n.ExtendDimension, name=NAMES, max=optional(MAXES), indicators=st.lists(INDICATORS, max_size=2).map(tuple)
    ),
    st.builds(n.OverrideIndicator, indicator=INDICATORS),
    st.builds(n.RemoveIndicator, name=NAMES, reason=optional(STRINGS)),
)
IMPORTS = st.lists(st.builds(n.Import, path=STRINGS), max_size=2).map(tuple)
RULESETS = st.builds(
    n.Ruleset,
    name=NAMES,
    label=LABELS,
    version=optional(STRINGS),
    extends=optional(NAMES),
    imports=st.just(()),
    items=st.lists(RULESET_ITEMS, max_size=6).map(tuple),
)


def _type_refs() -> st.SearchStrategy[n.TypeRef]:
    base = st.builds(n.NamedType, name=TYPE_NAMES) | st.builds(
        n.EnumType, members=st.lists(STRINGS, min_size=1, max_size=3).map(tuple)
    )
    plain = st.recursive(
        base,
        lambda inner: st.builds(n.ListType, item=inner | inner.map(lambda t: n.OptionalType(inner=t))),
        max_leaves=3,
    )
    # `T??` would lex as the `??` operator; the grammar has no optional of an optional anyway.
    return plain | plain.map(lambda t: n.OptionalType(inner=t))


SCHEMAS = st.builds(
    n.Schema,
    name=NAMES,
    label=LABELS,
    imports=st.just(()),
    types=st.lists(
        st.builds(
            n.TypeDecl,
            name=TYPE_NAMES,
            label=LABELS,
            fields=st.lists(
                st.builds(n.FieldDecl, name=NAMES, type=_type_refs(), default=optional(SMALL_EXPRS), label=LABELS),
                max_size=3,
            ).map(tuple),
        ),
        max_size=3,
    ).map(tuple),
)
CATALOGS = st.builds(
    n.Catalog,
    name=NAMES,
    label=LABELS,
    imports=st.just(()),
    items=st.lists(
        st.one_of(
            st.builds(
                n.RouteTable,
                field=NAMES,
                entries=st.lists(st.builds(n.RouteEntry, value=STRINGS, target=NAMES), max_size=3).map(tuple),
            ),
            st.builds(n.RouteWhen, cond=SMALL_EXPRS, target=NAMES),
            QUOTAS,
        ),
        max_size=4,
    ).map(tuple),
)


@settings(max_examples=80, deadline=None)
@given(IMPORTS, RULESETS)
def test_generated_rulesets_parse_back_to_the_same_tree(imports: tuple[n.Import, ...], module: n.Ruleset) -> None:
    round_trips(imports, module)


@settings(max_examples=50, deadline=None)
@given(IMPORTS, SCHEMAS)
def test_generated_schemas_parse_back_to_the_same_tree(imports: tuple[n.Import, ...], module: n.Schema) -> None:
    round_trips(imports, module)


@settings(max_examples=50, deadline=None)
@given(IMPORTS, CATALOGS)
def test_generated_catalogs_parse_back_to_the_same_tree(imports: tuple[n.Import, ...], module: n.Catalog) -> None:
    round_trips(imports, module)


def test_layout_of_every_declaration_kind() -> None:
    source = (
        'import "base.ind"\nruleset r "规则" version "2" extends base\nperiod 2023-01-01 to 2023-12-31\n'
        "record Branch\nlet a = 1\nlet b = 2\ndimension d max 10 weight 50% { let c = 3 indicator i max 10 uncapped "
        '{ let e = 1 score e } }\nbonus max 2 { item x "项" award 1 when a > 0 }\nexempt when a < 0\n'
        "veto v when a > 1 cap low\nassign z when b > 1 grade high\nassess { s weight 50% t weight 50% = 1 }\n"
        "grades { high when a > 1 low otherwise }\nquota high at least 5% ties admit\nquota low at most 5%\n"
        'outcome o = 1\noutcome p = 2\nremove indicator k\nremove indicator l because "原因"\n'
        "extend dimension d { }\noverride indicator i max 10 { judged by s }\n"
    )
    assert print_module(*parse(source)) == (
        'import "base.ind"\n'
        "\n"
        'ruleset r "规则" version "2" extends base\n'
        "period 2023-01-01 to 2023-12-31\n"
        "record Branch\n"
        "\n"
        "let a = 1\n"
        "let b = 2\n"
        "\n"
        "dimension d max 10 weight 50% {\n"
        "  let c = 3\n"
        "  indicator i max 10 uncapped {\n"
        "    let e = 1\n"
        "    score e\n"
        "  }\n"
        "}\n"
        "\n"
        "bonus max 2 {\n"
        '  item x "项" award 1 when a > 0\n'
        "}\n"
        "\n"
        "exempt when a < 0\n"
        "veto v when a > 1 cap low\n"
        "assign z when b > 1 grade high\n"
        "\n"
        "assess {\n"
        "  s weight 50%\n"
        "  t weight 50% = 1\n"
        "}\n"
        "\n"
        "grades {\n"
        "  high when a > 1\n"
        "  low  otherwise\n"
        "}\n"
        "\n"
        "quota high at least 5% ties admit\n"
        "quota low at most 5%\n"
        "\n"
        "outcome o = 1\n"
        "outcome p = 2\n"
        "\n"
        "remove indicator k\n"
        'remove indicator l because "原因"\n'
        "\n"
        "extend dimension d {}\n"
        "\n"
        "override indicator i max 10 { judged by s }\n"
    )


def test_one_line_forms_depend_on_width() -> None:
    clause = n.Judged(by="superior_assessment_committee", reason_required=True)
    long_name = "indicator_with_a_rather_long_name"
    module = n.Ruleset(
        name="r",
        label=None,
        version=None,
        extends=None,
        imports=(),
        items=(
            n.Dimension(
                name="d",
                label=None,
                max=number("1"),
                items=(
                    n.Indicator(name="i", label=None, max=number("1"), clauses=(clause,)),
                    n.Indicator(name=long_name, label="很长的中文标签", max=number("1"), clauses=(clause,)),
                ),
            ),
            n.Let(name="short", expr=n.Name(name="a")),
            n.Let(name="long", expr=n.ListLit(items=tuple(n.String(value="中文字符串") for _ in range(8)))),
        ),
    )
    assert (
        print_module((), module)
        == (
            "ruleset r\n"
            "\n"
            "dimension d max 1 {\n"
            "  indicator i max 1 { judged by superior_assessment_committee reason required }\n"
            f'  indicator {long_name} "很长的中文标签" max 1 {{\n'
            "    judged by superior_assessment_committee reason required\n"
            "  }\n"
            "}\n"
            "\n"
            "let short = a\n"
            "let long =\n"
            "  [" + ", ".join(['"中文字符串"'] * 7) + ",\n"  # 8 items are 112 columns: the list breaks
            '    "中文字符串"]\n'
        )
    )


def test_long_conditions_break_before_their_top_level_links() -> None:
    long = "months_between(last_election, period.end) > term_years * 12"
    _, module = parse(
        f"ruleset r\ndimension d max 5 {{ indicator e max 5 {{ deduct 5 when a is none or {long} or (b and c) }}"
        f" indicator f max 5 {{ deduct 5 when a is none or b }} }}\n"
        f"veto v when (a or b) and {long} and c cap low\n"
    )
    assert print_module((), module) == (
        "ruleset r\n"
        "\n"
        "dimension d max 5 {\n"
        "  indicator e max 5 {\n"
        "    deduct 5 when a is none\n"
        f"      or {long}\n"
        "      or b and c\n"
        "  }\n"
        "  indicator f max 5 { deduct 5 when a is none or b }\n"
        "}\n"
        "\n"
        f"veto v when (a or b) and {long} and c cap low\n"
    )
    # Outside points clauses, the condition first moves under its head, then breaks there.
    _, module = parse(f"ruleset r\nveto v when (a or b) and {long} and {long} cap low\n")
    assert print_module((), module) == (f"ruleset r\n\nveto v when\n  (a or b)\n  and {long}\n  and {long} cap low\n")
    _, module = parse(f"ruleset r\nveto v when (a or b) and {long} and short_name cap low\n")
    assert print_module((), module) == f"ruleset r\n\nveto v when\n  (a or b) and {long} and short_name cap low\n"


def test_columns_in_assess_and_grades_count_wide_characters_twice() -> None:
    _, module = parse(
        'ruleset r\nassess { self "自评" weight 20% superior "上级党组织考评" weight 80% }\n'
        'grades { advanced "先进" when total >= 90 ok when total > 1 lagging "后进" otherwise }\n'
    )
    text = print_module((), module)
    assert re.findall(r"^  .*$", text, re.MULTILINE) == [
        '  self     "自评"           weight 20%',
        '  superior "上级党组织考评" weight 80%',
        '  advanced "先进" when total >= 90',
        "  ok              when total > 1",
        '  lagging  "后进" otherwise',
    ]


def test_dates_print_in_iso_form() -> None:
    module = n.Ruleset(
        name="r",
        label=None,
        version=None,
        extends=None,
        imports=(),
        items=(n.PeriodDecl(start=datetime.date(1, 2, 3), end=datetime.date(2023, 12, 31)),),
    )
    assert print_module((), module) == "ruleset r\nperiod 0001-02-03 to 2023-12-31\n"


# ---------------------------------------------------------------- breaking long lines

BIG_EXPRS: st.SearchStrategy[n.Expr] = st.recursive(LEAVES, _compound, max_leaves=40)


@settings(max_examples=80, deadline=None)
@given(BIG_EXPRS, st.integers(8, 60))
def test_long_generated_expressions_break_and_parse_back(expr: n.Expr, width: int) -> None:
    with mock.patch.object(printer, "WIDTH", width):
        round_trips((), let_module(expr))


@settings(max_examples=40, deadline=None)
@given(IMPORTS, RULESETS, st.integers(8, 40))
def test_generated_rulesets_at_a_narrow_width_parse_back(
    imports: tuple[n.Import, ...], module: n.Ruleset, width: int
) -> None:
    with mock.patch.object(printer, "WIDTH", width):
        round_trips(imports, module)


_TERMS = " + ".join(f"count(m in meetings where m.kind == {i})" for i in range(5))
_BRANCHES = " else ".join(f'if grade == g{i} then "第{i}档的一个很长的说明文字"' for i in range(4))


@pytest.mark.parametrize(
    ("source", "printed"),
    [
        (  # a chain of sums packs its operands and breaks before operators
            f"let v = {_TERMS} > 3 and a",
            "let v =\n"
            "  count(m in meetings where m.kind == 0) + count(m in meetings where m.kind == 1)\n"
            "      + count(m in meetings where m.kind == 2) + count(m in meetings where m.kind == 3)\n"
            "      + count(m in meetings where m.kind == 4) > 3\n"
            "  and a\n",
        ),
        (  # an if chain breaks before each else
            f'outcome o = {_BRANCHES} else "无"',
            "outcome o =\n"
            + "".join(
                f'  {"else " if i else ""}if grade == g{i} then "第{i}档的一个很长的说明文字"\n' for i in range(4)
            )
            + '  else "无"\n',
        ),
    ],
)
def test_long_expressions_break_outermost_first(source: str, printed: str) -> None:
    _, module = parse(f"ruleset r\n{source}\n")
    assert print_module((), module) == "ruleset r\n\n" + printed
