"""The indicator table (`ind table`): every clause of every shipped ruleset is in its table, in
words that carry the clause's figures; the author's 评分标准 where there is one, a generated one
where there is none; a department's changes marked; the same content in HTML, xlsx and Word."""

from __future__ import annotations

import html
import shutil
from pathlib import Path
from typing import Any

import pytest
from tests.support import ROOT, run_ind

import indicator_dsl
from indicator_dsl.check.resolved import ResolvedRuleset, figure
from indicator_dsl.outputs.rule_text import Describer
from indicator_dsl.outputs.tables import GENERATED, IndicatorTable, indicator_table, table_html
from indicator_dsl.syntax import nodes as n

SHIPPED = sorted(
    p
    for folder in ("rulesets", "examples")
    for p in (ROOT / folder).rglob("*.ind")
    if any(line.startswith(("ruleset ", "catalog ")) for line in p.read_text(encoding="utf-8").splitlines())
)


def _rulesets() -> dict[str, ResolvedRuleset]:
    """Every shipped ruleset as resolved (a catalog's through its routes), by file and name."""
    found: dict[str, ResolvedRuleset] = {}
    for path in SHIPPED:
        model = indicator_dsl.load(path)
        for ruleset in model.resolved_rulesets():
            found.setdefault(f"{ruleset.source.path}:{ruleset.name}", ruleset)
    return found


RULESETS = _rulesets()
CATALOG = ROOT / "rulesets" / "jiangsu" / "catalog.ind"


def _figures(clause: n.Clause) -> list[str]:
    """The figures written in a clause: what its words must say."""
    if isinstance(clause, n.Points):
        return [e.text for e in (clause.amount, clause.up_to) if isinstance(e, n.Number)]
    if isinstance(clause, n.Bands):
        return [f"{entry.score.text}分" for entry in clause.entries]
    if isinstance(clause, n.Adjust):
        return [clause.bound.text]
    return []


def test_the_shipped_rulesets_are_all_found() -> None:
    names = {key.rsplit(":", 1)[1] for key in RULESETS}
    assert {"common", "party_gov", "finance", "veteran", "station", "retired"} <= names
    assert len(RULESETS) >= 16


@pytest.mark.parametrize("key", sorted(RULESETS))
def test_every_clause_of_the_ruleset_is_in_its_table(key: str) -> None:
    ruleset = RULESETS[key]
    table = indicator_table(ruleset)
    page = html.unescape(table_html([table], table.title))
    describer = Describer(ruleset)
    sources = {s.name: s.label or s.name for s in ruleset.assess.sources} if ruleset.assess else {}
    rows = {row.name: row for block in table.dimensions for row in block.rows}
    for indicator in ruleset.indicators():
        node = indicator.node
        row = rows[node.name]
        assert (row.label, row.max) == (node.label or node.name, figure(node.max.value))
        assert len(row.rules) == len(node.clauses) + (node.applies is not None)
        for clause in node.clauses:
            text = describer.clause(clause, node, sources)
            assert text in row.rules and text in page
            for written in _figures(clause):
                assert written in text, (node.name, written, text)
        if node.standard is not None:
            assert row.standard == node.standard and not row.generated
        assert row.standard in page
    for veto in ruleset.vetoes:
        assert f"{veto.label or veto.name}:{describer.cond(veto.when)}的," in page
    for rule in [*ruleset.exempts, *ruleset.assigns]:
        assert f"{rule.label or rule.name}:{describer.cond(rule.when)}的," in page
    for block in (ruleset.bonus, ruleset.penalty):
        for item in block.items if block else ():
            assert f"{item.label or item.name}:{describer.points(item.clause)}" in page
    for grade in ruleset.grades.rules if ruleset.grades else ():
        assert f"{grade.label or grade.name}:" + (describer.cond(grade.when) if grade.when else "其他") in page
    for source in ruleset.assess.sources if ruleset.assess else ():
        assert f"{source.label or source.name}(权重 {source.weight.text})" in page
    for quota in ruleset.quotas:
        assert f"参评数的 {quota.share.text}" in page
    for outcome in ruleset.outcomes:
        assert f"{outcome.label or outcome.name}:{describer.expr(outcome.expr)}" in page
    for removed in ruleset.removed:
        assert rows[removed.name].mark == "删去" and (removed.reason or "") in page


def _table(name: str) -> IndicatorTable:
    return indicator_table(next(r for k, r in RULESETS.items() if k.endswith(f"/departments/{name}.ind:{name}")))


def test_a_departments_changes_are_marked_with_the_reason_of_a_removal() -> None:
    table = _table("finance")
    marks = {row.name: (row.mark, row.note) for block in table.dimensions for row in block.rows if row.mark}
    assert marks == {
        "lesson": ("调整", ""),
        "budget_party": ("新增", ""),
        "fiscal_discipline": ("新增", ""),
        "group_setup": ("删去", "厅机关党支部以处室为单位设置,人数少,不划分党小组"),
    }
    assert table.facts == (
        "版本 2023.1",
        "考核期 2023-01-01 至 2023-12-31",
        "指标合计 116 分",
        "总分按 100 分折算",
        "在“党政机关类党支部建设指标”基础上调整",
    )


def test_the_rules_are_read_in_words() -> None:
    rows = {row.name: row for block in _table("finance").dimensions for row in block.rows}
    assert rows["party_cadre"].rules == ("「配备专兼职党务干部」为否的,扣2分。",)
    assert rows["fiscal_discipline"].rules == (
        "按“廉政风险防控”、“政府采购监督”中「已建立的制度」不包含该项的项的个数,每1个扣1.5分。",
    )
    assert rows["budget_party"].rules == ("由上级党组织考评评定,0至3分。",)
    assert rows["committee_setup"].rules == (
        "(「党员名册」中「党员类别」为“正式党员”的项的个数≥7或(「支委会组成」的数量≥3))且「支委会组成」的数量<3的,扣4分。",
        "「支委会组成」不包含“书记”的,扣2分。",
    )


def test_an_indicator_without_a_standard_gets_one_read_from_its_rules() -> None:
    station = next(r for k, r in RULESETS.items() if k.endswith("station.ind:station"))
    table = indicator_table(station)
    rows = {row.name: row for block in table.dimensions for row in block.rows}
    assert rows["training"].generated and rows["training"].standard == "「开展年度培训」为否的,扣10分。"
    assert rows["elderly"].standard == "有「服务活动」中「活动类型」为“助老”且「开展日期」在考核期内的项的,得10分。"
    page = table_html([table], "t")
    assert f"{rows['training'].standard} <small>{GENERATED}</small></td>" in page  # marked as generated
    finance = table_html([_table("finance")], "t")
    assert GENERATED not in finance  # every Jiangsu indicator states its 评分标准


def test_a_rule_change_changes_the_table(tmp_path: Path) -> None:
    project = tmp_path / "own"
    shutil.copytree(ROOT / "examples" / "own_table", project)
    before = indicator_table(indicator_dsl.load(project / "station.ind").resolved_rulesets()[0])
    text = (project / "station.ind").read_text(encoding="utf-8")
    (project / "station.ind").write_text(text.replace("award 10 when any(", "award 8 when any("), encoding="utf-8")
    after = indicator_table(indicator_dsl.load(project / "station.ind").resolved_rulesets()[0])
    changed = [
        (a.name, a.rules, b.rules)
        for x, y in zip(before.dimensions, after.dimensions, strict=True)
        for a, b in zip(x.rows, y.rows, strict=True)
        if a != b
    ]
    assert [(name, old[0][-5:], new[0][-5:]) for name, old, new in changed] == [("elderly", "得10分。", ",得8分。")]


@pytest.fixture(scope="module")
def catalog_tables() -> list[IndicatorTable]:
    return [indicator_table(r) for r in indicator_dsl.load(CATALOG).resolved_rulesets()]


def _expected_texts(tables: list[IndicatorTable]) -> list[str]:
    return [text for t in tables for b in t.dimensions for r in b.rows for text in (r.label, *r.rules)]


def test_the_workbook_holds_every_row_of_every_table(tmp_path: Path, catalog_tables: list[IndicatorTable]) -> None:
    openpyxl = pytest.importorskip("openpyxl", reason="pip install -e '.[office]'")
    out = tmp_path / "tables.xlsx"
    done = run_ind("table", CATALOG, "--format", "xlsx", "--out", out)
    assert done.returncode == 0, done.stderr
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == [t.name for t in catalog_tables]
    for table in catalog_tables:
        cells = {str(c.value) for row in book[table.name].iter_rows() for c in row if c.value is not None}
        lines = {line for cell in cells for line in cell.split("\n")}
        assert [t for t in _expected_texts([table]) if t not in lines] == []


def test_the_word_document_holds_every_row_of_every_table(tmp_path: Path, catalog_tables: list[IndicatorTable]) -> None:
    docx = pytest.importorskip("docx", reason="pip install -e '.[office]'")
    out = tmp_path / "tables.docx"
    done = run_ind("table", CATALOG, "--format", "docx", "--out", out)
    assert done.returncode == 0, done.stderr
    document: Any = docx.Document(str(out))
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    assert headings == [t.title for t in catalog_tables]
    cells = {line for t in document.tables for row in t.rows for c in row.cells for line in c.text.split("\n")}
    assert [t for t in _expected_texts(catalog_tables) if t not in cells] == []


def test_the_catalogs_own_rules_come_first(tmp_path: Path) -> None:
    out = tmp_path / "all.html"
    done = run_ind("table", CATALOG, "--out", out)
    assert done.returncode == 0, done.stderr
    page = html.unescape(out.read_text(encoding="utf-8"))
    assert page.index("<h1>江苏省级机关党支部分类达标定级 2023:跨表规则</h1>") < page.index(
        "<h1>党政机关类党支部建设指标</h1>"
    )
    assert (
        "名额:先进不超过参评数的 20%(参评 10 个以上的至少 1 个),按「所属部门单位」分别计算。(代替各表自己的名额)"
        in page
    )
    assert "推荐省级机关先进基层党组织:从先进中按「所属部门单位」各推荐不超过 2 个,总分高者优先。" in page


def test_ind_table_prints_one_ruleset_of_a_catalog(tmp_path: Path) -> None:
    out = tmp_path / "finance.html"
    done = run_ind("table", CATALOG, "--ruleset", "finance", "--out", out)
    assert (done.returncode, done.stdout) == (0, f"ind table: 1 table(s) written to {out}\n")
    page = out.read_text(encoding="utf-8")
    assert "<h1>省财政厅机关党支部建设指标</h1>" in page and "<script" not in page and "http" not in page
    done = run_ind("table", CATALOG, "--ruleset", "nope", "--out", out)
    assert done.returncode == 2 and "no ruleset nope here" in done.stderr
