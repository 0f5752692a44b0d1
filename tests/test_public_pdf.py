"""The PDF of the public report: A4 landscape, Sarabun, and a text layer that reads back exactly."""

import shutil
import subprocess
from xml.etree import ElementTree

import pytest
from django.urls import reverse

from tests.web_helpers import SEED_MEASURES, published_report
from workflow.selectors import REPORT_COLUMNS

pytestmark = pytest.mark.django_db


# A4 landscape in points, the page's side margins (10 mm) and the columns' widths (per cent),
# as in public/report_pdf.html. pdftotext reads side-by-side cells line by line, so each
# line is put back into its column by where it starts (pdftotext -bbox-layout).
PAGE_WIDTH, MARGIN = 842, 28.35
COLUMN_PERCENTS = (18, 22, 11, 10, 22, 17)
XHTML = "{http://www.w3.org/1999/xhtml}"


def pdftotext(pdf: bytes, tmp_path, *options: str) -> str:
    assert shutil.which("pdftotext"), "poppler-utils is needed (make system-deps)"
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", "-enc", "UTF-8", *options, str(path), "-"],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip


def column_texts(pdf: bytes, tmp_path) -> list[str]:
    """The text of each of the six columns, top to bottom, page after page."""
    width = PAGE_WIDTH - 2 * MARGIN
    bounds, left = [], MARGIN
    for percent in COLUMN_PERCENTS:
        bounds.append(left + width * percent / 100)
        left = bounds[-1]
    columns: list[list[tuple[int, float, str]]] = [[] for _ in COLUMN_PERCENTS]
    tree = ElementTree.fromstring(pdftotext(pdf, tmp_path, "-bbox-layout"))
    for page_number, page in enumerate(tree.iter(f"{XHTML}page")):
        for word in page.iter(f"{XHTML}word"):
            x, y = float(word.get("xMin")), float(word.get("yMin"))
            column = next(i for i, right in enumerate(bounds) if x < right or i == 5)
            columns[column].append((page_number, y, word.text or ""))
    return ["\n".join(text for *_position, text in sorted(words)) for words in columns]


def unwrapped(text: str) -> str:
    """The text without line breaks and spaces: cells wrap, characters must not change."""
    return "".join(text.split())


def test_public_pdf_reads_back_every_title_and_first_method_exactly(client, organization, tmp_path):
    # given the seed report's seven measures, published
    published_report(organization)

    # when
    response = client.get(reverse("public:report-pdf", args=[organization.slug, 2564]))

    # then
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    text = pdftotext(response.content, tmp_path)
    assert "ดำเนินการ" in text
    assert "ดาเนินการ" not in text  # what WeasyPrint's own text layer makes of ำ
    columns = [unwrapped(column) for column in column_texts(response.content, tmp_path)]
    for header, column in zip(REPORT_COLUMNS, columns, strict=True):
        assert unwrapped(header) in column
    for number, (title, method, result) in enumerate(SEED_MEASURES, start=1):
        digit = "๐๑๒๓๔๕๖๗๘๙"[number]
        assert unwrapped(f"{digit}. {title}") in columns[0]
        assert unwrapped(f"๑. {method}") in columns[1]
        assert "สำนักปลัด" in columns[2]
        assert unwrapped("ต.ค. ๒๕๖๓ – ก.ย. ๒๕๖๔") in columns[3]
        assert unwrapped(f"๑. {result}") in columns[4]
        assert unwrapped("๑. ควรดำเนินการอย่างต่อเนื่อง") in columns[5]


def test_public_pdf_is_a4_landscape_with_sarabun_embedded(client, organization, tmp_path):
    # given
    published_report(organization, measures=SEED_MEASURES[:1])

    # when
    pdf = client.get(reverse("public:report-pdf", args=[organization.slug, 2564])).content

    # then
    path = tmp_path / "r.pdf"
    path.write_bytes(pdf)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True).stdout
    assert "Page size:       841.89 x 595.276 pts (A4)" in info  # wider than high: landscape
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True).stdout
    assert "Sarabun" in fonts
    assert all(" yes " in line for line in fonts.splitlines()[2:])  # every font embedded
