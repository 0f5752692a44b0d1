"""Logs: one line per request with its request id, user and organization; the id follows
a transition's e-mails into the Celery task that sends them."""

import logging
import re

import pytest
from celery import signals

from approvals.delivery import publisher
from config.observability import REQUEST_IDS_HEADER, logging_config, request_id_var

pytestmark = pytest.mark.django_db


def _request_lines(caplog):
    return [r for r in caplog.records if r.name == "itaflow.request"]


def test_each_request_logs_one_line_with_its_id(client, caplog):
    caplog.set_level(logging.INFO, logger="itaflow.request")

    response = client.get("/public/")
    (line,) = _request_lines(caplog)
    assert re.fullmatch(r"[0-9a-f]{32}", line.request_id)
    assert response["X-Request-ID"] == line.request_id
    assert (line.method, line.path, line.status) == ("GET", "/public/", 200)
    assert line.user_id is None

    # a proxy's request id is kept; an implausible one is replaced
    caplog.clear()
    response = client.get("/public/", headers={"X-Request-ID": "proxy-1234-abcd"})
    assert response["X-Request-ID"] == "proxy-1234-abcd"
    assert _request_lines(caplog)[0].request_id == "proxy-1234-abcd"
    response = client.get("/public/", headers={"X-Request-ID": "<script>"})
    assert response["X-Request-ID"] != "<script>"


def test_json_lines_carry_the_context():
    config = logging_config(level="INFO", json=True)
    assert config["formatters"]["default"]["()"] == "pythonjsonlogger.json.JsonFormatter"
    from pythonjsonlogger.json import JsonFormatter

    record = logging.LogRecord("itaflow.request", logging.INFO, __file__, 1, "GET / 200", (), None)
    record.request_id, record.user_id, record.organization = "r1", 7, "khao-thong"
    fmt = config["formatters"]["default"]
    text = JsonFormatter(fmt["fmt"], rename_fields=fmt["rename_fields"]).format(record)
    assert '"request_id": "r1"' in text
    assert '"user_id": 7' in text
    assert '"organization": "khao-thong"' in text
    assert '"level": "INFO"' in text


def test_the_publisher_hands_the_request_ids_to_the_task(settings):
    # given a broker (the test settings' Redis), and a request's context
    from config.celery import app

    if app.conf.task_always_eager:
        pytest.skip("no broker: tasks run in-process, in the request's own context")
    published = []

    def capture(sender=None, headers=None, **kwargs):
        if sender == "approvals.tasks.outbox_deliver":
            published.append(headers)

    signals.before_task_publish.connect(capture)
    token = request_id_var.set("req-0001-test")
    try:
        # when the transition's commit submits its e-mails
        publisher.submit([987654321])
        assert publisher.flush(5.0)
    finally:
        request_id_var.reset(token)
        signals.before_task_publish.disconnect(capture)

    # then the task carries the request id (the worker logs it with the task's line)
    assert published
    assert published[0][REQUEST_IDS_HEADER] == "req-0001-test"
