"""The plan over HTTP: organizations, divisions, years, rounds, measures, result reports.

Thin: validate input, call one service or selector, serialize. Every queryset is
limited to the organizations the person belongs to, so another organization's
item answers 404. Versions and errors: see config.api.
"""

from __future__ import annotations

import django_filters
from django import forms
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import ListAPIView
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from approvals.permissions import authorize_editor, organization_ids_visible_to
from config.api import ErrorSerializer, expected_version, with_etag
from workflow import services
from workflow.api import serializers as s
from workflow.models import (
    Division,
    FiscalYear,
    Measure,
    Organization,
    ReportingRound,
    ResultReport,
    State,
)
from workflow.selectors import public_report

ERRORS = {code: OpenApiResponse(ErrorSerializer) for code in (400, 401, 403, 404, 409)}
IF_MATCH = OpenApiParameter(
    "If-Match", OpenApiTypes.STR, OpenApiParameter.HEADER, required=False,
    description='The ETag (version) the change applies to, e.g. "3".',
)  # fmt: skip
MAX_ID = s.MAX_ID


def visible(user) -> set[int]:
    return organization_ids_visible_to(user)


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": MAX_ID})
class IdFilter(django_filters.NumberFilter):
    """An id in a query (`?organization=3`): any id answers, an unknown one with nothing."""


class _FlagField(forms.NullBooleanField):
    widget = forms.TextInput  # the select widget reads "" and any unknown word as "any"

    def to_python(self, value):
        if value in (None, True, False):
            return value
        if value in ("true", "false"):
            return value == "true"
        raise forms.ValidationError("Give true or false.", code="invalid")


class FlagFilter(django_filters.BooleanFilter):
    """`?is_active=true` or `false`, as the schema says; anything else (even empty) is 400."""

    field_class = _FlagField


def id_filter(field_name: str, label: str):
    return IdFilter(
        field_name=field_name, label=label, min_value=1, max_value=MAX_ID, decimal_places=0
    )


def _visible_or_400(model, pk, organization_ids, field: str, **filters):
    from approvals.exceptions import ValidationFailed

    found = model.objects.filter(pk=pk, **filters).first()
    org_id = getattr(found, "organization_id", None) if found else None
    if found is None or (org_id is not None and org_id not in organization_ids):
        raise ValidationFailed({field: ["Unknown or not yours."]})
    return found


class OrganizationViewSet(viewsets.ReadOnlyModelViewSet):
    """The organizations you belong to."""

    serializer_class = s.OrganizationSerializer

    def get_queryset(self):
        return Organization.objects.filter(pk__in=visible(self.request.user)).order_by("name")


class DivisionFilter(django_filters.FilterSet):
    organization = id_filter("organization", "organization")
    is_active = FlagFilter()

    class Meta:
        model = Division
        fields = ["organization", "is_active"]


@extend_schema(responses={200: s.DivisionSerializer, **ERRORS})
class DivisionViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):  # fmt: skip
    """Divisions of your organizations; admins add, rename and retire them."""

    serializer_class = s.DivisionSerializer
    filterset_class = DivisionFilter

    def get_queryset(self):
        return Division.objects.filter(organization_id__in=visible(self.request.user)).order_by(
            "organization_id", "name"
        )

    @extend_schema(request=s.DivisionCreateSerializer, responses={201: s.DivisionSerializer})
    def create(self, request):
        data = _valid(s.DivisionCreateSerializer, request.data)
        organization = get_object_or_404(
            Organization, pk=data["organization"], pk__in=visible(request.user)
        )
        division = services.division_create(
            organization=organization, actor=request.user, name=data["name"]
        )
        return Response(s.DivisionSerializer(division).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.DivisionUpdateSerializer, responses={200: s.DivisionSerializer})
    def partial_update(self, request, pk=None):
        division = self.get_object()
        data = _valid(s.DivisionUpdateSerializer, request.data)
        division = services.division_update(division=division, actor=request.user, **data)
        return Response(s.DivisionSerializer(division).data)


class FiscalYearViewSet(viewsets.ReadOnlyModelViewSet):
    """Fiscal years (BE), shared by all organizations."""

    serializer_class = s.FiscalYearSerializer
    queryset = FiscalYear.objects.order_by("-year")


class ReportingRoundFilter(django_filters.FilterSet):
    organization = id_filter("organization", "organization")
    fiscal_year = id_filter("fiscal_year", "fiscal year")

    class Meta:
        model = ReportingRound
        fields = ["organization", "fiscal_year"]


@extend_schema(responses={200: s.ReportingRoundSerializer, **ERRORS})
class ReportingRoundViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):  # fmt: skip
    """Reporting rounds of your organizations; admins open new ones."""

    serializer_class = s.ReportingRoundSerializer
    filterset_class = ReportingRoundFilter

    def get_queryset(self):
        return ReportingRound.objects.filter(
            organization_id__in=visible(self.request.user)
        ).order_by("organization_id", "fiscal_year_id", "due_on", "pk")

    @extend_schema(
        request=s.ReportingRoundCreateSerializer, responses={201: s.ReportingRoundSerializer}
    )
    def create(self, request):
        data = _valid(s.ReportingRoundCreateSerializer, request.data)
        organization = get_object_or_404(
            Organization, pk=data.pop("organization"), pk__in=visible(request.user)
        )
        reporting_round = services.reporting_round_create(
            organization=organization, actor=request.user, **data
        )
        return Response(
            s.ReportingRoundSerializer(reporting_round).data, status=status.HTTP_201_CREATED
        )


def _valid(serializer_class, data, *, partial=False) -> dict:
    serializer = serializer_class(data=data, partial=partial)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class MeasureFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(choices=State.choices)
    division = id_filter("divisions", "responsible division")
    fiscal_year = id_filter("fiscal_year", "fiscal year")
    organization = id_filter("organization", "organization")

    class Meta:
        model = Measure
        fields = ["state", "division", "fiscal_year", "organization"]


@extend_schema(responses={200: s.MeasureSerializer, **ERRORS})
class MeasureViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):  # fmt: skip
    """Measures of your organizations. Edits need the version (If-Match or `version`)."""

    serializer_class = s.MeasureSerializer
    filterset_class = MeasureFilter

    def get_queryset(self):
        return (
            Measure.objects.filter(organization_id__in=visible(self.request.user))
            .prefetch_related("methods", "divisions")
            .order_by("organization_id", "fiscal_year_id", "number")
            .distinct()
        )

    def retrieve(self, request, pk=None):
        measure = self.get_object()
        return with_etag(Response(self.get_serializer(measure).data), measure)

    @extend_schema(
        request=s.MeasureCreateSerializer, responses={201: s.MeasureSerializer, **ERRORS}
    )
    def create(self, request):
        """Draft a measure (working group, or a division head for their own divisions)."""
        data = _valid(s.MeasureCreateSerializer, request.data)
        organizations = visible(request.user)
        organization = _visible_or_400(
            Organization, data.pop("organization"), organizations, "organization",
            pk__in=organizations,
        )  # fmt: skip
        data["fiscal_year"] = _visible_or_400(
            FiscalYear, data["fiscal_year"], organizations, "fiscal_year"
        )
        measure = services.measure_create(organization=organization, actor=request.user, **data)
        measure = self.get_queryset().get(pk=measure.pk)
        return with_etag(
            Response(self.get_serializer(measure).data, status=status.HTTP_201_CREATED), measure
        )

    def _update(self, request, *, partial: bool):
        measure = self.get_object()
        authorize_editor(request.user, measure, ("measure",))  # before reading the payload
        data = _valid(s.MeasureUpdateSerializer, request.data, partial=partial)
        version = expected_version(request, data, required=True)
        data.pop("version", None)
        measure = services.measure_update(
            measure=measure, actor=request.user, expected_version=version, **data
        )
        measure = self.get_queryset().get(pk=measure.pk)
        return with_etag(Response(self.get_serializer(measure).data), measure)

    @extend_schema(
        request=s.MeasureUpdateSerializer, parameters=[IF_MATCH],
        responses={200: s.MeasureSerializer, 428: ErrorSerializer, **ERRORS},
    )  # fmt: skip
    def update(self, request, pk=None):
        """Replace a drafted measure's fields (all of them)."""
        return self._update(request, partial=False)

    @extend_schema(
        request=s.MeasureUpdateSerializer, parameters=[IF_MATCH],
        responses={200: s.MeasureSerializer, 428: ErrorSerializer, **ERRORS},
    )  # fmt: skip
    def partial_update(self, request, pk=None):
        """Change some fields of a drafted measure."""
        return self._update(request, partial=True)


class ResultReportFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(choices=State.choices)
    division = id_filter("measure__divisions", "responsible division")
    fiscal_year = id_filter("measure__fiscal_year", "fiscal year")
    round = id_filter("reporting_round", "reporting round")
    measure = id_filter("measure", "measure")
    organization = id_filter("measure__organization", "organization")

    class Meta:
        model = ResultReport
        fields = ["state", "division", "fiscal_year", "round", "measure", "organization"]


@extend_schema(responses={200: s.ResultReportSerializer, **ERRORS})
class ResultReportViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):  # fmt: skip
    """Result reports of your organizations. Edits need the version (If-Match or `version`)."""

    serializer_class = s.ResultReportSerializer
    filterset_class = ResultReportFilter

    def get_queryset(self):
        return (
            ResultReport.objects.filter(measure__organization_id__in=visible(self.request.user))
            .select_related("measure")
            .prefetch_related("items", "recommendations", "evidence")
            .order_by("reporting_round_id", "measure__number", "pk")
            .distinct()
        )

    def retrieve(self, request, pk=None):
        report = self.get_object()
        return with_etag(Response(self.get_serializer(report).data), report)

    @extend_schema(
        request=s.ResultReportCreateSerializer,
        responses={201: s.ResultReportSerializer, **ERRORS},
    )
    def create(self, request):
        """Draft a result report (division heads of the measure's divisions)."""
        data = _valid(s.ResultReportCreateSerializer, request.data)
        organizations = visible(request.user)
        measure = _visible_or_400(Measure, data["measure"], organizations, "measure")
        reporting_round = _visible_or_400(
            ReportingRound, data["reporting_round"], organizations, "reporting_round"
        )
        report = services.result_report_create(
            measure=measure,
            reporting_round=reporting_round,
            actor=request.user,
            items=data["items"],
            recommendations=data.get("recommendations") or (),
        )
        report = self.get_queryset().get(pk=report.pk)
        return with_etag(
            Response(self.get_serializer(report).data, status=status.HTTP_201_CREATED), report
        )

    def _update(self, request, *, partial: bool):
        report = self.get_object()
        authorize_editor(request.user, report, ("items", "recommendations"))  # before the payload
        data = _valid(s.ResultReportUpdateSerializer, request.data, partial=partial)
        version = expected_version(request, data, required=True)
        report = services.result_report_update(
            report=report,
            actor=request.user,
            expected_version=version,
            items=data.get("items"),
            recommendations=data.get("recommendations"),
        )
        report = self.get_queryset().get(pk=report.pk)
        return with_etag(Response(self.get_serializer(report).data), report)

    @extend_schema(
        request=s.ResultReportUpdateSerializer, parameters=[IF_MATCH],
        responses={200: s.ResultReportSerializer, 428: ErrorSerializer, **ERRORS},
    )  # fmt: skip
    def update(self, request, pk=None):
        """Replace the result items and recommendations (each as permitted in the state)."""
        return self._update(request, partial=False)

    @extend_schema(
        request=s.ResultReportUpdateSerializer, parameters=[IF_MATCH],
        responses={200: s.ResultReportSerializer, 428: ErrorSerializer, **ERRORS},
    )  # fmt: skip
    def partial_update(self, request, pk=None):
        """Change the result items (division heads, drafted) or the recommendations
        (working group, submitted)."""
        return self._update(request, partial=True)

    @extend_schema(
        request={"multipart/form-data": s.EvidenceCreateSerializer},
        responses={201: s.EvidenceSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def evidence(self, request, pk=None):
        """Attach a file (PDF, JPEG, PNG, DOCX, XLSX; size limited) to a drafted report."""
        report = self.get_object()
        data = _valid(s.EvidenceCreateSerializer, request.data)
        evidence = services.evidence_add(
            report=report, actor=request.user, uploaded_file=data["file"], title=data["title"]
        )
        return Response(s.EvidenceSerializer(evidence).data, status=status.HTTP_201_CREATED)


class PublicReportView(ListAPIView):
    """The published report of an organization's fiscal year, as the public sees it."""

    serializer_class = s.PublicMeasureSerializer
    permission_classes = [AllowAny]
    authentication_classes = []
    pagination_class = None
    filter_backends = []

    def get_queryset(self):
        organization = get_object_or_404(Organization, slug=self.kwargs["slug"])
        fiscal_year = get_object_or_404(FiscalYear, year=self.kwargs["year"])
        return public_report(organization, fiscal_year)
