"""What text may be stored: one set of rules for every entry point (pages, API, admin, importer).

PostgreSQL refuses NUL (U+0000) in text and a lone surrogate cannot be encoded to UTF-8,
so both would end a request in a 500 deep inside the database driver; they are refused
before. One length limit per kind of text, so the API, the pages and the importer agree.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

# A measure's title, one line of a list (method, result, recommendation), a comment or a
# reason of a transition: long enough for any real report (the seed's longest is ~300).
TEXT_MAX_LENGTH = 5000


def unstorable_reason(value: str):
    """Why `value` cannot be stored as text, or None."""
    if "\x00" in value:
        return _("The text contains a NUL character (code 0), which cannot be saved.")
    if any("\ud800" <= c <= "\udfff" for c in value):
        return _("The text contains an invalid character (a lone surrogate).")
    return None


def text_problem(value: str, *, max_length: int = TEXT_MAX_LENGTH):
    """Why a text a person gave cannot be kept as it is, or None."""
    reason = unstorable_reason(value)
    if reason is None and len(value) > max_length:
        reason = _("The text is too long: at most %(limit)s characters.") % {"limit": max_length}
    return reason
