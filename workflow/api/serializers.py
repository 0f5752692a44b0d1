"""What the API shows of the plan, and what it accepts to change it."""

from __future__ import annotations

from rest_framework import serializers

from workflow.models import (
    Division,
    Evidence,
    FiscalYear,
    Measure,
    Organization,
    Publication,
    ReportingRound,
    ResultReport,
)
from workflow.text import TEXT_MAX_LENGTH

MAX_ID = 2**31 - 1
TEXT = {"max_length": TEXT_MAX_LENGTH, "allow_blank": False}


def texts_field(**kwargs):
    return serializers.ListField(child=serializers.CharField(**TEXT), max_length=200, **kwargs)


def ids_field(**kwargs):
    return serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID), max_length=100, **kwargs
    )


def id_field(**kwargs):
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)


def version_field():
    return serializers.IntegerField(
        min_value=1, max_value=MAX_ID, required=False,
        help_text="The version this edit changes, when no If-Match header is sent.",
    )  # fmt: skip


class OrganizationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organization
        fields = ["id", "name", "short_name", "slug", "province"]


class DivisionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Division
        fields = ["id", "organization", "name", "is_active"]


class DivisionCreateSerializer(serializers.Serializer):
    organization = id_field()
    name = serializers.CharField(max_length=200)


class DivisionUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False)
    is_active = serializers.BooleanField(required=False)


class FiscalYearSerializer(serializers.ModelSerializer):
    class Meta:
        model = FiscalYear
        fields = ["id", "year", "starts_on", "ends_on"]


class ReportingRoundSerializer(serializers.ModelSerializer):
    class Meta:
        model = ReportingRound
        fields = ["id", "organization", "fiscal_year", "name", "months", "due_on"]


class ReportingRoundCreateSerializer(serializers.Serializer):
    organization = id_field()
    fiscal_year = serializers.IntegerField(help_text="The fiscal year in the Buddhist Era.")
    name = serializers.CharField(max_length=100)
    months = serializers.IntegerField(default=12)
    due_on = serializers.DateField()


class MeasureSerializer(serializers.ModelSerializer):
    methods = serializers.SerializerMethodField()
    division_ids = serializers.SerializerMethodField()

    class Meta:
        model = Measure
        fields = [
            "id", "organization", "fiscal_year", "number", "title", "methods", "division_ids",
            "period_start", "period_end", "state", "version", "revision", "submitted_by",
            "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_methods(self, measure) -> list[str]:
        return [m.text for m in measure.methods.all()]

    def get_division_ids(self, measure) -> list[int]:
        return sorted(d.pk for d in measure.divisions.all())


class MeasureCreateSerializer(serializers.Serializer):
    organization = id_field()
    fiscal_year = id_field()
    number = serializers.IntegerField(min_value=1, max_value=32767)
    title = serializers.CharField(**TEXT)
    methods = texts_field(min_length=1)
    division_ids = ids_field(min_length=1)
    period_start = serializers.DateField()
    period_end = serializers.DateField()


class MeasureUpdateSerializer(serializers.Serializer):
    number = serializers.IntegerField(min_value=1, max_value=32767)
    title = serializers.CharField(**TEXT)
    methods = texts_field(min_length=1)
    division_ids = ids_field(min_length=1)
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    version = version_field()


class EvidenceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Evidence
        fields = ["id", "title", "content_type", "size", "uploaded_by", "uploaded_at"]
        read_only_fields = fields


class EvidenceCreateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=300)
    file = serializers.FileField()


class ResultReportSerializer(serializers.ModelSerializer):
    items = serializers.SerializerMethodField()
    recommendations = serializers.SerializerMethodField()
    evidence = EvidenceSerializer(many=True, read_only=True)
    organization = serializers.IntegerField(source="measure.organization_id", read_only=True)

    class Meta:
        model = ResultReport
        fields = [
            "id", "organization", "measure", "reporting_round", "items", "recommendations",
            "evidence", "state", "version", "revision", "submitted_by", "created_at",
            "updated_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_items(self, report) -> list[str]:
        return [i.text for i in report.items.all()]

    def get_recommendations(self, report) -> list[str]:
        return [r.text for r in report.recommendations.all()]


class ResultReportCreateSerializer(serializers.Serializer):
    measure = id_field()
    reporting_round = id_field()
    items = texts_field(min_length=1)
    recommendations = texts_field(required=False)


class ResultReportUpdateSerializer(serializers.Serializer):
    items = texts_field(min_length=1)
    recommendations = texts_field()
    version = version_field()


class PublicationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Publication
        fields = ["id", "measure", "result_report", "revision", "content", "published_at"]


class PublicMeasureSerializer(serializers.Serializer):
    measure = PublicationSerializer()
    result_reports = PublicationSerializer(many=True)
