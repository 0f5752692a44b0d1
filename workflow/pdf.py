"""PDF rendering with WeasyPrint, with a text layer that reads back exact Thai.

Why WeasyPrint, and why the patch below
---------------------------------------
WeasyPrint 70 draws Thai correctly, but its text layer loses SARA AM: `ดำเนินการ`
is extracted (pdftotext, copy and paste, search) as `ดาเนินการ`. The cause: HarfBuzz's
Thai shaper splits ำ (U+0E33) into two glyphs, NIKHAHIT + SARA AA, in one cluster.
WeasyPrint maps text to glyphs one glyph at a time in the font's ToUnicode CMap, and
a glyph has only one mapping for the whole document: NIKHAHIT gets the empty string,
SARA AA keeps `า` (the mapping of the plain vowel, which it also draws). No ToUnicode
table can say "this SARA AA is part of ำ, that one is not".

PDF has the standard tool for exactly this: marked content with an `/ActualText`
property (ISO 32000-1, 14.9.4), which gives the text of a run of glyphs regardless of
the glyph mappings. `_draw_first_line_with_actual_text` wraps each line of each text
box that WeasyPrint draws in `/Span <</ActualText (…)>> BDC … EMC` with the line's
own text. Poppler (pdftotext), pdf.js and Acrobat use it for extraction and search;
the drawing is untouched.

Headless Chromium's print to PDF also keeps ำ, but it would put a browser process
behind every download on the server (hundreds of MB, a sandbox to manage, a second
way to lay out the page). WeasyPrint stays in-process and pure Python; the fix is one
wrapper around one WeasyPrint function, checked by a test that reads the PDF back with
pdftotext (tests/test_public_pdf.py), so an upgrade that breaks it fails loudly.
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path

import pydyf
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from weasyprint import HTML
from weasyprint.draw import text as weasyprint_text
from weasyprint.urls import URLFetcher

# WeasyPrint and fontTools narrate every step at INFO; a server log needs none of it.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
logging.getLogger("fontTools").setLevel(logging.WARNING)

_original_draw_first_line = weasyprint_text.draw_first_line


def _draw_first_line_with_actual_text(stream, textbox, text_overflow, block_ellipsis, matrix):
    """Draw the line as WeasyPrint does, inside a span that states its real text."""
    if text_overflow != "clip" or block_ellipsis != "none" or not textbox.text:
        # An ellipsis changes the text while drawing; leave such lines alone.
        return _original_draw_first_line(stream, textbox, text_overflow, block_ellipsis, matrix)
    stream.begin_marked_content(
        "Span", pydyf.Dictionary({"ActualText": pydyf.String(textbox.text)})
    )
    try:
        return _original_draw_first_line(stream, textbox, text_overflow, block_ellipsis, matrix)
    finally:
        stream.end_marked_content()


weasyprint_text.draw_first_line = _draw_first_line_with_actual_text


@functools.cache
def font_face_css() -> str:
    """@font-face rules for Sarabun from the project's static files, for a <style> element.

    The @fontsource subsets split Latin and Thai; declared as one family, ASCII
    punctuation and Latin words vanish, so each script is its own family and the
    stylesheet says `font-family: SarabunLatin, SarabunThai` (Latin first).
    """
    rules = []
    for script in ("latin", "thai"):
        for weight in (400, 700):
            path = finders.find(f"fonts/sarabun/sarabun-{script}-{weight}-normal.woff2")
            rules.append(
                f"@font-face {{ font-family: Sarabun{script.capitalize()}; "
                f"font-weight: {weight}; src: url('file://{path}'); }}"
            )
    return mark_safe("\n".join(rules))  # paths of our own static files


def render_pdf(template_name: str, context: dict) -> bytes:
    """Render a template (which must declare `<meta charset="utf-8">`) to PDF bytes.

    The template's own `<meta name="…">` elements become entries of the PDF's
    document information (WeasyPrint's custom metadata).
    """
    html = render_to_string(template_name, {**context, "font_face_css": font_face_css()})
    return HTML(string=html, url_fetcher=FontsOnlyFetcher()).write_pdf(custom_metadata=True)


class FontsOnlyFetcher(URLFetcher):
    """Fetch nothing but our own font files: the page holds people's text, not URLs."""

    def fetch(self, url, headers=None):
        fonts_dir = Path(finders.find("fonts/sarabun/OFL.txt")).parent
        if url.startswith("file://") and Path(url.removeprefix("file://")).parent == fonts_dir:
            return super().fetch(url, headers)
        raise ValueError(f"not fetched in a PDF: {url}")
