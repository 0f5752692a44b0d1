"""config.statements: several statements in one round trip, all or nothing."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext

from config import statements
from config.statements import Statement
from tests.factories import OrganizationFactory
from workflow.models import Division

pytestmark = pytest.mark.django_db(transaction=True)


def _division(organization, name: str) -> Division:
    return Division(organization=organization, name=name, match_key=name)


def test_run_sends_the_statements_together_and_returns_the_rows_asked_for():
    # given
    organization = OrganizationFactory()
    division = _division(organization, "กองคลัง")
    division.pk = 900001
    count = Statement(
        "SELECT COUNT(*) FROM workflow_division WHERE organization_id = %s",
        [organization.pk],
        rows=True,
    )

    # when
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        results = statements.run([count, statements.insert([division]), count])

    # then: the insert ran between the two counts, in one query on PostgreSQL
    assert results == [[(0,)], None, [(1,)]]
    assert Division.objects.get(pk=900001).name == "กองคลัง"
    if connection.vendor == "postgresql":
        assert len([q for q in queries.captured_queries if "INSERT" in q["sql"]]) == 1


def test_a_failing_statement_leaves_nothing_written():
    # given
    organization = OrganizationFactory()
    first, duplicate = _division(organization, "กองช่าง"), _division(organization, "กองช่าง")
    first.pk, duplicate.pk = 900002, 900002

    # when
    with pytest.raises(DatabaseError), transaction.atomic():
        statements.run([statements.insert([first]), statements.insert([duplicate])])

    # then
    assert not Division.objects.filter(pk=900002).exists()


def test_a_prepared_statement_works_again_after_a_failed_transaction():
    # given: a statement prepared in a transaction that then fails (PostgreSQL keeps the
    # PREPARE; the module must not try to prepare it again)
    organization = OrganizationFactory()
    named = Statement(
        "SELECT name FROM workflow_organization WHERE id = %(pk)s AND %(pk)s > 0",
        {"pk": organization.pk},
        rows=True,
        prepare=True,
    )
    with pytest.raises(DatabaseError), transaction.atomic():
        statements.run([named, Statement("SELECT * FROM itaflow_no_such_table")])

    # when
    with transaction.atomic():
        (rows,) = statements.run([named])

    # then
    assert rows == [(organization.name,)]


def test_next_id_gives_ids_the_table_has_not_used():
    # given
    organization = OrganizationFactory()
    Division.objects.create(organization=organization, name="สำนักปลัด")

    # when
    with transaction.atomic():
        (rows,) = statements.run([Statement(f"SELECT {statements.next_id(Division)}", rows=True)])

    # then
    assert rows[0][0] > Division.objects.order_by("-pk").first().pk
