"""Read-only audit API under /api/v1/audit/<organization>/ for auditors and admins."""

from __future__ import annotations

import dataclasses

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from audit import selectors
from audit.access import audited_organization
from audit.forms import AsOfForm, LogFilterForm
from audit.views import export_response, timeline_page
from workflow.models import FiscalYear


class AuditAPIView(APIView):
    http_method_names = ["get", "head", "options"]

    def organization(self):
        return audited_organization(self.request.user, self.kwargs["slug"])


class LogAPI(AuditAPIView):
    """The organization log, newest first; `next` is the cursor of the following page."""

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request, slug):
        organization = self.organization()
        form = LogFilterForm(request.query_params, organization=organization)
        if not form.is_valid():
            raise ValidationError(form.errors)
        rows, next_cursor = selectors.organization_log(
            form.log_filter(organization.pk),
            after=form.cleaned_data.get("after") or None,
            limit=form.cleaned_data.get("limit") or 50,
        )
        return Response({"results": rows, "next": next_cursor})


class LogExportAPI(AuditAPIView):
    """The whole filtered log, streamed as CSV or JSON Lines."""

    @extend_schema(responses={(200, "text/csv"): OpenApiTypes.STR})
    def get(self, request, slug, fmt):
        return export_response(request, self.organization(), fmt)


class TimelineAPI(AuditAPIView):
    """The versions of one measure or result report, newest first, with field-by-field
    differences; `next` is the cursor (`after`) of the older page, `limit` up to 100."""

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request, slug, kind, pk):
        form, entries, next_cursor = timeline_page(
            self.organization(), kind, pk, request.query_params
        )
        if entries is None:
            raise ValidationError(form.errors)
        return Response({"results": [dataclasses.asdict(e) for e in entries], "next": next_cursor})


class AsOfAPI(AuditAPIView):
    """What was published and what the working copy was at `at` (ISO date-time)."""

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request, slug):
        organization = self.organization()
        form = AsOfForm(request.query_params)
        if not form.is_valid() or not form.cleaned_data.get("year"):
            raise ValidationError(form.errors or {"year": ["This field is required."]})
        fiscal_year = get_object_or_404(FiscalYear, year=form.cleaned_data["year"])
        return Response(
            selectors.report_as_of(
                organization_id=organization.pk, fiscal_year_id=fiscal_year.pk, at=form.moment()
            )
        )


class ChainAPI(AuditAPIView):
    """The chain head (to compare with a publication's) and the last verification."""

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request, slug):
        return Response(selectors.chain_status(self.organization().pk))
