"""The organization admin's pages: divisions, people by invitation, roles and delegations,
all written by the services (audited), their refusals shown at the form."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from approvals.models import Delegation, Membership, Role
from tests.factories import DivisionFactory, MembershipFactory, UserFactory
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

    # when they invite a division head by e-mail
    with django_capture_on_commit_callbacks(execute=True):
        response = as_user(admin).post(
        reverse("organization:people"),
            {"first_name": "สมหญิง", "last_name": "รักงาน", "email": "somying@khaothong.go.th",
             "role": Role.DIVISION_HEAD, "division_ids": [division.pk]},
        )  # fmt: skip

    # then the person exists with the role and its division, and gets a one-time link
    assert response.status_code == 302
    person = get_user_model().objects.get(email="somying@khaothong.go.th")
    membership = Membership.objects.get(user=person, organization=organization)
    assert membership.role == Role.DIVISION_HEAD
    assert list(membership.divisions.all()) == [division]
    assert membership.history.filter(history_user=admin).exists()
    (message,) = mail.outbox
    link = re.search(r"https?://\S+/accounts/password/reset/\S+/", message.body).group(0)
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


def test_a_division_head_without_a_division_is_refused_and_explained(office):
    _people, _division, admin = office

    response = as_user(admin).post(
        reverse("organization:people"),
        {"first_name": "สมหญิง", "email": "somying@khaothong.go.th", "role": Role.DIVISION_HEAD},
    )

    page = response.content.decode()
    assert response.status_code == 200
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
