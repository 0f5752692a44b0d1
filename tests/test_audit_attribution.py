"""Every entry point that writes tracked rows leaves history naming a person or a process."""

import pytest
from django.apps import apps
from django.core.management import call_command
from django.urls import reverse

from approvals.models import Role
from approvals.services import transition_perform
from audit.chain import tracked_record_models, verify
from audit.context import acting_as
from audit.history import HistoryBase
from audit.models import ChainEntry
from audit.tasks import audit_verify_all
from tests.factories import MeasureFactory, MembershipFactory, UserFactory
from workflow.models import Action, Division, Organization

pytestmark = pytest.mark.django_db


def _history_models():
    return [m for m in apps.get_models() if issubclass(m, HistoryBase)]


def _unattributed() -> list[str]:
    found = []
    for model in _history_models():
        rows = model.objects.filter(history_user__isnull=True, system_actor="")
        found += [f"{model._meta.label} {pk}" for pk in rows.values_list("pk", flat=True)]
        found += [
            f"{model._meta.label} {pk} (no reason)"
            for pk in model.objects.filter(history_change_reason__in=["", None]).values_list(
                "pk", flat=True
            )
        ]
    return found


def test_every_tracked_model_has_audited_history():
    # then: organizations, divisions, rounds, years, measures and their children, reports and
    # theirs, memberships, delegations and user accounts
    labels = {m.instance_type._meta.label_lower for m in _history_models()}
    assert labels >= {
        "workflow.organization", "workflow.division", "workflow.fiscalyear",
        "workflow.reportinground", "workflow.measure", "workflow.measuremethod",
        "workflow.resultreport", "workflow.resultitem", "workflow.recommendation",
        "workflow.evidence", "approvals.membership", "approvals.delegation", "auth.user",
    }  # fmt: skip
    assert len(tracked_record_models()) == len(labels) + 1  # + the transition log


def test_admin_writes_name_the_person_and_the_client_address(client):
    # given
    admin_user = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(admin_user)

    # when
    response = client.post(
        reverse("admin:workflow_organization_add"),
        {
            "name": "เทศบาลตำบลทดสอบ", "short_name": "ทต.ทดสอบ", "slug": "tt-test",
            "province": "", "email": "",
            "divisions-TOTAL_FORMS": "1", "divisions-INITIAL_FORMS": "0",
            "divisions-0-name": "กองช่าง", "divisions-0-is_active": "on",
        },
        REMOTE_ADDR="203.0.113.9",
    )  # fmt: skip

    # then
    assert response.status_code == 302, response.content
    org = Organization.objects.get(slug="tt-test")
    for row in (org.history.get(), Division.objects.get(organization=org).history.get()):
        assert row.history_user == admin_user
        assert row.ip_address == "203.0.113.9"
        assert row.history_change_reason == "created"
    assert ChainEntry.objects.filter(organization=org, actor=admin_user).count() == 2
    assert verify(org.pk).ok


def test_service_calls_commands_tasks_and_imports_are_all_attributed(capsys):
    # given: rows written by factories (the test process), a service, a command, a task
    measure = MeasureFactory()
    org = measure.organization
    head = MembershipFactory(
        organization=org, role=Role.DIVISION_HEAD, divisions=[measure.divisions.get()]
    ).user

    # when
    transition_perform(item=measure, action=Action.SUBMIT, actor=head, comment="ส่ง")
    with acting_as(system="importer", reason="imported from report.txt"):
        Division.objects.create(organization=org, name="กองนำเข้า")
    call_command("createsuperuser", "--noinput", username="ops", email="ops@example.go.th")
    audit_verify_all()

    # then: nothing is unknown
    assert _unattributed() == []
    submit = measure.history.order_by("history_id").last()
    assert (submit.history_user, submit.history_change_reason) == (head, "submit: ส่ง")
    imported = Division.objects.get(name="กองนำเข้า").history.get()
    assert imported.system_actor == "importer"
    assert imported.history_change_reason == "imported from report.txt"
    ops = apps.get_model("auth", "User").objects.get(username="ops").history.get()
    assert ops.system_actor == "command:createsuperuser"
    assert measure.history.earliest().system_actor.startswith("process:")
    assert ChainEntry.objects.filter(
        organization__isnull=True, system_actor="command:createsuperuser"
    ).exists()


def test_acting_as_names_the_person_behind_a_process():
    # given
    person = UserFactory()
    measure = MeasureFactory()

    # when
    with acting_as(user=person, system="task:workflow.publish_scheduled", reason="scheduled"):
        measure.title = "แก้ไขโดยงานตามกำหนดเวลา"
        measure.save()

    # then
    row = measure.history.order_by("history_id").last()
    assert (row.history_user, row.system_actor, row.history_change_reason) == (
        person, "task:workflow.publish_scheduled", "scheduled",
    )  # fmt: skip


def test_login_does_not_write_a_user_version(client):
    # given
    user = UserFactory()
    versions = user.history.count()

    # when
    client.force_login(user)

    # then
    assert user.history.count() == versions


def test_seed_demo_command_and_its_import_are_attributed_and_chained():
    # when
    call_command("seed_demo")

    # then
    assert _unattributed() == []
    org = Organization.objects.get(slug="khao-thong")
    measure = org.measures.order_by("number").first()
    first = measure.history.earliest()
    assert first.system_actor == "command:seed_demo"
    assert first.history_change_reason.startswith("imported from ")
    assert measure.history.latest().history_children["methods"]
    assert verify(org.pk).ok
    assert verify(None).ok
