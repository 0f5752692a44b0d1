"""How evidence files are handed out: as downloads, never as a page of this site.

What may be uploaded is checked when the file is attached (workflow.services.evidence_add);
this is the second line of defence, for whatever is already stored.
"""

from __future__ import annotations

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


def evidence_filename(evidence) -> str:
    """`คำสั่งแต่งตั้งคณะทำงาน.pdf`: the download named from the evidence's title.

    Path separators, control characters and quotes are dropped; Django writes the Thai
    name into Content-Disposition as RFC 5987 `filename*` (UTF-8, percent-encoded).
    """
    stored = evidence.file.name.rsplit("/", 1)[-1]
    extension = stored.rsplit(".", 1)[-1] if "." in stored else ""
    title = "".join(
        " " if c in '/\\"' or unicodedata.category(c).startswith("C") else c
        for c in evidence.title or ""
    )
    title = " ".join(title.split())[:150].strip(" .") or "evidence"
    return f"{title}.{extension}" if extension else title


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
        filename=evidence_filename(evidence),
        content_type=content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
