"""Set-ups shared by the page tests: the people of an organization, items walked to published."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from approvals.models import Role
from approvals.services import transition_perform
from tests.factories import (
    DivisionFactory,
    MeasureFactory,
    MembershipFactory,
    ReportingRoundFactory,
    ResultReportFactory,
    UserFactory,
)
from workflow.models import Action

# Titles and first methods of the seed report's seven measures (the reference file,
# with the PDF's line-wrap spaces taken out), and a first result for each.
SEED_MEASURES = [
    (
        "ปรับปรุงเว็บไซต์หน่วยงานเพื่อเปิดเผยข้อมูลข่าวสาร การประชาสัมพันธ์ภารกิจต่าง ๆ ของหน่วยงาน",
        "มีการดำเนินการตรวจสอบเว็บไซต์ของหน่วยงานว่ามีการออกแบบหน้าเว็บที่มีการเข้าถึงได้ง่าย"
        "หรือไม่ข้อมูลหน่วยงานมีการลงไว้ครบถ้วนหรือไม่ ควรแก้ไขปรับปรุงให้เป็นปัจจุบันและครบถ้วน",
        "ดำเนินการจ้างเหมาดูแลเว็บไซต์ อัปเดตข้อมูลเข้าโดเมนและเช่าพื้นที่จัดเก็บข้อมูลอย่างต่อเนื่อง",
    ),
    (
        "ส่งเสริมการมีส่วนร่วมทั้งจากภายในและภายนอกหน่วยงาน",
        "มีการแต่งตั้งคณะกรรมการในการตรวจสอบงานต่าง ๆ ทั้งจากบุคลากรในหน่วยงานและจากบุคคลภายนอก",
        "การดำเนินการโครงการต่าง ๆ มีการแต่งตั้งคณะกรรมการเพื่อติดตามตรวจสอบการดำเนินงาน",
    ),
    (
        "จัดเวทีประชาคม ประชุมรับฟังความคิดเห็นของประชาชนผู้มารับบริการ "
        "เพื่อเปิดโอกาสให้มีส่วนร่วมในการปรับปรุงการทำงานหรือการให้บริการของหน่วยงาน",
        "มีการจัดประชุมประชาคม เพื่อชี้แจง รับฟังปัญหาการให้บริการ การดำเนินงานของหน่วยงานเพื่อนำมาปรับปรุง",
        "จัดเวทีประชุมปรึกษาหารือ โดยเชิญหน่วยงานและผู้เกี่ยวข้องทุกภาคส่วนเข้าร่วมประชุม",
    ),
    (
        "ปรับปรุงวิธีการและขั้นตอนการดำเนินการให้บริการให้มีประสิทธิภาพมากยิ่งขึ้น",
        "จัดให้มีการประชุมภายในหน่วยงาน เพื่อให้ทราบปัญหา อุปสรรค ข้อบกพร่องของการดำเนินงาน"
        "ในภารกิจต่าง ๆ เพื่อให้ทราบข้อมูลและนำมาปรับปรุงแก้ไข",
        "มีการประกาศขั้นตอนการให้บริการงานต่าง ๆ",
    ),
    (
        "ประเมินความเสี่ยงการทุจริตประจำปี ๒๕๖๔",
        "แต่งตั้งคณะทำงานเพื่อจัดทำแผนการประเมินความเสี่ยงการทุจริตประจำปี ๒๕๖๔",
        "มีการแต่งตั้งคณะทำงานเพื่อจัดทำแผนการประเมินความเสี่ยงการทุจริตประจำปี ๒๕๖๔",
    ),
    (
        "จัดทำมาตรการส่งเสริมคุณธรรมและความโปร่งใสภายในหน่วยงาน",
        "แต่งตั้งคณะทำงาน",
        "มีการแต่งตั้งคณะทำงานเพื่อสนับสนุนการประเมินคุณธรรมและความโปร่งใส",
    ),
    (
        "การจัดกิจกรรมเพื่อเสริมสร้างวัฒนธรรมองค์กรต่อต้านการทุจริตคอร์ปชั่นแสดงเจตจำนงการต่อต้านการทุจริตทุกรูปแบบ",
        "มีการจัดกิจกรรมผู้บริหารมอบนโยบายต่อต้านการทุจริตคอร์ปชั่นให้กับบุคลากรภายในหน่วยงาน",
        "มีการจัดกิจกรรมต่อต้านการทุจริตคอร์ปชั่น นำโดยนายก อบต.เขาทอง",
    ),
]


@dataclass
class People:
    head: object
    working: object
    chief: object
    publisher: object
    auditor: object


def people_of(organization, division) -> People:
    def member(username, role, divisions=None):
        user = UserFactory(username=username, first_name=username.capitalize())
        MembershipFactory(user=user, organization=organization, role=role, divisions=divisions)
        return user

    return People(
        head=member("head", Role.DIVISION_HEAD, [division]),
        working=member("working", Role.WORKING_GROUP),
        chief=member("nayok", Role.CHIEF_EXECUTIVE),
        publisher=member("publisher", Role.PUBLISHER),
        auditor=member("auditor", Role.AUDITOR),
    )


def walk_to_published(item, people: People) -> None:
    for action, actor in (
        (Action.SUBMIT, people.head),
        (Action.REVIEW, people.working),
        (Action.APPROVE, people.chief),
        (Action.PUBLISH, people.publisher),
    ):
        transition_perform(item=item, action=action, actor=actor)


def published_report(organization, *, measures=SEED_MEASURES, with_results=True):
    """A report of the given measures, each published with a published result report."""
    division = DivisionFactory(organization=organization, name="สำนักปลัด")
    people = people_of(organization, division)
    round_ = ReportingRoundFactory(
        organization=organization, name="รอบ 12 เดือน", due_on=dt.date(2021, 10, 31)
    )
    items = []
    for number, (title, method, result) in enumerate(measures, start=1):
        measure = MeasureFactory(
            organization=organization,
            fiscal_year=round_.fiscal_year,
            number=number,
            title=title,
            methods=[method, "มีการประชาสัมพันธ์ผลการดำเนินงาน"],
            divisions=[division],
        )
        walk_to_published(measure, people)
        report = None
        if with_results:
            report = ResultReportFactory(
                measure=measure,
                reporting_round=round_,
                items=[result],
                recommendations=["ควรดำเนินการอย่างต่อเนื่อง"],
            )
            walk_to_published(report, people)
        items.append((measure, report))
    return people, round_, items


SEED_FILE = (
    Path(__file__).resolve().parent.parent / "workflow/fixtures/khao-thong-2564-measures-report.txt"
)


def imported_seed_report(organization):
    """The seed report imported as it is, then every measure and result report published."""
    from workflow.importing import report_import

    division = DivisionFactory(organization=organization, name="สำนักปลัด")
    people = people_of(organization, division)
    round_ = ReportingRoundFactory(
        organization=organization, name="รอบ 12 เดือน", due_on=dt.date(2021, 10, 31)
    )
    result = report_import(
        source=SEED_FILE, organization=organization, fiscal_year=round_.fiscal_year,
        reporting_round=round_, create_missing_divisions=True, actor=people.working,
    )  # fmt: skip
    head = people.head.memberships.get()
    head.divisions.set(organization.divisions.all())
    people.head.__dict__.pop("_itaflow_memberships", None)
    for item in [*result.measures, *result.result_reports]:
        walk_to_published(item, people)
    introduction_publish(organization, people)
    return people, result


def introduction_publish(organization, people) -> None:
    """The year's opening paragraph through the workflow: the working group drafts and submits
    it, a second member reviews it (not the one who submitted), then approval and publication."""
    from workflow.models import ReportIntroduction

    reviewer = UserFactory(username="working2", first_name="Working2")
    MembershipFactory(user=reviewer, organization=organization, role=Role.WORKING_GROUP)
    introduction = ReportIntroduction.objects.get(organization=organization)
    for action, actor in (
        (Action.SUBMIT, people.working),
        (Action.REVIEW, reviewer),
        (Action.APPROVE, people.chief),
        (Action.PUBLISH, people.publisher),
    ):
        transition_perform(item=introduction, action=action, actor=actor)


def many_measures(count: int):
    return [
        (f"มาตรการที่ {n} ดำเนินการ", f"วิธีการดำเนินการที่ {n}", f"ผลการดำเนินการที่ {n}")
        for n in range(1, count + 1)
    ]


BROWSER_PASSWORD = "pass-1234"  # tests.factories.UserFactory


def browser_log_in(browser, live_server, username: str, viewport=None):
    """A Thai-speaking browser context logged in as `username`, on the home page."""
    context = browser.new_context(
        viewport=viewport or {"width": 1280, "height": 900}, locale="th-TH"
    )
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", BROWSER_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    return page


def as_user(user, language: str = "th"):
    """A test client logged in as `user`, its pages in `language`."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = language
    return client


def published_then_revised(measure, people: People, **changes):
    """`measure` published, then revised by the working group and edited by its division
    head with `changes` (title, methods …): a drafted revision of a published measure."""
    from workflow import services
    from workflow.models import Measure

    walk_to_published(measure, people)
    transition_perform(
        item=Measure.objects.get(pk=measure.pk), action=Action.REVISE, actor=people.working
    )
    measure = Measure.objects.get(pk=measure.pk)
    return services.measure_update(
        measure=measure, actor=people.head, expected_version=measure.version, **changes
    )
