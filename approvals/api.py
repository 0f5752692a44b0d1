"""The approvals API: transitions, the actions one may take, work queues, roles, delegations.

Transitions: `POST /api/v1/<measures|result-reports>/<id>/transitions/<action>/` with
`{"comment": ..., "publish_at"?: ..., "version"?: ...}`. If-Match (or `version`) is
optional here; when given, a stale one answers 409 `stale_version`. Publishing with
a future `publish_at` schedules it (202) instead. Responses carry the new ETag.
Errors and versions: see config.api.
"""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter
from rest_framework.views import APIView

from approvals import permissions, services
from approvals.models import Delegation, Membership, PublicationSchedule, Role
from approvals.selectors import organization_person, queue_for
from audit.models import TransitionLog
from config.api import ErrorSerializer, expected_version, with_etag
from config.security import client_ip
from workflow.api.serializers import id_field, ids_field, version_field
from workflow.api.views import IF_MATCH, FlagFilter, id_filter, visible
from workflow.models import Action, Measure, Organization, ReportIntroduction, ResultReport
from workflow.text import TEXT_MAX_LENGTH

ERRORS = {code: OpenApiResponse(ErrorSerializer) for code in (400, 401, 403, 404, 409)}


class TransitionSerializer(serializers.Serializer):
    comment = serializers.CharField(max_length=TEXT_MAX_LENGTH, allow_blank=True, required=False)
    publish_at = serializers.DateTimeField(
        required=False, help_text="Publish only: a future moment schedules the publication."
    )
    version = version_field()


class TransitionLogSerializer(serializers.ModelSerializer):
    class Meta:
        model = TransitionLog
        fields = [
            "id", "measure", "result_report", "action", "source_state", "target_state",
            "actor", "system_actor", "role", "delegation", "comment", "version", "revision",
            "created_at",
        ]  # fmt: skip


class PublicationScheduleSerializer(serializers.ModelSerializer):
    class Meta:
        model = PublicationSchedule
        fields = [
            "id", "measure", "result_report", "publish_at", "scheduled_by", "comment",
            "done_at", "cancelled_at", "error_code",
        ]  # fmt: skip


class ActionsSerializer(serializers.Serializer):
    actions = serializers.ListField(child=serializers.CharField())
    editable = serializers.ListField(child=serializers.CharField())
    state = serializers.CharField()
    version = serializers.IntegerField()


def _item(model, user, pk):
    if model is ResultReport:
        queryset = ResultReport.objects.filter(measure__organization_id__in=visible(user))
        queryset = queryset.select_related("measure")
    else:  # a measure, or an opening paragraph: both of one organization
        queryset = model.objects.filter(organization_id__in=visible(user))
    return get_object_or_404(queryset, pk=pk)


class TransitionView(APIView):
    """Take a workflow action on a measure or result report."""

    model = Measure

    @extend_schema(
        request=TransitionSerializer,
        parameters=[IF_MATCH],
        responses={
            200: TransitionLogSerializer,
            202: PublicationScheduleSerializer,
            428: ErrorSerializer,
            **ERRORS,
        },
    )
    def post(self, request, pk: int, action: str):
        item = _item(self.model, request.user, pk)
        if action not in Action.values:
            raise exceptions.NotFound()
        serializer = TransitionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        version = expected_version(request, data, required=False)
        publish_at = data.get("publish_at")
        if publish_at and self.model is ReportIntroduction:
            from approvals.exceptions import ValidationFailed

            raise ValidationFailed({"publish_at": ["The opening paragraph is published at once."]})
        if action == Action.PUBLISH and publish_at and publish_at > timezone.now():
            schedule = services.publication_schedule(
                item=item,
                actor=request.user,
                publish_at=publish_at,
                comment=data.get("comment", ""),
                expected_version=version,
            )
            return Response(
                PublicationScheduleSerializer(schedule).data, status=status.HTTP_202_ACCEPTED
            )
        log = services.transition_perform(
            item=item,
            action=action,
            actor=request.user,
            comment=data.get("comment", ""),
            expected_version=version,
            ip_address=client_ip(request),
        )
        response = Response(TransitionLogSerializer(log).data)
        response["ETag"] = f'"{log.version}"'
        return response


class ResultReportTransitionView(TransitionView):
    model = ResultReport


class IntroductionTransitionView(TransitionView):
    """Take a workflow action on the opening paragraph of a year's report."""

    model = ReportIntroduction


class ActionsView(APIView):
    """The actions you may take on the item now, and the parts you may edit."""

    model = Measure

    @extend_schema(responses={200: ActionsSerializer, **ERRORS})
    def get(self, request, pk: int):
        item = _item(self.model, request.user, pk)
        parts = {Measure: ("measure",), ReportIntroduction: ("introduction",)}.get(
            self.model, ("items", "evidence", "recommendations")
        )
        data = {
            "actions": [a.value for a in permissions.actions_available(request.user, item)],
            "editable": [p for p in parts if permissions.may_edit(request.user, item, p)],
            "state": item.state,
            "version": item.version,
        }
        return with_etag(Response(data), item)


class ResultReportActionsView(ActionsView):
    model = ResultReport


class IntroductionActionsView(ActionsView):
    model = ReportIntroduction


class QueueEntrySerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["measure", "result_report"])
    id = serializers.IntegerField()
    organization = serializers.IntegerField()
    title = serializers.CharField()
    state = serializers.CharField()
    version = serializers.IntegerField()
    role = serializers.CharField()
    actions = serializers.ListField(child=serializers.CharField())
    updated_at = serializers.DateTimeField()


class QueueView(APIView):
    """What is waiting for you, per role you hold (oldest first)."""

    @extend_schema(responses={200: QueueEntrySerializer(many=True), **ERRORS})
    def get(self, request):
        return Response(QueueEntrySerializer(queue_for(request.user), many=True).data)


# --- memberships and delegations (organization admins) ----------------------------------


class MembershipSerializer(serializers.ModelSerializer):
    division_ids = serializers.SerializerMethodField()
    username = serializers.CharField(source="user.username", read_only=True)

    class Meta:
        model = Membership
        fields = [
            "id", "user", "username", "organization", "role", "division_ids", "is_active",
            "created_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_division_ids(self, membership) -> list[int]:
        return sorted(d.pk for d in membership.divisions.all())


class MembershipCreateSerializer(serializers.Serializer):
    user = id_field()
    organization = id_field()
    role = serializers.ChoiceField(choices=Role.choices)
    division_ids = ids_field(required=False)


class MembershipUpdateSerializer(serializers.Serializer):
    is_active = serializers.BooleanField(required=False)
    division_ids = ids_field(required=False)


def _managed_organizations(user) -> set[int]:
    """Organizations whose people `user` may see: as admin or auditor."""
    return {
        org for org in visible(user) if {Role.ADMIN, Role.AUDITOR} & permissions.roles_of(user, org)
    }


def _organization_or_400(pk: int, user) -> Organization:
    from approvals.exceptions import ValidationFailed

    organization = Organization.objects.filter(pk=pk, pk__in=visible(user)).first()
    if organization is None:
        raise ValidationFailed({"organization": ["Unknown or not yours."]})
    return organization


def _person_or_400(organization: Organization, pk: int, field: str):
    from approvals.exceptions import ValidationFailed

    found = organization_person(organization_id=organization.pk, user_id=pk)
    if found is None:
        raise ValidationFailed({field: ["Not a person of this organization."]})
    return found


class MembershipFilter(django_filters.FilterSet):
    organization = id_filter("organization", "organization")
    is_active = FlagFilter()

    class Meta:
        model = Membership
        fields = ["organization", "role", "is_active"]


@extend_schema(responses={200: MembershipSerializer, **ERRORS})
class MembershipViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):  # fmt: skip
    """Who holds which role: admins and auditors see their organizations', others their own."""

    serializer_class = MembershipSerializer
    filterset_class = MembershipFilter

    def get_queryset(self):
        user = self.request.user
        return (
            Membership.objects.filter(
                Q(organization_id__in=_managed_organizations(user)) | Q(user_id=user.pk)
            )
            .select_related("user")
            .prefetch_related("divisions")
            .order_by("organization_id", "user__username", "role")
        )

    @extend_schema(request=MembershipCreateSerializer, responses={201: MembershipSerializer})
    def create(self, request):
        serializer = MembershipCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        organization = _organization_or_400(data["organization"], request.user)
        # Not permitted is answered before anything about the person is looked up.
        permissions.authorize_admin(request.user, organization.pk)
        membership = services.membership_create(
            organization=organization,
            actor=request.user,
            user=_person_or_400(organization, data["user"], "user"),
            role=data["role"],
            division_ids=data.get("division_ids") or (),
        )
        return Response(MembershipSerializer(membership).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=MembershipUpdateSerializer, responses={200: MembershipSerializer})
    def partial_update(self, request, pk=None):
        membership = self.get_object()
        serializer = MembershipUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        membership = services.membership_update(
            membership=membership, actor=request.user, **serializer.validated_data
        )
        return Response(MembershipSerializer(membership).data)


class DelegationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Delegation
        fields = [
            "id", "organization", "delegator", "deputy", "deputy_position", "starts_at",
            "ends_at", "reason", "revoked_at", "created_at",
        ]  # fmt: skip
        read_only_fields = fields


class DelegationCreateSerializer(serializers.Serializer):
    organization = id_field()
    delegator = id_field()
    deputy = id_field()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    reason = serializers.CharField(max_length=TEXT_MAX_LENGTH, required=False, allow_blank=True)
    deputy_position = serializers.CharField(max_length=200, required=False, allow_blank=True)


class DelegationFilter(django_filters.FilterSet):
    organization = id_filter("organization", "organization")

    class Meta:
        model = Delegation
        fields = ["organization"]


@extend_schema(responses={200: DelegationSerializer, **ERRORS})
class DelegationViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):  # fmt: skip
    """Delegations of your organizations (ปฏิบัติราชการแทน); admins give and revoke them."""

    serializer_class = DelegationSerializer
    filterset_class = DelegationFilter

    def get_queryset(self):
        return Delegation.objects.filter(organization_id__in=visible(self.request.user)).order_by(
            "organization_id", "-starts_at", "pk"
        )

    @extend_schema(request=DelegationCreateSerializer, responses={201: DelegationSerializer})
    def create(self, request):
        serializer = DelegationCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        organization = _organization_or_400(data["organization"], request.user)
        delegation = services.delegation_create(
            organization=organization,
            actor=request.user,
            delegator=_person_or_400(organization, data["delegator"], "delegator"),
            deputy=_person_or_400(organization, data["deputy"], "deputy"),
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
            reason=data.get("reason", ""),
            deputy_position=data.get("deputy_position", ""),
        )
        return Response(DelegationSerializer(delegation).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: DelegationSerializer})
    def revoke(self, request, pk=None):
        delegation = services.delegation_revoke(delegation=self.get_object(), actor=request.user)
        return Response(DelegationSerializer(delegation).data)


class PublicationScheduleFilter(django_filters.FilterSet):
    organization = id_filter("organization", "organization")
    measure = id_filter("measure", "measure")
    result_report = id_filter("result_report", "result report")

    class Meta:
        model = PublicationSchedule
        fields = ["organization", "measure", "result_report"]


@extend_schema(responses={200: PublicationScheduleSerializer, **ERRORS})
class PublicationScheduleViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):  # fmt: skip
    """Scheduled publications of your organizations; publishers call off pending ones.

    Schedule one with `POST …/transitions/publish/` and a future `publish_at`.
    """

    serializer_class = PublicationScheduleSerializer
    filterset_class = PublicationScheduleFilter

    def get_queryset(self):
        return PublicationSchedule.objects.filter(
            organization_id__in=visible(self.request.user)
        ).order_by("-publish_at", "-pk")

    @extend_schema(request=None, responses={200: PublicationScheduleSerializer})
    def cancel(self, request, pk=None):
        schedule = services.publication_schedule_cancel(
            schedule=self.get_object(), actor=request.user
        )
        return Response(PublicationScheduleSerializer(schedule).data)


router = SimpleRouter()
router.register("memberships", MembershipViewSet, basename="membership")
router.register("delegations", DelegationViewSet, basename="delegation")
router.register(
    "publication-schedules", PublicationScheduleViewSet, basename="publication-schedule"
)

urlpatterns = [
    *router.urls,
    path(
        "delegations/<int:pk>/revoke/",
        DelegationViewSet.as_view({"post": "revoke"}),
        name="delegation-revoke",
    ),
    path(
        "publication-schedules/<int:pk>/cancel/",
        PublicationScheduleViewSet.as_view({"post": "cancel"}),
        name="publication-schedule-cancel",
    ),
    path(
        "measures/<int:pk>/transitions/<str:action>/",
        TransitionView.as_view(),
        name="measure-transition",
    ),
    path(
        "result-reports/<int:pk>/transitions/<str:action>/",
        ResultReportTransitionView.as_view(),
        name="result-report-transition",
    ),
    path("measures/<int:pk>/actions/", ActionsView.as_view(), name="measure-actions"),
    path(
        "result-reports/<int:pk>/actions/",
        ResultReportActionsView.as_view(),
        name="result-report-actions",
    ),
    path(
        "introductions/<int:pk>/transitions/<str:action>/",
        IntroductionTransitionView.as_view(),
        name="introduction-transition",
    ),
    path(
        "introductions/<int:pk>/actions/",
        IntroductionActionsView.as_view(),
        name="introduction-actions",
    ),
    path("queue/", QueueView.as_view(), name="queue"),
]
