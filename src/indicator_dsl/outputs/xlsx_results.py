"""Results as a workbook (`ind eval … --format xlsx`, `ind report --xlsx`), written with XlsxWriter.

Sheets: 名单 (every record, by the first group field — 部门 in Jiangsu — then grade, then total,
highest first), one sheet per grade (先进, 达标, 后进 …, each by group and total), a 后进原因 sheet
for the last grade (the vetoes, the steps that moved the grade and the points lost), 推荐对象 (a
catalog's nominees) and 汇总 (grade counts per group). A ruleset without grades has the list only,
with totals. Header rows are frozen and filtered, columns fit their text, totals are numbers
with the ruleset's places (as text if a double cannot hold them exactly).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..files import publish, temporary
from .branch_rows import BatchView, BranchRow, grade_order, outcome_labels, shown
from .sheet_style import Sheet, open_workbook
from .words import words


def _group_field(view: BatchView) -> str | None:
    """The field the lists are ordered and counted by: the first that groups records (部门)."""
    return view.group_fields[0] if view.group_fields else None


def list_headers(view: BatchView) -> list[str]:
    said = words(view.lang)
    return [
        *(label for _, label in view.identity),
        said["table"],
        said["total"],
        *([said["grade"]] if _has_grades(view) else []),
        *(label for _, label in outcome_labels(view.plans)),
        said["moves"],
        said["lost"],
        said["nominations"],
        said["problems"],
    ]


def _has_grades(view: BatchView) -> bool:
    return any(plan.grades for plan in view.plans.values())


def list_cells(view: BatchView, row: BranchRow) -> list[Any]:
    """A row's cells in `list_headers` order: texts, and the total as a Decimal (None when absent)."""
    lost = "; ".join(f"{x.label} -{x.lost.normalize():f}" for x in row.lost)
    return [
        *(row.identity.get(name, "") or (row.id if name == "id" else "") for name, _ in view.identity),
        row.ruleset,
        row.total,
        *([row.grade_label] if _has_grades(view) else []),
        *(shown(row.outcomes.get(name), view.lang) for name, _ in outcome_labels(view.plans)),
        "; ".join(row.moves),
        lost,
        "、".join(row.nominations),
        row.problems,
    ]


def _write_rows(sheet: Sheet, cells: Sequence[Sequence[Any]], first_row: int = 1) -> None:
    for r, values in enumerate(cells, start=first_row):
        for c, value in enumerate(values):
            if value is None or value == "":
                continue
            if isinstance(value, str):
                sheet.text(r, c, value)
            else:
                sheet.number(r, c, value)


def _sorted(view: BatchView, rows: Sequence[BranchRow]) -> list[BranchRow]:
    group = _group_field(view)
    rank = {label: i for i, (_, label) in enumerate(_grades(view))}
    return sorted(
        rows,
        key=lambda r: (
            r.identity.get(group, "") if group else "",
            rank.get(r.grade_label, len(rank)),
            -(r.total if r.total is not None else -(10**9)),
            r.index,
        ),
    )


def _grades(view: BatchView) -> list[tuple[str, str]]:
    return grade_order(view.plans, view.lang)


def sheet_names(view: BatchView) -> list[str]:
    """The sheets of the results workbook, in order (the tests read them back by these names)."""
    said = words(view.lang)
    names = [said["by_group"]]
    if _has_grades(view):
        present = {r.grade_label for r in view.rows}
        names += [label for _, label in _grades(view) if label in present]
        names.append(said["lagging_reasons"])
    if any(r.nominations for r in view.rows):
        names.append(said["nominees"])
    names.append(said["summary"])
    return names


def write_results(path: Path, view: BatchView) -> None:
    """Write the results workbook of `view` to `path`, atomically."""
    with temporary(path, "xlsx") as temp:
        _write(temp, view)
        publish(temp, path)


def _write(temp: Path, view: BatchView) -> None:
    book, styles = open_workbook(temp)
    said = words(view.lang)
    headers = list_headers(view)
    ordered = _sorted(view, view.rows)
    for name in sheet_names(view):
        if name == said["summary"]:
            _summary(book, styles, name, view)
        elif name == said["nominees"]:
            _nominees(book, styles, name, view, ordered)
        elif name == said["lagging_reasons"]:
            _lagging(book, styles, name, view, ordered)
        else:
            chosen = ordered if name == said["by_group"] else [r for r in ordered if r.grade_label == name]
            sheet = Sheet(book.add_worksheet(name), styles, headers)
            _write_rows(sheet, [list_cells(view, r) for r in chosen])
            sheet.finish()
    book.close()


def lagging_rows(view: BatchView, ordered: Sequence[BranchRow]) -> list[BranchRow]:
    """The records of the last grade (后进): the `otherwise` grade of the plans, worst first."""
    grades = [g for g, _ in _grades(view)[:-2]]
    worst = grades[-1] if grades else None
    return [r for r in ordered if worst is not None and r.grade == worst]


def _lagging(book: Any, styles: Any, name: str, view: BatchView, ordered: Sequence[BranchRow]) -> None:
    said = words(view.lang)
    headers = [*(label for _, label in view.identity), said["total"], said["vetoes"], said["moves"], said["lost"]]
    sheet = Sheet(book.add_worksheet(name), styles, headers)
    cells = []
    for row in lagging_rows(view, ordered):
        vetoes = "、".join(view.results[row.index].vetoes)
        lost = "; ".join(f"{x.label} -{x.lost.normalize():f}" for x in row.lost)
        ident = [row.identity.get(f, "") for f, _ in view.identity]
        cells.append([*ident, row.total, vetoes, "; ".join(row.moves), lost])
    _write_rows(sheet, cells)
    sheet.finish()


def _nominees(book: Any, styles: Any, name: str, view: BatchView, ordered: Sequence[BranchRow]) -> None:
    said = words(view.lang)
    headers = [said["award"], *(label for _, label in view.identity), said["total"], said["rule"]]
    sheet = Sheet(book.add_worksheet(name), styles, headers)
    cells = []
    for row in ordered:
        for nominee in view.results[row.index].nominations:
            ident = [row.identity.get(f, "") for f, _ in view.identity]
            cells.append([nominee.label or nominee.award, *ident, row.total, nominee.reason])
    _write_rows(sheet, sorted(cells, key=lambda c: str(c[0])))
    sheet.finish()


def _summary(book: Any, styles: Any, name: str, view: BatchView) -> None:
    """Grade counts per group (and in all): one row per group, one column per grade."""
    said = words(view.lang)
    group = _group_field(view)
    grades = [label for _, label in _grades(view)] if _has_grades(view) else []
    label = next((lbl for f, lbl in view.identity if f == group), said["all"])
    sheet = Sheet(book.add_worksheet(name), styles, [label, said["count"], *grades])
    counts: dict[str, Counter[str]] = {}
    for row in view.rows:
        counts.setdefault(row.identity.get(group, "") if group else said["all"], Counter())[row.grade_label] += 1
    everything: Counter[str] = sum(counts.values(), Counter())
    groups = [*sorted(counts.items()), (said["all"], everything)]
    cells = [[key, sum(c.values()), *(c.get(g, 0) for g in grades)] for key, c in groups]
    _write_rows(sheet, cells)
    sheet.finish()
