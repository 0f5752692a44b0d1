"""How evidence files are handed out: as downloads, never as a page of this site.

What may be uploaded is checked when the file is attached (workflow.services.evidence_add);
this is the second line of defence, for whatever is already stored.
"""

from __future__ import annotations

import re
import unicodedata

from django.http import FileResponse

# Orders, minutes, photos and spreadsheets: what ITA evidence is. No HTML, SVG or scripts.
SAFE_CONTENT_TYPES = frozenset(
    {
        "application/pdf",
        "image/jpeg",
        "image/png",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    }
)


# Characters no file name on Windows, macOS or Linux may hold, and controls.
_UNSAFE_IN_NAME = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]+')
MAX_NAME_CHARS = 120


def download_name(title: str, stored_name: str) -> str:
    """`คำสั่งแต่งตั้งคณะทำงาน.pdf`: the evidence's title as a safe file name, with the
    extension of the stored file (the name the uploader gave is never used)."""
    extension = stored_name.rsplit(".", 1)[-1].lower() if "." in stored_name else ""
    name = unicodedata.normalize("NFC", title or "")
    name = _UNSAFE_IN_NAME.sub(" ", name)
    name = " ".join(name.split()).strip(" .")[:MAX_NAME_CHARS].strip(" .")
    if not name:
        name = "evidence"
    return f"{name}.{extension}" if extension else name


def evidence_response(evidence) -> FileResponse:
    """The file as a download with a safe type: never rendered by the browser as a page."""
    content_type = (
        evidence.content_type
        if evidence.content_type in SAFE_CONTENT_TYPES
        else "application/octet-stream"
    )
    response = FileResponse(
        evidence.file.open("rb"),
        as_attachment=True,
        filename=download_name(evidence.title, evidence.file.name),
        content_type=content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
