"""The one place where a failed request becomes an answer: JSON under /api/, a Thai page elsewhere.

Django calls these for every error no view turned into a response (config.urls: handler400 …
handler500); the API's own errors go through config.api.exception_handler, which uses the
same database rule. A database that is restarting or unreachable is not a bug of the request:
it is answered 503 with Retry-After, and the person is told that nothing they sent was saved
(every write runs in one transaction, so a lost connection rolls all of it back).
"""

from __future__ import annotations

import sys

from django.core.exceptions import RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from workflow import thai

RETRY_AFTER_SECONDS = 5

# status: code, Thai, English, for answers under /api/
API_ERRORS = {
    400: ("bad_request", "คำขอไม่ถูกต้อง", "The request is not valid."),
    403: ("not_permitted", "ท่านไม่มีสิทธิ์ดำเนินการนี้", "You are not permitted to do this."),
    404: ("not_found", "ไม่พบรายการนี้", "Not found."),
    413: (
        "request_too_large",
        "ข้อมูลที่ส่งมามีขนาดใหญ่เกินกำหนด",
        "The request body is larger than allowed.",
    ),
    500: (
        "server_error",
        "ระบบขัดข้อง ไม่มีการบันทึกสิ่งที่ส่งมา กรุณาแจ้งผู้ดูแลระบบ",
        "The server failed; nothing was saved. Please tell the administrator.",
    ),
    503: (
        "database_unavailable",
        "ระบบไม่พร้อมให้บริการชั่วคราว ไม่มีการบันทึกสิ่งที่ส่งมา กรุณาลองใหม่ในอีกสักครู่",
        "The service is briefly unavailable; nothing was saved. Try again in a moment.",
    ),
}


# status: heading and explanation of the page a person sees
PAGES = {
    400: (
        _("The request could not be accepted"),
        _("Something in what was sent cannot be accepted. Nothing was saved: go back, "
          "correct it and send it again."),
    ),
    403: (
        _("You are not permitted to see this page"),
        _("Your role in the organization does not give access to this page. If you "
          "should have it, ask your organization's administrator."),
    ),
    404: (
        _("Page not found"),
        _("The address may be mistyped, or the item was removed or belongs to another "
          "organization."),
    ),
    413: (
        _("What was sent is too large"),
        _("The data or file sent is larger than the system accepts. Nothing was saved."),
    ),
    429: (
        _("Too many attempts"),
        _("The account or this computer is locked for a while after too many wrong "
          "passwords. Wait and try again, or ask your organization's administrator."),
    ),
    500: (
        _("The system failed"),
        _("An unexpected error stopped the request. Nothing was saved. Please tell the "
          "administrator what you were doing."),
    ),
    503: (
        _("The system is briefly unavailable"),
        _("The database is restarting or cannot be reached. Nothing you sent was saved; "
          "send it again in a moment."),
    ),
}  # fmt: skip


def database_unavailable(error: BaseException | None) -> bool:
    """The database could not be reached or dropped the connection (a restart, a failover)."""
    return isinstance(error, OperationalError | InterfaceError)


def is_api(request) -> bool:
    return request.path.startswith("/api/")


def api_error(status: int, fields: dict | None = None) -> JsonResponse:
    code, message_th, message_en = API_ERRORS[status]
    body = {"code": code, "message_th": message_th, "message_en": message_en}
    if fields is not None:
        body["fields"] = fields
    response = JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})
    if status == 503:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def error_page(request, status: int, *, use_request: bool = True, reasons=()) -> HttpResponse:
    """The site's page for an error, in the person's language.

    Without `use_request` the page is drawn without the context processors, so that a
    page for a broken database does not ask the database who is logged in.
    """
    heading, explanation = PAGES[status]
    context = {
        "status": status, "heading": heading, "explanation": explanation,
        "retry_after": RETRY_AFTER_SECONDS, "reasons": reasons,
        "retry_after_shown": thai.to_thai_digits(RETRY_AFTER_SECONDS)
        if get_language() == "th" else RETRY_AFTER_SECONDS,
    }  # fmt: skip
    template = "errors/error.html"
    try:
        html = render_to_string(template, context, request=request if use_request else None)
    except Exception:  # the page must answer even when drawing the layout fails
        if not use_request:
            raise
        html = render_to_string(template, context)
    response = HttpResponse(html, status=status)
    if status == 503:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def bad_request(request, exception=None):
    status = 413 if isinstance(exception, RequestDataTooBig) else 400
    if is_api(request):
        return api_error(status)
    return error_page(request, status)


def permission_denied(request, exception=None):
    return api_error(403) if is_api(request) else error_page(request, 403)


def page_not_found(request, exception=None):
    return api_error(404) if is_api(request) else error_page(request, 404)


def server_error(request):
    """500, or 503 when the database is what failed (the exception being handled)."""
    status = 503 if database_unavailable(sys.exc_info()[1]) else 500
    return api_error(status) if is_api(request) else error_page(request, status, use_request=False)


def unstorable_input(request, fields: dict) -> HttpResponse:
    """400 for text no database can store (NUL, lone surrogates): see workflow.text."""
    if is_api(request):
        return api_error(400, fields)
    return error_page(request, 400, reasons=sorted({m for ms in fields.values() for m in ms}))


class UnstorableInputMiddleware:
    """Refuse, for every page, form and filter, a parameter no database can store.

    Query parameters and form fields are checked before any view reads them; JSON bodies
    of the API are checked by its serializers, files by the importer and the uploads.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from workflow.text import unstorable_reason

        fields: dict = {}
        for data in (request.GET, request.POST):
            for name, values in data.lists():
                reason = next(filter(None, map(unstorable_reason, (name, *values))), None)
                if reason:
                    fields[name] = [str(reason)]
        if fields:
            return unstorable_input(request, fields)
        return self.get_response(request)
