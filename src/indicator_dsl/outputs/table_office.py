"""The indicator tables (`tables.py`) as a workbook (one sheet per table, XlsxWriter) or a Word
document (one section per table, python-docx): `ind table --format xlsx|docx`."""

from __future__ import annotations

from pathlib import Path

from ..files import publish, temporary
from .sheet_style import Sheet, open_workbook
from .tables import GENERATED, IndicatorTable

HEADERS = ["维度", "指标", "分值", "评分标准", "计分规则", "说明"]


def _cells(table: IndicatorTable) -> list[list[str]]:
    """The rows of a table as cells: one per indicator, then one per line of each section."""
    rows: list[list[str]] = []
    for block in table.dimensions:
        for row in block.rows:
            standard = row.standard + (GENERATED if row.generated else "")
            note = row.mark + (f":{row.note}" if row.note else "")
            rows.append([block.label, row.label, row.max, standard, "\n".join(row.rules), note])
    for section in table.sections:
        rows.extend([section.title, "", "", line, "", ""] for line in section.lines)
    return rows


def write_table_xlsx(path: Path, tables: list[IndicatorTable]) -> None:
    with temporary(path, "xlsx") as temp:
        book, styles = open_workbook(temp)
        wrap = book.add_format({"text_wrap": True, "valign": "top"})
        taken: set[str] = set()
        for table in tables:
            name = table.name[:31]
            while name.lower() in taken:
                name = name[:28] + f"~{len(taken)}"
            taken.add(name.lower())
            worksheet = book.add_worksheet(name)
            sheet = Sheet(worksheet, styles, HEADERS, autofilter=False)
            for r, cells in enumerate(_cells(table), start=1):
                for c, value in enumerate(cells):
                    if value:
                        worksheet.write_string(r, c, value, wrap)
                        sheet.widths[c] = max(sheet.widths[c], min(40, len(value)))
            worksheet.set_header(f"&C{table.title}")
            worksheet.set_landscape()
            worksheet.repeat_rows(0)
            sheet.finish()
        book.close()
        publish(temp, path)


def write_table_docx(path: Path, tables: list[IndicatorTable]) -> None:
    try:
        import docx
        from docx.enum.section import WD_ORIENT
        from docx.enum.text import WD_BREAK
    except ImportError:
        raise ValueError("writing .docx needs the office extra: pip install 'indicator-dsl[office]'") from None
    document = docx.Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = section.page_height, section.page_width
    for number, table in enumerate(tables):
        if number:
            document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        document.add_heading(table.title, level=1)
        document.add_paragraph(" · ".join(table.facts))
        for block in table.dimensions:
            heading = f"{block.label}({block.max} 分)" if block.max else block.label
            document.add_heading(heading, level=2)
            grid = document.add_table(rows=1, cols=5)
            grid.style = "Table Grid"
            for cell, text in zip(grid.rows[0].cells, ["指标", "分值", "评分标准", "计分规则", "说明"], strict=True):
                cell.text = text
            for row in block.rows:
                cells = grid.add_row().cells
                cells[0].text = row.label
                cells[1].text = row.max
                cells[2].text = row.standard + (GENERATED if row.generated else "")
                cells[3].text = "\n".join(row.rules)
                cells[4].text = row.mark + (f":{row.note}" if row.note else "")
        for part in table.sections:
            document.add_heading(part.title, level=2)
            for line in part.lines:
                document.add_paragraph(line, style="List Bullet")
    with temporary(path, "docx") as temp:
        document.save(str(temp))
        publish(temp, path)
