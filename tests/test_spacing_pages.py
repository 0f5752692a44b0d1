"""The working group's review page of the PDF's line-wrap spaces, role by role."""

import pytest
from django.urls import reverse

from approvals.models import Role
from tests.factories import MembershipFactory, UserFactory
from tests.web_helpers import SEED_FILE
from workflow.importing import report_import
from workflow.models import Measure, SpacingProposal
from workflow.services import SPACING_REASON

REVIEW = reverse("workflow:spacing-review")
DECIDE = reverse("workflow:spacing-decide")
TITLE_1 = "ปรับปรุงเว็บไซต์หน่วยงานเพื่อเปิดเผยข้อมูลข่าวสารการประชาสัมพันธ์ภารกิจต่าง ๆ ของหน่วยงาน"


@pytest.fixture
def seed(khao_thong):
    report_import(source=SEED_FILE, organization=khao_thong, fiscal_year=2564)
    people = {}
    for name, role in (
        ("working", Role.WORKING_GROUP),
        ("auditor", Role.AUDITOR),
        ("chief", Role.CHIEF_EXECUTIVE),
    ):
        people[name] = UserFactory(username=name)
        MembershipFactory(user=people[name], organization=khao_thong, role=role)
    return people


def _title_proposal(number):
    return SpacingProposal.objects.get(measure__number=number, part="title")


def test_spacing_review_shows_each_removed_space_to_the_working_group(client, seed):
    # given
    client.force_login(seed["working"])

    # when
    page = client.get(REVIEW).content.decode()
    home = client.get(reverse("workflow:home")).content.decode()

    # then: the diff marks the removed spaces, and the person may accept
    assert "ตรวจสอบช่องว่างจากการตัดบรรทัดของ PDF" in page
    assert 'class="space-removed"' in page
    assert TITLE_1 in page  # what the title becomes
    assert "ยอมรับข้อเสนอทั้งรายงาน (๖๔ รายการ)" in page
    assert page.count("ยอมรับรายการนี้") == 14  # 7 measures and 7 result reports
    assert "ที่ต้องตรวจสอบช่องว่างจากการตัดบรรทัดของ PDF" in home
    assert "วิธีการดำเนินการ ๑" in page and "ข้อเสนอแนะ ๑" in page  # lines named as in the report
    assert not any(code in page for code in ("recommendation", "result_report", "pending"))


def test_spacing_review_is_read_only_for_an_auditor_and_refuses_their_post(client, seed):
    # given
    client.force_login(seed["auditor"])
    proposal = _title_proposal(1)

    # when
    page = client.get(REVIEW).content.decode()
    response = client.post(DECIDE, {"proposal": proposal.pk, "decision": "accept"}, follow=True)

    # then
    assert "ยอมรับรายการนี้" not in page and "ยอมรับข้อเสนอทั้งรายงาน" not in page
    assert 'class="space-removed"' in page
    assert "ท่านไม่มีสิทธิ์ดำเนินการนี้" in response.content.decode()
    assert Measure.objects.get(number=1).title == proposal.found
    assert SpacingProposal.objects.filter(status="pending").count() == 64


def test_spacing_review_anonymous_and_other_organizations_see_nothing(client, seed):
    # given someone of another organization
    stranger = UserFactory(username="stranger")
    MembershipFactory(user=stranger, role=Role.WORKING_GROUP)

    # when / then
    assert client.get(REVIEW).status_code == 302  # to the login page
    client.force_login(stranger)
    page = client.get(REVIEW).content.decode()
    assert "ไม่มีข้อความที่นำเข้ารอการตรวจสอบช่องว่าง" in page
    client.post(DECIDE, {"proposal": _title_proposal(1).pk, "decision": "accept"})
    assert SpacingProposal.objects.filter(status="pending").count() == 64


def test_spacing_decide_one_item_then_the_whole_report(client, seed):
    # given
    client.force_login(seed["working"])
    item_1 = SpacingProposal.objects.filter(measure__number=1, result_report=None)

    # when the working group accepts measure 1 alone
    response = client.post(
        DECIDE,
        {"proposal": [p.pk for p in item_1], "decision": "accept", "year": 2564},
        follow=True,
    )

    # then only its proposals are accepted, and the message says how many in Thai digits
    assert Measure.objects.get(number=1).title == TITLE_1
    assert set(item_1.values_list("status", flat=True)) == {"accepted"}
    assert f"แก้ไขช่องว่างแล้ว {len(item_1)} ข้อความ".replace("5", "๕") in (response.content.decode())
    measure_page = client.get(reverse("workflow:measure-detail", args=[item_1[0].measure_id]))
    assert SPACING_REASON in measure_page.content.decode()

    # when it accepts all the rest
    client.post(DECIDE, {"scope": "all", "decision": "accept", "year": 2564})

    # then nothing waits any more
    assert not SpacingProposal.objects.filter(status="pending").exists()
    assert "ไม่มีข้อความที่นำเข้ารอการตรวจสอบช่องว่าง" in client.get(REVIEW).content.decode()


def test_spacing_decide_a_correction_that_changes_a_word_is_refused(client, seed):
    # given
    client.force_login(seed["working"])
    proposal = _title_proposal(1)

    # when
    response = client.post(
        DECIDE,
        {"proposal": proposal.pk, "decision": "accept", f"text-{proposal.pk}": "ข้อความอื่น"},
        follow=True,
    )

    # then
    assert response.status_code == 200
    assert "ข้อมูลไม่ถูกต้อง" in response.content.decode()
    assert Measure.objects.get(number=1).title == proposal.found


def test_spacing_decide_keep_as_imported(client, seed):
    # given
    client.force_login(seed["working"])
    proposal = _title_proposal(3)

    # when
    client.post(DECIDE, {"proposal": proposal.pk, "decision": "dismiss"})

    # then
    proposal.refresh_from_db()
    assert proposal.status == "dismissed"
    assert Measure.objects.get(number=3).title == proposal.found


def test_spacing_review_in_english(client, seed):
    # given
    client.force_login(seed["working"])
    client.cookies["django_language"] = "en"

    # when
    page = client.get(REVIEW, HTTP_ACCEPT_LANGUAGE="en").content.decode()

    # then
    assert "Spaces from the PDF&#x27;s line wraps" in page or "Spaces from the PDF's" in page
    assert "Accept all 64 proposals of the whole report" in page
