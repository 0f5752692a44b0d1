"""Approvers do not work blind: the row as it will be published, a revision's changes against
the published version, and approving or publishing several items at once."""

import re
from html import unescape

import pytest
from django.urls import reverse

from approvals.services import transition_perform
from tests.factories import DivisionFactory, MeasureFactory, ReportingRoundFactory
from tests.factories import ResultReportFactory as ReportFactory
from tests.web_helpers import as_user, people_of, published_then_revised, walk_to_published
from workflow import services
from workflow.models import Action, Measure, ResultReport, State

pytestmark = pytest.mark.django_db

TITLE = "ปรับปรุงเว็บไซต์หน่วยงานเพื่อเปิดเผยข้อมูลข่าวสาร"
METHODS = ["ตรวจสอบเว็บไซต์ของหน่วยงาน", "ประชาสัมพันธ์ภารกิจต่าง ๆ ของหน่วยงาน"]


@pytest.fixture
def office(organization):
    division = DivisionFactory(organization=organization, name="สำนักปลัด")
    people = people_of(organization, division)
    round_ = ReportingRoundFactory(organization=organization, name="รอบ 12 เดือน")
    measure = MeasureFactory(
        organization=organization, fiscal_year=round_.fiscal_year, number=1, title=TITLE,
        methods=METHODS, divisions=[division],
    )  # fmt: skip
    return people, division, round_, measure


def walk(item, people, *actions):
    actors = {
        Action.SUBMIT: people.head, Action.REVIEW: people.working, Action.APPROVE: people.chief,
        Action.PUBLISH: people.publisher,
    }  # fmt: skip
    for action in actions:
        transition_perform(item=type(item).objects.get(pk=item.pk), action=action,
                           actor=actors[action])  # fmt: skip


def report_rows(html: str) -> list[list[str]]:
    """The rendered cells of each row of the first six-column table on a page, as text."""
    table = re.search(r'<table class="report">(.*?)</table>', html, re.S).group(1)
    body = table.split("<tbody>", 1)[1]
    return [
        [unescape(re.sub(r"(?:\s*<[^>]+>\s*)+", "|", cell)).strip("|") for cell in re.findall(
            r"<td[^>]*>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]  # fmt: skip


def section(html: str, css_class: str) -> str:
    start = html.index(f'class="card {css_class}"')
    return html[start : html.index("</section>", start)]


def public_page(client, measure) -> str:
    url = reverse("public:report", args=[measure.organization.slug, measure.fiscal_year.year])
    return client.get(url).content.decode()


# --- the row as it will be published ----------------------------------------------------------


def test_preview_row_of_a_report_equals_the_public_row_once_published(office, client):
    # given a published measure and its approved result report
    people, _division, round_, measure = office
    walk_to_published(measure, people)
    report = ReportFactory(measure=measure, reporting_round=round_,
                           items=["จ้างเหมาดูแลเว็บไซต์", "อัปเดตข้อมูลอย่างต่อเนื่อง"])  # fmt: skip
    walk(report, people, Action.SUBMIT)
    report = ResultReport.objects.get(pk=report.pk)
    services.result_report_update(report=report, actor=people.working,
                                  expected_version=report.version,
                                  recommendations=["ควรปรับปรุงข้อมูลทุกเดือน"])  # fmt: skip
    walk(report, people, Action.REVIEW, Action.APPROVE)

    # when the chief executive and then the publisher open it, and it is published
    for person in (people.chief, people.publisher):
        page = as_user(person).get(reverse("workflow:result-report-detail", args=[report.pk]))
        preview = report_rows(section(page.content.decode(), "preview"))
    walk(report, people, Action.PUBLISH)

    # then the row shown beforehand is, cell for cell, the row the public sees
    assert preview == report_rows(public_page(client, measure))
    assert preview[0][0] == f"๑. {TITLE}"
    assert preview[0][4] == "๑. จ้างเหมาดูแลเว็บไซต์|๒. อัปเดตข้อมูลอย่างต่อเนื่อง"
    assert preview[0][5] == "๑. ควรปรับปรุงข้อมูลทุกเดือน"
    # and once published, the page no longer offers a preview: it is the public row
    page = as_user(people.chief).get(reverse("workflow:result-report-detail", args=[report.pk]))
    assert 'class="card preview"' not in page.content.decode()


def test_preview_row_of_a_measure_equals_the_public_row_once_published(office, client):
    # given a reviewed measure
    people, _division, _round, measure = office
    walk(measure, people, Action.SUBMIT, Action.REVIEW)

    # when the chief executive opens it, approves it and the publisher publishes it
    page = as_user(people.chief).get(reverse("workflow:measure-detail", args=[measure.pk]))
    preview = report_rows(section(page.content.decode(), "preview"))
    walk(measure, people, Action.APPROVE, Action.PUBLISH)

    # then
    assert preview == report_rows(public_page(client, measure))
    assert preview[0][1] == "๑. ตรวจสอบเว็บไซต์ของหน่วยงาน|๒. ประชาสัมพันธ์ภารกิจต่าง ๆ ของหน่วยงาน"
    assert preview[0][2] == "สำนักปลัด"
    assert preview[0][3] == "ต.ค. ๒๕๖๓ – ก.ย. ๒๕๖๔"


# --- a revision's changes against the published version ---------------------------------------


def test_revision_page_shows_the_changed_parts_and_not_the_unchanged_ones(office):
    # given a published measure, revised: one word of the title and one method reworded
    people, _division, _round, measure = office
    published_then_revised(
        measure, people, title=TITLE.replace("ปรับปรุง", "พัฒนา"),
        methods=[METHODS[0], "ประชาสัมพันธ์ภารกิจต่าง ๆ ผ่านเฟซบุ๊ก"],
    )  # fmt: skip
    walk(measure, people, Action.SUBMIT, Action.REVIEW)

    # when the chief executive opens it
    page = as_user(people.chief).get(reverse("workflow:measure-detail", args=[measure.pk]))

    # then the title and the methods are shown changed, the changed words marked
    changes = section(page.content.decode(), "revision-changes")
    assert "มาตรการ/แนวทาง" in changes and "วิธีการดำเนินการ" in changes
    assert "<del>ปรับปรุง</del>" in changes and "<ins>พัฒนา</ins>" in changes
    assert "<ins>ผ่านเฟซบุ๊ก</ins>" in changes
    # and not the parts that did not change: the period and the divisions
    assert "ระยะเวลา" not in changes and "ผู้รับผิดชอบ" not in changes
    assert METHODS[0] not in changes
    # and the preview already shows the revised row
    assert report_rows(section(page.content.decode(), "preview"))[0][0] == (
        "๑. " + TITLE.replace("ปรับปรุง", "พัฒนา")
    )


def test_report_revision_shows_its_changed_results_only(office):
    # given a published report whose results are revised, its recommendations kept
    people, _division, round_, measure = office
    walk_to_published(measure, people)
    report = ReportFactory(measure=measure, reporting_round=round_, items=["จ้างเหมาดูแลเว็บไซต์"])
    walk(report, people, Action.SUBMIT)
    report = ResultReport.objects.get(pk=report.pk)
    services.result_report_update(report=report, actor=people.working,
                                  expected_version=report.version,
                                  recommendations=["ควรปรับปรุงข้อมูลทุกเดือน"])  # fmt: skip
    walk(report, people, Action.REVIEW, Action.APPROVE, Action.PUBLISH)
    transition_perform(item=ResultReport.objects.get(pk=report.pk), action=Action.REVISE,
                       actor=people.head)  # fmt: skip
    report = ResultReport.objects.get(pk=report.pk)
    services.result_report_update(report=report, actor=people.head,
                                  expected_version=report.version,
                                  items=["จ้างเหมาดูแลเว็บไซต์", "อบรมเจ้าหน้าที่"])  # fmt: skip

    # when the division head opens the drafted revision
    page = as_user(people.head).get(reverse("workflow:result-report-detail", args=[report.pk]))

    # then the added result line is shown, the recommendations are not
    changes = section(page.content.decode(), "revision-changes")
    assert "<ins>อบรมเจ้าหน้าที่</ins>" in changes
    assert "ข้อเสนอแนะ" not in changes and "ควรปรับปรุงข้อมูลทุกเดือน" not in changes


def test_a_first_draft_has_no_changes_to_show(office):
    people, _division, _round, measure = office
    page = as_user(people.head).get(reverse("workflow:measure-detail", args=[measure.pk]))
    html = page.content.decode()
    assert 'class="card preview"' in html and "revision-changes" not in html


# --- who sees the preview and the changes -----------------------------------------------------

# (person, sees it while drafted, sees it once reviewed); "outsider" holds every role elsewhere
SEES = [
    ("head", True, False),
    ("other_head", False, False),
    ("working_group", True, True),
    ("chief", True, True),
    ("deputy", True, True),  # acting for the chief executive
    ("expired_deputy", False, False),
    ("publisher", True, True),
    ("auditor", False, False),
    ("admin", False, False),
]


@pytest.mark.parametrize(("name", "while_drafted", "once_reviewed"), SEES)
def test_who_sees_the_preview_and_the_changes(world, name, while_drafted, once_reviewed):
    # given a published measure revised, first drafted, then reviewed
    measure = world.measure(title=TITLE, methods=METHODS)
    for action, actor in ((Action.SUBMIT, "head"), (Action.REVIEW, "working_group"),
                          (Action.APPROVE, "chief"), (Action.PUBLISH, "publisher"),
                          (Action.REVISE, "working_group")):  # fmt: skip
        transition_perform(item=Measure.objects.get(pk=measure.pk), action=action,
                           actor=world[actor])  # fmt: skip
    measure = Measure.objects.get(pk=measure.pk)
    services.measure_update(measure=measure, actor=world["head"],
                            expected_version=measure.version, title="พัฒนาเว็บไซต์")  # fmt: skip
    url = reverse("workflow:measure-detail", args=[measure.pk])
    seen = []
    for then in (None, (Action.SUBMIT, "head")):
        if then:
            transition_perform(item=Measure.objects.get(pk=measure.pk), action=then[0],
                               actor=world[then[1]])  # fmt: skip
            transition_perform(item=Measure.objects.get(pk=measure.pk), action=Action.REVIEW,
                               actor=world["working_group"])  # fmt: skip
        # when they open the page
        html = as_user(world[name]).get(url).content.decode()
        seen.append(('class="card preview"' in html, "revision-changes" in html))

    # then
    assert seen == [(while_drafted, while_drafted), (once_reviewed, once_reviewed)]


def test_another_organization_sees_neither_the_page_nor_the_preview(world):
    measure = world.measure(title=TITLE)
    response = as_user(world["outsider"]).get(reverse("workflow:measure-detail", args=[measure.pk]))
    assert response.status_code == 404
    assert TITLE not in response.content.decode()


# --- several items at once --------------------------------------------------------------------


def test_publisher_publishes_several_items_and_a_report_before_its_measure_is_refused(office):
    # given two approved measures, and an approved report of a third, still unpublished measure
    people, division, round_, measure = office
    second = MeasureFactory(organization=measure.organization, fiscal_year=round_.fiscal_year,
                            number=2, title="ส่งเสริมการมีส่วนร่วม", divisions=[division])  # fmt: skip
    third = MeasureFactory(organization=measure.organization, fiscal_year=round_.fiscal_year,
                           number=3, title="จัดเวทีประชาคม", divisions=[division])  # fmt: skip
    report = ReportFactory(measure=third, reporting_round=round_, items=["จัดประชุมแล้ว"])
    for item in (measure, second, third, report):
        walk(item, people, Action.SUBMIT, Action.REVIEW, Action.APPROVE)
    picked = [
        f"{kind}:{item.pk}:{type(item).objects.get(pk=item.pk).version}"
        for kind, item in (("measure", measure), ("report", report), ("measure", second))
    ]
    client = as_user(people.publisher)
    home = client.get(reverse("workflow:home")).content.decode()
    assert 'value="publish"' in home and 'value="approve"' not in home

    # when the publisher ticks the three and publishes them
    response = client.post(reverse("workflow:bulk-transition"),
                           {"action": "publish", "items": picked})  # fmt: skip

    # then the measures are published, each through the transition path, the report refused
    assert response.status_code == 200
    outcomes = response.context["outcomes"]
    assert [o["done"] for o in outcomes] == [True, False, True]
    assert "มาตรการ" in outcomes[1]["reason"]
    assert ResultReport.objects.get(pk=report.pk).state == State.APPROVED
    for item in (measure, second):
        assert Measure.objects.get(pk=item.pk).state == State.PUBLISHED
        assert item.transition_logs.filter(action="publish", result_report=None).count() == 1
        assert item.publications.count() == 1
    page = response.content.decode()
    assert "ไม่ได้ดำเนินการ" in page or "ปฏิเสธ" in page or "refused" in page.lower()
    assert "๒" in page and "๓" in page  # "2 of 3 done" in Thai digits


def test_bulk_action_needs_the_role_for_each_item(office):
    # given a reviewed measure; the publisher tries to approve it in bulk
    people, _division, _round, measure = office
    walk(measure, people, Action.SUBMIT, Action.REVIEW)
    item = f"measure:{measure.pk}:{Measure.objects.get(pk=measure.pk).version}"

    # when
    response = as_user(people.publisher).post(reverse("workflow:bulk-transition"),
                                              {"action": "approve", "items": [item]})  # fmt: skip

    # then it is reported refused and nothing moved
    assert [o["done"] for o in response.context["outcomes"]] == [False]
    assert response.context["outcomes"][0]["reason"]
    assert Measure.objects.get(pk=measure.pk).state == State.REVIEWED


def test_bulk_action_skips_items_of_another_organization(world):
    measure = world.measure(title=TITLE)
    for action, actor in ((Action.SUBMIT, "head"), (Action.REVIEW, "working_group")):
        transition_perform(item=Measure.objects.get(pk=measure.pk), action=action,
                           actor=world[actor])  # fmt: skip
    response = as_user(world["outsider"]).post(
        reverse("workflow:bulk-transition"),
        {"action": "approve", "items": [f"measure:{measure.pk}:3"]},
    )
    assert response.status_code == 302
    assert Measure.objects.get(pk=measure.pk).state == State.REVIEWED


def test_a_revision_not_yet_edited_says_it_changes_nothing(office):
    # given a published measure just revised, nothing edited yet
    people, _division, _round, measure = office
    walk_to_published(measure, people)
    transition_perform(
        item=Measure.objects.get(pk=measure.pk), action=Action.REVISE, actor=people.working
    )

    # when the working group opens it
    page = as_user(people.working).get(reverse("workflow:measure-detail", args=[measure.pk]))

    # then it says so, and shows no list of changes
    html = page.content.decode()
    assert "ฉบับปรับปรุงนี้ยังไม่ได้แก้ไขข้อความใดจากฉบับที่เผยแพร่" in html
    assert "revision-changes" not in html
