"""A year of the staff's work in Chromium, desktop and phone: a division head drafts with the
form's defaults, is returned, sees why and resubmits without retyping; the working group
reviews; the chief executive approves two items at once; the publisher schedules one and
publishes another; the year's grid shows every step; search answers as one types."""

import os
from pathlib import Path

import pytest
from django.conf import settings

from approvals.services import transition_perform
from tests.factories import DivisionFactory, MeasureFactory, ReportingRoundFactory
from tests.web_helpers import people_of
from workflow.models import Action, Measure, State

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"
PASSWORD = "pass-1234"  # tests.factories.UserFactory
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"year-{name}.png"), full_page=True)


def log_in(browser, live_server, username: str, viewport=DESKTOP, language="th"):
    context = browser.new_context(viewport=viewport, locale="th-TH")
    context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    return page


def take(page, action: str, comment: str = "") -> None:
    page.click(f"summary[data-action={action}]")
    if comment:
        page.fill(f"#comment-{action}", comment)
    page.click(f"button[name=confirm][value={action}]")
    page.wait_for_selector(".messages li")


def test_a_year_of_staff_work_on_desktop_and_phone(browser, live_server):
    # given อบต.เขาทอง with its people (named), a 12-month round and one submitted measure
    from workflow.models import Organization

    organization = Organization.objects.create(
        name="องค์การบริหารส่วนตำบลเขาทอง", short_name="อบต.เขาทอง", slug="khao-thong"
    )
    division = DivisionFactory(organization=organization, name="สำนักปลัด")
    people = people_of(organization, division)
    for user, (first, last) in (
        (people.head, ("สมชาย", "ใจดี")),
        (people.working, ("สมศรี", "ตรวจงาน")),
        (people.chief, ("ประยุทธ", "ผู้บริหาร")),
        (people.publisher, ("มานี", "เว็บไซต์")),
    ):
        user.first_name, user.last_name = first, last
        user.save()
    round_ = ReportingRoundFactory(organization=organization, name="รอบ 12 เดือน")
    other = MeasureFactory(
        organization=organization, fiscal_year=round_.fiscal_year, number=2,
        title="ส่งเสริมการมีส่วนร่วมทั้งจากภายในและภายนอกหน่วยงาน", divisions=[division],
    )  # fmt: skip
    transition_perform(item=other, action=Action.SUBMIT, actor=people.head)

    # when the division head drafts a measure: the year and ต.ค.–ก.ย. are already chosen
    head = log_in(browser, live_server, people.head.username)
    shot(head, "home-division-head")
    head.goto(f"{live_server.url}/measures/new/")
    assert head.input_value("#id_start_month") == "10"
    assert head.input_value("#id_end_month") == "9"
    assert head.input_value("#id_end_year") == str(round_.fiscal_year.year)
    head.fill("#id_number", "1")
    head.fill("#id_title", "ปรับปรุงเว็บไซต์หน่วยงานเพื่อเปิดเผยข้อมูลข่าวสาร")
    head.fill("textarea[name=methods] >> nth=0", "ตรวจสอบเว็บไซต์ของหน่วยงาน")
    head.check(f"input[name=divisions][value='{division.pk}']")
    shot(head, "measure-form-defaults")
    head.click("main form.card button[type=submit]")
    head.wait_for_selector(".state-drafted")
    take(head, "submit")
    assert "สมศรี ตรวจงาน" in head.inner_text(".messages")  # who has it now
    measure_url = head.url

    # and the working group returns it with a reason
    working = log_in(browser, live_server, people.working.username)
    working.goto(measure_url)
    shot(working, "measure-submitted-working-group")
    take(working, "return", "โปรดเพิ่มวิธีการประชาสัมพันธ์ผ่านเว็บไซต์")

    # then the head, on a phone, sees the banner: the reason, who and when
    head_phone = log_in(browser, live_server, people.head.username, viewport=PHONE)
    head_phone.goto(measure_url)
    banner = head_phone.inner_text(".card.returned")
    assert "โปรดเพิ่มวิธีการประชาสัมพันธ์ผ่านเว็บไซต์" in banner and "สมศรี ตรวจงาน" in banner
    shot(head_phone, "measure-returned-phone")

    # and fixes it and resubmits it, nothing retyped
    head.goto(measure_url + "edit/")
    assert head.input_value("#id_title") == "ปรับปรุงเว็บไซต์หน่วยงานเพื่อเปิดเผยข้อมูลข่าวสาร"
    head.fill("textarea[name=methods] >> nth=1", "ประชาสัมพันธ์ผ่านเว็บไซต์")
    head.click("main form.card button[type=submit]")
    head.wait_for_selector(".state-drafted")
    take(head, "submit")

    # when the working group reviews both measures
    for url in (measure_url, f"{live_server.url}/measures/{other.pk}/"):
        working.goto(url)
        take(working, "review")

    # and the chief executive approves both at once from the home page
    chief = log_in(browser, live_server, people.chief.username)
    chief.check("input[name=items] >> nth=0")
    chief.check("input[name=items] >> nth=1")
    chief.click("summary[data-action=approve]")
    shot(chief, "home-chief-bulk")
    chief.click("button[name=action][value=approve]")
    chief.wait_for_selector(".outcomes")
    shot(chief, "bulk-approved")
    assert chief.locator(".outcomes li.done").count() == 2
    assert set(Measure.objects.values_list("state", flat=True)) == {State.APPROVED}

    # and the publisher publishes one now and schedules the other in BE
    publisher = log_in(browser, live_server, people.publisher.username)
    publisher.goto(measure_url)
    shot(publisher, "measure-approved-publisher")
    take(publisher, "publish")
    publisher.goto(f"{live_server.url}/measures/{other.pk}/")
    publisher.click("summary[data-action=publish]")
    publisher.select_option("#id_month", "10")
    publisher.fill("#id_year", str(round_.fiscal_year.year + 10))
    publisher.select_option("#id_hour", "9")
    publisher.select_option("#id_minute", "30")
    shot(publisher, "schedule-form")
    publisher.click("form.schedule button[type=submit]")
    publisher.wait_for_selector(".messages li")
    publisher.goto(f"{live_server.url}/schedules/")
    assert "๐๙:๓๐" in publisher.inner_text("main")
    shot(publisher, "schedules")

    # then the year's grid shows every measure and its stage, on a desktop and a phone
    working.goto(f"{live_server.url}/years/{round_.fiscal_year.year}/")
    shot(working, "grid-desktop")
    assert working.locator("table.grid tbody tr").count() == 2
    working_phone = log_in(browser, live_server, people.working.username, viewport=PHONE)
    working_phone.goto(f"{live_server.url}/years/{round_.fiscal_year.year}/")
    shot(working_phone, "grid-phone")
    working_phone.goto(f"{live_server.url}/measures/")
    assert working_phone.locator("table.staff .state").first.is_visible()
    shot(working_phone, "measures-phone")

    # and search answers as one types, with one request per pause, marking the words
    requests = []
    working.on("request", lambda r: requests.append(r.url) if "/measures/?" in r.url else None)
    working.goto(f"{live_server.url}/measures/")
    working.type("#f-q", "ปรับปรุงเว็บไซต์", delay=20)
    working.wait_for_selector("#rows mark")
    working.press("#f-q", "Enter")
    working.wait_for_timeout(600)
    assert len(requests) == 1
    shot(working, "search-as-you-type")

    # and the English pages speak English, with Arabic digits
    english = log_in(browser, live_server, people.working.username, language="en")
    english.goto(f"{live_server.url}/years/{round_.fiscal_year.year}/")
    assert str(round_.fiscal_year.year) in english.inner_text("h1")
    shot(english, "grid-english")


def test_the_organization_admin_invites_gives_a_role_and_a_delegation(browser, live_server):
    # given อบต.เขาทอง with its chief executive and an admin
    from approvals.models import Role
    from tests.factories import MembershipFactory, UserFactory
    from workflow.models import Organization

    organization = Organization.objects.create(
        name="องค์การบริหารส่วนตำบลเขาทอง", short_name="อบต.เขาทอง", slug="khao-thong"
    )
    division = DivisionFactory(organization=organization, name="สำนักปลัด")
    people = people_of(organization, division)
    admin = UserFactory(username="admin-org", first_name="วิไล", last_name="ดูแลระบบ")
    MembershipFactory(user=admin, organization=organization, role=Role.ADMIN)

    # when the admin invites a division head from the home page's link
    page = log_in(browser, live_server, admin.username)
    page.click("a[href='/organization/']")
    shot(page, "org-home")
    page.click("a[href='/organization/people/']")
    page.click("details.invite summary")
    page.fill("#id_first_name", "สมหญิง")
    page.fill("#id_last_name", "รักงาน")
    page.fill("#id_position", "ผู้อำนวยการกองคลัง")
    page.fill("#id_email", "somying@khaothong.go.th")
    page.select_option("#id_role", Role.DIVISION_HEAD)
    page.check(f"#id_division_ids input[value='{division.pk}']")
    page.click("form.invite-form button[type=submit]")
    page.wait_for_selector(".messages li.success")

    # and gives her a second role
    person = page.locator("section.person", has_text="สมหญิง")
    assert person.locator("p.position").inner_text() == "ผู้อำนวยการกองคลัง"
    person.locator("details:has(select[name=role]) summary").click()
    person.locator("select[name=role]").select_option(Role.WORKING_GROUP)
    person.locator("button[type=submit]", has_text="กำหนดบทบาท").click()
    page.wait_for_selector(".messages li.success")
    shot(page, "org-people")

    # and corrects her position
    person = page.locator("section.person", has_text="สมหญิง")
    person.locator("details:has(form.position-form) summary").click()
    person.locator("input[name=position]").fill("ผู้อำนวยการกองคลัง (รักษาการ)")
    person.locator("form.position-form button[type=submit]").click()
    page.wait_for_selector(".messages li.success")
    person = page.locator("section.person", has_text="สมหญิง")
    assert person.locator("p.position").inner_text() == "ผู้อำนวยการกองคลัง (รักษาการ)"

    # and a delegation to the working group member, on a phone
    phone = log_in(browser, live_server, admin.username, viewport=PHONE)
    phone.goto(f"{live_server.url}/organization/delegations/")
    phone.select_option("#id_deputy", str(people.working.pk))
    phone.fill("#id_end_day", "28")
    phone.click("form.card button[type=submit]")
    phone.wait_for_selector(".messages li.success")
    shot(phone, "org-delegations-phone")

    # then the rows say so
    from approvals.models import Delegation, Membership

    roles = set(
        Membership.objects.filter(user__email="somying@khaothong.go.th").values_list(
            "role", flat=True
        )
    )
    assert roles == {Role.DIVISION_HEAD, Role.WORKING_GROUP}
    assert Delegation.objects.get().deputy == people.working
    page.goto(f"{live_server.url}/organization/divisions/")
    shot(page, "org-divisions")
