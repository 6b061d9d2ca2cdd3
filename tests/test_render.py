"""Rendering diagnostics: pinned text snippets (CJK, tabs, EOF), JSON, SARIF, GitHub annotations."""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from indicator_dsl.check.renderers import (
    artifact_uri,
    display_width,
    render_github,
    render_json,
    render_sarif,
    render_text,
)
from indicator_dsl.syntax.diagnostics import CODES, Diagnostic, Related
from indicator_dsl.syntax.source import NO_SPAN, SourceFile, Span

DOCS = Path(__file__).resolve().parents[1] / "docs"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def span_of(source: SourceFile, needle: str, occurrence: int = 0) -> Span:
    start = -1
    for _ in range(occurrence + 1):
        start = source.text.index(needle, start + 1)
    return Span.at(source, start, start + len(needle))


def text(diagnostics: list[Diagnostic], *sources: SourceFile, color: bool = False) -> str:
    return render_text(diagnostics, {s.path: s for s in sources}, color=color)


RULES = SourceFile(
    "rules/a.ind",
    'ruleset a "甲" version "1"\n'
    "record Branch\n"
    'dimension org "基本组织" max 10 {\n'
    '  indicator committee "支委会设置" max 10 {\n'
    "    deduct 10 when membrs >= 7 and 支委人数 < 3\n"
    "  }\n"
    "}\n",
)
SCHEMA = SourceFile("schema/branch.ind", 'schema branch "党支部台账"\n')


# --------------------------------------------------------------------------- text


def test_text_full_block_is_pinned() -> None:
    diagnostic = Diagnostic(
        "E200",
        "unknown name `membrs`",
        span_of(RULES, "membrs"),
        hint="did you mean `members`?",
        related=(Related(Span("schema/branch.ind", 14, 3, 14, 10), "`members` is declared here"),),
    )
    assert text([diagnostic], RULES) == (
        "rules/a.ind:5:20: error[E200]: unknown name `membrs`\n"
        "  5 |     deduct 10 when membrs >= 7 and 支委人数 < 3\n"
        "    |                    ^^^^^^\n"
        "  = hint: did you mean `members`?\n"
        "  = see docs/errors/E200.md\n"
        "  note: schema/branch.ind:14:3: `members` is declared here\n"
        "\n"
        "1 error\n"
    )


def test_text_carets_under_chinese_name_take_two_cells_each() -> None:
    diagnostic = Diagnostic("E200", "unknown name `支委人数`", span_of(RULES, "支委人数"))
    out = text([diagnostic], RULES)
    assert out.splitlines()[1:3] == [
        "  5 |     deduct 10 when membrs >= 7 and 支委人数 < 3",
        "    |" + " " * 36 + "^^^^^^^^",
    ]


def test_text_carets_after_chinese_text_are_shifted_by_its_width() -> None:
    source = SourceFile("r.ind", '  indicator 党课 "党课" max 10 {\n')
    diagnostic = Diagnostic("E311", "invalid score amount", span_of(source, "10"))
    assert text([diagnostic], source) == (
        "r.ind:1:25: error[E311]: invalid score amount\n"
        '  1 |   indicator 党课 "党课" max 10 {\n'
        "    |                             ^^\n"
        "  = see docs/errors/E311.md\n"
        "\n"
        "1 error\n"
    )


def test_text_full_width_punctuation_is_two_cells() -> None:
    source = SourceFile("r.ind", '  bands secretary_rating { "好": 3， "较好": 2, else: 0 }\n')
    diagnostic = Diagnostic(
        "E011",
        "unexpected character `，`",
        span_of(source, "，"),
        hint="use the ASCII `,` instead of the full-width `，`",
    )
    assert text([diagnostic], source).splitlines()[1:4] == [
        '  1 |   bands secretary_rating { "好": 3， "较好": 2, else: 0 }',
        "    |" + " " * 35 + "^^",
        "  = hint: use the ASCII `,` instead of the full-width `，`",
    ]


def test_text_tabs_expand_to_stops_of_four_and_carets_follow() -> None:
    source = SourceFile("t.ind", "dimension d max 5 {\n\tindicator\tx max 5 { judged }\n}\n")
    diagnostic = Diagnostic("W503", "suspicious score", span_of(source, "x max"))
    assert text([diagnostic], source) == (
        "t.ind:2:12: warning[W503]: suspicious score\n"
        "  2 |     indicator   x max 5 { judged }\n"
        "    |                 ^^^^^\n"
        "  = see docs/errors/W503.md\n"
        "\n"
        "1 warning\n"
    )


def test_text_tab_after_chinese_uses_display_cells_for_the_stop() -> None:
    # "党" is two cells, so the tab after it advances from cell 2 to 4 (two spaces), not three.
    source = SourceFile("t.ind", "党\tx\n")
    diagnostic = Diagnostic("E200", "unknown name `x`", span_of(source, "x"))
    assert text([diagnostic], source).splitlines()[1:3] == ["  1 | 党  x", "    |     ^"]


def test_text_eof_after_final_newline_points_at_the_empty_last_line() -> None:
    source = SourceFile("e.ind", "dimension d max 5 {\n")
    end = len(source.text)
    diagnostic = Diagnostic(
        "E012", "the file ends too early; expected `}`", Span.at(source, end, end), hint="a `{` may be missing its `}`"
    )
    assert text([diagnostic], source) == (
        "e.ind:2:1: error[E012]: the file ends too early; expected `}`\n"
        "  2 |\n"
        "    | ^\n"
        "  = hint: a `{` may be missing its `}`\n"
        "  = see docs/errors/E012.md\n"
        "\n"
        "1 error\n"
    )


def test_text_eof_without_final_newline_points_after_the_last_character() -> None:
    source = SourceFile("e.ind", "total 党")
    end = len(source.text)
    diagnostic = Diagnostic("E012", "the file ends too early", Span.at(source, end, end))
    assert text([diagnostic], source).splitlines()[:3] == [
        "e.ind:1:8: error[E012]: the file ends too early",
        "  1 | total 党",
        "    |         ^",
    ]


def test_text_span_on_an_empty_line() -> None:
    source = SourceFile("e.ind", "a\n\nb\n")
    diagnostic = Diagnostic("E010", "unexpected newline", Span.at(source, 2, 2))
    assert text([diagnostic], source).splitlines()[:3] == [
        "e.ind:2:1: error[E010]: unexpected newline",
        "  2 |",
        "    | ^",
    ]


def test_text_multiline_span_is_underlined_to_the_end_of_its_first_line() -> None:
    source = SourceFile("m.ind", 'grades {\n  a "甲" otherwise\n}\n')
    diagnostic = Diagnostic("E306", "grades need exactly one otherwise, last", Span.at(source, 0, len(source.text) - 1))
    assert diagnostic.span.end_line == 3
    assert text([diagnostic], source).splitlines()[1:3] == ["  1 | grades {", "    | ^^^^^^^^"]


def test_text_multiline_span_starting_at_line_end_still_gets_one_caret() -> None:
    source = SourceFile("m.ind", "ab\ncd\n")
    diagnostic = Diagnostic("E010", "x", Span.at(source, 2, 4))
    assert text([diagnostic], source).splitlines()[1:3] == ["  1 | ab", "    |   ^"]


def test_text_empty_span_mid_line_gets_one_caret() -> None:
    source = SourceFile("z.ind", "total 100\n")
    diagnostic = Diagnostic("E010", "x", Span.at(source, 6, 6))
    assert text([diagnostic], source).splitlines()[1:3] == ["  1 | total 100", "    |       ^"]


def test_text_crlf_line_endings_are_not_shown() -> None:
    source = SourceFile("w.ind", "total 100\r\nprecision x\r\n")
    diagnostic = Diagnostic("E014", "invalid literal", span_of(source, "x"))
    assert text([diagnostic], source).splitlines()[1:3] == ["  2 | precision x", "    |           ^"]


def test_text_line_beyond_the_file_and_unknown_file_omit_the_snippet() -> None:
    beyond = Diagnostic("E010", "past the end", Span("rules/a.ind", 99, 1, 99, 2))
    elsewhere = Diagnostic("E001", "cannot read `b.ind`", Span("b.ind", 1, 1, 1, 1))
    assert text([beyond, elsewhere], RULES) == (
        "rules/a.ind:99:1: error[E010]: past the end\n"
        "  = see docs/errors/E010.md\n"
        "\n"
        "b.ind:1:1: error[E001]: cannot read `b.ind`\n"
        "  = see docs/errors/E001.md\n"
        "\n"
        "2 errors\n"
    )


def test_text_builtin_span_has_no_position() -> None:
    diagnostic = Diagnostic("E103", "unknown base ruleset `x`", NO_SPAN)
    assert text([diagnostic], RULES).splitlines()[0] == "<builtin>: error[E103]: unknown base ruleset `x`"


def test_text_column_past_line_end_is_clamped() -> None:
    diagnostic = Diagnostic("E010", "x", Span("s.ind", 1, 40, 1, 45))
    assert text([diagnostic], SourceFile("s.ind", "ab\n")).splitlines()[1:3] == ["  1 | ab", "    |   ^"]


def test_text_control_characters_are_not_sent_to_the_terminal() -> None:
    source = SourceFile("c.ind", "a\x1b[2Jb\n")
    diagnostic = Diagnostic("E011", "unexpected character", Span.at(source, 1, 2))
    lines = text([diagnostic], source).splitlines()
    assert "\x1b" not in lines[1]
    assert lines[1:3] == ["  1 | a\ufffd[2Jb", "    |  ^"]


def test_text_wide_gutter_for_multi_digit_line_numbers() -> None:
    source = SourceFile("g.ind", "\n" * 11 + "total 100\n")
    diagnostic = Diagnostic("E301", "total differs from the dimensions", span_of(source, "100"))
    assert text([diagnostic], source).splitlines()[1:3] == ["  12 | total 100", "     |       ^^^"]


def test_text_summary_counts_and_order_is_kept() -> None:
    warning = Diagnostic("W501", "`x` is never used", Span("a.ind", 3, 1, 3, 2))
    error = Diagnostic("E200", "unknown name", Span("a.ind", 1, 1, 1, 2))
    assert text([]) == ""
    assert text([warning]).endswith("\n1 warning\n")
    assert text([warning, warning]).endswith("\n2 warnings\n")
    assert text([error, error]).endswith("\n2 errors\n")
    out = text([warning, error, warning])
    assert out.endswith("\n1 error, 2 warnings\n")
    assert out.index("warning[W501]") < out.index("error[E200]")


def test_text_unknown_code_has_no_docs_pointer() -> None:
    out = text([Diagnostic("E999", "future code", Span("a.ind", 1, 1, 1, 2))])
    assert "see docs" not in out
    assert out.startswith("a.ind:1:1: error[E999]: future code\n")


def test_text_color_only_adds_ansi_codes() -> None:
    diagnostics = [
        Diagnostic("E200", "unknown name `支委人数`", span_of(RULES, "支委人数"), hint="h"),
        Diagnostic("W501", "unused", span_of(RULES, "membrs")),
    ]
    plain = text(diagnostics, RULES)
    colored = text(diagnostics, RULES, color=True)
    assert "\x1b[1;31m" in colored
    assert "\x1b[1;33m" in colored
    assert ANSI.sub("", colored) == plain


# --------------------------------------------------------------------------- JSON


def test_json_round_trip_keeps_every_field_and_chinese() -> None:
    diagnostics = [
        Diagnostic(
            "E203",
            "`支委` is not in the enum",
            span_of(RULES, "支委人数"),
            hint='did you mean "支委会"?',
            related=(Related(Span("schema/branch.ind", 4, 9, 4, 13), "enum declared here"),),
        ),
        Diagnostic("W501", "unused let", Span("a.ind", 2, 3, 2, 8)),
    ]
    out = render_json(diagnostics)
    assert "支委" in out
    assert "\\u" not in out
    assert json.loads(out) == [
        {
            "code": "E203",
            "severity": "error",
            "title": "value not in enum",
            "message": "`支委` is not in the enum",
            "file": "rules/a.ind",
            "line": 5,
            "column": 36,
            "end_line": 5,
            "end_column": 40,
            "hint": 'did you mean "支委会"?',
            "related": [{"file": "schema/branch.ind", "line": 4, "column": 9, "message": "enum declared here"}],
        },
        {
            "code": "W501",
            "severity": "warning",
            "title": "unused let",
            "message": "unused let",
            "file": "a.ind",
            "line": 2,
            "column": 3,
            "end_line": 2,
            "end_column": 8,
            "hint": None,
            "related": [],
        },
    ]


def test_json_empty_is_an_empty_array() -> None:
    assert json.loads(render_json([])) == []


# --------------------------------------------------------------------------- SARIF


def test_sarif_structure() -> None:
    diagnostics = [
        Diagnostic(
            "E300",
            "dimension `org` declares max 20 but its indicators sum to 10",
            Span("rules\\party_gov.ind", 3, 1, 6, 2),
            hint="set `max 10`",
            related=(Related(Span("rules\\party_gov.ind", 4, 3, 4, 12), "indicator `committee` max 10"),),
        ),
        Diagnostic("W500", "unreachable band", Span("rules/x.ind", 9, 5, 9, 10)),
        Diagnostic("E300", "again", Span("rules/y.ind", 1, 1, 1, 4)),
    ]
    log = json.loads(render_sarif(diagnostics, tool_version="0.1.0"))
    assert log["$schema"].endswith("sarif-2.1.0.json")
    assert log["version"] == "2.1.0"
    assert len(log["runs"]) == 1
    run = log["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "indicator_dsl"
    assert driver["version"] == "0.1.0"
    assert driver["rules"] == [
        {
            "id": "E300",
            "shortDescription": {"text": "dimension max differs from its indicators"},
            "helpUri": "docs/errors/E300.md",
        },
        {"id": "W500", "shortDescription": {"text": "unreachable band"}, "helpUri": "docs/errors/W500.md"},
    ]
    first, second, third = run["results"]
    assert first["ruleId"] == "E300"
    assert first["ruleIndex"] == 0
    assert first["level"] == "error"
    assert (
        first["message"]["text"] == "dimension `org` declares max 20 but its indicators sum to 10\nhint: set `max 10`"
    )
    location = first["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "rules/party_gov.ind"
    assert location["region"] == {"startLine": 3, "startColumn": 1, "endLine": 6, "endColumn": 2}
    assert first["relatedLocations"] == [
        {
            "id": 0,
            "physicalLocation": {
                "artifactLocation": {"uri": "rules/party_gov.ind"},
                "region": {"startLine": 4, "startColumn": 3, "endLine": 4, "endColumn": 12},
            },
            "message": {"text": "indicator `committee` max 10"},
        }
    ]
    assert second["level"] == "warning"
    assert second["ruleIndex"] == 1
    assert second["message"]["text"] == "unreachable band"
    assert "relatedLocations" not in second
    assert third["ruleIndex"] == 0
    for result in run["results"]:
        assert driver["rules"][result["ruleIndex"]]["id"] == result["ruleId"]


def test_sarif_empty_and_builtin() -> None:
    log = json.loads(render_sarif([], tool_version="9"))
    assert log["runs"][0]["results"] == []
    assert log["runs"][0]["tool"]["driver"]["rules"] == []
    builtin = json.loads(render_sarif([Diagnostic("E103", "unknown base", NO_SPAN)], tool_version="9"))
    assert builtin["runs"][0]["results"][0]["locations"] == []


def test_sarif_keeps_chinese_messages_readable() -> None:
    out = render_sarif([Diagnostic("E201", "未知字段 `党员`", Span("a.ind", 1, 1, 1, 3))], tool_version="1")
    assert "未知字段" in out


def test_artifact_uri() -> None:
    assert artifact_uri("rulesets/party_gov.ind") == "rulesets/party_gov.ind"
    assert artifact_uri("rulesets\\finance.ind") == "rulesets/finance.ind"
    assert artifact_uri("my rules/财政.ind") == "my%20rules/%E8%B4%A2%E6%94%BF.ind"
    assert artifact_uri("/home/u/a.ind") == "file:///home/u/a.ind"
    assert artifact_uri("C:\\work\\a.ind") == "file:///C:/work/a.ind"


# --------------------------------------------------------------------------- GitHub


def test_github_lines_are_pinned() -> None:
    diagnostics = [
        Diagnostic("E300", "dimension max 20, indicators 10", Span("rules/a.ind", 3, 5, 3, 12), hint="set `max 10`"),
        Diagnostic("W501", "`x` is never used", Span("rules\\b.ind", 7, 3, 7, 4)),
    ]
    assert render_github(diagnostics) == (
        "::error file=rules/a.ind,line=3,col=5,endLine=3,endColumn=11,"
        "title=E300 dimension max differs from its indicators::dimension max 20, indicators 10%0Ahint: set `max 10`\n"
        "::warning file=rules/b.ind,line=7,col=3,endLine=7,endColumn=3,title=W501 unused let::`x` is never used\n"
    )


def test_github_escaping() -> None:
    diagnostic = Diagnostic(
        "E001",
        "100% broken:\r\nline two, with comma",
        Span("C:/odd,name:x.ind", 1, 1, 1, 1),
        related=(Related(Span("b.ind", 2, 3, 2, 4), "see: here"),),
    )
    assert render_github([diagnostic]) == (
        "::error file=C%3A/odd%2Cname%3Ax.ind,line=1,col=1,endLine=1,endColumn=1,title=E001 cannot read file"
        "::100%25 broken:%0D%0Aline two, with comma%0Anote: b.ind:2:3: see: here\n"
    )


def test_github_multiline_span_has_no_columns_and_builtin_has_no_file() -> None:
    multi = Diagnostic("E306", "grades", Span("g.ind", 2, 1, 5, 2))
    builtin = Diagnostic("E103", "unknown base ruleset `x`", NO_SPAN)
    assert render_github([multi, builtin]) == (
        "::error file=g.ind,line=2,endLine=5,title=E306 grades need exactly one otherwise%2C last::grades\n"
        "::error title=E103 unknown base ruleset::unknown base ruleset `x`\n"
    )
    assert render_github([]) == ""


# --------------------------------------------------------------------------- properties


def cells(text: str) -> int:
    """Independent reference: two cells for W/F, one otherwise (inputs hold no tabs or marks)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


MIXED = st.text(
    alphabet=st.sampled_from(list('abcxyz019 _=+()."') + list("党支部委员会达标先进后进") + ["，", "：", "（", "Ａ"]),
    max_size=30,
)


def caret_line(rendered: str) -> tuple[int, int]:
    line = rendered.splitlines()[2]
    assert line.startswith("    | ")
    body = line[len("    | ") :]
    stripped = body.lstrip(" ")
    assert set(stripped) == {"^"}
    return len(body) - len(stripped), len(stripped)


@given(MIXED, st.data())
def test_property_carets_cover_the_display_width_of_the_span(line: str, data: st.DataObject) -> None:
    start = data.draw(st.integers(0, len(line)))
    end = data.draw(st.integers(start, len(line)))
    source = SourceFile("p.ind", line + "\n")
    rendered = text([Diagnostic("E010", "m", Span.at(source, start, end))], source)
    assert rendered.splitlines()[1] == ("  1 | " + line if line else "  1 |")
    offset, carets = caret_line(rendered)
    assert offset == cells(line[:start])
    assert carets == max(cells(line[start:end]), 1)
    assert display_width(line) == cells(line)


@given(MIXED, MIXED, st.data())
def test_property_multiline_span_underlines_rest_of_first_line(first: str, second: str, data: st.DataObject) -> None:
    start = data.draw(st.integers(0, len(first)))
    end = data.draw(st.integers(len(first) + 1, len(first) + 1 + len(second)))
    source = SourceFile("p.ind", first + "\n" + second + "\n")
    offset, carets = caret_line(text([Diagnostic("E010", "m", Span.at(source, start, end))], source))
    assert offset == cells(first[:start])
    assert carets == max(cells(first[start:]), 1)


@given(st.text(alphabet=st.sampled_from(list("ab =1\t")), max_size=30), st.data())
def test_property_tabs_match_expandtabs(line: str, data: st.DataObject) -> None:
    start = data.draw(st.integers(0, len(line)))
    end = data.draw(st.integers(start, len(line)))
    source = SourceFile("p.ind", line + "\n")
    rendered = text([Diagnostic("E010", "m", Span.at(source, start, end))], source)
    shown = line.expandtabs(4)
    assert rendered.splitlines()[1] == ("  1 | " + shown if shown else "  1 |")
    offset, carets = caret_line(rendered)
    assert offset == len(line[:start].expandtabs(4))
    assert carets == max(len(line[:end].expandtabs(4)) - offset, 1)


# --------------------------------------------------------------------------- docs


def test_every_code_has_a_docs_page_and_no_page_is_stale() -> None:
    pages = {p.stem for p in (DOCS / "errors").glob("*.md")}
    assert pages == set(CODES)
    for code, title in CODES.items():
        page = (DOCS / "errors" / f"{code}.md").read_text(encoding="utf-8")
        assert page.startswith(f"# {code}: {title}\n"), code
        assert "```ind" in page, code
    assert (DOCS / "diagnostics.md").is_file()


def test_sarif_region_never_ends_before_it_starts() -> None:
    backwards = Diagnostic("E010", "m", Span("a.ind", 3, 9, 2, 4))
    region = json.loads(render_sarif([backwards], tool_version="1"))["runs"][0]["results"][0]["locations"][0]
    assert region["physicalLocation"]["region"] == {"startLine": 3, "startColumn": 9, "endLine": 3, "endColumn": 9}
