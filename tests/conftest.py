import datetime as dt

import pytest

from tests.factories import (
    DivisionFactory,
    FiscalYearFactory,
    OrganizationFactory,
    ReportingRoundFactory,
)

KHAO_THONG_DIVISIONS = ("สำนักปลัด", "กองคลัง", "กองช่าง", "กองการศึกษา ศาสนาและวัฒนธรรม")


@pytest.fixture
def organization(db):
    return OrganizationFactory(
        name="องค์การบริหารส่วนตำบลเขาทอง", short_name="อบต.เขาทอง", slug="khao-thong"
    )


@pytest.fixture
def khao_thong(organization):
    """อบต.เขาทอง as in the seed report: four divisions, FY 2564 with a 6- and a 12-month round."""
    for name in KHAO_THONG_DIVISIONS:
        DivisionFactory(organization=organization, name=name)
    fiscal_year = FiscalYearFactory(year=2564)
    for name, months, due_on in (
        ("รอบ 6 เดือน", 6, dt.date(2021, 4, 30)),
        ("รอบ 12 เดือน", 12, dt.date(2021, 10, 31)),
    ):
        ReportingRoundFactory(
            organization=organization,
            fiscal_year=fiscal_year,
            name=name,
            months=months,
            due_on=due_on,
        )
    return organization


@pytest.fixture
def world(db):
    """One organization with a person in each role (see tests/roles.py)."""
    from tests.roles import world_build

    return world_build()
