"""The edit services of workflow/services.py and the admin services of approvals/services.py."""

import datetime as dt

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile

from approvals.exceptions import NotEditable, NotPermitted, StaleVersion, ValidationFailed
from approvals.models import Membership, Role
from approvals.services import delegation_create, membership_create
from workflow.models import Division, Measure, MeasureMethod, State
from workflow.services import (
    division_create,
    evidence_add,
    measure_create,
    measure_update,
    result_report_create,
)

pytestmark = pytest.mark.django_db


def _create(world, actor, **overrides):
    return measure_create(
        **{
            "organization": world.organization,
            "fiscal_year": world.fiscal_year,
            "actor": actor,
            "number": 1,
            "title": "มาตรการ",
            "methods": ["หนึ่ง", "สอง"],
            "division_ids": [world.division.pk],
            "period_start": dt.date(2020, 10, 1),
            "period_end": dt.date(2021, 9, 1),
            **overrides,
        }
    )


def test_measure_create_by_a_division_head_only_for_their_divisions(world):
    with pytest.raises(NotPermitted):
        _create(world, world["head"], division_ids=[world.other_division.pk])
    measure = _create(world, world["head"])
    assert measure.created_by == world["head"]
    assert list(measure.methods.values_list("position", "text")) == [(1, "หนึ่ง"), (2, "สอง")]


def test_measure_create_refuses_a_period_outside_the_year_and_a_taken_number(world):
    _create(world, world["working_group"])
    with pytest.raises(ValidationFailed) as raised:
        _create(world, world["working_group"], period_start=dt.date(2019, 10, 1))
    assert set(raised.value.fields) == {"number", "period_start"}


def test_measure_update_changes_only_changed_lines_and_bumps_the_version(world):
    # given
    measure = _create(world, world["working_group"])
    first = MeasureMethod.objects.get(measure=measure, position=1)

    # when
    measure = measure_update(
        measure=measure, actor=world["head"], expected_version=1, methods=["หนึ่ง", "สาม", "สี่"]
    )

    # then
    assert measure.version == 2
    assert list(measure.methods.values_list("text", flat=True)) == ["หนึ่ง", "สาม", "สี่"]
    assert MeasureMethod.objects.get(measure=measure, position=1).pk == first.pk
    assert first.history.count() == 1
    with pytest.raises(StaleVersion):
        measure_update(measure=measure, actor=world["head"], expected_version=1, title="x")


def test_measure_update_refused_once_submitted(world):
    measure = world.measure(state=State.SUBMITTED, submitted_by=world["head"])
    with pytest.raises(NotEditable):
        measure_update(measure=measure, actor=world["head"], expected_version=1, title="x")
    assert Measure.objects.get().title != "x"


def test_result_report_create_needs_a_round_of_the_same_year_and_organization(world):
    from tests.factories import FiscalYearFactory, ReportingRoundFactory

    measure = world.measure()
    wrong = ReportingRoundFactory(
        organization=world.organization, fiscal_year=FiscalYearFactory(year=2565)
    )
    with pytest.raises(ValidationFailed) as raised:
        result_report_create(
            measure=measure, reporting_round=wrong, actor=world["head"], items=["ผล"]
        )
    assert "reporting_round" in raised.value.fields
    with pytest.raises(NotPermitted):
        result_report_create(
            measure=measure, reporting_round=world.reporting_round, actor=world["head"],
            items=["ผล"], recommendations=["ข้อเสนอ"],
        )  # fmt: skip


def test_evidence_add_checks_size_and_real_content(world, settings):
    # given
    settings.EVIDENCE_MAX_BYTES = 64
    report = world.report()
    png = b"\x89PNG\r\n\x1a\n" + b"0" * 20

    # when / then
    evidence = evidence_add(
        report=report, actor=world["head"], title="ภาพ",
        uploaded_file=SimpleUploadedFile("photo.pdf", png, content_type="application/pdf"),
    )  # fmt: skip
    assert (evidence.content_type, evidence.size) == ("image/png", len(png))
    assert evidence.file.name.endswith(".png")
    big = SimpleUploadedFile("big.pdf", b"%PDF-" + b"0" * 100)
    with pytest.raises(ValidationFailed):
        evidence_add(report=report, actor=world["head"], title="ใหญ่", uploaded_file=big)
    with pytest.raises(NotPermitted):
        evidence_add(
            report=report, actor=world["working_group"], title="x",
            uploaded_file=SimpleUploadedFile("x.png", png),
        )  # fmt: skip


def test_evidence_add_writes_one_report_version_that_holds_the_file(world):
    # given
    report = world.report()
    versions_before = report.history.count()

    # when
    evidence = evidence_add(
        report=report, actor=world["head"], title="ภาพกิจกรรม",
        uploaded_file=SimpleUploadedFile("photo.png", b"\x89PNG\r\n\x1a\n" + b"0" * 20),
    )  # fmt: skip

    # then
    assert report.history.count() == versions_before + 1
    version = report.history.first()
    assert (version.history_user, version.history_change_reason) == (world["head"], "evidence")
    assert [e["id"] for e in version.history_children["evidence"]] == [evidence.pk]


def test_admin_services_are_for_admins_only(world):
    with pytest.raises(NotPermitted):
        division_create(organization=world.organization, actor=world["chief"], name="กองใหม่")
    division = division_create(organization=world.organization, actor=world["admin"], name="กองใหม่")
    assert Division.objects.filter(pk=division.pk, organization=world.organization).exists()
    membership = membership_create(
        organization=world.organization, actor=world["admin"], user=world["auditor"],
        role=Role.DIVISION_HEAD, division_ids=[division.pk],
    )  # fmt: skip
    assert list(membership.divisions.all()) == [division]
    assert Membership.history.filter(id=membership.pk).first().history_user == world["admin"]
    with pytest.raises(ValidationFailed):
        delegation_create(
            organization=world.organization, actor=world["admin"], delegator=world["auditor"],
            deputy=world["publisher"], starts_at=dt.datetime(2021, 1, 1, tzinfo=dt.UTC),
            ends_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC),
        )  # fmt: skip


def test_scheduled_publications_task_is_on_the_beat_schedule():
    entry = django_settings.CELERY_BEAT_SCHEDULE["scheduled-publications"]
    assert entry["task"] == "approvals.tasks.scheduled_publications_run"
