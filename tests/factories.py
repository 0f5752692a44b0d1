"""factory_boy factories: the smallest valid objects, related ones created on demand."""

import datetime as dt

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from approvals.models import Delegation, Membership, Position, Role
from workflow.models import (
    Division,
    FiscalYear,
    Measure,
    MeasureMethod,
    Organization,
    Recommendation,
    ReportingRound,
    ResultItem,
    ResultReport,
)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.go.th")
    password = factory.django.Password("pass-1234")


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"องค์การบริหารส่วนตำบลทดสอบ {n}")
    short_name = factory.Sequence(lambda n: f"อบต.ทดสอบ{n}")
    slug = factory.Sequence(lambda n: f"test-{n}")


class DivisionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Division

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"กองทดสอบ{n}")


class FiscalYearFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FiscalYear
        django_get_or_create = ["year"]

    year = 2564


class ReportingRoundFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReportingRound

    organization = factory.SubFactory(OrganizationFactory)
    fiscal_year = factory.SubFactory(FiscalYearFactory)
    name = "รอบ 12 เดือน"
    months = 12
    due_on = dt.date(2021, 10, 31)


class MeasureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Measure
        skip_postgeneration_save = True

    organization = factory.SubFactory(OrganizationFactory)
    fiscal_year = factory.SubFactory(FiscalYearFactory)
    number = factory.Sequence(lambda n: n + 1)
    title = factory.Sequence(lambda n: f"มาตรการทดสอบที่ {n}")
    period_start = dt.date(2020, 10, 1)
    period_end = dt.date(2021, 9, 1)

    @factory.post_generation
    def divisions(self, create, extracted, **kwargs):
        if not create:
            return
        divisions = extracted or [DivisionFactory(organization=self.organization)]
        self.divisions.set(divisions)

    @factory.post_generation
    def methods(self, create, extracted, **kwargs):
        if not create:
            return
        for position, text in enumerate(extracted or ["วิธีการที่หนึ่ง"], start=1):
            MeasureMethod.objects.create(measure=self, position=position, text=text)


class ResultReportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ResultReport
        skip_postgeneration_save = True

    measure = factory.SubFactory(MeasureFactory)
    reporting_round = factory.LazyAttribute(
        lambda o: ReportingRoundFactory(
            organization=o.measure.organization, fiscal_year=o.measure.fiscal_year
        )
    )

    @factory.post_generation
    def items(self, create, extracted, **kwargs):
        if not create:
            return
        for position, text in enumerate(extracted or ["ผลที่หนึ่ง"], start=1):
            ResultItem.objects.create(report=self, position=position, text=text)

    @factory.post_generation
    def recommendations(self, create, extracted, **kwargs):
        if not create:
            return
        for position, text in enumerate(extracted or [], start=1):
            Recommendation.objects.create(report=self, position=position, text=text)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)
    organization = factory.SubFactory(OrganizationFactory)
    role = Role.WORKING_GROUP

    @factory.post_generation
    def divisions(self, create, extracted, **kwargs):
        if create and extracted:
            self.divisions.set(extracted)


class PositionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Position

    user = factory.SubFactory(UserFactory)
    organization = factory.SubFactory(OrganizationFactory)
    title = "ผู้อำนวยการกองคลัง"


class DelegationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Delegation

    organization = factory.SubFactory(OrganizationFactory)
    delegator = factory.SubFactory(UserFactory)
    deputy = factory.SubFactory(UserFactory)
    starts_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=1))
    ends_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=1))
