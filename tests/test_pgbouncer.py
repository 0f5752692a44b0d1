"""Behind Debian's PgBouncer in transaction mode: transitions, timelines and exports work.

Two client processes in turn through one pooled server connection: with prepared
statements (the direct-connection setting) the second trips over the first's PREPARE;
with DATABASE_TRANSACTION_POOLING both do all their work and the chain still verifies.
"""

import os
import shutil
import subprocess
import sys

import pytest
from django.db import connection

from approvals.models import Role
from audit import chain
from audit.models import TransitionLog
from tests import celery_harness
from tests.factories import MeasureFactory, MembershipFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL pooler"),
    pytest.mark.skipif(
        not (shutil.which("pgbouncer") or os.path.exists("/usr/sbin/pgbouncer")),
        reason="Debian's pgbouncer package (make system-deps installs it)",
    ),
]


@pytest.fixture
def pgbouncer():
    bouncer = celery_harness.PgBouncer(dbname=connection.settings_dict["NAME"])
    bouncer.start()
    yield bouncer
    bouncer.close()


def _client(bouncer, measure, head, *, pooling: bool) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.base",
        DATABASE_URL=bouncer.url(),
        DATABASE_TRANSACTION_POOLING="true" if pooling else "false",
        REDIS_URL="",
        CONN_MAX_AGE="0",
    )
    return subprocess.run(
        [sys.executable, "-m", "tests.pgbouncer_client", str(measure.pk), str(head.pk), "5"],
        cwd=celery_harness.ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def _world():
    measures = [MeasureFactory(), MeasureFactory()]
    heads = [
        MembershipFactory(
            organization=m.organization, role=Role.DIVISION_HEAD, divisions=[m.divisions.get()]
        ).user
        for m in measures
    ]
    return measures, heads


def test_transaction_pooling_works_through_pgbouncer(pgbouncer):
    # given two measures, and two clients of one pooled server connection
    measures, heads = _world()

    # when each runs five submit-withdraw rounds, a timeline and an export, one after the other
    results = [_client(pgbouncer, m, h, pooling=True) for m, h in zip(measures, heads, strict=True)]

    # then both did all of it, recorded once each, and the chains verify
    for result in results:
        assert result.returncode == 0, result.stderr[-3000:]
    for measure in measures:
        assert TransitionLog.objects.filter(measure=measure).count() == 10
        assert chain.verify(measure.organization_id).ok


def test_prepared_statements_do_not_survive_transaction_pooling(pgbouncer):
    # given the setting for a direct connection
    measures, heads = _world()

    # when two clients in turn prepare on the same pooled server connection
    first = _client(pgbouncer, measures[0], heads[0], pooling=False)
    second = _client(pgbouncer, measures[1], heads[1], pooling=False)

    # then the second meets the first's prepared statements: this is what the setting is for
    assert first.returncode == 0, first.stderr[-3000:]
    assert second.returncode != 0
    assert "prepared statement" in second.stderr
    assert TransitionLog.objects.filter(measure=measures[1]).count() == 0
