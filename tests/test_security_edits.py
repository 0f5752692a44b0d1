"""Issue 12, hole 1: an edit asks for the permission first, and an edit that changes nothing
writes nothing."""

import pytest

from audit.models import ChainEntry
from tests.factories import MeasureFactory, ResultReportFactory
from tests.test_api import assert_error, client_for
from workflow.models import Measure, ResultReport
from workflow.services import measure_update, result_report_update

pytestmark = pytest.mark.django_db


def report_in(world, state: str) -> ResultReport:
    measure = MeasureFactory(
        organization=world.organization, fiscal_year=world.fiscal_year,
        divisions=[world.division], state="published",
    )  # fmt: skip
    return ResultReportFactory(
        measure=measure, reporting_round=world.reporting_round, state=state,
        submitted_by=None if state == "drafted" else world["submitter"],
        recommendations=["ข้อเสนอเดิม"],
    )  # fmt: skip


def written(report) -> tuple:
    """What an edit leaves behind: the version, the history rows, the chain links."""
    report = ResultReport.objects.get(pk=report.pk)
    return report.version, report.history.count(), ChainEntry.objects.count()


def test_empty_patch_by_someone_who_may_not_edit_is_refused_and_writes_nothing(world):
    for state in ("drafted", "submitted", "published"):
        # given a report, and members of the organization who may never edit it
        report = report_in(world, state)
        before = written(report)
        for person in ("auditor", "publisher", "other_head", "chief"):
            # when one sends an edit that changes nothing, with the right version
            response = client_for(world[person]).patch(
                f"/api/v1/result-reports/{report.pk}/", {}, format="json", HTTP_IF_MATCH='"1"'
            )

            # then it is refused as not theirs, and nobody's If-Match went stale
            assert_error(response, 403, "not_permitted")
            assert written(report) == before, (state, person)


def test_put_of_the_unchanged_report_by_someone_who_may_not_edit_is_refused(world):
    # given a submitted report, and its parts as they are
    report = report_in(world, "submitted")
    body = {"items": ["ผลที่หนึ่ง"], "recommendations": ["ข้อเสนอเดิม"]}
    before = written(report)
    for person in ("auditor", "publisher"):
        # when the auditor or the publisher puts them back unchanged
        response = client_for(world[person]).put(
            f"/api/v1/result-reports/{report.pk}/", body, format="json", HTTP_IF_MATCH='"1"'
        )

        # then
        assert_error(response, 403, "not_permitted")
        assert written(report) == before


def test_invalid_payload_from_someone_who_may_not_edit_is_refused_as_not_permitted(world):
    # given
    report = report_in(world, "drafted")

    # when the auditor sends a payload that would not even validate
    response = client_for(world["auditor"]).patch(
        f"/api/v1/result-reports/{report.pk}/", {"items": "x"}, format="json"
    )

    # then the permission answers first
    assert_error(response, 403, "not_permitted")


def test_empty_patch_by_the_division_head_answers_the_unchanged_report(world):
    # given a drafted report its division head may edit
    report = report_in(world, "drafted")
    before = written(report)

    # when the head sends nothing to change
    response = client_for(world["head"]).patch(
        f"/api/v1/result-reports/{report.pk}/", {}, format="json", HTTP_IF_MATCH='"1"'
    )

    # then the report comes back as it was, and nothing is written
    assert response.status_code == 200, response.content
    assert response["ETag"] == '"1"'
    assert response.json()["items"] == ["ผลที่หนึ่ง"]
    assert written(report) == before


def test_put_with_the_items_unchanged_lets_the_working_group_change_recommendations(world):
    # given a submitted report: the items are the head's, the recommendations the group's
    report = report_in(world, "submitted")
    body = {"items": ["ผลที่หนึ่ง"], "recommendations": ["ข้อเสนอใหม่"]}

    # when the working group puts the whole report with new recommendations
    response = client_for(world["working_group"]).put(
        f"/api/v1/result-reports/{report.pk}/", body, format="json", HTTP_IF_MATCH='"1"'
    )

    # then only the recommendations changed, in one new version
    assert response.status_code == 200, response.content
    report = ResultReport.objects.get(pk=report.pk)
    assert report.version == 2
    assert [r.text for r in report.recommendations.all()] == ["ข้อเสนอใหม่"]


def test_result_report_update_with_texts_that_clean_to_the_same_writes_nothing(world):
    # given
    report = report_in(world, "drafted")
    before = written(report)

    # when the head sends the same line with stray spaces
    result_report_update(
        report=report, actor=world["head"], expected_version=1, items=["  ผลที่หนึ่ง "]
    )

    # then
    assert written(report) == before


def test_measure_update_that_changes_nothing_writes_nothing(world):
    # given a drafted measure
    measure = MeasureFactory(
        organization=world.organization, fiscal_year=world.fiscal_year,
        divisions=[world.division], title="มาตรการเดิม", methods=["วิธีเดิม"],
    )  # fmt: skip
    versions, links = measure.history.count(), ChainEntry.objects.count()

    # when its head sends every field as it is
    same = measure_update(
        measure=measure, actor=world["head"], expected_version=1, title="มาตรการเดิม",
        number=measure.number, methods=["วิธีเดิม"], division_ids=[world.division.pk],
        period_start=measure.period_start, period_end=measure.period_end,
    )  # fmt: skip

    # then the measure is answered unchanged and nothing is recorded
    assert same.version == 1
    assert Measure.objects.get(pk=measure.pk).version == 1
    assert (measure.history.count(), ChainEntry.objects.count()) == (versions, links)


def test_empty_measure_patch_by_the_auditor_is_refused(world):
    # given
    measure = MeasureFactory(
        organization=world.organization, fiscal_year=world.fiscal_year, divisions=[world.division]
    )

    # when
    response = client_for(world["auditor"]).patch(
        f"/api/v1/measures/{measure.pk}/", {}, format="json", HTTP_IF_MATCH='"1"'
    )

    # then
    assert_error(response, 403, "not_permitted")
    assert Measure.objects.get(pk=measure.pk).version == 1
