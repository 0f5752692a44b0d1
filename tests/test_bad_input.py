"""No input ends in a 500: NUL bytes, lone surrogates, huge strings, deep JSON, dates and ids
out of range, broken files. Each is answered 4xx with a message (JSON under /api/, the
site's page elsewhere) and nothing is written.
"""

import io
import json
import time
import zipfile

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from audit.models import TransitionLog
from workflow.importing import ReportImportError, report_import
from workflow.models import Measure, MeasureMethod, ResultItem, ResultReport, State
from workflow.text import TEXT_MAX_LENGTH

pytestmark = pytest.mark.django_db

NUL = "a\x00b"
ONE_MB = "x" * 1_000_000
TWENTY_MB = "x" * (20 * 1024 * 1024)
THAI_NUL_REASON = "อักขระควบคุม NUL"
THAI_TOO_LONG = "ข้อความยาวเกินกำหนด"


def footprint() -> tuple:
    """Everything a write leaves behind: versions, history rows of lines, transitions."""
    return (
        tuple(Measure.objects.order_by("pk").values_list("version", "state")),
        tuple(ResultReport.objects.order_by("pk").values_list("version", "state")),
        Measure.history.count(),
        ResultReport.history.count(),
        MeasureMethod.history.count(),
        ResultItem.history.count(),
        TransitionLog.objects.count(),
    )


def page_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def api_client(user) -> APIClient:
    client = APIClient()
    token = Token.objects.get_or_create(user=user)[0]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def assert_json_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["message_th"] and body["message_en"]
    if code:
        assert body["code"] == code
    return body


def assert_thai_page(response, status: int, *texts: str) -> str:
    assert response.status_code == status, response.content[:500]
    html = response.content.decode()
    assert '<html lang="th">' in html
    assert 'class="site-header"' in html  # the site's layout, not a bare page
    for text in texts:
        assert text in html
    return html


@pytest.fixture(scope="module")
def shared(django_db_setup, django_db_blocker):
    """One world for the module (nothing here may be written), rolled back at its end."""
    from tests.roles import world_build

    with django_db_blocker.unblock(), transaction.atomic():
        world = world_build()
        measure = world.measure(methods=["ประชุมชี้แจง"])
        report = world.report(measure=measure)
        yield world, (measure, report)
        transaction.set_rollback(True)


@pytest.fixture
def world(shared, db):
    return shared[0]


@pytest.fixture
def items(shared, db):
    """A drafted measure of the head's division and its drafted result report."""
    return shared[1]


@pytest.fixture
def khao_thong(shared, db):
    """The world's organization, with the seed report's divisions and rounds."""
    from tests.conftest import KHAO_THONG_DIVISIONS
    from tests.factories import DivisionFactory, ReportingRoundFactory

    organization = shared[0].organization
    for name in KHAO_THONG_DIVISIONS:
        if not organization.divisions.filter(name=name).exists():
            DivisionFactory(organization=organization, name=name)
    ReportingRoundFactory(
        organization=organization, fiscal_year=shared[0].fiscal_year, name="รอบ 6 เดือน"
    )
    return organization


# --- pages ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "headers"),
    [
        ("/measures/?q=%00", {}),
        ("/reports/?q=a%00b", {}),
        ("/reports/?q=a%00b", {"HTTP_HX_REQUEST": "true"}),
        ("/measures/?state=%00&page=1", {}),
        ("/audit/khao-thong/?action=%00", {}),
        ("/public/khao-thong/2564/?q=%00", {}),
    ],
)
def test_a_page_filter_with_a_nul_byte_is_refused_in_thai(world, url, headers):
    # given the auditor, who sees every list
    client = page_client(world["auditor"])
    # when a filter carries a NUL byte
    response = client.get(url, **headers)
    # then the site's Thai page says why, and no query reached the database with it
    assert_thai_page(response, 400, THAI_NUL_REASON)


def test_the_admin_filter_with_a_nul_byte_is_refused(world):
    admin = get_user_model().objects.create_superuser("root", "root@example.go.th", "x")
    response = page_client(admin).get("/admin/workflow/measure/?state=%00")
    assert_thai_page(response, 400, THAI_NUL_REASON)


def _measure_edit_data(measure, **overrides) -> dict:
    return {
        "number": measure.number, "title": measure.title,
        "divisions": [d.pk for d in measure.divisions.all()],
        "methods": [m.text for m in measure.methods.all()],
        "start_month": 10, "start_year": 2563, "end_month": 9, "end_year": 2564,
        "version": measure.version, **overrides,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("methods", NUL, THAI_NUL_REASON),
        ("title", NUL, THAI_NUL_REASON),
        ("methods", ONE_MB, THAI_TOO_LONG),
        ("title", ONE_MB, THAI_TOO_LONG),
        ("title", "ก" * (TEXT_MAX_LENGTH + 1), THAI_TOO_LONG),
    ],
    ids=["methods-nul", "title-nul", "methods-1mb", "title-1mb", "title-one-too-many"],
)
def test_the_measure_form_refuses_text_it_cannot_keep(world, items, field, value, says):
    # given a drafted measure and its division head
    measure, _ = items
    before = footprint()
    # when the edit form is sent with the bad text
    response = page_client(world["head"]).post(
        f"/measures/{measure.pk}/edit/", _measure_edit_data(measure, **{field: value})
    )
    # then it is sent back with the reason, and nothing was written
    assert response.status_code == 400
    assert says in response.content.decode()
    assert footprint() == before


@pytest.mark.parametrize(
    ("value", "says"), [(NUL, THAI_NUL_REASON), (ONE_MB, THAI_TOO_LONG)], ids=["nul", "1mb"]
)
def test_the_result_report_form_refuses_text_it_cannot_keep(world, items, value, says):
    _, report = items
    before = footprint()
    response = page_client(world["head"]).post(
        f"/reports/{report.pk}/edit/", {"items": ["ผลที่หนึ่ง", value], "version": report.version}
    )
    assert response.status_code == 400
    assert says in response.content.decode()
    assert footprint() == before


def test_a_twenty_megabyte_form_is_refused_as_too_large(world, items):
    measure, _ = items
    before = footprint()
    response = page_client(world["head"]).post(
        f"/measures/{measure.pk}/edit/", _measure_edit_data(measure, methods=TWENTY_MB)
    )
    assert_thai_page(response, 413, "ข้อมูลที่ส่งมามีขนาดใหญ่เกินกำหนด")
    assert footprint() == before


@pytest.mark.parametrize(
    ("comment", "says"), [(NUL, THAI_NUL_REASON), (ONE_MB, THAI_TOO_LONG)], ids=["nul", "1mb"]
)
def test_a_transition_comment_that_cannot_be_kept_is_refused(world, items, comment, says):
    measure, _ = items
    before = footprint()
    response = page_client(world["head"]).post(
        f"/items/measure/{measure.pk}/transition/",
        {"action": "submit", "comment": comment, "version": measure.version},
        follow=True,
    )
    # a NUL never reaches the view (the site's 400 page); a comment too long is refused as
    # every other action is: the item's page again, the reason on top, the text kept
    assert not response.redirect_chain
    assert response.status_code == 400
    assert says in response.content.decode()
    assert footprint() == before
    assert Measure.objects.get(pk=measure.pk).state == State.DRAFTED


@pytest.mark.parametrize(
    "url",
    [
        "/audit/khao-thong/?date_to=9999-12-31",
        "/audit/khao-thong/?date_from=0001-01-01",
        "/audit/khao-thong/as-of/?at=0001-01-01T00:00",
        "/audit/khao-thong/as-of/?at=9999-12-31T23:59",
        "/audit/khao-thong/measures/99999999999999999999999/",
        "/measures/99999999999999999999999/",
        "/measures/?division=99999999999999999999999&year=-1&page=999999999999",
        "/public/khao-thong/99999999999999/",
    ],
)
def test_out_of_range_dates_and_ids_on_pages_are_never_a_server_error(world, url):
    response = page_client(world["auditor"]).get(url)
    assert response.status_code < 500
    if response.status_code == 200 and "date" in url:
        page = response.content.decode()
        assert "errorlist" in page or 'class="error"' in page


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_an_export_with_a_date_out_of_range_is_refused(world, fmt):
    response = page_client(world["auditor"]).get(f"/audit/khao-thong/log.{fmt}?date_to=9999-12-31")
    body = assert_json_error(response, 400, "invalid")
    assert "date_to" in body["fields"]


# --- the API ----------------------------------------------------------------------------


def _deep(levels: int) -> str:
    return "[" * levels + "]" * levels


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"title": NUL}, "title"),
        ({"title": "\ud800"}, "title"),
        ({"title": ONE_MB}, "title"),
        ({"methods": ["ประชุม", NUL]}, "methods"),
        ({"methods": ["\udfff"]}, "methods"),
        ({"period_end": "9999-12-31"}, "period_end"),
        ({"division_ids": [99999999999999999999999]}, "division_ids"),
    ],
    ids=["nul", "surrogate", "1mb", "method-nul", "method-surrogate", "date", "id"],
)
def test_an_api_edit_with_bad_text_is_a_json_400_naming_the_field(world, items, payload, field):
    measure, _ = items
    before = footprint()
    response = api_client(world["head"]).patch(
        f"/api/v1/measures/{measure.pk}/",
        json.dumps(payload),
        content_type="application/json",
        HTTP_IF_MATCH=f'"{measure.version}"',
    )
    body = assert_json_error(response, 400, "invalid")
    assert field in body["fields"]
    assert footprint() == before


@pytest.mark.parametrize("levels", [950, 100_000])
@pytest.mark.parametrize("target", ["edit", "transition"])
def test_deeply_nested_json_is_a_json_400(world, items, levels, target):
    measure, _ = items
    before = footprint()
    api = api_client(world["working_group"] if target == "transition" else world["head"])
    url = f"/api/v1/measures/{measure.pk}/"
    if target == "transition":
        url += "transitions/review/"
    body = '{"title": ' + _deep(levels) + "}"
    call = api.post if target == "transition" else api.patch
    response = call(url, body, content_type="application/json", HTTP_IF_MATCH='"1"')
    assert_json_error(response, 400, "parse_error")
    assert footprint() == before


@pytest.mark.parametrize("size", [TWENTY_MB, "x" * (50 * 1024 * 1024)], ids=["20mb", "50mb"])
def test_an_api_body_over_the_limit_is_a_json_error(world, items, size):
    measure, _ = items
    before = footprint()
    response = api_client(world["head"]).patch(
        f"/api/v1/measures/{measure.pk}/",
        json.dumps({"title": size}),
        content_type="application/json",
        HTTP_IF_MATCH=f'"{measure.version}"',
    )
    assert response.status_code in (400, 413)
    assert_json_error(response, response.status_code)
    assert footprint() == before


@pytest.mark.parametrize("comment", [NUL, "\ud800", ONE_MB], ids=["nul", "surrogate", "1mb"])
def test_an_api_transition_comment_that_cannot_be_kept_is_a_json_400(world, items, comment):
    measure, _ = items
    before = footprint()
    response = api_client(world["head"]).post(
        f"/api/v1/measures/{measure.pk}/transitions/submit/",
        json.dumps({"comment": comment}),
        content_type="application/json",
    )
    body = assert_json_error(response, 400, "invalid")
    assert "comment" in body["fields"]
    assert footprint() == before


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/delegations/0.5/",
        "/api/v1/no-such-thing/",
        "/api/v1/measures/99999999999999999999999/",
        "/api/v1/measures/?q=%00",
        "/api/v1/measures/?division=99999999999999999999999",
        "/api/v1/audit/khao-thong/log/?date_to=9999-12-31",
        "/api/v1/audit/khao-thong/log/?date_from=0001-01-01",
        "/api/v1/audit/khao-thong/log.csv?date_to=9999-12-31",
        "/api/v1/audit/khao-thong/as-of/?year=2564&at=0001-01-01T00:00",
        "/api/v1/audit/khao-thong/measures/99999999999999999999999/timeline/",
    ],
)
def test_every_api_error_is_json(world, url):
    response = api_client(world["auditor"]).get(url)
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:300])
    assert_json_error(response, response.status_code)


# --- the importer -----------------------------------------------------------------------


def _seed_text() -> str:
    from tests.test_importing import SEED

    return SEED.read_text(encoding="utf-8")


def _xlsx(sheet_xml: str) -> bytes:
    """A minimal workbook whose first sheet is `sheet_xml`, written by hand."""
    files = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org'
            '/package/2006/content-types"><Default Extension="rels" ContentType="application/'
            'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType='
            '"application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName='
            '"/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.worksheet+xml"/></Types>'
        ),
        "_rels/.rels": (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
            'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://'
            'schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats'
            '.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/'
            'officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" '
            'r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
            'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://'
            'schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
            'Target="worksheets/sheet1.xml"/></Relationships>'
        ),
        "xl/worksheets/sheet1.xml": sheet_xml,
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


SHEET_OPEN = (
    '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
    'spreadsheetml/2006/main">'
)


def _assert_import_refused(khao_thong, tmp_path, name: str, content: bytes, says: str):
    path = tmp_path / name
    path.write_bytes(content)
    before = footprint()
    started = time.monotonic()
    with pytest.raises(ReportImportError) as raised:
        report_import(source=path, organization=khao_thong, fiscal_year=2564)
    assert time.monotonic() - started < 10
    assert says in raised.value.message_en
    assert footprint() == before
    return raised.value


def test_an_import_with_a_nul_byte_in_a_cell_names_the_line(khao_thong, tmp_path):
    lines = _seed_text().split("\n")
    number = next(n for n, line in enumerate(lines) if line.startswith("๑.")) + 1
    lines[number - 1] = lines[number - 1].replace(" ", " \x00", 1)
    error = _assert_import_refused(
        khao_thong, tmp_path, "report.txt", "\n".join(lines).encode(), "NUL"
    )
    assert error.line == number
    assert "บรรทัดที่" in error.message_th


def test_an_import_of_a_sheet_with_broken_xml_says_so(khao_thong, tmp_path):
    sheet = SHEET_OPEN + '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>มาตรการ</t>'
    _assert_import_refused(khao_thong, tmp_path, "report.xlsx", _xlsx(sheet), "damaged")


def test_an_import_of_a_sheet_claiming_the_whole_grid_is_quick_and_refused(khao_thong, tmp_path):
    # given a sheet declaring A1:XFD1048576 with cells only at rows 1 and 1048576
    sheet = (
        SHEET_OPEN + '<dimension ref="A1:XFD1048576"/><sheetData>'
        '<row r="1"><c r="A1" t="inlineStr"><is><t>มาตรการ/แนวทาง</t></is></c>'
        '<c r="XFD1" t="inlineStr"><is><t>วิธีการดำเนินการ</t></is></c></row>'
        '<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>x</t></is></c></row>'
        "</sheetData></worksheet>"
    )
    # then it fails in seconds, naming the row, in bounded memory
    error = _assert_import_refused(khao_thong, tmp_path, "report.xlsx", _xlsx(sheet), "rows")
    assert error.line == 1048576


@pytest.mark.parametrize(
    ("added", "says"),
    [(TEXT_MAX_LENGTH, f"the {TEXT_MAX_LENGTH:,} allowed"), (10 * 1024 * 1024, "longer than")],
    ids=["over-the-limit", "10mb"],
)
def test_an_import_with_a_title_over_the_limit_is_refused_like_the_pages(
    khao_thong, tmp_path, added, says
):
    lines = _seed_text().split("\n")
    number = next(n for n, line in enumerate(lines) if line.startswith("๑."))
    cells = lines[number].split("\t")
    cells[0] = cells[0] + " " + "ก" * added
    lines[number] = "\t".join(cells)
    error = _assert_import_refused(
        khao_thong, tmp_path, "report.txt", "\n".join(lines).encode(), says
    )
    assert error.line == number + 1


# --- one limit per field ----------------------------------------------------------------


def test_the_same_title_limit_holds_for_the_api_and_the_pages(world, items):
    # given a title one character over the limit and one exactly at it
    measure, _ = items
    over, at = "ก" * (TEXT_MAX_LENGTH + 1), "ข" * TEXT_MAX_LENGTH
    api = api_client(world["head"])
    # when sent through the API and through the page
    by_api = api.patch(
        f"/api/v1/measures/{measure.pk}/", {"title": over}, format="json",
        HTTP_IF_MATCH=f'"{measure.version}"',
    )  # fmt: skip
    by_page = page_client(world["head"]).post(
        f"/measures/{measure.pk}/edit/", _measure_edit_data(measure, title=over)
    )
    # then both refuse it, and both accept the longest allowed
    assert by_api.status_code == 400 and by_page.status_code == 400
    accepted = api.patch(
        f"/api/v1/measures/{measure.pk}/", {"title": at}, format="json",
        HTTP_IF_MATCH=f'"{measure.version}"',
    )  # fmt: skip
    assert accepted.status_code == 200, accepted.content[:300]
    assert Measure.objects.get(pk=measure.pk).title == at


# --- the error pages outside /api/ ------------------------------------------------------


def test_an_unknown_page_is_the_sites_thai_404_and_english_when_chosen(world):
    client = page_client(world["head"])
    assert_thai_page(client.get("/no-such-page/"), 404, "ไม่พบหน้าที่ต้องการ")
    client.cookies["django_language"] = "en"
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert '<html lang="en">' in response.content.decode()
    assert "Page not found" in response.content.decode()


def test_a_locked_out_login_is_the_sites_thai_429(client, settings):
    settings.AXES_ENABLED = True
    get_user_model().objects.create_user("palad", password="right-password-2564")
    for n in range(6):
        response = client.post("/accounts/login/", {"username": "palad", "password": f"w{n}"})
    assert_thai_page(response, 429, "ระงับการเข้าสู่ระบบชั่วคราว")


def test_a_server_error_is_the_sites_thai_500_and_json_under_the_api(rf):
    from config.errors import server_error

    try:
        raise RuntimeError("a bug")
    except RuntimeError:
        page = server_error(rf.get("/measures/"))
        api = server_error(rf.get("/api/v1/measures/"))
    assert page.status_code == 500
    assert "ระบบขัดข้อง" in page.content.decode()
    assert api.status_code == 500
    assert json.loads(api.content)["code"] == "server_error"
