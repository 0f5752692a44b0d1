"""The published report as an official document: it fits A4 landscape, says who approved
it, is signed, and can be checked by its verification code."""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import subprocess
import threading
from xml.etree import ElementTree

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from approvals.models import Role
from approvals.services import transition_perform
from tests.factories import DelegationFactory, MembershipFactory, OrganizationFactory, UserFactory
from tests.web_helpers import SEED_MEASURES, imported_seed_report, published_report
from workflow import documents, selectors, services
from workflow.models import (
    Action,
    FiscalYear,
    Measure,
    Organization,
    ReportFile,
    ReportIntroduction,
)
from workflow.selectors import PublicReport, PublicResult, PublicRow

XHTML = "{http://www.w3.org/1999/xhtml}"
SIDE_MARGIN = 28.0  # 10 mm: the table's edge; nothing may pass it
EDGE = 14.0  # 5 mm: what most printers cannot print at the top and bottom
SEED_INTRODUCTION_START = "ตามที่ได้ดำเนินการวิเคราะห์ผลการประเมิน ITA ขององค์การบริหารส่วนตำบลเขาทอง"


def pdf_words(pdf: bytes, tmp_path) -> list[tuple]:
    """(page, page width, page height, xMin, yMin, xMax, yMax, text) of every word."""
    assert shutil.which("pdftotext"), "poppler-utils is needed (make system-deps)"
    path = tmp_path / "document.pdf"
    path.write_bytes(pdf)
    xml = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-bbox", str(path), "-"],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    words = []
    for number, page in enumerate(ElementTree.fromstring(xml).iter(f"{XHTML}page"), start=1):
        width, height = float(page.get("width")), float(page.get("height"))
        for w in page.iter(f"{XHTML}word"):
            box = [float(w.get(k)) for k in ("xMin", "yMin", "xMax", "yMax")]
            words.append((number, width, height, *box, w.text or ""))
    return words


def outside_printable_area(words) -> list:
    return [
        w
        for w in words
        if w[3] < SIDE_MARGIN - 1
        or w[5] > w[1] - SIDE_MARGIN + 1
        or w[4] < EDGE
        or w[6] > w[2] - EDGE
    ]


def pdf_text(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "text.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


def flat(text: str) -> str:
    """Without spaces and line breaks: cells wrap, characters must not change."""
    return "".join(text.split())


def signature_status(pdf: bytes):
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    from workflow.signing import signing_certificate

    reader = PdfFileReader(io.BytesIO(pdf))
    (signature,) = reader.embedded_signatures
    context = ValidationContext(trust_roots=[signing_certificate()])
    return reader, validate_pdf_signature(signature, context)


def download(client, name: str, organization, *args) -> bytes:
    response = client.get(reverse(name, args=[organization.slug, 2564, *args]))
    assert response.status_code == 200, response.status_code
    return response.getvalue()


def republish(item, people, *, approver=None) -> None:
    """Revise a published item and walk it to published again."""
    for action, actor in (
        (Action.REVISE, people.head),
        (Action.SUBMIT, people.head),
        (Action.REVIEW, people.working),
        (Action.APPROVE, approver or people.chief),
        (Action.PUBLISH, people.publisher),
    ):
        transition_perform(item=item, action=action, actor=actor)


# --- the seed, as published -------------------------------------------------------------


@pytest.mark.django_db
def test_seed_pdf_fits_the_page_reads_like_the_paper_and_is_signed(client, organization, tmp_path):
    # given the seed report imported (its opening paragraph with it) and published,
    # approved by the chief executive
    people, _imported = imported_seed_report(organization)
    people.chief.first_name, people.chief.last_name = "นายสมชาย", "ใจดี"
    people.chief.save()
    introduction = ReportIntroduction.objects.get(organization=organization)
    approval_day = selectors.Signature("", "", "", timezone.now()).approved_on

    # when
    pdf = download(client, "public:report-pdf", organization)

    # then every word of every page lies inside the printable area of A4 landscape
    words = pdf_words(pdf, tmp_path)
    assert {(round(w[1]), round(w[2])) for w in words} == {(842, 595)}
    assert outside_printable_area(words) == []
    # and it reads like the paper: heading, opening paragraph, table, signature block
    text = flat(pdf_text(pdf, tmp_path))
    assert introduction.text.startswith(SEED_INTRODUCTION_START)
    assert flat("รายงานผลการดำเนินการมาตรการส่งเสริมคุณธรรมและความโปร่งใส") in text
    assert flat("ขององค์การบริหารส่วนตำบลเขาทอง ประจำปีงบประมาณ พ.ศ. ๒๕๖๔") in text
    assert flat(introduction.text) in text
    assert flat("(นายสมชาย ใจดี) นายกองค์การบริหารส่วนตำบลเขาทอง") in text
    assert flat(f"อนุมัติเมื่อวันที่ {approval_day}") in text
    assert "ปฏิบัติราชการแทน" not in text
    # and it is signed over the whole file, with the chain head in its metadata
    reader, status = signature_status(pdf)
    assert status.bottom_line and status.intact and status.valid
    assert status.coverage.name == "ENTIRE_FILE"
    newest = selectors.newest_publication(organization_slug=organization.slug, year=2564)
    info = reader.trailer["/Info"]
    assert str(info["/itaflowchainhead"]) == newest.chain_head
    code = selectors.verification_code(newest.chain_head)
    assert re.fullmatch(r"[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}", code)
    assert str(info["/itaflowverificationcode"]) == code
    assert flat(f"รหัสตรวจสอบเอกสาร {code}") in text

    # when one byte of the file is changed
    tampered = bytearray(pdf)
    tampered[len(pdf) // 3] ^= 0x01

    # then the signature no longer validates
    _reader, status = signature_status(bytes(tampered))
    assert not status.intact and not status.bottom_line


@pytest.mark.django_db
def test_deputy_approval_signs_on_behalf_of_the_chief_executive(client, organization, tmp_path):
    # given a deputy acting as chief executive under a delegation, who approves
    people, _round, items = published_report(
        organization, measures=SEED_MEASURES[:1], with_results=False
    )
    deputy = UserFactory(first_name="นายสมศักดิ์", last_name="รักษ์ดี")
    MembershipFactory(user=deputy, organization=organization, role=Role.AUDITOR)
    DelegationFactory(
        organization=organization, delegator=people.chief, deputy=deputy,
        deputy_position="รองนายกองค์การบริหารส่วนตำบลเขาทอง",
    )  # fmt: skip
    measure, _report = items[0]
    republish(measure, people, approver=deputy)

    # when
    pdf = download(client, "public:report-pdf", organization)
    page = client.get(reverse("public:report", args=[organization.slug, 2564])).content.decode()

    # then the block names the deputy, the deputy's position and on whose behalf
    text = flat(pdf_text(pdf, tmp_path))
    block = (
        "(นายสมศักดิ์ รักษ์ดี) รองนายกองค์การบริหารส่วนตำบลเขาทอง ปฏิบัติราชการแทน นายกองค์การบริหารส่วนตำบลเขาทอง"
    )
    assert flat(block) in text
    assert "ปฏิบัติราชการแทน นายกองค์การบริหารส่วนตำบลเขาทอง" in page
    assert "(นายสมศักดิ์ รักษ์ดี)" in page


# --- a stress report: long unbroken runs, URLs, many divisions, 200 measures -------------

LONG_RUN = "ก" * 160
URL = "https://www.khaothong.go.th/index.php?option=com_content&view=article&id=" + "1" * 90
DIVISIONS = [
    "สำนักปลัด", "กองคลัง", "กองช่าง", "กองการศึกษา ศาสนาและวัฒนธรรม",
    "กองสาธารณสุขและสิ่งแวดล้อม", "หน่วยตรวจสอบภายใน",
]  # fmt: skip


def stress_row(n: int, published: dt.datetime) -> PublicRow:
    hard = n % 20 == 1  # every 20th measure holds the hard cases
    if n == 2:
        methods = [f"วิธีการที่ {k} ตรวจสอบที่ {URL}" for k in range(1, 41)]
    else:
        methods = [f"ดำเนินการ{LONG_RUN}", URL] if hard else [f"วิธีการ {n}"]
    result = PublicResult(
        round_name="รอบ 12 เดือน",
        items=[f"ผลการดำเนินการ{LONG_RUN}", URL] if hard else [f"ผลการดำเนินการที่ {n}"],
        recommendations=[f"ควรปรับปรุง{LONG_RUN}หรือข้อมูลเพื่อ", URL] if hard else [],
        evidence=[],
        approved_by="",
        approved_at=None,
        published_at=published,
    )
    return PublicRow(
        number=n,
        title=f"มาตรการ{LONG_RUN if hard else ''} ที่ {n}",
        methods=methods,
        divisions=DIVISIONS if hard else DIVISIONS[:1],
        period_start=dt.date(2020, 10, 1),
        period_end=dt.date(2021, 9, 1),
        approved_by="",
        approved_at=None,
        published_at=published,
        results=[result],
    )


def stress_report() -> PublicReport:
    published = dt.datetime(2021, 10, 15, 3, 0, tzinfo=dt.UTC)
    rows = [stress_row(n, published) for n in range(1, 201)]
    return PublicReport(
        organization=Organization(name="องค์การบริหารส่วนตำบลเขาทอง", slug="khao-thong"),
        fiscal_year=FiscalYear(year=2564),
        rows=rows,
        chain_head="3f2a91c07b4d" + "0" * 52,
        last_published_at=published,
        last_publication_id=1,
        introduction="ตามที่ได้ดำเนินการ" + LONG_RUN,
        signature=selectors.Signature(
            "นายสมชาย ใจดี", "นายกองค์การบริหารส่วนตำบลเขาทอง", "", published
        ),
    )


@pytest.fixture(scope="module")
def stress_pdf() -> bytes:
    return documents.report_pdf_render(stress_report())


def test_stress_report_fits_the_page_on_every_page(stress_pdf, tmp_path):
    # given 200 measures, long unbroken Thai runs and URLs, six divisions, 40 methods

    # when
    words = pdf_words(stress_pdf, tmp_path)

    # then nothing passes the page's printable area, and every page is A4 landscape
    assert {(round(w[1]), round(w[2])) for w in words} == {(842, 595)}
    assert outside_printable_area(words) == []
    # and the hard cases are all there: rows split across pages, the header repeated
    pages = {w[0] for w in words}
    assert len(pages) > 10
    headers = {w[0] for w in words if w[7] == "ผู้รับผิดชอบ"}
    assert headers == pages - {max(pages)} or headers == pages
    text = flat(pdf_text(stress_pdf, tmp_path))
    # a URL wraps inside its cell, so only its start is read whole, once per occurrence
    assert text.count("https:") == 10 * 3 + 40  # ten hard measures, 40 methods
    assert flat("๒๐๐. มาตรการ ที่ 200") in text
    assert flat(f"หน้า ๑ / {selectors.thai.to_thai_digits(len(pages))}") in text


# --- files made once at publication, stored, kept ---------------------------------------


@pytest.mark.django_db
def test_publication_makes_the_files_once_and_a_revision_keeps_the_earlier_ones(
    client, organization, django_capture_on_commit_callbacks, tasks_in_process
):
    # given one measure published: its publication's task runs after commit
    with django_capture_on_commit_callbacks(execute=True):
        people, _round, items = published_report(
            organization, measures=SEED_MEASURES[:1], with_results=False
        )
    first = selectors.newest_publication(organization_slug=organization.slug, year=2564)

    # then the PDF and the XLSX of that state are stored, and requests serve them
    stored = {f.kind: f for f in ReportFile.objects.filter(publication=first)}
    assert set(stored) == {"pdf", "xlsx"}
    pdf = download(client, "public:report-pdf", organization)
    xlsx = download(client, "public:report-xlsx", organization)
    assert pdf == stored["pdf"].file.open("rb").read()
    assert xlsx == stored["xlsx"].file.open("rb").read()
    assert ReportFile.objects.count() == 2

    # when the measure is revised and published again
    measure, _ = items[0]
    with django_capture_on_commit_callbacks(execute=True):
        republish(measure, people)

    # then the new state has files of its own, and the earlier files stay retrievable
    second = selectors.newest_publication(organization_slug=organization.slug, year=2564)
    assert second.pk != first.pk
    assert ReportFile.objects.filter(publication=second).count() == 2
    assert download(client, "public:report-pdf", organization) != pdf
    assert download(client, "public:report-pdf-of", organization, first.pk) == pdf
    assert download(client, "public:report-xlsx-of", organization, first.pk) == xlsx
    other = OrganizationFactory(slug="other")
    assert client.get(f"/public/{other.slug}/2564/{first.pk}/report.pdf").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_two_requests_for_a_missing_file_render_it_once(organization):
    # given a published report whose file was not made (the broker was down at commit; where
    # tasks run in-process, as on SQLite without Redis, it was made: forget it)
    published_report(organization, measures=SEED_MEASURES[:1], with_results=False)
    publication = selectors.newest_publication(organization_slug=organization.slug, year=2564)
    ReportFile.objects.all().delete()

    # when two requests ask for it at the same moment
    results, errors = [], []

    def ask():
        try:
            results.append(
                documents.report_file_get_or_make(publication=publication, kind="xlsx").pk
            )
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=ask) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    # then one file was made and both got it
    assert errors == []
    assert len(results) == 2 and len(set(results)) == 1
    assert ReportFile.objects.filter(publication=publication).count() == 1


# --- the verification page -----------------------------------------------------------------


@pytest.mark.django_db
def test_verification_page_shows_the_recorded_head_and_detects_an_edited_history_row(
    client, organization
):
    # given a published report
    published_report(organization, measures=SEED_MEASURES[:1], with_results=False)
    newest = selectors.newest_publication(organization_slug=organization.slug, year=2564)
    code = selectors.verification_code(newest.chain_head)
    url = reverse("public:report-verify", args=[organization.slug, 2564])

    # when a citizen types the code printed on the document
    page = client.get(url, {"code": code.lower().replace("-", " ")}).content.decode()

    # then the page shows the full head recorded at publication, and that it verifies
    assert newest.chain_head in page
    assert code in page
    assert "ครบถ้วนถูกต้อง" in page
    assert "ไม่พบ" not in page

    # when a code that was never published is typed
    unknown = client.get(url, {"code": "0000-0000-0001"}).content.decode()

    # then
    assert "ไม่พบฉบับที่เผยแพร่ที่มีรหัส" in unknown

    # when a history row of the published measure is edited behind the product's back,
    # and the background check has run since (the page shows the stored check)
    measure = Measure.objects.get(organization=organization)
    measure.history.filter(history_type="+").update(title="แก้ไขย้อนหลัง")
    services.publication_verification_refresh(publication_id=newest.pk)
    broken = client.get(url).content.decode()

    # then the page reports the chain broken
    assert "ไม่ตรงกับที่บันทึกไว้" in broken


def test_verification_page_of_an_unknown_report_is_not_found(client, db):
    assert client.get("/public/nowhere/2564/verify/").status_code == 404


# --- the opening paragraph ---------------------------------------------------------------


# --- evidence -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_evidence_download_is_named_by_its_title_safely(client, organization):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from workflow.models import Evidence

    # given published evidence whose title holds a slash and quotes
    people, _round, items = published_report(organization, measures=SEED_MEASURES[:1])
    _measure, report = items[0]
    transition_perform(item=report, action=Action.REVISE, actor=people.head)
    evidence = Evidence.objects.create(
        report=report, title='คำสั่ง อบต. ที่ ๔๔๖/๒๕๖๓ "แต่งตั้งคณะทำงาน"',
        file=SimpleUploadedFile("a1b2.pdf", b"%PDF-1.4 order"), content_type="application/pdf",
        size=14,
    )  # fmt: skip
    for action, actor in (
        (Action.SUBMIT, people.head), (Action.REVIEW, people.working),
        (Action.APPROVE, people.chief), (Action.PUBLISH, people.publisher),
    ):  # fmt: skip
        transition_perform(item=report, action=action, actor=actor)

    # when
    response = client.get(reverse("public:evidence", args=[evidence.pk]))

    # then the name is the title, encoded for the header, without the unsafe characters
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=utf-8''" in disposition
    from urllib.parse import unquote

    name = unquote(disposition.split("filename*=utf-8''", 1)[1])
    assert name == "คำสั่ง อบต. ที่ ๔๔๖ ๒๕๖๓ แต่งตั้งคณะทำงาน.pdf"


@pytest.mark.django_db
def test_opening_paragraph_page_lets_the_working_group_write_and_others_only_read(
    client, organization
):
    # given a published report, its working group member and its division head
    people, _round, _items = published_report(
        organization, measures=SEED_MEASURES[:1], with_results=False
    )
    url = reverse("workflow:introduction-edit", args=[organization.slug, 2564])
    text = "ตามที่ได้ดำเนินการวิเคราะห์ผลการประเมิน ITA ขององค์การบริหารส่วนตำบลเขาทอง"

    # when the working group member opens the page from the measures and saves a text
    client.force_login(people.working)
    assert url in client.get(reverse("workflow:measure-list")).content.decode()
    saved = client.post(url, {"text": text, "version": ""})
    empty = client.post(url, {"text": "  ", "version": "1"})

    # then it is stored, and an empty one is refused with a message on the page
    assert saved.status_code == 302
    assert ReportIntroduction.objects.get(organization=organization).text == text
    assert "ยังไม่ได้กรอกข้อความนำ" in empty.content.decode()

    # when the division head opens it and tries to post
    client.force_login(people.head)
    page = client.get(url).content.decode()
    refused = client.post(url, {"text": "แก้ไข", "version": "1"})

    # then they read it without a form, and the post changes nothing
    assert text in page and "<textarea" not in page
    assert refused.status_code == 302
    assert ReportIntroduction.objects.get(organization=organization).text == text

    # and someone of another organization does not find the page
    client.force_login(UserFactory())
    assert client.get(url).status_code == 404
