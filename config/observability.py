"""One log line per request and per Celery task, each carrying who, which organization and
a request id that follows a transition's e-mails into the task that sends them.

The request id is the client's `X-Request-ID` when it is a plausible one (a proxy's),
otherwise a new one; it is returned in the response's `X-Request-ID`. The outbox publisher
passes the ids of the requests whose e-mails it batches as a task header.
"""

from __future__ import annotations

import contextvars
import logging
import re
import time
import uuid

from celery import signals

logger = logging.getLogger("itaflow.request")
task_logger = logging.getLogger("itaflow.task")

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
user_id_var: contextvars.ContextVar[int | None] = contextvars.ContextVar("user_id", default=None)
organization_var: contextvars.ContextVar[str] = contextvars.ContextVar("organization", default="")

REQUEST_IDS_HEADER = "itaflow_request_ids"
_PLAUSIBLE = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")


class ContextFilter(logging.Filter):
    """Adds the request id, the user id and the organization to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = getattr(record, "request_id", None) or request_id_var.get()
        record.user_id = getattr(record, "user_id", None) or user_id_var.get()
        record.organization = getattr(record, "organization", None) or organization_var.get()
        return True


def _organization_of(request) -> str:
    match = getattr(request, "resolver_match", None)
    if match is None:
        return ""
    return str(match.kwargs.get("slug") or match.kwargs.get("org") or "")


class RequestLogMiddleware:
    """Sets the request's context for the logs, and writes its one line when it is answered."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _PLAUSIBLE.match(incoming) else uuid.uuid4().hex
        tokens = [request_id_var.set(request_id), user_id_var.set(None), organization_var.set("")]
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            user = getattr(request, "user", None)
            user_id_var.set(user.pk if user is not None and user.is_authenticated else None)
            organization_var.set(_organization_of(request))
            response["X-Request-ID"] = request_id
            logger.info(
                "%s %s %s",
                request.method,
                request.path,
                response.status_code,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                },
            )
            return response
        finally:
            for var, token in zip(
                (request_id_var, user_id_var, organization_var), tokens, strict=True
            ):
                var.reset(token)


_task_started: dict[str, float] = {}


@signals.task_prerun.connect
def _task_context(task_id=None, task=None, **kwargs) -> None:
    request_ids = getattr(task.request, REQUEST_IDS_HEADER, None) or ""
    request_id_var.set(request_ids if isinstance(request_ids, str) else ",".join(request_ids))
    _task_started[task_id] = time.perf_counter()


@signals.task_postrun.connect
def _task_logged(task_id=None, task=None, state=None, **kwargs) -> None:
    started = _task_started.pop(task_id, None)
    if getattr(task.request, "is_eager", False):
        return  # in-process: the request's own line covers it
    task_logger.info(
        "task %s %s",
        task.name,
        state,
        extra={
            "task": task.name,
            "task_id": task_id,
            "state": state,
            "duration_ms": round((time.perf_counter() - started) * 1000, 2) if started else None,
        },
    )
    request_id_var.set("")


def logging_config(*, level: str, json: bool) -> dict:
    """The LOGGING setting: JSON lines in production (python-json-logger), text otherwise."""
    formatter = (
        {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s "
            "%(request_id)s %(user_id)s %(organization)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        }
        if json
        else {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"}
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"context": {"()": "config.observability.ContextFilter"}},
        "formatters": {"default": formatter},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "filters": ["context"],
                "formatter": "default",
            }
        },
        "root": {"handlers": ["console"], "level": level},
    }


def sentry_init(dsn: str, *, environment: str, release: str) -> None:
    """Optional error tracking: only when SENTRY_DSN is set (no personal data sent)."""
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        send_default_pii=False,
        traces_sample_rate=0.0,
    )
