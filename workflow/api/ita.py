"""The yearly ITA cycle over HTTP, under /api/v1/ita/: the schemes, ITA results, analyses
(edits and transitions, through the same services as the pages) and opening a new year.

Thin like the rest of the API: validate, call one service or selector, serialize.
Errors and versions: see config.api.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.urls import path
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter
from rest_framework.views import APIView

from approvals import permissions
from approvals.services import transition_perform
from config.api import ErrorSerializer, expected_version, with_etag
from workflow import assessment_selectors, assessment_services
from workflow.api.serializers import id_field, ids_field, version_field
from workflow.api.views import IF_MATCH, _valid, _visible_or_400, visible
from workflow.assessment import Analysis, AssessmentScheme, ItaResult
from workflow.models import Action, FiscalYear, Measure, Organization

ERRORS = {code: OpenApiResponse(ErrorSerializer) for code in (400, 401, 403, 404, 409)}
YEAR = {"min_value": 2500, "max_value": 2700}
SCORE = {"max_digits": 5, "decimal_places": 2, "min_value": 0, "max_value": 100}


def _organization(user, pk: int) -> Organization:
    """One of the person's organizations, or a 400 naming the field."""
    organizations = visible(user)
    return _visible_or_400(Organization, pk, organizations, "organization", pk__in=organizations)


class SchemeSerializer(serializers.ModelSerializer):
    indicators = serializers.SerializerMethodField()
    bands = serializers.SerializerMethodField()
    oit_items = serializers.SerializerMethodField()

    class Meta:
        model = AssessmentScheme
        fields = [
            "id", "year", "title", "pass_mark", "oit_opens_on", "oit_closes_on", "to_check",
            "indicators", "bands", "oit_items",
        ]  # fmt: skip

    def get_indicators(self, scheme) -> list[dict]:
        return [
            {"number": i.number, "tool": i.tool.code, "name_th": i.name_th, "name_en": i.name_en}
            for i in scheme.indicators.all()
        ]

    def get_bands(self, scheme) -> list[dict]:
        return [
            {"level": b.level, "min_score": str(b.min_score), "max_score": str(b.max_score)}
            for b in scheme.bands.all()
        ]

    def get_oit_items(self, scheme) -> list[dict]:
        return [
            {"purpose": i.purpose, "code": i.code, "title_th": i.title_th}
            for i in scheme.oit_items.all()
        ]


class SchemeViewSet(viewsets.ReadOnlyModelViewSet):
    """The ITA schemes (read only here; the platform operator edits them in the admin)."""

    serializer_class = SchemeSerializer
    queryset = AssessmentScheme.objects.prefetch_related(
        "indicators__tool", "bands", "oit_items"
    ).order_by("year")


class ItaResultSerializer(serializers.ModelSerializer):
    year = serializers.IntegerField(source="scheme.year", read_only=True)
    indicator_scores = serializers.SerializerMethodField()

    class Meta:
        model = ItaResult
        fields = ["id", "organization", "year", "score", "level", "indicator_scores"]

    def get_indicator_scores(self, result) -> dict[str, str]:
        return {str(s.indicator.number): str(s.score) for s in result.scores.all()}


class ItaResultSaveSerializer(serializers.Serializer):
    organization = id_field()
    year = serializers.IntegerField(**YEAR)
    score = serializers.DecimalField(**SCORE)
    indicator_scores = serializers.DictField(
        child=serializers.DecimalField(**SCORE), allow_empty=False,
        help_text='Indicator number → score, e.g. {"1": 97.68, "2": 98.10}.',
    )  # fmt: skip


class ItaResultViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """ITA results of your organizations; POST records or corrects one (working group)."""

    serializer_class = ItaResultSerializer

    def get_queryset(self):
        return (
            ItaResult.objects.filter(organization_id__in=visible(self.request.user))
            .select_related("scheme")
            .prefetch_related("scores__indicator")
            .order_by("organization_id", "scheme__year")
        )

    @extend_schema(request=ItaResultSaveSerializer, responses={200: ItaResultSerializer, **ERRORS})
    def create(self, request):
        data = _valid(ItaResultSaveSerializer, request.data)
        organization = _organization(request.user, data["organization"])
        result = assessment_services.ita_result_save(
            organization=organization, year=data["year"], score=data["score"],
            indicator_scores=data["indicator_scores"], actor=request.user,
        )  # fmt: skip
        return Response(self.get_serializer(self.get_queryset().get(pk=result.pk)).data)


class AnalysisSerializer(serializers.ModelSerializer):
    year_assessed = serializers.IntegerField(source="result.scheme.year", read_only=True)
    fiscal_year = serializers.IntegerField(source="fiscal_year.year", read_only=True)
    content = serializers.SerializerMethodField()

    class Meta:
        model = Analysis
        fields = [
            "id", "organization", "fiscal_year", "year_assessed", "state", "version", "revision",
            "summary", "content",
        ]  # fmt: skip

    def get_content(self, analysis) -> dict:
        """Per indicator: score, the year before's, issues, answering measures, flag."""
        snapshot = assessment_selectors.analysis_snapshot(analysis)
        snapshot["unanswered"] = [
            r["number"] for r in assessment_selectors.indicators_unanswered(snapshot)
        ]
        return snapshot


class AnalysisCreateSerializer(serializers.Serializer):
    organization = id_field()
    fiscal_year = serializers.IntegerField(**YEAR, help_text="BE year of the measures, e.g. 2565")


class AnalysisUpdateSerializer(serializers.Serializer):
    summary = serializers.CharField(max_length=20000, allow_blank=True, required=False)
    issues = serializers.DictField(
        child=serializers.CharField(max_length=5000, allow_blank=True), required=False,
        help_text="Indicator number → the issues to fix or improve (empty removes them).",
    )  # fmt: skip
    version = version_field()


class AnalysisTransitionSerializer(serializers.Serializer):
    comment = serializers.CharField(max_length=5000, allow_blank=True, required=False)
    version = version_field()


def _analyses(user):
    return (
        Analysis.objects.filter(organization_id__in=visible(user))
        .select_related("fiscal_year", "result__scheme")
        .order_by("organization_id", "fiscal_year__year")
    )


class AnalysisViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):  # fmt: skip
    """Analyses of the ITA result of your organizations, a workflow item like a measure."""

    serializer_class = AnalysisSerializer

    def get_queryset(self):
        return _analyses(self.request.user)

    def retrieve(self, request, pk=None):
        analysis = self.get_object()
        return with_etag(Response(self.get_serializer(analysis).data), analysis)

    @extend_schema(request=AnalysisCreateSerializer, responses={201: AnalysisSerializer, **ERRORS})
    def create(self, request):
        """Start the analysis of the previous year's ITA result (working group)."""
        data = _valid(AnalysisCreateSerializer, request.data)
        organization = _organization(request.user, data["organization"])
        fiscal_year = FiscalYear.objects.filter(year=data["fiscal_year"]).first()
        if fiscal_year is None:
            from approvals.exceptions import ValidationFailed

            raise ValidationFailed({"fiscal_year": ["This fiscal year does not exist."]})
        analysis = assessment_services.analysis_create(
            organization=organization, fiscal_year=fiscal_year, actor=request.user
        )
        analysis = self.get_queryset().get(pk=analysis.pk)
        return with_etag(
            Response(self.get_serializer(analysis).data, status=status.HTTP_201_CREATED), analysis
        )

    @extend_schema(
        request=AnalysisUpdateSerializer, parameters=[IF_MATCH],
        responses={200: AnalysisSerializer, 428: ErrorSerializer, **ERRORS},
    )  # fmt: skip
    def partial_update(self, request, pk=None):
        """Change the summary or the issues of a drafted analysis (working group)."""
        analysis = self.get_object()
        data = _valid(AnalysisUpdateSerializer, request.data, partial=True)
        version = expected_version(request, data, required=True)
        analysis = assessment_services.analysis_update(
            analysis=analysis, actor=request.user, summary=data.get("summary"),
            issues=data.get("issues"), expected_version=version,
        )  # fmt: skip
        analysis = self.get_queryset().get(pk=analysis.pk)
        return with_etag(Response(self.get_serializer(analysis).data), analysis)


class AnalysisTransitionView(APIView):
    """Take a workflow action on an analysis (submit, review, return, approve, publish …)."""

    @extend_schema(
        request=AnalysisTransitionSerializer, parameters=[IF_MATCH],
        responses={200: AnalysisSerializer, **ERRORS},
    )  # fmt: skip
    def post(self, request, pk: int, action: str):
        analysis = get_object_or_404(_analyses(request.user), pk=pk)
        if action not in Action.values:
            raise exceptions.NotFound()
        data = _valid(AnalysisTransitionSerializer, request.data)
        log = transition_perform(
            item=analysis, action=action, actor=request.user, comment=data.get("comment", ""),
            expected_version=expected_version(request, data, required=False),
            ip_address=request.META.get("REMOTE_ADDR") or None,
        )  # fmt: skip
        analysis = _analyses(request.user).get(pk=pk)
        response = Response(AnalysisSerializer(analysis).data)
        response["ETag"] = f'"{log.version}"'
        return response


class AnalysisActionsView(APIView):
    """The actions you may take on the analysis now."""

    @extend_schema(responses={200: OpenApiResponse(description="actions, state, version")})
    def get(self, request, pk: int):
        analysis = get_object_or_404(_analyses(request.user), pk=pk)
        data = {
            "actions": [a.value for a in permissions.actions_available(request.user, analysis)],
            "editable": [
                p for p in ("analysis",) if permissions.may_edit(request.user, analysis, p)
            ],
            "state": analysis.state,
            "version": analysis.version,
        }
        return with_etag(Response(data), analysis)


class MeasureIndicatorsSerializer(serializers.Serializer):
    indicator_ids = ids_field(help_text="Indicators of the measure's fiscal year it answers.")


class MeasureIndicatorsView(APIView):
    """The ITA indicators a measure answers; PUT replaces them (drafted measures)."""

    def _measure(self, request, pk):
        return get_object_or_404(
            Measure.objects.filter(organization_id__in=visible(request.user)), pk=pk
        )

    @extend_schema(responses={200: MeasureIndicatorsSerializer, **ERRORS})
    def get(self, request, pk: int):
        measure = self._measure(request, pk)
        return Response({"indicator_ids": sorted(i.pk for i in measure.indicators.all())})

    @extend_schema(
        request=MeasureIndicatorsSerializer, responses={200: MeasureIndicatorsSerializer, **ERRORS}
    )
    def put(self, request, pk: int):
        data = _valid(MeasureIndicatorsSerializer, request.data)
        measure = assessment_services.measure_indicators_set(
            measure=self._measure(request, pk), actor=request.user,
            indicator_ids=data["indicator_ids"],
        )  # fmt: skip
        return with_etag(
            Response({"indicator_ids": sorted(i.pk for i in measure.indicators.all())}), measure
        )


class FiscalYearOpenSerializer(serializers.Serializer):
    organization = id_field()
    from_year = serializers.IntegerField(**YEAR)
    to_year = serializers.IntegerField(**YEAR)
    measure_ids = ids_field(required=False, help_text="Default: every measure of from_year.")


class FiscalYearOpenResultSerializer(serializers.Serializer):
    fiscal_year = serializers.IntegerField()
    created = serializers.ListField(child=serializers.IntegerField())
    already_carried = serializers.ListField(child=serializers.IntegerField())
    rounds_created = serializers.ListField(child=serializers.IntegerField())


class FiscalYearOpenView(APIView):
    """Open fiscal year N+1 from N: the chosen measures become its drafts (working group).

    Idempotent: a measure already carried over is listed in `already_carried`.
    """

    @extend_schema(
        request=FiscalYearOpenSerializer,
        responses={200: FiscalYearOpenResultSerializer, **ERRORS},
    )
    def post(self, request):
        data = _valid(FiscalYearOpenSerializer, request.data)
        organization = _organization(request.user, data["organization"])
        opened = assessment_services.fiscal_year_open(
            organization=organization, from_year=data["from_year"], to_year=data["to_year"],
            actor=request.user, measure_ids=data.get("measure_ids"),
        )  # fmt: skip
        return Response(
            {
                "fiscal_year": opened.fiscal_year.year,
                "created": [m.pk for m in opened.created],
                "already_carried": [m.pk for m in opened.already_carried],
                "rounds_created": [r.pk for r in opened.rounds_created],
            }
        )


router = SimpleRouter()
router.register("schemes", SchemeViewSet, basename="ita-scheme")
router.register("results", ItaResultViewSet, basename="ita-result")
router.register("analyses", AnalysisViewSet, basename="ita-analysis")

urlpatterns = [
    path("fiscal-year-open/", FiscalYearOpenView.as_view(), name="ita-fiscal-year-open"),
    path(
        "analyses/<int:pk>/transitions/<str:action>/",
        AnalysisTransitionView.as_view(),
        name="ita-analysis-transition",
    ),
    path("analyses/<int:pk>/actions/", AnalysisActionsView.as_view(), name="ita-analysis-actions"),
    path(
        "measures/<int:pk>/indicators/",
        MeasureIndicatorsView.as_view(),
        name="ita-measure-indicators",
    ),
    *router.urls,
]
