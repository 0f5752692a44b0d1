"""The inbox over the API and as a page."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from approvals.models import EmailMode, Notification, NotificationPreference, Role
from approvals.services import transition_perform
from tests.factories import MeasureFactory, MembershipFactory, UserFactory
from workflow.models import Action

pytestmark = pytest.mark.django_db


@pytest.fixture
def member_with_two_entries():
    measure = MeasureFactory()
    org = measure.organization
    head = MembershipFactory(
        organization=org, role=Role.DIVISION_HEAD, divisions=[measure.divisions.get()]
    ).user
    member = MembershipFactory(organization=org, role=Role.WORKING_GROUP).user
    transition_perform(item=measure, action=Action.SUBMIT, actor=head)
    transition_perform(item=measure, action=Action.WITHDRAW, actor=head)
    return member


def _client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_inbox_api_lists_newest_first_with_the_unread_count(member_with_two_entries):
    # when
    response = _client(member_with_two_entries).get("/api/v1/inbox/")

    # then
    assert response.status_code == 200
    assert response.data["count"] == 2
    assert response.data["unread_count"] == 2
    assert [r["action"] for r in response.data["results"]] == ["withdraw", "submit"]
    assert response.data["results"][0]["title_en"].startswith("Withdrawn")


def test_inbox_api_marks_one_and_all_read(member_with_two_entries):
    # given
    client = _client(member_with_two_entries)
    first = Notification.objects.filter(user=member_with_two_entries).first()

    # when / then
    assert client.post(f"/api/v1/inbox/{first.pk}/read/").data == {"unread_count": 1}
    assert client.get("/api/v1/inbox/?unread=true").data["count"] == 1
    assert client.post("/api/v1/inbox/read-all/").data == {"unread_count": 0}
    assert not Notification.objects.filter(
        user=member_with_two_entries, read_at__isnull=True
    ).exists()


def test_inbox_api_hides_other_peoples_entries(member_with_two_entries):
    # given
    stranger = UserFactory()
    entry = Notification.objects.filter(user=member_with_two_entries).first()

    # when
    response = _client(stranger).post(f"/api/v1/inbox/{entry.pk}/read/")

    # then
    assert response.status_code == 404
    assert _client(stranger).get("/api/v1/inbox/").data["count"] == 0
    assert APIClient().get("/api/v1/inbox/").status_code in (401, 403)


def test_inbox_api_reads_and_updates_preferences():
    # given
    user = UserFactory()
    client = _client(user)

    # when / then
    assert client.get("/api/v1/inbox/preferences/").data == {"email_mode": "immediate"}
    response = client.put("/api/v1/inbox/preferences/", {"email_mode": "digest"}, format="json")
    assert response.data == {"email_mode": "digest"}
    assert NotificationPreference.objects.get(user=user).email_mode == EmailMode.DIGEST
    bad = client.put("/api/v1/inbox/preferences/", {"email_mode": "sms"}, format="json")
    assert bad.status_code == 400


def test_inbox_page_shows_entries_and_marks_them_read(client, member_with_two_entries):
    # given
    client.force_login(member_with_two_entries)
    entry = Notification.objects.filter(user=member_with_two_entries, action="submit").get()

    # when
    page = client.get("/inbox/")
    follow = client.post(f"/inbox/{entry.pk}/read/", {"follow": "1"})

    # then
    assert page.status_code == 200
    assert entry.title in page.content.decode()
    assert follow.status_code == 302
    assert follow["Location"] == entry.url
    entry.refresh_from_db()
    assert entry.read_at is not None
    assert client.get(entry.url).status_code == 302  # on to the item's page
