"""A small organization with one person in each role, for the workflow and API tests."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from approvals.models import Role
from tests.factories import (
    DelegationFactory,
    DivisionFactory,
    FiscalYearFactory,
    MeasureFactory,
    MembershipFactory,
    OrganizationFactory,
    ReportingRoundFactory,
    ResultReportFactory,
    UserFactory,
)


@dataclass
class World:
    organization: object
    other_organization: object
    fiscal_year: object
    division: object
    other_division: object
    reporting_round: object
    users: dict

    def __getitem__(self, name):
        return self.users[name]

    def measure(self, **kwargs):
        kwargs.setdefault("divisions", [self.division])
        return MeasureFactory(
            organization=self.organization, fiscal_year=self.fiscal_year, **kwargs
        )

    def report(self, measure=None, **kwargs):
        return ResultReportFactory(
            measure=measure or self.measure(), reporting_round=self.reporting_round, **kwargs
        )


# The people of the permission matrix; `submitter` is a second head of the own division.
PEOPLE = (
    "head",
    "submitter",
    "other_head",
    "working_group",
    "chief",
    "deputy",
    "expired_deputy",
    "publisher",
    "auditor",
    "admin",
    "outsider",
)


def world_build() -> World:
    organization = OrganizationFactory(slug="khao-thong", name="อบต.เขาทอง ทดสอบ")
    other_organization = OrganizationFactory(slug="other-org", name="อบต.อื่น ทดสอบ")
    fiscal_year = FiscalYearFactory(year=2564)
    division = DivisionFactory(organization=organization, name="กองคลัง")
    other_division = DivisionFactory(organization=organization, name="กองช่าง")
    reporting_round = ReportingRoundFactory(organization=organization, fiscal_year=fiscal_year)
    users = {name: UserFactory(username=name) for name in PEOPLE}

    def member(name, role, divisions=None, organization=organization):
        MembershipFactory(
            user=users[name], organization=organization, role=role, divisions=divisions
        )

    member("head", Role.DIVISION_HEAD, [division])
    member("submitter", Role.DIVISION_HEAD, [division])
    member("other_head", Role.DIVISION_HEAD, [other_division])
    member("working_group", Role.WORKING_GROUP)
    member("chief", Role.CHIEF_EXECUTIVE)
    member("deputy", Role.AUDITOR)  # a deputy is someone in the organization, acting as chief
    member("expired_deputy", Role.AUDITOR)
    member("publisher", Role.PUBLISHER)
    member("auditor", Role.AUDITOR)
    member("admin", Role.ADMIN)
    outsider_division = DivisionFactory(organization=other_organization, name="กองคลัง")
    for role in Role:
        member("outsider", role, [outsider_division], organization=other_organization)
    now = timezone.now()
    DelegationFactory(
        organization=organization, delegator=users["chief"], deputy=users["deputy"],
        starts_at=now - dt.timedelta(days=1), ends_at=now + dt.timedelta(days=1),
    )  # fmt: skip
    DelegationFactory(
        organization=organization, delegator=users["chief"], deputy=users["expired_deputy"],
        starts_at=now - dt.timedelta(days=10), ends_at=now - dt.timedelta(days=1),
    )  # fmt: skip
    return World(
        organization=organization,
        other_organization=other_organization,
        fiscal_year=fiscal_year,
        division=division,
        other_division=other_division,
        reporting_round=reporting_round,
        users=users,
    )
