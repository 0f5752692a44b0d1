"""The report's opening paragraph as a workflow item: who moves it, what the public sees of
it (page, PDF, the as-of report), and its audited history."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from approvals.exceptions import NotPermitted, ReasonRequired
from approvals.models import Role
from approvals.services import transition_perform
from audit import chain
from tests.factories import MembershipFactory, UserFactory
from tests.test_public_document import download, flat, pdf_text
from tests.web_helpers import SEED_MEASURES, published_report
from workflow.models import Action, FiscalYear, IntroductionPublication, ReportIntroduction, State
from workflow.services import report_introduction_update

FIRST = "ตามที่ได้ดำเนินการวิเคราะห์ผลการประเมิน ITA ประจำปีงบประมาณ พ.ศ. ๒๕๖๓ แล้ว"
SECOND = "ข้อความนำฉบับปรับปรุง ตามมติคณะทำงาน ครั้งที่ ๒/๒๕๖๔"


def world(organization):
    """A published one-measure report, its people and a second working group member."""
    people, _round, _items = published_report(
        organization, measures=SEED_MEASURES[:1], with_results=False
    )
    reviewer = UserFactory(username="working2", first_name="Working2")
    MembershipFactory(user=reviewer, organization=organization, role=Role.WORKING_GROUP)
    people.reviewer = reviewer
    return people


def draft(organization, people, text=FIRST, version=None) -> ReportIntroduction:
    return report_introduction_update(
        organization=organization, fiscal_year=FiscalYear.objects.get(year=2564),
        actor=people.working, text=text, expected_version=version,
    )  # fmt: skip


def walk(introduction, people, *, to=State.PUBLISHED) -> None:
    steps = [
        (Action.SUBMIT, people.working, State.SUBMITTED),
        (Action.REVIEW, people.reviewer, State.REVIEWED),
        (Action.APPROVE, people.chief, State.APPROVED),
        (Action.PUBLISH, people.publisher, State.PUBLISHED),
    ]
    for action, actor, reached in steps:
        transition_perform(item=introduction, action=action, actor=actor)
        if reached == to:
            return


def state_of(introduction) -> str:
    return ReportIntroduction.objects.get(pk=introduction.pk).state


def refused(introduction, action, actor, **kwargs) -> bool:
    try:
        transition_perform(item=introduction, action=action, actor=actor, **kwargs)
    except NotPermitted:
        return True
    return False


# --- who may move it --------------------------------------------------------------------------


@pytest.mark.django_db
def test_transition_perform_moves_the_opening_paragraph_only_by_each_step_role(organization):
    # given a drafted opening paragraph written by the working group
    people = world(organization)
    introduction = draft(organization, people)
    outsider = UserFactory()

    # then only the working group submits it
    for who in (people.head, people.chief, people.publisher, people.auditor, outsider):
        assert refused(introduction, Action.SUBMIT, who)
    transition_perform(item=introduction, action=Action.SUBMIT, actor=people.working)
    assert state_of(introduction) == State.SUBMITTED

    # and another working group member reviews it, never the one who submitted it
    for who in (people.working, people.head, people.chief, people.publisher, people.auditor):
        assert refused(introduction, Action.REVIEW, who)
    transition_perform(item=introduction, action=Action.REVIEW, actor=people.reviewer)

    # and the chief executive approves it, not the reviewer nor the submitter
    for who in (people.reviewer, people.working, people.head, people.publisher, people.auditor):
        assert refused(introduction, Action.APPROVE, who)
    transition_perform(item=introduction, action=Action.APPROVE, actor=people.chief)

    # and the publisher publishes it
    for who in (people.chief, people.working, people.head, people.auditor):
        assert refused(introduction, Action.PUBLISH, who)
    transition_perform(item=introduction, action=Action.PUBLISH, actor=people.publisher)
    assert state_of(introduction) == State.PUBLISHED
    assert IntroductionPublication.objects.get().text == FIRST

    # and the working group opens its next revision, nobody else
    for who in (people.head, people.chief, people.publisher, people.auditor):
        assert refused(introduction, Action.REVISE, who)
    transition_perform(item=introduction, action=Action.REVISE, actor=people.working)
    assert ReportIntroduction.objects.get(pk=introduction.pk).revision == 2


@pytest.mark.django_db
def test_transition_perform_returns_the_opening_paragraph_with_reason_submitter_withdraws(
    organization,
):
    # given a submitted opening paragraph
    people = world(organization)
    introduction = draft(organization, people)
    transition_perform(item=introduction, action=Action.SUBMIT, actor=people.working)

    # when another member withdraws it, then it is refused; the submitter may
    assert refused(introduction, Action.WITHDRAW, people.reviewer)
    transition_perform(item=introduction, action=Action.WITHDRAW, actor=people.working)
    assert state_of(introduction) == State.DRAFTED

    # when it is submitted again and returned without a reason, then it is refused
    transition_perform(item=introduction, action=Action.SUBMIT, actor=people.working)
    with pytest.raises(ReasonRequired):
        transition_perform(item=introduction, action=Action.RETURN, actor=people.reviewer)
    transition_perform(
        item=introduction, action=Action.RETURN, actor=people.reviewer, comment="ขอแก้ปีงบประมาณ"
    )

    # then it is a draft again, which the working group may edit
    assert state_of(introduction) == State.DRAFTED
    version = ReportIntroduction.objects.get(pk=introduction.pk).version
    edited = draft(organization, people, FIRST + " แก้ไข", version=version)
    assert edited.text.endswith("แก้ไข")


@pytest.mark.django_db
def test_opening_paragraph_is_not_edited_outside_its_draft(organization):
    from approvals.exceptions import NotEditable

    # given a submitted opening paragraph
    people = world(organization)
    introduction = draft(organization, people)
    transition_perform(item=introduction, action=Action.SUBMIT, actor=people.working)

    # when the working group edits it, then it is refused
    with pytest.raises(NotEditable):
        draft(organization, people, SECOND, version=introduction.version + 1)
    # and a division head never writes it
    with pytest.raises(NotPermitted):
        report_introduction_update(
            organization=organization, fiscal_year=introduction.fiscal_year, actor=people.head,
            text=SECOND, expected_version=None,
        )  # fmt: skip


# --- what the public sees ---------------------------------------------------------------------


@pytest.mark.django_db
def test_public_page_and_pdf_show_the_published_paragraph_not_a_newer_draft(
    client, organization, tmp_path, django_capture_on_commit_callbacks
):
    # given an opening paragraph written, and a page and PDF before it is published
    people = world(organization)
    introduction = draft(organization, people)
    url = reverse("public:report", args=[organization.slug, 2564])
    walk(introduction, people, to=State.APPROVED)
    assert FIRST not in client.get(url).content.decode()  # approved, not yet published

    # when it is published, then revised and edited, and the edit approved but not published
    transition_perform(item=introduction, action=Action.PUBLISH, actor=people.publisher)
    transition_perform(item=introduction, action=Action.REVISE, actor=people.working)
    introduction = ReportIntroduction.objects.get(pk=introduction.pk)
    draft(organization, people, SECOND, version=introduction.version)
    walk(introduction, people, to=State.APPROVED)

    # then the page and the PDF's text layer show the published text above the table, not the edit
    page = client.get(url).content.decode()
    assert FIRST in page and SECOND not in page
    assert page.index(FIRST) < page.index('<table class="report">')
    text = flat(pdf_text(download(client, "public:report-pdf", organization), tmp_path))
    assert flat(FIRST) in text and flat(SECOND) not in text

    # when the edit is published (the stored files made again after commit), then both show it
    with django_capture_on_commit_callbacks(execute=True):
        transition_perform(item=introduction, action=Action.PUBLISH, actor=people.publisher)
    page = client.get(url).content.decode()
    assert SECOND in page and FIRST not in page
    text = flat(pdf_text(download(client, "public:report-pdf", organization), tmp_path))
    assert flat(SECOND) in text and flat(FIRST) not in text


@pytest.mark.django_db
def test_year_without_a_published_paragraph_shows_none(client, organization):
    # given a published report whose opening paragraph is only drafted
    people = world(organization)
    draft(organization, people)

    # when
    page = client.get(reverse("public:report", args=[organization.slug, 2564])).content.decode()

    # then
    assert FIRST not in page and 'class="introduction"' not in page


@pytest.mark.django_db
def test_as_of_report_before_a_revision_shows_the_paragraph_published_then(client, organization):
    # given a paragraph published ten days ago (with the report), then revised and published now
    people = world(organization)
    introduction = draft(organization, people)
    walk(introduction, people)
    ten_days_ago = timezone.now() - dt.timedelta(days=10)
    IntroductionPublication.objects.update(published_at=ten_days_ago)
    from workflow.models import Publication

    Publication.objects.update(published_at=ten_days_ago)
    transition_perform(item=introduction, action=Action.REVISE, actor=people.working)
    introduction = ReportIntroduction.objects.get(pk=introduction.pk)
    draft(organization, people, SECOND, version=introduction.version)
    walk(introduction, people)
    client.force_login(people.auditor)
    url = reverse("audit:as-of", args=[organization.slug])
    before = (timezone.localtime() - dt.timedelta(days=5)).strftime("%Y-%m-%dT%H:%M")

    # when the auditor asks for the report five days ago, and now
    then_page = client.get(url, {"year": 2564, "at": before}).content.decode()
    now_page = client.get(url, {"year": 2564}).content.decode()

    # then the report of five days ago has the old text, today's the new one
    assert FIRST in then_page and SECOND not in then_page
    assert SECOND in now_page and FIRST not in now_page


# --- its pages ----------------------------------------------------------------------------------


def page_of(client, organization, user) -> str:
    client.force_login(user)
    response = client.get(reverse("workflow:introduction-edit", args=[organization.slug, 2564]))
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.django_db
def test_opening_paragraph_page_offers_each_role_its_own_step(client, organization):
    # given a drafted opening paragraph
    people = world(organization)
    introduction = draft(organization, people)

    # then the working group may edit and submit it; the division head only reads it
    page = page_of(client, organization, people.working)
    assert "<textarea" in page and 'data-action="submit"' in page
    page = page_of(client, organization, people.head)
    assert FIRST in page and 'name="text"' not in page and "data-action=" not in page

    # when it is submitted, then the other member may review or return it, not the submitter
    transition_perform(item=introduction, action=Action.SUBMIT, actor=people.working)
    assert 'data-action="review"' not in page_of(client, organization, people.working)
    page = page_of(client, organization, people.reviewer)
    assert 'data-action="review"' in page and 'data-action="return"' in page

    # when reviewed, the chief executive approves; when approved, the publisher publishes
    transition_perform(item=introduction, action=Action.REVIEW, actor=people.reviewer)
    assert 'data-action="approve"' in page_of(client, organization, people.chief)
    assert "data-action=" not in page_of(client, organization, people.publisher)
    transition_perform(item=introduction, action=Action.APPROVE, actor=people.chief)
    page = page_of(client, organization, people.publisher)
    assert 'data-action="publish"' in page and "ปฏิบัติราชการแทน" not in page


@pytest.mark.django_db
def test_opening_paragraph_transition_through_the_page_is_checked_on_the_server(
    client, organization
):
    # given a drafted opening paragraph
    people = world(organization)
    introduction = draft(organization, people)
    url = reverse("workflow:transition", args=["introduction", introduction.pk])
    data = {"action": "submit", "version": introduction.version}

    # when the division head posts the submit, then it is refused and nothing moves
    client.force_login(people.head)
    assert client.post(url, data).status_code == 403
    assert state_of(introduction) == State.DRAFTED

    # when someone of another organization posts it, then it is not found
    client.force_login(UserFactory())
    assert client.post(url, data).status_code == 404

    # when the working group posts it, then it is submitted and they are back on its page
    client.force_login(people.working)
    response = client.post(url, data)
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "workflow:introduction-edit", args=[organization.slug, 2564]
    )
    assert state_of(introduction) == State.SUBMITTED

    # when the reviewer returns it with a reason, then the page shows the returned banner
    client.force_login(people.reviewer)
    client.post(url, {"action": "return", "version": introduction.version + 1,
                      "comment": "ขอแก้ปีงบประมาณให้ถูกต้อง"})  # fmt: skip
    page = page_of(client, organization, people.working)
    assert "ขอแก้ปีงบประมาณให้ถูกต้อง" in page and 'class="card returned"' in page

    # and the link in notifications leads to the page
    link = reverse("approvals:item", args=["introduction", introduction.pk])
    assert (
        client.get(link, follow=True)
        .redirect_chain[-1][0]
        .endswith(reverse("workflow:introduction-edit", args=[organization.slug, 2564]))
    )


@pytest.mark.django_db
def test_opening_paragraph_form_sent_back_with_errors_answers_400_and_keeps_the_text(
    client, organization
):
    # given a drafted opening paragraph
    people = world(organization)
    introduction = draft(organization, people)
    client.force_login(people.working)
    url = reverse("workflow:introduction-edit", args=[organization.slug, 2564])

    # when a text too long is sent
    response = client.post(url, {"text": "ก" * 5001, "version": introduction.version})

    # then
    assert response.status_code == 400
    assert "ข้อความนำยาวเกินกำหนด" in response.content.decode()
    assert "ก" * 5001 in response.content.decode()


# --- its history --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_auditor_timeline_shows_the_paragraph_changes_readably_and_the_chain_verifies(
    client, organization
):
    # given a paragraph published, revised, edited and returned
    people = world(organization)
    introduction = draft(organization, people)
    walk(introduction, people)
    transition_perform(item=introduction, action=Action.REVISE, actor=people.working)
    introduction = ReportIntroduction.objects.get(pk=introduction.pk)
    draft(organization, people, SECOND, version=introduction.version)
    transition_perform(item=introduction, action=Action.SUBMIT, actor=people.working)
    transition_perform(
        item=introduction, action=Action.RETURN, actor=people.reviewer, comment="ขอแก้ถ้อยคำ"
    )

    # when the auditor opens its timeline and the organization log
    client.force_login(people.auditor)
    timeline = client.get(
        reverse("audit:timeline", args=[organization.slug, "introductions", introduction.pk])
    )
    log = client.get(reverse("audit:home", args=[organization.slug])).content.decode()

    # then the timeline tells each step and the changed words, with no internal codes
    assert timeline.status_code == 200
    page = timeline.content.decode()
    assert "ข้อความนำของรายงาน" in page
    for words in ("ส่ง", "อนุมัติ", "เผยแพร่", "ขอแก้ถ้อยคำ", "ฉบับปรับปรุง"):
        assert words in page, words
    for code in ("drafted", "submitted", "working_group", "reportintroduction", "return:"):
        assert code not in page, code
    # and the log names the paragraph and links to its timeline
    assert "ข้อความนำของรายงาน" in log
    # and the chain verifies
    assert chain.verify(organization.pk).ok


# --- the API and the year page ------------------------------------------------------------------


@pytest.mark.django_db
def test_opening_paragraph_api_takes_each_step_only_from_its_role(organization):
    from rest_framework.test import APIClient

    # given a drafted opening paragraph
    people = world(organization)
    introduction = draft(organization, people)
    base = f"/api/v1/introductions/{introduction.pk}"

    def api(user):
        client = APIClient()
        client.force_authenticate(user)
        return client

    # when the division head asks for its actions and submits, then nothing is offered or done
    assert api(people.head).get(f"{base}/actions/").json()["actions"] == []
    submitted = api(people.head).post(f"{base}/transitions/submit/", {}, format="json")
    assert submitted.status_code == 403
    # and someone of another organization does not find it
    assert api(UserFactory()).get(f"{base}/actions/").status_code == 404

    # when the working group asks, then it may submit and edit; and it submits
    offered = api(people.working).get(f"{base}/actions/").json()
    assert offered["actions"] == ["submit"] and offered["editable"] == ["introduction"]
    response = api(people.working).post(f"{base}/transitions/submit/", {}, format="json")
    assert response.status_code == 200 and state_of(introduction) == State.SUBMITTED

    # and a publication at a later moment is refused: it is published at once
    later = (timezone.now() + dt.timedelta(days=1)).isoformat()
    refused_later = api(people.publisher).post(
        f"{base}/transitions/publish/", {"publish_at": later}, format="json"
    )
    assert refused_later.status_code == 400


@pytest.mark.django_db
def test_year_page_links_to_the_opening_paragraph_with_its_state(client, organization):
    # given a drafted opening paragraph
    people = world(organization)
    draft(organization, people)

    # when the chief executive opens the year page
    client.force_login(people.chief)
    page = client.get(reverse("workflow:year", args=[2564])).content.decode()

    # then it links to the paragraph's page and says its state
    assert reverse("workflow:introduction-edit", args=[organization.slug, 2564]) in page
    assert "ข้อความนำ" in page


# --- the migration of the paragraphs written before -------------------------------------------


@pytest.mark.django_db
def test_migration_keeps_what_the_public_saw_of_the_paragraphs_written_before(organization):
    import importlib

    from django.apps import apps

    from workflow.models import Publication

    migration = importlib.import_module("workflow.migrations.0009_i16b_introduction_workflow")
    # given a paragraph frozen by the measures' publications as the public saw it (the old way)
    people = world(organization)
    introduction = draft(organization, people)
    publication = Publication.objects.get()
    Publication.objects.update(content={**publication.content, "introduction": FIRST})
    ReportIntroduction.objects.filter(pk=introduction.pk).update(state=State.DRAFTED, revision=1)

    # when the migration's data step runs
    migration.introductions_into_the_workflow(apps, None)

    # then the paragraph is published, as of the publication that showed it
    migrated = ReportIntroduction.objects.get(pk=introduction.pk)
    assert (migrated.state, migrated.revision) == (State.PUBLISHED, 1)
    (copy,) = IntroductionPublication.objects.all()
    assert copy.text == FIRST and copy.published_at == publication.published_at


@pytest.mark.django_db
def test_migration_makes_a_paragraph_edited_since_a_draft_of_its_next_revision(organization):
    import importlib

    from django.apps import apps

    from workflow.models import Publication

    migration = importlib.import_module("workflow.migrations.0009_i16b_introduction_workflow")
    # given a paragraph the public saw as FIRST and edited since to SECOND
    people = world(organization)
    introduction = draft(organization, people, SECOND)
    publication = Publication.objects.get()
    Publication.objects.update(content={**publication.content, "introduction": FIRST})

    # when
    migration.introductions_into_the_workflow(apps, None)

    # then the public keeps FIRST, and SECOND is the draft of revision 2
    migrated = ReportIntroduction.objects.get(pk=introduction.pk)
    assert (migrated.state, migrated.revision) == (State.DRAFTED, 2)
    assert IntroductionPublication.objects.get().text == FIRST


# --- the admin ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_admin_moves_the_opening_paragraph_only_through_the_role_checks(client, organization):
    # given a drafted paragraph and the platform operator, first with no role in the organization
    people = world(organization)
    introduction = draft(organization, people)
    operator = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(operator)
    url = reverse("admin:workflow_reportintroduction_changelist")
    submit = {"action": "transition_submit", "_selected_action": [introduction.pk]}

    # when they submit it from the admin, then it is refused and nothing moves
    assert client.get(url).status_code == 200
    assert "ไม่มีสิทธิ์" in client.post(url, submit, follow=True).content.decode()
    assert state_of(introduction) == State.DRAFTED
    # and the admin edits nothing directly
    change = reverse("admin:workflow_reportintroduction_change", args=[introduction.pk])
    client.post(change, {"text": SECOND})
    assert ReportIntroduction.objects.get(pk=introduction.pk).text == FIRST

    # when they are a working group member, then the admin's submit goes through the service
    MembershipFactory(user=operator, organization=organization, role=Role.WORKING_GROUP)
    client.post(url, submit)
    assert state_of(introduction) == State.SUBMITTED


@pytest.mark.django_db
def test_opening_paragraph_is_never_scheduled_from_the_page(client, organization):
    # given an approved opening paragraph and its publisher
    people = world(organization)
    introduction = draft(organization, people)
    walk(introduction, people, to=State.APPROVED)
    client.force_login(people.publisher)
    url = reverse("workflow:publication-schedule", args=["introduction", introduction.pk])

    # when the publisher posts a schedule for it anyway
    response = client.post(url, {"publish_at": "01/01/2580 09:00"})

    # then it is refused, not a server error, and nothing is scheduled or published
    assert response.status_code in (302, 400, 409)
    assert state_of(introduction) == State.APPROVED
