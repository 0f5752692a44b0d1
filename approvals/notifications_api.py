"""The inbox in the API: list with unread count, mark read, preferences."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from approvals import selectors
from approvals.exceptions import ValidationFailed
from approvals.models import EmailMode, Notification
from approvals.notifications import (
    notification_mark_all_read,
    notification_mark_read,
    preference_update,
)
from config.pagination import PageNumberPagination


class NotificationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notification
        fields = [
            "id", "kind", "action", "organization", "measure", "result_report",
            "transition_log", "title", "title_en", "body", "url", "created_at", "read_at",
        ]  # fmt: skip
        read_only_fields = fields


class InboxPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_page_size(self, request):
        """As the schema says: 1 to 200, or a clear 400 (not silently the default)."""
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not (raw.isascii() and raw.isdigit() and 1 <= int(raw) <= self.max_page_size):
            most = self.max_page_size
            raise ValidationFailed({"page_size": [f"Give a number from 1 to {most}."]})
        return int(raw)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(minimum=1, maximum=self.max_page_size)
        return parameters

    def get_paginated_response(self, data):
        response = super().get_paginated_response(data)
        response.data["unread_count"] = self.unread
        return response

    def get_paginated_response_schema(self, schema):
        schema = super().get_paginated_response_schema(schema)
        schema["properties"]["unread_count"] = {"type": "integer"}
        return schema


class InboxListApi(ListAPIView):
    """Your notifications, newest first, a page at a time, with the number still unread."""

    serializer_class = NotificationSerializer
    pagination_class = InboxPagination
    filter_backends = []

    def get_queryset(self):
        unread = self.request.query_params.get("unread", "false")
        if unread not in ("true", "false"):
            raise ValidationFailed({"unread": ["Give true or false."]})
        return selectors.inbox_for(self.request.user, unread_only=unread == "true")

    @extend_schema(
        operation_id="inbox_list",
        parameters=[
            OpenApiParameter(
                "unread", bool, required=False, description="Only the unread notifications."
            )
        ],
    )
    def get(self, request, *args, **kwargs):
        self.paginator.unread = selectors.unread_count(request.user)
        return self.list(request, *args, **kwargs)


UnreadSerializer = inline_serializer("Unread", {"unread_count": serializers.IntegerField()})


class InboxReadApi(APIView):
    @extend_schema(request=None, responses=UnreadSerializer, operation_id="inbox_read")
    def post(self, request, pk: int):
        get_object_or_404(Notification, pk=pk, user=request.user)
        notification_mark_read(notification_id=pk, user=request.user)
        return Response({"unread_count": selectors.unread_count(request.user)})


class InboxReadAllApi(APIView):
    @extend_schema(request=None, responses=UnreadSerializer, operation_id="inbox_read_all")
    def post(self, request):
        notification_mark_all_read(user=request.user)
        return Response({"unread_count": selectors.unread_count(request.user)})


class PreferenceSerializer(serializers.Serializer):
    email_mode = serializers.ChoiceField(choices=EmailMode.choices)


class PreferenceApi(APIView):
    @extend_schema(responses=PreferenceSerializer, operation_id="inbox_preferences_get")
    def get(self, request):
        preference = selectors.preference_for(request.user)
        return Response(PreferenceSerializer(preference).data)

    @extend_schema(
        request=PreferenceSerializer,
        responses=PreferenceSerializer,
        operation_id="inbox_preferences_update",
    )
    def put(self, request):
        serializer = PreferenceSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        preference = preference_update(user=request.user, **serializer.validated_data)
        return Response(PreferenceSerializer(preference).data)
