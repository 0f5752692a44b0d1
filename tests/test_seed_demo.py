from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from approvals.models import Delegation, Membership, Role
from workflow.models import Measure, Organization, ReportingRound, ResultReport, State

pytestmark = pytest.mark.django_db


def test_seed_demo_creates_khao_thong_with_one_person_per_role_and_the_2564_report():
    # when
    out = StringIO()
    call_command("seed_demo", stdout=out)

    # then
    org = Organization.objects.get(slug="khao-thong")
    assert org.divisions.count() == 4
    assert set(Membership.objects.filter(organization=org).values_list("role", flat=True)) == set(
        Role.values
    )
    assert list(ReportingRound.objects.filter(organization=org).values_list("name", "months")) == [
        ("รอบ 6 เดือน", 6),
        ("รอบ 12 เดือน", 12),
    ]
    assert Measure.objects.filter(organization=org, state=State.DRAFTED).count() == 7
    assert ResultReport.objects.filter(reporting_round__name="รอบ 12 เดือน").count() == 7
    assert Delegation.objects.in_force().get(organization=org).deputy.username == "deputy"
    printed = out.getvalue()
    for user in get_user_model().objects.all():
        assert user.username in printed
        assert user.check_password("itaflow-2564")
    assert "itaflow-2564" in printed


def test_seed_demo_run_twice_changes_nothing():
    call_command("seed_demo", stdout=StringIO())
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert "exists already" in out.getvalue()
    assert Measure.objects.count() == 7
