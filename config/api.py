"""What every API view shares: the one mapping of errors to JSON, and version preconditions.

Errors are always `{"code", "message_th", "message_en"}`, with `"fields"` for invalid
input: 400 invalid input, 401 not logged in, 403 not permitted, 404 not found (also
another organization's item), 409 action not allowed from the state / stale version,
428 an edit that does not say which version it changes.

Versions (optimistic locking): every measure and result report has a `version`,
raised by every change and sent as the ETag (`"7"`). An edit (PUT/PATCH) must say
which version it changes: in the If-Match header (preferred; it wins if both are
given) or, for clients that cannot set headers, in a `version` field of the body;
with neither it is refused with 428. A transition may say it the same way and is
then refused with 409 `stale_version` if the item moved on; without it, the
transition is checked against the current state only.
"""

from __future__ import annotations

from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError
from django.http import Http404
from drf_spectacular.openapi import AutoSchema
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from approvals.exceptions import PreconditionRequired, ValidationFailed, WorkflowError
from config.errors import API_ERRORS, RETRY_AFTER_SECONDS, database_unavailable

# code, Thai, English for the errors DRF itself raises.
_DRF_ERRORS = {
    exceptions.NotAuthenticated: (
        "not_authenticated",
        "กรุณาเข้าสู่ระบบก่อน",
        "Log in first.",
    ),
    exceptions.AuthenticationFailed: (
        "authentication_failed",
        "ข้อมูลการเข้าสู่ระบบไม่ถูกต้อง",
        "The credentials are not valid.",
    ),
    exceptions.PermissionDenied: (
        "not_permitted",
        "ท่านไม่มีสิทธิ์ดำเนินการนี้",
        "You are not permitted to do this.",
    ),
    exceptions.NotFound: ("not_found", "ไม่พบรายการนี้", "Not found."),
    exceptions.MethodNotAllowed: (
        "method_not_allowed",
        "ไม่รองรับวิธีการเรียกนี้",
        "This method is not allowed here.",
    ),
    exceptions.NotAcceptable: (
        "not_acceptable",
        "ไม่รองรับรูปแบบข้อมูลที่ขอ",
        "The requested format is not available.",
    ),
    exceptions.UnsupportedMediaType: (
        "unsupported_media_type",
        "ไม่รองรับรูปแบบข้อมูลที่ส่งมา",
        "The format of the request body is not supported.",
    ),
    exceptions.ParseError: (
        "parse_error",
        "อ่านข้อมูลที่ส่งมาไม่ได้",
        "The request body could not be read.",
    ),
    exceptions.Throttled: (
        "throttled",
        "มีการเรียกใช้บ่อยเกินไป กรุณารอสักครู่",
        "Too many requests; wait a moment.",
    ),
    exceptions.ValidationError: (
        "invalid",
        ValidationFailed.message_th,
        ValidationFailed.message_en,
    ),
}


def _body(code: str, message_th: str, message_en: str, fields=None) -> dict:
    body = {"code": code, "message_th": message_th, "message_en": message_en}
    if fields is not None:
        body["fields"] = fields
    return body


def _fields_of(detail) -> dict:
    if isinstance(detail, dict):
        return detail
    return {"non_field_errors": detail if isinstance(detail, list) else [detail]}


def exception_handler(exc, context):
    """REST_FRAMEWORK["EXCEPTION_HANDLER"]: every error of the API becomes one JSON shape."""
    if isinstance(exc, WorkflowError):
        return Response(exc.as_dict(), status=exc.status)
    if database_unavailable(exc):
        response = Response(_body(*API_ERRORS[503]), status=status.HTTP_503_SERVICE_UNAVAILABLE)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    if isinstance(exc, Http404 | ObjectDoesNotExist):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, DjangoValidationError):
        fields = exc.message_dict if hasattr(exc, "error_dict") else None
        exc = exceptions.ValidationError(fields or {"non_field_errors": exc.messages})
    elif isinstance(exc, DataError):
        exc = exceptions.ValidationError({"non_field_errors": ["A value is out of range."]})
    elif isinstance(exc, IntegrityError):
        return Response(
            _body(
                "conflict",
                "ข้อมูลขัดแย้งกับรายการที่มีอยู่ กรุณาลองใหม่",
                "This conflicts with an existing record; reload and try again.",
            ),
            status=status.HTTP_409_CONFLICT,
        )
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    code, message_th, message_en = next(
        (texts for kind, texts in _DRF_ERRORS.items() if isinstance(exc, kind)),
        ("error", "เกิดข้อผิดพลาด", "The request failed."),
    )
    if response.status_code == status.HTTP_403_FORBIDDEN:
        code = "not_permitted"  # no credentials on a session-only request
    fields = _fields_of(exc.detail) if isinstance(exc, exceptions.ValidationError) else None
    response.data = _body(code, message_th, message_en, fields)
    return response


class ErrorSerializer(serializers.Serializer):
    """The body of every error response (for the OpenAPI schema)."""

    code = serializers.CharField()
    message_th = serializers.CharField()
    message_en = serializers.CharField()
    fields = serializers.DictField(required=False)


# The errors any operation may answer (as ErrorSerializer): invalid input or filters, not
# logged in, not permitted, not found (also a page past the last), a format not offered.
ERROR_STATUSES = ("400", "401", "403", "404", "406")
# And those of writes: a conflict (state, stale version, duplicate), a body format not read.
WRITE_ERROR_STATUSES = ("409", "415")


class ApiSchema(AutoSchema):
    """drf-spectacular's schema, with the error statuses every operation can answer."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        statuses = ERROR_STATUSES
        if self.method in ("POST", "PUT", "PATCH", "DELETE"):
            statuses += WRITE_ERROR_STATUSES
        for code in statuses:
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    ErrorSerializer, code, direction=direction
                )
        return responses


def etag_for(item) -> str:
    return f'"{item.version}"'


def _parse_if_match(value: str) -> int:
    tag = value.strip()
    if tag.startswith("W/"):
        tag = tag[2:]
    tag = tag.strip().strip('"')
    if not tag.isascii() or not tag.isdigit() or len(tag) > 9:
        raise ValidationFailed({"If-Match": ['Give the ETag of the item, e.g. "3".']})
    return int(tag)


def expected_version(request, data=None, *, required: bool) -> int | None:
    """The version a write says it changes: If-Match first, else `version` in the body."""
    header = request.headers.get("If-Match")
    if header:
        return _parse_if_match(header)
    version = (data or {}).get("version")
    if version is not None:
        return version
    if required:
        raise PreconditionRequired()
    return None


def with_etag(response: Response, item) -> Response:
    response["ETag"] = etag_for(item)
    return response
