"""The one failure of an import: what is wrong, and where in the file."""

from __future__ import annotations

from approvals.exceptions import WorkflowError


class ReportImportError(WorkflowError):
    """A file that cannot be imported; `.line` is 1-based (a row number for CSV/XLSX)."""

    code = "import_error"
    status = 400
    message_th = "นำเข้ารายงานไม่ได้"
    message_en = "The report could not be imported."

    def __init__(self, reason_th: str, reason_en: str, *, line: int | None = None, unit="line"):
        self.line = line
        self.reason_th = reason_th
        self.reason_en = reason_en
        if line is None:
            super().__init__(reason_th, reason_en)
        else:
            where_th = "บรรทัดที่" if unit == "line" else "แถวที่"
            super().__init__(f"{where_th} {line}: {reason_th}", f"{unit} {line}: {reason_en}")

    def as_dict(self) -> dict:
        return {**super().as_dict(), "line": self.line}
