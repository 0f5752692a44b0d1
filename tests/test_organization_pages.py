"""The organization admin's pages: divisions, people by invitation, roles and delegations,
all written by the services (audited), their refusals shown at the form."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from approvals import delivery, services
from approvals.exceptions import NotPermitted
from approvals.models import (
    Delegation,
    DeliveryStatus,
    Membership,
    NotificationKind,
    OutboxMessage,
    Position,
    Role,
)
from tests.factories import DivisionFactory, MembershipFactory, OrganizationFactory, UserFactory
from tests.web_helpers import as_user, people_of
from workflow.models import Division

pytestmark = pytest.mark.django_db


@pytest.fixture
def office(organization):
    division = DivisionFactory(organization=organization, name="สำนักปลัด")
    people = people_of(organization, division)
    admin = UserFactory(username="admin-org", first_name="วิไล", last_name="ดูแลระบบ")
    MembershipFactory(user=admin, organization=organization, role=Role.ADMIN)
    return people, division, admin


def test_only_the_organization_admin_opens_the_pages(office):
    people, _division, admin = office
    assert (
        reverse("organization:home")
        in as_user(admin).get(reverse("workflow:home")).content.decode()
    )
    for url in ("organization:divisions", "organization:people", "organization:delegations"):
        assert as_user(admin).get(reverse(url)).status_code == 200
        assert as_user(people.chief).get(reverse(url)).status_code == 404


def test_admin_adds_renames_and_retires_a_division_with_history(office, organization):
    _people, division, admin = office
    client = as_user(admin)

    client.post(reverse("organization:divisions"), {"name": "กองคลัง"})
    twice = client.post(reverse("organization:divisions"), {"name": "กอง คลัง"})
    client.post(reverse("organization:division-change", args=[division.pk]), {"active": "0"})

    assert Division.objects.filter(organization=organization, name="กองคลัง").exists()
    assert "หน่วยงานนี้มีกอง/สำนักดังกล่าวอยู่แล้ว" in twice.content.decode()
    assert 'value="กอง คลัง"' in twice.content.decode()  # what was typed stays
    division.refresh_from_db()
    assert division.is_active is False
    assert division.history.filter(history_user=admin).exists()


def test_admin_invites_a_person_who_sets_a_password_through_the_link(
    office, organization, client, django_capture_on_commit_callbacks
):
    # given the admin
    _people, division, admin = office

    # when they invite a division head by e-mail, with her position
    with django_capture_on_commit_callbacks(execute=False) as after_commit:
        response = as_user(admin).post(
            reverse("organization:people"),
            {"first_name": "สมหญิง", "last_name": "รักงาน", "email": "somying@khaothong.go.th",
             "position": "ผู้อำนวยการกองคลัง", "role": Role.DIVISION_HEAD,
             "division_ids": [division.pk]},
        )  # fmt: skip

    # then the person exists with the role, its division and the position
    assert response.status_code == 302
    person = get_user_model().objects.get(email="somying@khaothong.go.th")
    membership = Membership.objects.get(user=person, organization=organization)
    assert membership.role == Role.DIVISION_HEAD
    assert list(membership.divisions.all()) == [division]
    assert membership.history.filter(history_user=admin).exists()
    position = Position.objects.get(user=person, organization=organization)
    assert position.title == "ผู้อำนวยการกองคลัง"
    assert position.history.get().history_user == admin
    # and the invitation waits in the outbox, handed to the workers only after commit
    assert mail.outbox == []
    (message,) = OutboxMessage.objects.filter(recipient=person, kind=NotificationKind.INVITATION)
    assert message.status == DeliveryStatus.PENDING
    assert after_commit, "the hand-over to the workers waits for the commit"
    assert "token" not in str(message.payload) and "/reset/" not in str(message.payload)

    # when the worker's task runs, and runs again (a redelivered task)
    first = delivery.outbox_send(message_id=message.pk)
    again = delivery.outbox_send(message_id=message.pk)

    # then one e-mail, with a stable Message-ID and the one-time link
    assert (first.outcome, again.outcome) == (delivery.Outcome.SENT, delivery.Outcome.SKIPPED)
    (email,) = mail.outbox
    assert email.to == ["somying@khaothong.go.th"]
    assert email.extra_headers["Message-ID"] == delivery.message_id_for(
        f"invitation:{organization.pk}:{person.pk}"
    )
    assert "ผู้อำนวยการกองคลัง" in email.body and "หัวหน้าส่วนราชการ" in email.body
    link = re.search(r"https?://\S+/accounts/password/reset/\S+/", email.body).group(0)
    assert link in email.alternatives[0][0]
    path = link.split("testserver", 1)[-1]
    form = client.get(path, follow=True)
    assert form.status_code == 200
    done = client.post(
        form.redirect_chain[-1][0] if form.redirect_chain else path,
        {"new_password1": "ขอบคุณ-2564-abc", "new_password2": "ขอบคุณ-2564-abc"},
    )
    assert done.status_code == 302
    person.refresh_from_db()
    assert person.check_password("ขอบคุณ-2564-abc")
    message.refresh_from_db()
    assert message.status == DeliveryStatus.SENT


def test_inviting_someone_who_has_an_account_sends_no_second_invitation(office, organization):
    _people, _division, admin = office
    known = UserFactory(email="known@khaothong.go.th")

    as_user(admin).post(
        reverse("organization:people"),
        {"first_name": "ก", "email": "known@khaothong.go.th", "role": Role.WORKING_GROUP},
    )

    assert Membership.objects.filter(user=known, role=Role.WORKING_GROUP).exists()
    assert not OutboxMessage.objects.filter(kind=NotificationKind.INVITATION).exists()


def test_admin_sets_changes_and_clears_a_position_with_history(office, organization):
    # given a division head of the organization
    people, _division, admin = office
    MembershipFactory(user=people.head, organization=organization, role=Role.WORKING_GROUP)
    client = as_user(admin)
    url = reverse("organization:position-change", args=[people.head.pk])

    # when the admin sets her position, changes it, then clears it
    client.post(url, {"position": "  ผู้อำนวยการ  กองคลัง "})
    shown = client.get(reverse("organization:people")).content.decode()
    client.post(url, {"position": "ปลัดองค์การบริหารส่วนตำบล"})
    client.post(url, {"position": "ปลัดองค์การบริหารส่วนตำบล"})  # no change: no history row
    client.post(url, {"position": ""})

    # then the page showed it, and every version is in the history with who changed it
    assert "ผู้อำนวยการ กองคลัง" in shown
    assert not Position.objects.filter(user=people.head).exists()
    versions = Position.history.filter(user_id=people.head.pk).order_by("history_date")
    assert [(v.history_type, v.title) for v in versions] == [
        ("+", "ผู้อำนวยการ กองคลัง"), ("~", "ปลัดองค์การบริหารส่วนตำบล"),
        ("-", "ปลัดองค์การบริหารส่วนตำบล"),
    ]  # fmt: skip
    assert {v.history_user for v in versions} == {admin}


def test_only_the_organizations_admin_sets_a_position(office, organization):
    # given the organization's people, and an admin of another organization
    people, _division, admin = office
    other = OrganizationFactory(slug="ban-mai")
    other_admin = MembershipFactory(organization=other, role=Role.ADMIN).user
    outsider = MembershipFactory(organization=other, role=Role.WORKING_GROUP).user
    url = reverse("organization:position-change", args=[people.head.pk])

    # when every other role tries, and the other organization's admin tries
    for person in (people.head, people.working, people.chief, people.publisher, people.auditor):
        response = as_user(person).post(url, {"position": "นายก"})
        assert response.status_code == 404, person
    assert as_user(other_admin).post(url, {"position": "นายก"}).status_code == 404
    # nor may the admin name a person of another organization through the service
    with pytest.raises(NotPermitted):
        services.position_set(organization=organization, actor=admin, user=outsider, title="x")
    with pytest.raises(NotPermitted):
        services.position_set(organization=other, actor=admin, user=people.head, title="x")

    # then nothing was recorded
    assert not Position.objects.exists()
    assert not Position.history.exists()


def test_a_position_with_a_nul_or_too_long_is_refused_and_said(office):
    people, _division, admin = office
    url = reverse("organization:position-change", args=[people.head.pk])

    nul = as_user(admin).post(url, {"position": "ปลัด\x00"}, follow=True)
    long = as_user(admin).post(url, {"position": "ก" * 201}, follow=True)

    assert nul.status_code in (200, 400) and long.status_code == 200
    assert not Position.objects.exists()
    assert "200" in long.content.decode() or "๒๐๐" in long.content.decode()


def test_a_division_head_without_a_division_is_refused_and_explained(office):
    _people, _division, admin = office

    response = as_user(admin).post(
        reverse("organization:people"),
        {"first_name": "สมหญิง", "email": "somying@khaothong.go.th", "role": Role.DIVISION_HEAD},
    )

    page = response.content.decode()
    assert response.status_code == 400
    assert "หัวหน้าส่วนราชการต้องมีกอง/สำนักที่รับผิดชอบ" in page
    assert 'value="somying@khaothong.go.th"' in page


def test_admin_gives_a_delegation_and_revokes_it(office, organization):
    people, _division, admin = office
    client = as_user(admin)

    response = client.post(
        reverse("organization:delegations"),
        {"deputy": people.working.pk, "start_day": 1, "start_month": 1, "start_year": 2600,
         "end_day": 15, "end_month": 1, "end_year": 2600, "reason": "คำสั่งที่ ๑/๒๖๐๐"},
    )  # fmt: skip
    delegation = Delegation.objects.get(organization=organization)
    client.post(reverse("organization:delegation-revoke", args=[delegation.pk]))

    assert response.status_code == 302
    assert delegation.delegator == people.chief and delegation.deputy == people.working
    delegation.refresh_from_db()
    assert delegation.revoked_at is not None
    assert delegation.history.filter(history_user=admin).count() == 2


def test_admin_cannot_end_their_own_admin_role_and_is_told_why(office, organization):
    _people, _division, admin = office
    own = Membership.objects.get(user=admin, role=Role.ADMIN)

    response = as_user(admin).post(
        reverse("organization:role-end", args=[own.pk]), {"active": "0"}, follow=True
    )

    own.refresh_from_db()
    assert own.is_active is True
    assert "ผู้ดูแลระบบไม่สามารถยกเลิกบทบาทผู้ดูแลระบบของตนเองได้" in response.content.decode()
