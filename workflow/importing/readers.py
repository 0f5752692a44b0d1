"""Turn a file (the seed's tab-separated text, CSV or XLSX) into numbered rows of cells."""

from __future__ import annotations

import csv
import io
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from workflow.importing.errors import ReportImportError
from workflow.text import TEXT_MAX_LENGTH, unstorable_reason

FORMATS = ("txt", "csv", "xlsx")
_EXTENSIONS = {
    ".txt": "txt",
    ".tsv": "txt",
    ".text": "txt",
    ".csv": "csv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
}
_ZIP_MAGIC = b"PK\x03\x04"
# Enough of the header row to recognise it in any format and find the CSV delimiter.
HEADER_MARK = "วิธีการ"
# A sheet is read this far and this wide, whatever size it declares: a report has six
# columns and a few hundred rows; a sheet claiming A1:XFD1048576 must not be padded out.
XLSX_MAX_ROWS = 20_000
XLSX_MAX_COLUMNS = 30
# A cell holds at most a list of the longest texts (workflow.text): a 10 MB cell is refused
# before it is split, normalised and checked text by text.
CELL_MAX_LENGTH = TEXT_MAX_LENGTH * 200

Source = str | os.PathLike | IO[bytes] | IO[str]


@dataclass(frozen=True)
class Row:
    line: int  # 1-based: the line of a text file, the row of a CSV or a sheet
    cells: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    name: str
    format: str
    rows: tuple[Row, ...]

    @property
    def unit(self) -> str:
        return "line" if self.format == "txt" else "row"

    def error(self, reason_th: str, reason_en: str, line: int | None) -> ReportImportError:
        return ReportImportError(reason_th, reason_en, line=line, unit=self.unit)


def table_read(source: Source, *, source_name: str | None = None) -> Table:
    """Read every row of the file; which rows form the table is the parser's business."""
    data, file_name = _load(source)
    name = source_name or file_name or "uploaded file"
    fmt = _detect(data, file_name or source_name or "")
    if fmt == "xlsx":
        rows = _xlsx_rows(data)
    else:
        text = _decode(data)
        rows = _text_rows(text) if fmt == "txt" else _csv_rows(text)
    table = Table(name=name, format=fmt, rows=tuple(rows))
    _check_storable(table)
    return table


def _check_storable(table: Table) -> None:
    """A cell the database cannot store (a NUL byte …) fails the file, naming where."""
    for row in table.rows:
        for column, cell in enumerate(row.cells, start=1):
            if len(cell) > CELL_MAX_LENGTH:
                raise table.error(
                    f"คอลัมน์ที่ {column} ยาวเกิน {CELL_MAX_LENGTH:,} ตัวอักษร",
                    f"column {column} is longer than {CELL_MAX_LENGTH:,} characters",
                    line=row.line,
                )
            reason = unstorable_reason(cell)
            if reason:
                raise table.error(
                    f"คอลัมน์ที่ {column} มีอักขระที่บันทึกไม่ได้ (อักขระควบคุม NUL หรืออักขระเสีย) "
                    "กรุณาลบออกแล้วนำเข้าใหม่",
                    f"column {column}: {reason}",
                    line=row.line,
                )


def _load(source: Source) -> tuple[bytes, str]:
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        try:
            return path.read_bytes(), path.name
        except OSError as error:
            raise ReportImportError(
                f"เปิดไฟล์ไม่ได้: {path} ({error.strerror})",
                f"cannot open the file {path} ({error.strerror})",
            ) from error
    data = source.read()
    if isinstance(data, str):
        data = data.encode("utf-8")
    return data, Path(str(getattr(source, "name", "") or "")).name


def _detect(data: bytes, name: str) -> str:
    if data.startswith(_ZIP_MAGIC):
        return "xlsx"
    fmt = _EXTENSIONS.get(Path(name).suffix.lower())
    if fmt in ("txt", "csv"):
        return fmt
    # No telling extension: the seed's form separates the header's columns by tabs.
    text = _decode(data)
    header = next((line for line in text.split("\n") if HEADER_MARK in line), "")
    return "txt" if "\t" in header else "csv"


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp874"):  # cp874: Thai Windows, what older Excel saves
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ReportImportError("อ่านไฟล์ไม่ได้: ไม่ใช่ข้อความ UTF-8", "the file is not UTF-8 text", line=None)


def _text_rows(text: str) -> list[Row]:
    # split("\n"), not splitlines(): a form feed left by a PDF page break is not a new line.
    return [
        Row(number, tuple(line.rstrip("\r").split("\t")))
        for number, line in enumerate(text.split("\n"), start=1)
    ]


def _csv_rows(text: str) -> list[Row]:
    header = next((line for line in text.split("\n") if HEADER_MARK in line), "")
    delimiter = max(",;\t", key=header.count) if header else ","
    from workflow.exports import csv_cell_read  # the public CSV neutralises formulas

    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        return [
            Row(number, tuple(csv_cell_read(cell) for cell in cells))
            for number, cells in enumerate(reader, start=1)
        ]
    except csv.Error as error:
        raise ReportImportError(
            f"อ่าน CSV ไม่ได้ ({error})", f"unreadable CSV ({error})", line=reader.line_num
        ) from error


def _xlsx_rows(data: bytes) -> list[Row]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, SyntaxError) as error:
        # xml.etree's ParseError is a SyntaxError: a damaged part inside the archive
        raise ReportImportError(
            "อ่านไฟล์ XLSX ไม่ได้ (ไฟล์เสียหรือไม่ครบ)",
            f"cannot read the XLSX file (damaged or cut short: {error})",
        ) from error
    try:
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # the declared size is not trusted: rows are read as stored
        rows = []
        # one column more than read, so that a row too wide is still seen as too wide
        values_by_row = sheet.iter_rows(min_row=1, max_col=XLSX_MAX_COLUMNS + 1, values_only=True)
        for number, values in enumerate(values_by_row, start=1):
            if values.count(None) == len(values):
                continue  # empty rows (and the gaps between stored rows) are left out
            if number > XLSX_MAX_ROWS:
                raise ReportImportError(
                    f"แผ่นงานยาวเกิน {XLSX_MAX_ROWS:,} แถว ไม่ใช่รายงานมาตรการ",
                    f"the sheet goes on past {XLSX_MAX_ROWS:,} rows; not a measures report",
                    line=number,
                    unit="row",
                )
            rows.append(Row(number, tuple("" if v is None else str(v) for v in values)))
        return rows
    except (SyntaxError, ValueError, KeyError, zipfile.BadZipFile, OSError) as error:
        raise ReportImportError(
            "อ่านไฟล์ XLSX ไม่ได้ (ข้อมูลในแผ่นงานเสียหาย)",
            f"cannot read the XLSX file (the sheet's data is damaged: {error})",
        ) from error
    finally:
        workbook.close()
