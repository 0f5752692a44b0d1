"""The public index: one agency among thousands, found by name or province, a page at a time."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import MeasureFactory, OrganizationFactory
from workflow.models import Publication

pytestmark = pytest.mark.django_db


def _published(name: str, province: str, slug: str, short_name: str = ""):
    organization = OrganizationFactory(
        name=name, short_name=short_name, province=province, slug=slug
    )
    measure = MeasureFactory(organization=organization)
    Publication.objects.create(
        organization=organization, fiscal_year=measure.fiscal_year, measure=measure,
        revision=1, content={}, published_at=timezone.now(),
    )  # fmt: skip
    return organization


@pytest.fixture
def agencies():
    khao_thong = _published("องค์การบริหารส่วนตำบลเขาทอง", "นครสวรรค์", "khao-thong", "อบต.เขาทอง")
    _published("เทศบาลตำบลบ้านหม้อ", "สระบุรี", "ban-mo")
    OrganizationFactory(name="องค์การบริหารส่วนตำบลเขาทองใหม่", province="นครสวรรค์", slug="unpub")
    return khao_thong


def _names(response) -> list[str]:
    return [o["name"] for o in response.context["page"]]


def test_the_index_finds_an_agency_however_its_name_is_spaced(client, agencies):
    # typed with the spaces people put between Thai words, or without
    for typed in ["เขาทอง", "เขา ทอง", "อบต. เขาทอง", "ตำบลเขาทอง", "ตําบลเขาทอง"]:
        response = client.get("/public/", {"q": typed})
        assert response.status_code == 200
        assert _names(response) == ["องค์การบริหารส่วนตำบลเขาทอง"], typed
    # an agency that has published nothing is not listed
    assert "เขาทองใหม่" not in client.get("/public/", {"q": "เขาทอง"}).content.decode()
    assert _names(client.get("/public/", {"q": "ไม่มีชื่อนี้"})) == []


def test_a_renamed_agency_is_found_by_its_new_name_only(client, agencies):
    # given an agency renamed, as the platform operator does in the admin (save)
    agencies.name = "เทศบาลตำบลเขาทอง"
    agencies.short_name = "ทต.เขาทอง"
    agencies.save(update_fields=["name", "short_name"])

    # then the search finds it by the new name and short name, not the old ones
    assert _names(client.get("/public/", {"q": "ทต. เขาทอง"})) == ["เทศบาลตำบลเขาทอง"]
    assert _names(client.get("/public/", {"q": "เทศบาลตำบล"})) == [
        "เทศบาลตำบลบ้านหม้อ", "เทศบาลตำบลเขาทอง",
    ]  # fmt: skip
    assert _names(client.get("/public/", {"q": "องค์การบริหารส่วนตำบลเขา"})) == []


def test_the_index_filters_by_province_and_each_province_has_its_page(client, agencies):
    response = client.get("/public/", {"province": "สระบุรี"})
    assert _names(response) == ["เทศบาลตำบลบ้านหม้อ"]
    assert response.context["provinces"] == [("นครสวรรค์", 1), ("สระบุรี", 1)]

    page = client.get("/public/province/นครสวรรค์/")
    assert page.status_code == 200
    assert _names(page) == ["องค์การบริหารส่วนตำบลเขาทอง"]
    assert "/public/province/%E0%B8%99" in client.get("/public/").content.decode()
    assert client.get("/public/province/ไม่มีจังหวัดนี้/").status_code == 404


def test_the_index_is_paged_and_its_cost_does_not_grow_with_the_agencies(client, agencies):
    with CaptureQueriesContext(connection) as few:
        client.get("/public/")
    for n in range(60):
        _published(f"เทศบาลตำบลทดสอบ {n:02d}", "สระบุรี", f"t-{n}")
    with CaptureQueriesContext(connection) as many:
        first = client.get("/public/")
    assert len(first.context["page"]) == 50
    assert first.context["page"].paginator.count == 62
    second = client.get("/public/", {"page": 2})
    assert len(second.context["page"]) == 12
    assert len(many) == len(few)
    # a page number out of range or nonsense still answers a page
    assert client.get("/public/", {"page": "99"}).status_code == 200
    assert client.get("/public/", {"page": "x"}).status_code == 200
    assert client.get("/public/", {"page": "x\x00"}).status_code == 400  # no NUL is stored


def test_the_index_counts_every_agency_once_per_publication_not_per_request(client, agencies):
    # given the index seen once (its counts read every organization)
    client.get("/public/")

    # when it is asked again: only the newest publication's key and the page's rows
    with CaptureQueriesContext(connection) as again:
        response = client.get("/public/")
    assert response.context["page"].paginator.count == 2
    assert not [q for q in again.captured_queries if "COUNT(" in q["sql"].upper()]

    # then a new publication shows at once, in the total and in its province
    _published("เทศบาลตำบลหนองแค", "สระบุรี", "nong-khae")
    response = client.get("/public/")
    assert response.context["page"].paginator.count == 3
    assert ("สระบุรี", 2) in response.context["provinces"]
    province = client.get("/public/province/สระบุรี/")
    assert province.context["page"].paginator.count == 2


@pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_trgm")
def test_the_index_search_goes_through_the_trigram_indexes_of_the_names(agencies):
    # given the names' stored search key and its trigram index (migration 0011)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'workflow_organization'"
            " AND indexdef LIKE '%%name_search_key%%gin_trgm_ops%%'"
        )
        assert [row[0] for row in cursor.fetchall()] == ["workflow_organization_name_search_key"]

    # when the public looks an agency up by a name typed with a space
    from workflow.selectors import public_organizations

    found = public_organizations(query="เขา ทอง")
    sql, params = found.query.sql_with_params()

    # then the planner can answer it from those indexes (whole-table and whole-index scans
    # priced out: on a few rows it would rather read them all)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(line for (line,) in cursor.fetchall())
    assert "workflow_organization_name_search_key" in plan


def test_a_search_with_few_matches_asks_for_a_whole_page(client, agencies):
    # given a search that finds one agency
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/public/", {"q": "เขาทอง"})

    # then the rows are asked for a page at a time, not exactly as many as were counted
    # (LIMIT 1 made PostgreSQL walk every name in order: bench/national.py)
    assert _names(response) == ["องค์การบริหารส่วนตำบลเขาทอง"]
    (listing,) = [q["sql"] for q in queries.captured_queries if '"slug"' in q["sql"]]
    assert listing.rstrip().endswith("LIMIT 50")


def test_the_migration_marks_each_organization_published_since_its_first_publication(agencies):
    # given organizations whose mark is not set yet (as before migration 0012)
    import importlib

    from django.apps import apps

    from workflow.models import Organization

    migration = importlib.import_module("workflow.migrations.0012_organization_first_published")
    first = Publication.objects.filter(organization=agencies).earliest("published_at")
    Organization.objects.update(first_published_at=None)

    # when the migration fills it
    migration.first_publications_copied(apps, None)

    # then the published ones are marked from their first publication, the others not
    assert Organization.objects.get(pk=agencies.pk).first_published_at == first.published_at
    assert Organization.objects.get(slug="unpub").first_published_at is None
    assert Organization.objects.filter(first_published_at__isnull=False).count() == 2
