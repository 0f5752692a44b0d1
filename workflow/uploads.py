"""What evidence files may be, and how they are handed out: never as a page of this site."""

from __future__ import annotations

import mimetypes

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import FileResponse
from django.utils.translation import gettext as _

# Orders, minutes, photos and spreadsheets: what ITA evidence is. No HTML, SVG or scripts.
ALLOWED_CONTENT_TYPES = {
    "application/pdf": (".pdf",),
    "image/jpeg": (".jpg", ".jpeg"),
    "image/png": (".png",),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (".docx",),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": (".xlsx",),
    "application/msword": (".doc",),
    "application/vnd.ms-excel": (".xls",),
}
# Magic numbers of the allowed types; office files are zip (docx/xlsx) or OLE (doc/xls).
_SIGNATURES = {
    "application/pdf": (b"%PDF-",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (b"PK\x03\x04",),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": (b"PK\x03\x04",),
    "application/msword": (b"\xd0\xcf\x11\xe0",),
    "application/vnd.ms-excel": (b"\xd0\xcf\x11\xe0",),
}


def max_upload_bytes() -> int:
    return getattr(settings, "EVIDENCE_MAX_BYTES", 10 * 1024 * 1024)


def evidence_content_type(uploaded_file) -> str:
    """The checked content type of an upload, from its name and its first bytes.

    What the browser claims is not trusted: the extension must be an allowed one and
    the file must start like a file of that type.
    """
    if uploaded_file.size > max_upload_bytes():
        raise ValidationError(
            _("The file is too large (at most %(mb)s MB).")
            % {"mb": max_upload_bytes() // (1024 * 1024)}
        )
    guessed, _encoding = mimetypes.guess_type(uploaded_file.name or "")
    name = (uploaded_file.name or "").lower()
    if guessed not in ALLOWED_CONTENT_TYPES or not name.endswith(ALLOWED_CONTENT_TYPES[guessed]):
        raise ValidationError(_("Only PDF, JPEG, PNG, Word and Excel files may be attached."))
    uploaded_file.seek(0)
    head = uploaded_file.read(16)
    uploaded_file.seek(0)
    if not head.startswith(_SIGNATURES[guessed]):
        raise ValidationError(_("The file's content does not match its type."))
    return guessed


def evidence_response(evidence) -> FileResponse:
    """The file as a download with a safe type: never rendered by the browser as a page."""
    content_type = (
        evidence.content_type
        if evidence.content_type in ALLOWED_CONTENT_TYPES
        else "application/octet-stream"
    )
    response = FileResponse(
        evidence.file.open("rb"),
        as_attachment=True,
        filename=evidence.file.name.rsplit("/", 1)[-1],
        content_type=content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
