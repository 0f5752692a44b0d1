import pytest
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from approvals.models import MailboxHealth, Role
from audit.models import TransitionLog
from tests.factories import MeasureFactory, MembershipFactory, ResultReportFactory, UserFactory
from workflow.models import Measure, State

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client(client):
    user = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(user)
    client.user = user
    return client


def test_every_registered_model_lists_and_opens_in_the_admin(superuser_client):
    report = ResultReportFactory(recommendations=["ข้อเสนอแนะ"])
    for model in admin.site._registry:
        meta = model._meta
        url = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
        assert superuser_client.get(url).status_code == 200, url
    for obj in (report, report.measure, report.measure.organization):
        meta = obj._meta
        url = reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])
        assert superuser_client.get(url).status_code == 200, url


def test_admin_transition_action_goes_through_the_role_checks(superuser_client):
    # given: a superuser who holds no role in the measure's organization
    measure = MeasureFactory()
    url = reverse("admin:workflow_measure_changelist")

    # when
    response = superuser_client.post(
        url, {"action": "transition_submit", "_selected_action": [measure.pk]}, follow=True
    )

    # then: refused like anywhere else, nothing changed
    assert "ไม่มีสิทธิ์" in response.content.decode()
    assert Measure.objects.get().state == State.DRAFTED
    assert not TransitionLog.objects.exists()


def test_admin_transition_action_submits_for_a_division_head(superuser_client):
    measure = MeasureFactory()
    MembershipFactory(
        user=superuser_client.user,
        organization=measure.organization,
        role=Role.DIVISION_HEAD,
        divisions=list(measure.divisions.all()),
    )
    superuser_client.post(
        reverse("admin:workflow_measure_changelist"),
        {"action": "transition_submit", "_selected_action": [measure.pk]},
    )
    assert Measure.objects.get().state == State.SUBMITTED
    log = TransitionLog.objects.get()
    assert (log.actor, log.role, log.action) == (superuser_client.user, "division_head", "submit")


def test_admin_cannot_edit_measures_directly(superuser_client):
    measure = MeasureFactory(title="ต้นฉบับ")
    url = reverse("admin:workflow_measure_change", args=[measure.pk])
    superuser_client.post(url, {"title": "แก้ไขทางลัด", "number": measure.number})
    assert Measure.objects.get().title == "ต้นฉบับ"


def test_admin_enables_a_disabled_mailbox_again_with_history(superuser_client):
    # given
    health = MailboxHealth.objects.create(
        address="head@example.go.th", consecutive_failures=3, total_failures=3,
        disabled_at=timezone.now(),
    )  # fmt: skip

    # when
    superuser_client.post(
        reverse("admin:approvals_mailboxhealth_changelist"),
        {"action": "enable", "_selected_action": [health.pk]},
    )

    # then
    health.refresh_from_db()
    assert (health.disabled_at, health.consecutive_failures, health.total_failures) == (None, 0, 3)
    latest = health.history.first()
    assert (latest.history_user, latest.history_change_reason) == (
        superuser_client.user,
        "mailbox enabled again",
    )


def test_admin_shows_outbox_and_delivery_attempts_read_only(superuser_client):
    url = reverse("admin:approvals_outboxmessage_changelist")
    assert superuser_client.get(url).status_code == 200
    assert superuser_client.get(reverse("admin:approvals_outboxmessage_add")).status_code == 403
