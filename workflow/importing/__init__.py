"""Import existing measures reports (the seed's text form, CSV, XLSX) as drafted items.

`report_parse` reads a file into plain dataclasses (no database); `report_import`
writes them, all or nothing, and raises `ReportImportError` naming the line.
"""

from workflow.importing.errors import ReportImportError
from workflow.importing.parser import ParsedMeasure, ParsedReport, report_parse
from workflow.importing.services import ImportResult, report_import

__all__ = [
    "ImportResult",
    "ParsedMeasure",
    "ParsedReport",
    "ReportImportError",
    "report_import",
    "report_parse",
]
