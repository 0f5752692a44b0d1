"""The PDF of the public report: A4 landscape, Sarabun, and a text layer that reads back exactly."""

import re
import shutil
import subprocess
from xml.etree import ElementTree

import pytest
from django.urls import reverse

from tests.web_helpers import SEED_MEASURES, imported_seed_report, published_report
from workflow import thai
from workflow.models import Measure
from workflow.selectors import REPORT_COLUMNS

pytestmark = pytest.mark.django_db


# A4 landscape in points, the page's side margins (10 mm) and the columns' widths (per cent),
# as in public/report_pdf.html. pdftotext reads side-by-side cells line by line, so each
# line is put back into its column by where it starts (pdftotext -bbox-layout).
PAGE_WIDTH, MARGIN = 842, 28.35
COLUMN_PERCENTS = (17, 22, 12, 10, 22, 17)
XHTML = "{http://www.w3.org/1999/xhtml}"
PAGE_NUMBER = re.compile(r"^หน้า \S+ / \S+$")


def pdftotext(pdf: bytes, tmp_path, *options: str) -> str:
    assert shutil.which("pdftotext"), "poppler-utils is needed (make system-deps)"
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", "-enc", "UTF-8", *options, str(path), "-"],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip


def column_texts(pdf: bytes, tmp_path) -> list[str]:
    """The text of each of the six columns, top to bottom, page after page.

    The header row repeated at the top of each following page and the page numbers at
    the bottom are left out, so that a cell split by a page break reads as one.
    """
    width = PAGE_WIDTH - 2 * MARGIN
    bounds, left = [], MARGIN
    for percent in COLUMN_PERCENTS:
        bounds.append(left + width * percent / 100)
        left = bounds[-1]
    tree = ElementTree.fromstring(pdftotext(pdf, tmp_path, "-bbox-layout"))
    pages = [
        [
            (float(w.get("xMin")), float(w.get("yMin")), float(w.get("yMax")), w.text or "")
            for w in page.iter(f"{XHTML}word")
        ]
        for page in tree.iter(f"{XHTML}page")
    ]
    header_top = next(y for _x, y, _b, text in pages[0] if text == REPORT_COLUMNS[0])
    header_bottom = max(
        bottom for x, y, bottom, _t in pages[0] if header_top - 1 <= y <= header_top + 1
    )
    header_height = (
        max(bottom for x, y, bottom, _t in pages[0] if header_top <= y < header_bottom + 1)
        - header_top
    )
    columns: list[list[tuple[int, float, str]]] = [[] for _ in COLUMN_PERCENTS]
    for page_number, words in enumerate(pages):
        top = min(y for _x, y, _b, _t in words)
        for x, y, _bottom, text in words:
            if (page_number and y < top + header_height) or PAGE_NUMBER.match(text):
                continue
            column = next(i for i, right in enumerate(bounds) if x < right or i == 5)
            columns[column].append((page_number, y, text))
    return ["\n".join(text for *_position, text in sorted(words)) for words in columns]


def unwrapped(text: str) -> str:
    """The text without line breaks and spaces: cells wrap, characters must not change."""
    return "".join(text.split())


def test_public_pdf_of_the_imported_seed_reads_back_every_title_and_first_method_exactly(
    client, organization, tmp_path
):
    # given the seed report imported and published, all 7 measures
    _people, imported = imported_seed_report(organization)
    assert len(imported.measures) == 7

    # when
    response = client.get(reverse("public:report-pdf", args=[organization.slug, 2564]))

    # then
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    pdf = response.getvalue()  # a stored file, streamed: read once
    text = pdftotext(pdf, tmp_path)
    assert "ดำเนินการ" in text
    assert "ดาเนินการ" not in text  # what WeasyPrint's own text layer makes of ำ
    columns = [unwrapped(column) for column in column_texts(pdf, tmp_path)]
    for header, column in zip(REPORT_COLUMNS, columns, strict=True):
        assert unwrapped(header) in column
    for measure in Measure.objects.filter(organization=organization).prefetch_related("methods"):
        digits = thai.to_thai_digits(measure.number)
        assert unwrapped(f"{digits}. {measure.title}") in columns[0]
        assert unwrapped(f"๑. {measure.methods.all()[0].text}") in columns[1]
        for division in measure.divisions.all():
            assert unwrapped(division.name) in columns[2]
        assert unwrapped(measure.period_display) in columns[3]
        report = measure.result_reports.get()
        assert unwrapped(f"๑. {report.items.all()[0].text}") in columns[4]
        if report.recommendations.exists():
            assert unwrapped(f"๑. {report.recommendations.all()[0].text}") in columns[5]


def test_public_pdf_is_a4_landscape_with_sarabun_embedded(client, organization, tmp_path):
    # given
    published_report(organization, measures=SEED_MEASURES[:1])

    # when
    pdf = client.get(reverse("public:report-pdf", args=[organization.slug, 2564])).getvalue()

    # then
    path = tmp_path / "r.pdf"
    path.write_bytes(pdf)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True).stdout
    assert "Page size:       841.89 x 595.276 pts (A4)" in info  # wider than high: landscape
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True).stdout
    assert "Sarabun" in fonts
    assert all(" yes " in line for line in fonts.splitlines()[2:])  # every font embedded
