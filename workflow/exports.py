"""The published report as CSV and XLSX: the six columns of the seed, one row per measure."""

from __future__ import annotations

import csv
import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from workflow.assessment_exports import analysis_sheet_add
from workflow.selectors import PublicReport

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
COLUMN_WIDTHS = (32, 48, 18, 18, 48, 40)

# A cell that begins with one of these is a formula to Excel, LibreOffice or Google Sheets
# (OWASP "CSV Injection"; ASVS 1.2.10 adds NUL).
FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r", "\0")
# The same test as a PostgreSQL regular expression, for exports the database writes itself.
CSV_FORMULA_PATTERN = "^'*[=+@\t\r-]"


def csv_cell(value):
    """A CSV cell a spreadsheet shows as text: a leading ' before a formula character.

    Also before a ' that already precedes one, so that `csv_cell_read` gives back
    exactly what was written, whatever it was.
    """
    if isinstance(value, str) and value.lstrip("'").startswith(FORMULA_LEADS):
        return "'" + value
    return value


def csv_cell_read(value: str) -> str:
    """The text `csv_cell` wrote (the importer reads the public CSV back with it)."""
    if value.startswith("'") and value.lstrip("'").startswith(FORMULA_LEADS):
        return value[1:]
    return value


def csv_row(values) -> list:
    """A row of CSV cells, each through `csv_cell`."""
    return [csv_cell(value) for value in values]


def xlsx_row_append(sheet, values) -> None:
    """Append a row whose text cells are strings, never formulas, whatever they begin with.

    openpyxl stores a string beginning with `=` as a formula; the type is set back to a
    string and the cell marked as Excel marks a typed leading apostrophe (quotePrefix),
    so that editing it in Excel keeps it text.
    """
    sheet.append(values)
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str):
            cell.data_type = "s"
            if cell.value.startswith(FORMULA_LEADS):
                cell.quotePrefix = True


def sheet_wrap(sheet, widths) -> None:
    """Wrap every cell at its top, and give the columns their widths."""
    wrap = Alignment(wrap_text=True, vertical="top")
    for row in sheet.iter_rows():
        for cell in row:
            cell.alignment = wrap
    for index, width in enumerate(widths):
        sheet.column_dimensions[chr(ord("A") + index)].width = width


def report_csv(report: PublicReport) -> bytes:
    """UTF-8 with a byte order mark, so that Excel opens the Thai text correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(csv_row(report.columns))
    writer.writerows(csv_row(row) for row in report.table())
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def report_xlsx(report: PublicReport) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = str(report.fiscal_year.year)
    xlsx_row_append(sheet, list(report.columns))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in report.table():
        xlsx_row_append(sheet, row)
    sheet_wrap(sheet, COLUMN_WIDTHS)
    sheet.freeze_panes = "A2"
    analysis_sheet_add(workbook, report)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
