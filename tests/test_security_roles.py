"""Issue 12, holes 2, 5 and 6: the organization admin is confined to its organization, roles
are never self-granted and every grant is told and recorded, divisions are retired."""

import datetime as dt
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.db.models import ProtectedError
from django.urls import reverse
from django.utils import timezone

from approvals.exceptions import NotPermitted
from approvals.models import Delegation, Membership, Notification, OutboxMessage, Role
from approvals.services import (
    delegation_create,
    delegation_revoke,
    membership_create,
    membership_update,
    transition_perform,
)
from audit.models import ChainEntry
from tests.factories import (
    DivisionFactory,
    MeasureFactory,
    MembershipFactory,
    ResultReportFactory,
    UserFactory,
)
from tests.test_api import assert_error, client_for
from workflow.models import Action, Division, Measure
from workflow.services import division_update

pytestmark = pytest.mark.django_db


# --- hole 2: platform operator and organization admin ----------------------------------


def test_seed_demo_makes_the_organization_admin_an_ordinary_account():
    # when
    call_command("seed_demo", stdout=StringIO())

    # then nobody of the demo is a superuser or may open the Django admin
    orgadmin = get_user_model().objects.get(username="orgadmin")
    assert (orgadmin.is_superuser, orgadmin.is_staff) == (False, False)
    assert orgadmin.memberships.get().role == Role.ADMIN
    assert not get_user_model().objects.filter(is_superuser=True).exists()


def test_an_organization_admin_gets_nothing_of_another_organization(world, client):
    # given the other organization's drafted measure, report and division
    other = world.other_organization
    division = other.divisions.get()
    measure = MeasureFactory(organization=other, fiscal_year=world.fiscal_year,
                             divisions=[division])  # fmt: skip
    report = ResultReportFactory(measure=measure)
    admin = world["admin"]
    client.force_login(admin)
    api = client_for(admin)

    # when / then: its pages, its audit trail, its API and the Django admin are closed
    for url in (
        reverse("workflow:measure-detail", args=[measure.pk]),
        reverse("workflow:result-report-detail", args=[report.pk]),
        reverse("audit:home", args=[other.slug]),
        reverse("audit:export", args=[other.slug, "csv"]),
        reverse("audit:timeline", args=[other.slug, "measure", measure.pk]),
        reverse("admin:index"),
        reverse("admin:workflow_measure_changelist"),
        reverse("admin:workflow_measure_change", args=[measure.pk]),
        reverse("admin:workflow_division_change", args=[division.pk]),
        reverse("admin:approvals_membership_changelist"),
        reverse("admin:workflow_organization_change", args=[other.pk]),
    ):
        assert client.get(url).status_code in (403, 404), url
    refused = client.get(reverse("admin:index"))
    assert "ไม่มีสิทธิ์เข้าถึงหน้านี้" in refused.content.decode()  # a page, in Thai
    for url in (
        f"/api/v1/measures/{measure.pk}/",
        f"/api/v1/result-reports/{report.pk}/",
        f"/api/v1/divisions/{division.pk}/",
        f"/api/v1/audit/{other.slug}/log/",
        f"/api/v1/audit/{other.slug}/as-of/?fiscal_year=2564&at=2021-01-01T00:00:00Z",
    ):
        assert api.get(url).status_code in (403, 404), url
    assert api.get("/api/v1/measures/").json()["count"] == 0
    assert not [m for m in api.get("/api/v1/memberships/").json()["results"]
                if m["organization"] == other.pk]  # fmt: skip
    # and it cannot give itself a role there, nor rename its division
    granted = api.post(
        "/api/v1/memberships/",
        {"organization": other.pk, "user": admin.pk, "role": "chief_executive"},
        format="json",
    )
    assert granted.status_code in (400, 403, 404)
    renamed = api.patch(f"/api/v1/divisions/{division.pk}/", {"name": "ยึด"}, format="json")
    assert renamed.status_code in (403, 404)
    assert not Membership.objects.filter(user=admin, organization=other).exists()
    assert Division.objects.get(pk=division.pk).name == division.name


def test_the_platform_operator_opens_the_django_admin_and_names_a_first_admin(world, client):
    # given a platform operator made as createsuperuser makes one
    operator = get_user_model().objects.create_superuser("operator", "ops@example.go.th", "x")
    client.force_login(operator)
    newcomer = UserFactory(username="newadmin")

    # when
    assert client.get(reverse("admin:index")).status_code == 200
    call_command(
        "role_grant", world.other_organization.slug, "newadmin", "admin", "--by", "operator",
        stdout=StringIO(),
    )  # fmt: skip

    # then the new admin holds the role, given by the operator, on the record
    membership = Membership.objects.get(user=newcomer, organization=world.other_organization)
    assert membership.role == Role.ADMIN
    assert membership.history.get().history_user == operator


# --- hole 5: separation of duties on roles and delegations -------------------------------


def test_the_admin_alone_can_no_longer_review_approve_and_publish(world):
    # given measures someone else submitted, and an admin set on doing everything alone
    admin = world["admin"]
    api = client_for(admin)
    measures = {
        action: MeasureFactory(
            organization=world.organization,
            fiscal_year=world.fiscal_year,
            divisions=[world.division],
            state=state,
            submitted_by=world["submitter"],
        )
        for action, state in (
            ("review", "submitted"),
            ("approve", "reviewed"),
            ("publish", "approved"),
        )
    }

    # when the admin tries to give itself the roles and a delegation
    for role in ("chief_executive", "working_group", "publisher"):
        response = api.post(
            "/api/v1/memberships/",
            {"organization": world.organization.pk, "user": admin.pk, "role": role},
            format="json",
        )
        assert_error(response, 403, "self_grant")
    delegated = api.post(
        "/api/v1/delegations/",
        {
            "organization": world.organization.pk, "delegator": world["chief"].pk,
            "deputy": admin.pk, "starts_at": "2026-01-01T00:00:00Z",
            "ends_at": "2099-01-01T00:00:00Z",
        },
        format="json",
    )  # fmt: skip

    # then each is refused, and it may take no step of the measure
    assert_error(delegated, 403, "self_grant")
    assert set(Membership.objects.filter(user=admin).values_list("role", flat=True)) == {"admin"}
    for action, measure in measures.items():
        with pytest.raises(NotPermitted):
            transition_perform(item=measure, action=action, actor=admin)
        assert Measure.objects.get(pk=measure.pk).state == measure.state


def test_the_reviewer_does_not_see_their_review_waiting_for_their_approval(world):
    # given the working group member also holds the chief's role and reviews a measure
    MembershipFactory(user=world["working_group"], organization=world.organization,
                      role=Role.CHIEF_EXECUTIVE)  # fmt: skip
    measure = world.measure()
    transition_perform(item=measure, action=Action.SUBMIT, actor=world["head"])
    transition_perform(item=measure, action=Action.REVIEW, actor=world["working_group"])

    # when they look at what waits for them
    queue = client_for(world["working_group"]).get("/api/v1/queue/").json()
    actions = client_for(world["working_group"]).get(f"/api/v1/measures/{measure.pk}/actions/")

    # then their own review is not there to approve, and approve is not offered
    assert measure.pk not in [e["id"] for e in queue if e["kind"] == "measure"]
    assert "approve" not in str(actions.json())
    assert Measure.objects.get(pk=measure.pk).reviewed_by == world["working_group"]


def told(title_part: str) -> dict:
    """Who was told, by inbox entry and by e-mail, of a grant whose title holds title_part."""
    entries = Notification.objects.filter(kind="grant", title__contains=title_part)
    mails = OutboxMessage.objects.filter(notification__in=entries)
    return {
        "inbox": {n.user.username for n in entries},
        "email": {m.recipient.username for m in mails},
    }


def test_every_grant_and_revocation_is_told_to_the_chief_and_the_admins_and_recorded(world):
    # given a second admin
    second_admin = UserFactory(username="admin2")
    MembershipFactory(user=second_admin, organization=world.organization, role=Role.ADMIN)
    admin = world["admin"]
    links = ChainEntry.objects.count()

    # when the admin gives the auditor the publisher's role, then ends it
    with_role = membership_create(
        organization=world.organization, actor=admin, user=world["auditor"], role=Role.PUBLISHER
    )
    membership_update(membership=with_role, actor=admin, is_active=False)

    # then the chief executive, the other admin and the person were told each time, by
    # inbox and e-mail, and never the one who did it
    expected = {"chief", "admin2", "auditor"}
    assert told("มอบบทบาท") == {"inbox": expected, "email": expected}
    assert told("ยกเลิกบทบาท") == {"inbox": expected, "email": expected}
    entry = Notification.objects.filter(kind="grant", user=world["chief"]).first()
    assert "auditor" in entry.title_en and "Publisher" in entry.title_en
    # and both are in the audit trail: who, why, and a link of the chain each
    history = with_role.history.order_by("history_date", "history_id")
    assert [(h.history_change_reason, h.history_user, h.is_active) for h in history] == [
        ("grant", admin, True),
        ("revoke", admin, False),
    ]
    assert ChainEntry.objects.count() >= links + 2


def test_delegations_given_and_revoked_are_told_and_recorded(world):
    # given
    admin = world["admin"]
    now = timezone.now()

    # when the admin lets the publisher act for the chief, then revokes it
    delegation = delegation_create(
        organization=world.organization, actor=admin, delegator=world["chief"],
        deputy=world["publisher"], starts_at=now, ends_at=now + dt.timedelta(days=7),
        reason="ไปราชการต่างจังหวัด",
    )  # fmt: skip
    delegation_revoke(delegation=delegation, actor=admin)

    # then
    assert told("ปฏิบัติราชการแทน")["inbox"] == {"chief", "publisher"}
    assert told("ยกเลิกการมอบหมาย")["inbox"] == {"chief", "publisher"}
    history = Delegation.objects.get(pk=delegation.pk).history.order_by("history_date")
    assert [(h.history_change_reason, h.history_user) for h in history] == [
        ("grant", admin),
        ("revoke", admin),
    ]


def test_nobody_restores_or_widens_their_own_membership(world):
    # given the admin also heads a division, and a membership of theirs that was ended
    admin = world["admin"]
    headed = MembershipFactory(user=admin, organization=world.organization,
                               role=Role.DIVISION_HEAD, divisions=[world.division])  # fmt: skip
    ended = MembershipFactory(user=admin, organization=world.organization,
                              role=Role.PUBLISHER, is_active=False)  # fmt: skip

    # when / then
    with pytest.raises(NotPermitted):
        membership_update(membership=ended, actor=admin, is_active=True)
    with pytest.raises(NotPermitted):
        membership_update(
            membership=headed, actor=admin, division_ids=[world.division.pk,
                                                           world.other_division.pk],
        )  # fmt: skip
    # but ending a role of one's own (not the admin one) is fine
    membership_update(membership=headed, actor=admin, is_active=False)
    assert not Membership.objects.get(pk=ended.pk).is_active
    assert list(Membership.objects.get(pk=headed.pk).divisions.all()) == [world.division]


# --- hole 6: divisions are retired, never deleted while referenced ------------------------


def test_a_division_that_anything_names_cannot_be_deleted(world, client):
    # given a division named by a published measure and by a membership
    measure = world.measure(state="published")
    operator = get_user_model().objects.create_superuser("operator", "ops@example.go.th", "x")
    client.force_login(operator)

    # when it is deleted in the Django admin, or in code
    page = client.get(reverse("admin:workflow_division_delete", args=[world.division.pk]))
    posted = client.post(
        reverse("admin:workflow_division_delete", args=[world.division.pk]), {"post": "yes"}
    )
    bulk = client.post(
        reverse("admin:workflow_division_changelist"),
        {"action": "delete_selected", "_selected_action": [world.division.pk], "post": "yes"},
    )
    with pytest.raises(ProtectedError), transaction.atomic():
        world.division.delete()
    with pytest.raises(ProtectedError), transaction.atomic():
        Division.objects.filter(pk=world.division.pk).delete()

    # then it is still there, on the measure and the membership
    assert page.status_code == 403 and posted.status_code == 403
    assert bulk.status_code in (200, 302)
    assert Division.objects.filter(pk=world.division.pk).exists()
    assert world.division in Measure.objects.get(pk=measure.pk).divisions.all()
    assert Membership.objects.filter(divisions=world.division, user=world["head"]).exists()


def test_a_division_no_longer_used_can_be_deleted(world):
    # given a division nobody names (a typing mistake)
    mistake = DivisionFactory(organization=world.organization, name="กองพิมพ์ผิด")

    # when / then
    mistake.delete()
    assert not Division.objects.filter(pk=mistake.pk).exists()


def test_retiring_a_division_keeps_it_on_what_names_it_and_records_who(world, client):
    # given a published measure of the division
    measure = world.measure(state="published")
    operator = get_user_model().objects.create_superuser("operator", "ops@example.go.th", "x")
    client.force_login(operator)

    # when the admin retires it through the service, and the operator through the admin
    division_update(division=world.division, actor=world["admin"], is_active=False)
    division_update(division=world.division, actor=world["admin"], is_active=False)  # again
    client.post(
        reverse("admin:workflow_division_changelist"),
        {"action": "retire", "_selected_action": [world.other_division.pk]},
    )

    # then both are inactive, still named by what named them, and the history says who
    assert not Division.objects.get(pk=world.division.pk).is_active
    assert not Division.objects.get(pk=world.other_division.pk).is_active
    assert world.division in Measure.objects.get(pk=measure.pk).divisions.all()
    rows = world.division.history.filter(history_change_reason="retire")
    assert [(r.history_user, r.is_active) for r in rows] == [(world["admin"], False)]
    rows = world.other_division.history.filter(history_change_reason="retire")
    assert [r.history_user for r in rows] == [operator]
