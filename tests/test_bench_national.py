"""bench/national.py's fill at a tiny scale: the copies' chains verify and their pages answer.

The bench measures pages on a database it fills by copying one organization with shifted
keys and rehashed chains; if the copies were inconsistent its figures would be of broken
data, so CI runs the same fill on the test database.
"""

import importlib.util
import sys

import psycopg
import pytest
from django.core.management import call_command
from django.db import connection

from audit.models import ChainEntry, ChainHead, ChainVerification
from tests.celery_harness import ROOT
from workflow.models import Measure, Organization, ResultReport
from workflow.thai import search_key

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY and generate_series"),
]


def _bench():
    spec = importlib.util.spec_from_file_location("bench_national", ROOT / "bench" / "national.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_national"] = module  # the fork workers' function is found by name
    spec.loader.exec_module(module)
    return module


def _raw():
    db = connection.settings_dict
    return psycopg.connect(
        dbname=db["NAME"], user=db["USER"] or "postgres", host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432, password=db["PASSWORD"] or None,
    )  # fmt: skip


def test_national_fill_copies_verify_and_their_public_pages_answer(client):
    # given the organization built through the services, for one fiscal year
    national = _bench()
    template = national.template_build(years=1, rounds=1, files=False)
    measures = Measure.objects.filter(organization=template).count()
    links = ChainEntry.objects.filter(organization=template).count()

    indexes = _indexes()

    # when it is copied twice
    with _raw() as raw:
        national.replicate(raw, organization_id=template.pk, copies=2, say=lambda *a: None)

    # then the indexes dropped for the load are all there again
    assert _indexes() == indexes

    # then every copy has its own name, slug, province, rows and a chain of the same length
    copies = Organization.objects.exclude(pk=template.pk).order_by("slug")
    assert [o.slug for o in copies] == ["khao-thong-1", "khao-thong-2"]
    assert len({o.name for o in copies} | {template.name}) == 3
    assert all(o.province for o in copies)
    for o in copies:
        assert o.name_search_key == f"{search_key(o.name)} {search_key(o.short_name)}"
    for copy in copies:
        assert Measure.objects.filter(organization=copy).count() == measures
        assert ChainEntry.objects.filter(organization=copy).count() == links
        assert ChainHead.objects.get(key=copy.pk).seq == links
        assert ResultReport.objects.filter(measure__organization=copy).exists()
        # with a month of nightly verifications, the latest at the copy's own head
        nightly = ChainVerification.objects.filter(organization=copy)
        assert nightly.count() == national.NIGHTS
        head = ChainHead.objects.get(key=copy.pk)
        assert nightly.first().head_hash == head.hash
        assert head.verified_ok is True and head.verified_at == nightly.first().started_at
    # and every chain verifies (the command raises on a broken one)
    for copy in copies:
        call_command("audit_verify", org=copy.slug, full=True, stdout=_Null())
    # and the copies' public pages answer
    year = Measure.objects.filter(organization=template).values_list(
        "fiscal_year__year", flat=True
    )[0]
    for copy in copies:
        assert client.get(f"/public/{copy.slug}/").status_code == 200
        page = client.get(f"/public/{copy.slug}/{year}/")
        assert page.status_code == 200
        assert copy.short_name in page.content.decode()


def _indexes() -> set[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()"
        )
        return set(cursor.fetchall())


class _Null:
    def write(self, *args, **kwargs):
        pass
