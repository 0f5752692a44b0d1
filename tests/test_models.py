"""The rules a user expects of the plan, held by the database or by model validation."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from tests.factories import (
    DivisionFactory,
    FiscalYearFactory,
    MeasureFactory,
    OrganizationFactory,
    ReportingRoundFactory,
    ResultReportFactory,
)
from workflow.models import Division, FiscalYear, Measure, State

pytestmark = pytest.mark.django_db


def test_fiscal_year_knows_its_october_to_september_dates():
    year = FiscalYear.objects.create(year=2564)
    assert (year.starts_on, year.ends_on) == (dt.date(2020, 10, 1), dt.date(2021, 9, 30))
    assert str(year) == "ปีงบประมาณ พ.ศ. ๒๕๖๔"


def test_fiscal_year_must_be_buddhist_era():
    with pytest.raises(IntegrityError):
        FiscalYear.objects.create(year=2021)


def test_measure_number_is_unique_within_an_organizations_fiscal_year():
    measure = MeasureFactory(number=1)
    other_org = OrganizationFactory()
    MeasureFactory(number=1, organization=other_org, fiscal_year=measure.fiscal_year)
    MeasureFactory(
        number=1, organization=measure.organization, fiscal_year=FiscalYearFactory(year=2565)
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        MeasureFactory(number=1, organization=measure.organization, fiscal_year=measure.fiscal_year)


def test_new_measures_start_drafted_at_version_one():
    measure = MeasureFactory()
    assert (measure.state, measure.version, measure.revision) == (State.DRAFTED, 1, 1)


def test_state_cannot_be_set_by_hand():
    measure = MeasureFactory()
    with pytest.raises(AttributeError):
        measure.state = State.PUBLISHED


def test_measure_period_must_lie_inside_its_fiscal_year():
    measure = MeasureFactory.build(
        organization=OrganizationFactory(),
        fiscal_year=FiscalYearFactory(year=2564),
        period_start=dt.date(2020, 9, 1),
        period_end=dt.date(2021, 10, 1),
    )
    with pytest.raises(ValidationError) as error:
        measure.full_clean()
    assert set(error.value.message_dict) >= {"period_start", "period_end"}


def test_measure_period_cannot_end_before_it_starts():
    with pytest.raises(IntegrityError):
        MeasureFactory(period_start=dt.date(2021, 4, 1), period_end=dt.date(2021, 1, 1))


def test_division_name_is_unique_within_its_organization_whatever_the_spacing():
    division = DivisionFactory(name="กองการศึกษา ศาสนาและวัฒนธรรม")
    DivisionFactory(name="กองการศึกษา ศาสนาและวัฒนธรรม")  # another organization
    assert Division.key_for("กอง การศึกษา ศาสนาและ วัฒนธรรม") == division.match_key
    with pytest.raises(IntegrityError), transaction.atomic():
        Division.objects.create(
            organization=division.organization, name="กอง การศึกษา ศาสนาและ วัฒนธรรม"
        )


def test_reporting_round_name_is_unique_per_organization_and_year():
    round_ = ReportingRoundFactory(name="รอบ 6 เดือน", months=6)
    with pytest.raises(IntegrityError), transaction.atomic():
        ReportingRoundFactory(
            organization=round_.organization, fiscal_year=round_.fiscal_year, name="รอบ 6 เดือน"
        )


def test_one_result_report_per_measure_and_round():
    report = ResultReportFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        ResultReportFactory(measure=report.measure, reporting_round=report.reporting_round)


def test_result_report_round_must_belong_to_the_measures_organization_and_year():
    measure = MeasureFactory()
    foreign_round = ReportingRoundFactory(fiscal_year=measure.fiscal_year)
    report = ResultReportFactory.build(measure=measure, reporting_round=foreign_round)
    with pytest.raises(ValidationError) as error:
        report.clean()
    assert "reporting_round" in error.value.message_dict


def test_measure_str_uses_thai_digits():
    measure = MeasureFactory(number=7, title="การจัดกิจกรรม")
    assert str(measure) == "๗. การจัดกิจกรรม"
    assert Measure.objects.get().period_display == "ต.ค. ๒๕๖๓ – ก.ย. ๒๕๖๔"
