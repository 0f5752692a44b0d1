"""The REST API: CRUD as permitted, errors as JSON, ETag / If-Match, tenancy."""

import io
import zipfile

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from approvals.models import Membership, Role
from audit.models import TransitionLog
from tests.factories import MeasureFactory, OrganizationFactory, ResultReportFactory, UserFactory
from workflow.models import Evidence, Measure, ResultReport, State

pytestmark = pytest.mark.django_db


def client_for(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.credentials(
            HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}"
        )
    return client


def measure_payload(world, **overrides):
    return {
        "organization": world.organization.pk,
        "fiscal_year": world.fiscal_year.pk,
        "number": 7,
        "title": "มาตรการส่งเสริมความโปร่งใส",
        "methods": ["ประชุมชี้แจง", "เผยแพร่ประกาศ"],
        "division_ids": [world.division.pk],
        "period_start": "2020-10-01",
        "period_end": "2021-09-01",
        **overrides,
    }


def assert_error(response, status: int, code: str):
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == code
    assert body["message_th"] and body["message_en"]
    return body


def test_api_measure_create_read_update_with_etag(world):
    # given
    api = client_for(world["working_group"])

    # when created
    created = api.post("/api/v1/measures/", measure_payload(world), format="json")

    # then
    assert created.status_code == 201, created.content
    assert created["ETag"] == '"1"'
    body = created.json()
    assert body["methods"] == ["ประชุมชี้แจง", "เผยแพร่ประกาศ"]
    assert body["division_ids"] == [world.division.pk]
    url = f"/api/v1/measures/{body['id']}/"
    assert api.get(url)["ETag"] == '"1"'

    # when changed with If-Match
    patched = api.patch(url, {"methods": ["ขั้นเดียว"]}, format="json", HTTP_IF_MATCH='"1"')

    # then
    assert patched.status_code == 200, patched.content
    assert patched["ETag"] == '"2"'
    assert patched.json()["methods"] == ["ขั้นเดียว"]
    assert Measure.objects.get().methods.get().text == "ขั้นเดียว"

    # when changed again from the stale version, or without saying which
    assert_error(
        api.patch(url, {"title": "x"}, format="json", HTTP_IF_MATCH='"1"'), 409, "stale_version"
    )
    assert_error(api.patch(url, {"title": "x"}, format="json"), 428, "precondition_required")
    assert_error(api.patch(url, {"title": "x"}, format="json", HTTP_IF_MATCH="abc"), 400, "invalid")

    # then a version in the body works too, and PUT needs every field
    by_body = api.patch(url, {"title": "ชื่อใหม่", "version": 2}, format="json")
    assert by_body.status_code == 200 and by_body.json()["version"] == 3
    put = api.put(url, {"title": "y", "version": 3}, format="json")
    assert_error(put, 400, "invalid")
    put = api.put(url, {**measure_payload(world), "version": 3}, format="json")
    assert put.status_code == 200, put.content


def test_api_invalid_input_answers_400_with_fields(world):
    api = client_for(world["working_group"])

    response = api.post(
        "/api/v1/measures/",
        measure_payload(world, period_start="2019-01-01", methods=[], number=0),
        format="json",
    )
    body = assert_error(response, 400, "invalid")
    assert {"methods", "number"} <= set(body["fields"])

    response = api.post(
        "/api/v1/measures/", measure_payload(world, period_start="2019-01-01"), format="json"
    )
    assert "period_start" in assert_error(response, 400, "invalid")["fields"]

    response = api.post("/api/v1/measures/", "{not json", content_type="application/json")
    assert_error(response, 400, "parse_error")


def test_api_requires_login_and_permission(world):
    measure = world.measure()

    assert_error(client_for().get("/api/v1/measures/"), 401, "not_authenticated")
    assert_error(
        client_for(world["auditor"]).post(
            "/api/v1/measures/", measure_payload(world), format="json"
        ),
        403,
        "not_permitted",
    )
    response = client_for(world["other_head"]).patch(
        f"/api/v1/measures/{measure.pk}/", {"title": "x"}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert_error(response, 403, "not_permitted")


def test_api_another_organizations_items_are_not_found(world):
    # given an item of the organization and one of another
    mine = world.measure()
    theirs = MeasureFactory(organization=OrganizationFactory(slug="third"))
    api = client_for(world["outsider"])

    # when / then
    for url in (
        f"/api/v1/measures/{mine.pk}/",
        f"/api/v1/measures/{mine.pk}/actions/",
        f"/api/v1/result-reports/{world.report(measure=mine).pk}/",
    ):
        assert_error(api.get(url), 404, "not_found")
    assert_error(api.post(f"/api/v1/measures/{mine.pk}/transitions/submit/", {}), 404, "not_found")
    listed = client_for(world["auditor"]).get("/api/v1/measures/").json()["results"]
    assert theirs.pk not in {m["id"] for m in listed}
    assert mine.pk in {m["id"] for m in listed}


def test_api_transitions_role_by_role_to_published(world):
    # given
    measure = world.measure()
    url = f"/api/v1/measures/{measure.pk}"

    # when each role takes its step, the actions list tells them first
    assert client_for(world["head"]).get(f"{url}/actions/").json()["actions"] == ["submit"]
    steps = [
        ("head", "submit"),
        ("working_group", "review"),
        ("chief", "approve"),
        ("publisher", "publish"),
    ]
    for person, action in steps:
        api = client_for(world[person])
        assert action in api.get(f"{url}/actions/").json()["actions"]
        response = api.post(f"{url}/transitions/{action}/", {"comment": "ok"}, format="json")
        assert response.status_code == 200, (person, action, response.content)

    # then
    assert Measure.objects.get().state == State.PUBLISHED
    assert TransitionLog.objects.filter(ip_address="127.0.0.1").count() == 4
    public = client_for().get(f"/api/v1/public/{world.organization.slug}/2564/")
    assert public.status_code == 200
    assert [row["measure"]["content"]["title"] for row in public.json()] == [measure.title]


def test_api_transition_errors(world):
    measure = world.measure()
    url = f"/api/v1/measures/{measure.pk}/transitions"
    head = client_for(world["head"])

    assert_error(head.post(f"{url}/approve/", {}), 409, "transition_not_allowed")
    assert_error(head.post(f"{url}/fly/", {}), 404, "not_found")
    assert_error(head.post(f"{url}/submit/", {}, HTTP_IF_MATCH='"9"'), 409, "stale_version")
    ok = head.post(f"{url}/submit/", {}, HTTP_IF_MATCH='"1"')
    assert ok.status_code == 200 and ok["ETag"] == '"2"'
    assert_error(head.post(f"{url}/submit/", {}), 409, "transition_not_allowed")
    wg = client_for(world["working_group"])
    assert_error(wg.post(f"{url}/return/", {"comment": " "}), 400, "reason_required")
    assert_error(client_for(world["auditor"]).post(f"{url}/review/", {}), 403, "not_permitted")


def schedule_publish(world, measure):
    return client_for(world["publisher"]).post(
        f"/api/v1/measures/{measure.pk}/transitions/publish/",
        {"publish_at": "2099-01-01T09:00:00+07:00"},
        format="json",
    )


def test_api_scheduled_publish_answers_202(world):
    measure = world.measure(state=State.APPROVED)

    response = schedule_publish(world, measure)

    assert response.status_code == 202, response.content
    assert response.json()["scheduled_by"] == world["publisher"].pk
    assert Measure.objects.get().state == State.APPROVED


def test_api_publication_schedules_listed_to_members_and_called_off_by_publishers(world):
    # given a scheduled publication, and another organization's member
    schedule_id = schedule_publish(world, world.measure(state=State.APPROVED)).json()["id"]
    stranger = MeasureFactory().organization
    outsider = UserFactory()
    Membership.objects.create(user=outsider, organization=stranger, role=Role.PUBLISHER)
    url = f"/api/v1/publication-schedules/{schedule_id}/"

    # when / then: members see it, others do not
    listed = client_for(world["head"]).get("/api/v1/publication-schedules/")
    assert [row["id"] for row in listed.json()["results"]] == [schedule_id]
    assert client_for(outsider).get(url).status_code == 404
    assert_error(client_for(outsider).post(f"{url}cancel/"), 404, "not_found")

    # only a publisher calls it off, once
    assert_error(client_for(world["chief"]).post(f"{url}cancel/"), 403, "not_permitted")
    cancelled = client_for(world["publisher"]).post(f"{url}cancel/")
    assert cancelled.status_code == 200 and cancelled.json()["cancelled_at"]
    assert_error(
        client_for(world["publisher"]).post(f"{url}cancel/"), 409, "transition_not_allowed"
    )


def test_api_result_report_items_recommendations_and_evidence(world):
    # given
    measure = world.measure()
    head = client_for(world["head"])

    # when the head drafts a report
    created = head.post(
        "/api/v1/result-reports/",
        {"measure": measure.pk, "reporting_round": world.reporting_round.pk, "items": ["ทำแล้ว"]},
        format="json",
    )
    assert created.status_code == 201, created.content
    report_id = created.json()["id"]
    url = f"/api/v1/result-reports/{report_id}"

    # and attaches a PDF, and a disguised text file
    pdf = io.BytesIO(b"%PDF-1.4\n%%EOF\n")
    pdf.name = "order.pdf"
    uploaded = head.post(f"{url}/evidence/", {"title": "คำสั่ง", "file": pdf}, format="multipart")
    assert uploaded.status_code == 201, uploaded.content
    fake = io.BytesIO(b"hello, not a pdf")
    fake.name = "fake.pdf"
    refused = head.post(f"{url}/evidence/", {"title": "ปลอม", "file": fake}, format="multipart")
    assert "file" in assert_error(refused, 400, "invalid")["fields"]
    docx = io.BytesIO()
    with zipfile.ZipFile(docx, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    docx.seek(0)
    docx.name = "minutes.bin"
    assert (
        head.post(
            f"{url}/evidence/", {"title": "บันทึก", "file": docx}, format="multipart"
        ).status_code
        == 201
    )
    assert sorted(Evidence.objects.values_list("content_type", flat=True)) == [
        "application/pdf",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ]

    # then the working group may not touch the items, but writes recommendations once submitted
    wg = client_for(world["working_group"])
    version = ResultReport.objects.get().version
    assert_error(
        wg.patch(f"{url}/", {"items": ["x"], "version": version}, format="json"),
        403,
        "not_permitted",
    )
    head.post(f"{url}/transitions/submit/", {})
    response = wg.patch(
        f"{url}/", {"recommendations": ["ควรทำต่อ"], "version": version + 1}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["recommendations"] == ["ควรทำต่อ"]


def test_api_filters_pagination_and_queue(world):
    # given
    world.measure(state=State.SUBMITTED, submitted_by=world["head"])
    world.measure()
    ResultReportFactory(
        measure=world.measure(state=State.PUBLISHED), reporting_round=world.reporting_round,
        state=State.SUBMITTED, submitted_by=world["head"],
    )  # fmt: skip

    # when / then
    wg = client_for(world["working_group"])
    listed = wg.get("/api/v1/measures/", {"state": "submitted", "division": world.division.pk})
    assert listed.json()["count"] == 1
    assert wg.get("/api/v1/measures/", {"state": "nonsense"}).status_code == 400
    assert (
        wg.get("/api/v1/result-reports/", {"round": world.reporting_round.pk}).json()["count"] == 1
    )
    queue = wg.get("/api/v1/queue/").json()
    assert sorted((e["kind"], e["role"]) for e in queue) == [
        ("measure", "working_group"),
        ("result_report", "working_group"),
    ]
    assert [e["actions"] for e in client_for(world["head"]).get("/api/v1/queue/").json()] == [
        ["submit"]
    ]


def test_api_admin_opens_a_reporting_round(world):
    # given
    payload = {
        "organization": world.organization.pk, "fiscal_year": 2565, "name": "รอบ 6 เดือน",
        "months": 6, "due_on": "2022-04-30",
    }  # fmt: skip

    # when / then: only an admin, once per name and year, in Buddhist Era years
    assert_error(
        client_for(world["working_group"]).post("/api/v1/rounds/", payload), 403, "not_permitted"
    )
    created = client_for(world["admin"]).post("/api/v1/rounds/", payload)
    assert created.status_code == 201, created.content
    assert created.json()["months"] == 6
    again = client_for(world["admin"]).post("/api/v1/rounds/", payload)
    assert "name" in assert_error(again, 400, "invalid")["fields"]
    christian = client_for(world["admin"]).post("/api/v1/rounds/", {**payload, "fiscal_year": 2022})
    assert "fiscal_year" in assert_error(christian, 400, "invalid")["fields"]
    listed = client_for(world["head"]).get(
        "/api/v1/rounds/", {"fiscal_year": created.json()["fiscal_year"]}
    )
    assert [r["name"] for r in listed.json()["results"]] == ["รอบ 6 เดือน"]


def test_api_admin_manages_divisions_memberships_delegations(world):
    admin = client_for(world["admin"])
    org = world.organization.pk

    division = admin.post(
        "/api/v1/divisions/", {"organization": org, "name": "กองสาธารณสุข"}, format="json"
    )
    assert division.status_code == 201, division.content
    membership = admin.post(
        "/api/v1/memberships/",
        {"user": world["auditor"].pk, "organization": org, "role": "division_head",
         "division_ids": [division.json()["id"]]},
        format="json",
    )  # fmt: skip
    assert membership.status_code == 201, membership.content
    delegation = admin.post(
        "/api/v1/delegations/",
        {"organization": org, "delegator": world["chief"].pk, "deputy": world["publisher"].pk,
         "starts_at": "2020-01-01T00:00:00Z", "ends_at": "2099-01-01T00:00:00Z"},
        format="json",
    )  # fmt: skip
    assert delegation.status_code == 201, delegation.content
    revoked = admin.post(f"/api/v1/delegations/{delegation.json()['id']}/revoke/")
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]

    head = client_for(world["head"])
    assert_error(
        head.post("/api/v1/divisions/", {"organization": org, "name": "กองใหม่"}, format="json"),
        403,
        "not_permitted",
    )
    assert [m["username"] for m in head.get("/api/v1/memberships/").json()["results"]] == ["head"]


def test_api_schema_and_docs_are_served(world):
    schema = client_for().get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/measures/{id}/transitions/{action}/" in schema.content
    docs = client_for().get("/api/docs/")
    assert docs.status_code == 200 and b"swagger-ui" in docs.content


def test_api_queue_of_the_chief_and_a_deputy_in_force(world):
    # given a reviewed measure
    reviewed = world.measure(state=State.REVIEWED, submitted_by=world["head"])

    # when / then
    for person in ("chief", "deputy"):
        queue = client_for(world[person]).get("/api/v1/queue/").json()
        assert [(e["id"], e["actions"]) for e in queue] == [(reviewed.pk, ["approve", "return"])]
    assert client_for(world["expired_deputy"]).get("/api/v1/queue/").json() == []


def test_api_result_report_put_of_the_whole_report_checks_only_changed_parts(world):
    # given a submitted report
    report = world.report(items=["ทำแล้ว"], state=State.SUBMITTED, submitted_by=world["head"])
    url = f"/api/v1/result-reports/{report.pk}/"
    wg = client_for(world["working_group"])

    # when the working group PUTs it back with recommendations added
    body = {"items": ["ทำแล้ว"], "recommendations": ["ควรขยายผล"]}
    response = wg.put(url, body, format="json", HTTP_IF_MATCH='"1"')

    # then only the recommendations changed; changing the items is refused
    assert response.status_code == 200, response.content
    assert response.json()["recommendations"] == ["ควรขยายผล"]
    body = {"items": ["แก้ผล"], "recommendations": ["ควรขยายผล"]}
    assert_error(wg.put(url, body, format="json", HTTP_IF_MATCH='"2"'), 403, "not_permitted")
