"""The API answers what its OpenAPI document says, and tells nothing about other people."""

import pytest
import yaml

from approvals.models import Membership, Role
from approvals.services import transition_perform
from tests.factories import UserFactory
from tests.test_api import assert_error, client_for

pytestmark = pytest.mark.django_db


def give_role(client, world, user_id: int, role: str):
    return client.post(
        "/api/v1/memberships/",
        {"user": user_id, "organization": world.organization.pk, "role": role},
        format="json",
    )


def test_membership_create_answers_the_same_for_anyone_outside_the_organization(world):
    # given an account that exists but has no role here, an ended account, and a missing id
    stranger = UserFactory(username="stranger")
    ended = UserFactory(username="ended", is_active=False)
    missing = stranger.pk + 1000
    admin = client_for(world["admin"])

    # when the admin gives each of them a role
    answers = [
        give_role(admin, world, pk, "auditor")
        for pk in (stranger.pk, ended.pk, missing, world["outsider"].pk)
    ]

    # then every answer is the same refusal, and nobody got a role
    bodies = {str(assert_error(answer, 400, "invalid")) for answer in answers}
    assert len(bodies) == 1 and "user" in answers[0].json()["fields"]
    assert not Membership.objects.filter(
        organization=world.organization, user__in=[stranger, ended, world["outsider"]]
    ).exists()


def test_membership_create_by_a_non_admin_is_refused_before_the_person_is_looked_up(world):
    # when a division head tries an id of the organization and a missing one
    head = client_for(world["head"])
    answers = [
        give_role(head, world, pk, "admin")
        for pk in (world["auditor"].pk, world["auditor"].pk + 1000)
    ]

    # then both are the same 403
    assert [a.status_code for a in answers] == [403, 403]
    assert not Membership.objects.filter(user=world["auditor"], role=Role.ADMIN).exists()


def test_membership_create_for_a_person_of_the_organization_works(world):
    # when the admin gives the auditor (already a member) the publisher role
    created = give_role(client_for(world["admin"]), world, world["auditor"].pk, "publisher")

    # then
    assert created.status_code == 201, created.content
    assert Membership.objects.filter(user=world["auditor"], role=Role.PUBLISHER).exists()


@pytest.fixture
def schema(world):
    response = client_for(world["admin"]).get("/api/schema/")
    return yaml.safe_load(response.content)


def test_schema_documents_the_inbox_as_a_page_with_the_unread_count(world, schema):
    # given two notifications for the working group
    measure = world.measure()
    transition_perform(item=measure, action="submit", actor=world["head"])
    transition_perform(item=measure, action="withdraw", actor=world["head"])

    # when
    page = client_for(world["working_group"]).get("/api/v1/inbox/", {"page_size": 1})

    # then the answer has the documented keys, and the documented page is an object
    documented = schema["paths"]["/api/v1/inbox/"]["get"]["responses"]["200"]
    ref = documented["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    component = schema["components"]["schemas"][ref]
    assert component["type"] == "object"
    assert set(page.json()) == set(component["properties"])
    assert page.json()["count"] == 2 and len(page.json()["results"]) == 1


def test_schema_documents_the_error_statuses_every_operation_can_answer(schema):
    # then every operation documents 401, 403, 404 with the error body, writes also 409
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            codes = set(operation["responses"])
            expected = {"400", "401", "403", "404"}
            if method in ("post", "put", "patch", "delete"):
                expected |= {"409", "415"}
            assert expected <= codes, (method, path)
            error = operation["responses"]["404"]["content"]["application/json"]["schema"]
            assert error == {"$ref": "#/components/schemas/Error"}


def test_an_id_filter_answers_as_the_schema_says(world, schema):
    # given the documented bounds of ?organization=
    parameter = next(
        p for p in schema["paths"]["/api/v1/measures/"]["get"]["parameters"]
        if p["name"] == "organization"
    )  # fmt: skip
    assert parameter["schema"]["minimum"] == 1
    api = client_for(world["head"])

    # when an id out of the bounds, and an id nobody has, are asked for
    below = api.get("/api/v1/measures/", {"organization": 0})
    unknown = api.get("/api/v1/memberships/", {"organization": 999999})

    # then the first is invalid input, the second simply finds nothing
    assert "organization" in assert_error(below, 400, "invalid")["fields"]
    assert unknown.status_code == 200 and unknown.json()["results"] == []


def test_an_address_under_the_api_that_names_nothing_answers_json(client):
    response = client.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert response["Content-Type"] == "application/json"
