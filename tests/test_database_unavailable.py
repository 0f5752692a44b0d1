"""While the database restarts: 503 with Retry-After (JSON under /api/, a Thai page elsewhere),
and nothing the person sent is recorded.

A restart is played for real on PostgreSQL: a second connection locks the item's row, and
once the request's transition waits on that lock, its backend is ended with
pg_terminate_backend (what a restart or failover does to every open connection).
"""

import threading
import time

import psycopg
import pytest
from django.db import connection
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from audit.models import TransitionLog
from workflow.models import Measure, State

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="plays a PostgreSQL restart"),
]


def _connect() -> psycopg.Connection:
    s = connection.settings_dict
    return psycopg.connect(
        dbname=s["NAME"], user=s["USER"], password=s["PASSWORD"] or None,
        host=s["HOST"] or None, port=s["PORT"] or None, autocommit=True,
    )  # fmt: skip


def _request_backend() -> int:
    """The backend of this thread's connection, which the test client's requests use."""
    connection.ensure_connection()
    return connection.connection.info.backend_pid


class BackendEndedWhileWaiting:
    """Lock `measure`'s row from a second connection; end `pid` once it waits on the lock."""

    def __init__(self, measure: Measure, pid: int):
        self.measure, self.pid = measure, pid
        self.ended = threading.Event()

    def __enter__(self):
        self.holder = _connect()
        self.holder.execute("BEGIN")
        self.holder.execute(
            "SELECT 1 FROM workflow_measure WHERE id = %s FOR UPDATE", [self.measure.pk]
        )
        self.thread = threading.Thread(target=self._end_when_waiting, daemon=True)
        self.thread.start()
        return self

    def _end_when_waiting(self):
        with _connect() as killer:
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                waiting = killer.execute(
                    "SELECT 1 FROM pg_stat_activity WHERE pid = %s AND wait_event_type = 'Lock'",
                    [self.pid],
                ).fetchone()
                if waiting:
                    killer.execute("SELECT pg_terminate_backend(%s)", [self.pid])
                    self.ended.set()
                    return
                time.sleep(0.02)

    def __exit__(self, *exc):
        self.thread.join(25)
        self.holder.execute("ROLLBACK")
        self.holder.close()
        connection.close()  # the request's connection is gone; the next query reconnects


def _nothing_recorded(measure: Measure, history_before: int) -> None:
    fresh = Measure.objects.get(pk=measure.pk)
    assert fresh.state == State.DRAFTED
    assert fresh.version == measure.version
    assert not TransitionLog.objects.filter(measure=measure).exists()
    assert Measure.history.filter(id=measure.pk).count() == history_before


def test_a_transition_cut_off_by_a_database_restart_is_a_json_503(world):
    # given a drafted measure and its division head, with a token
    measure = world.measure()
    history_before = Measure.history.filter(id=measure.pk).count()
    api = APIClient()
    token = Token.objects.create(user=world["head"])
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    # when the database ends the connection while the submit waits on the item's lock
    with BackendEndedWhileWaiting(measure, _request_backend()) as restart:
        response = api.post(f"/api/v1/measures/{measure.pk}/transitions/submit/", {})
    # then the client is told to come back, in the API's error shape
    assert restart.ended.is_set()
    assert response.status_code == 503, response.content[:300]
    assert response["Retry-After"].isdigit()
    body = response.json()
    assert body["code"] == "database_unavailable"
    assert body["message_th"] and body["message_en"]
    # and nothing of the transition was recorded
    _nothing_recorded(measure, history_before)


def test_a_transition_cut_off_by_a_database_restart_is_a_thai_page(world):
    # given the same, on the item's page
    measure = world.measure()
    history_before = Measure.history.filter(id=measure.pk).count()
    client = Client(raise_request_exception=False)
    client.force_login(world["head"])
    # when the database ends the connection while the submit waits on the lock
    with BackendEndedWhileWaiting(measure, _request_backend()) as restart:
        response = client.post(
            f"/items/measure/{measure.pk}/transition/", {"action": "submit", "comment": "ส่ง"}
        )
    # then the person reads, in Thai, that the system is briefly away and nothing was saved
    assert restart.ended.is_set()
    assert response.status_code == 503
    assert response["Retry-After"].isdigit()
    html = response.content.decode()
    assert '<html lang="th">' in html
    assert "ระบบไม่พร้อมให้บริการชั่วคราว" in html
    assert "ยังไม่ได้บันทึก" in html
    _nothing_recorded(measure, history_before)


def test_a_request_on_a_connection_the_restart_ended_is_a_503_from_authentication_on(world):
    # given a token, and a connection ended by a restart while idle
    token = Token.objects.create(user=world["auditor"])
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    with _connect() as killer:
        killer.execute("SELECT pg_terminate_backend(%s)", [_request_backend()])
    # when the next request authenticates its token on that connection
    response = api.get("/api/v1/measures/")
    connection.close()
    # then it is a 503, not an HTML 500
    assert response.status_code == 503
    assert response.json()["code"] == "database_unavailable"


@pytest.mark.parametrize("path", ["/api/v1/measures/", "/measures/"])
def test_a_database_that_refuses_connections_is_a_503(world, path):
    # given a session, then a database nobody can connect to (port closed)
    client = Client(raise_request_exception=False)
    client.force_login(world["auditor"])
    connection.close()
    port = connection.settings_dict["PORT"]
    connection.settings_dict["PORT"] = "1"
    try:
        # when a page or the API is asked for
        response = client.get(path)
    finally:
        connection.settings_dict["PORT"] = port
        connection.close()
    # then the answer is 503, in the API's shape or as the site's Thai page
    assert response.status_code == 503
    assert response["Retry-After"].isdigit()
    if path.startswith("/api/"):
        assert response.json()["code"] == "database_unavailable"
    else:
        assert "ระบบไม่พร้อมให้บริการชั่วคราว" in response.content.decode()
