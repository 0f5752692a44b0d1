"""The inbox in the API: list with unread count, mark read, preferences."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from approvals import selectors
from approvals.models import EmailMode, Notification
from approvals.notifications import (
    notification_mark_all_read,
    notification_mark_read,
    preference_update,
)


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

    def get_paginated_response(self, data):
        response = super().get_paginated_response(data)
        response.data["unread_count"] = self.unread
        return response

    def get_paginated_response_schema(self, schema):
        schema = super().get_paginated_response_schema(schema)
        schema["properties"]["unread_count"] = {"type": "integer"}
        return schema


class InboxListApi(APIView):
    @extend_schema(responses=NotificationSerializer(many=True), operation_id="inbox_list")
    def get(self, request):
        unread_only = request.query_params.get("unread") in ("1", "true")
        paginator = InboxPagination()
        paginator.unread = selectors.unread_count(request.user)
        page = paginator.paginate_queryset(
            selectors.inbox_for(request.user, unread_only=unread_only), request, view=self
        )
        return paginator.get_paginated_response(NotificationSerializer(page, many=True).data)


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
