"""The staff pages: what each role sees and may do, and conflicts explained, not crashed."""

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from approvals.services import transition_perform
from tests.factories import (
    DivisionFactory,
    MeasureFactory,
    ReportingRoundFactory,
    ResultReportFactory,
)
from tests.web_helpers import people_of
from workflow.models import Action, Measure, State

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(organization):
    division = DivisionFactory(organization=organization, name="สำนักปลัด")
    people = people_of(organization, division)
    measure = MeasureFactory(
        organization=organization, number=1, title="ปรับปรุงเว็บไซต์หน่วยงาน", divisions=[division]
    )
    return people, division, measure


def as_user(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_staff_pages_need_a_login(client, world):
    _people, _division, measure = world
    for url in (
        reverse("workflow:home"),
        reverse("workflow:measure-list"),
        reverse("workflow:measure-detail", args=[measure.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_home_counts_what_waits_for_each_role(world):
    # given a submitted measure
    people, _division, measure = world
    transition_perform(item=measure, action=Action.SUBMIT, actor=people.head)

    # when
    page = as_user(people.working).get(reverse("workflow:home")).content.decode()

    # then
    assert "Working group member" in page or "คณะทำงาน" in page
    assert '<span class="count">๑</span>' in page


def test_measure_detail_offers_only_the_actions_of_the_person(world):
    people, _division, measure = world
    url = reverse("workflow:measure-detail", args=[measure.pk])

    head_page = as_user(people.head).get(url).content.decode()
    chief_page = as_user(people.chief).get(url).content.decode()

    assert 'name="action" value="submit"' in head_page
    assert 'name="action" value="submit"' not in chief_page
    assert 'name="action" value="approve"' not in chief_page  # not yet reviewed


def test_transition_from_the_page_moves_the_item_and_records_it(world):
    people, _division, measure = world
    url = reverse("workflow:transition", args=["measure", measure.pk])

    response = as_user(people.head).post(url, {"action": "submit", "version": measure.version})

    assert response.status_code == 302
    assert Measure.objects.get(pk=measure.pk).state == State.SUBMITTED
    assert measure.transition_logs.get().actor == people.head


def test_return_without_a_reason_is_explained_not_a_crash(world):
    people, _division, measure = world
    transition_perform(item=measure, action=Action.SUBMIT, actor=people.head)
    url = reverse("workflow:transition", args=["measure", measure.pk])

    response = as_user(people.working).post(
        url,
        {"action": "return", "comment": "  ", "version": 2},
        HTTP_REFERER=reverse("workflow:measure-detail", args=[measure.pk]),
    )

    # then the item page again, the return form open, the message at its field
    assert response.status_code == 400
    page = response.content.decode()
    assert page.count("ต้องระบุเหตุผลในการส่งกลับ") == 2  # on top, and at the reason field
    assert '<details class="confirm" open>' in page
    assert Measure.objects.get(pk=measure.pk).state == State.SUBMITTED


def test_stale_version_is_explained_in_english_when_chosen(world):
    people, _division, measure = world
    url = reverse("workflow:transition", args=["measure", measure.pk])
    client = as_user(people.head)
    client.cookies["django_language"] = "en"

    response = client.post(
        url, {"action": "submit", "version": measure.version + 5, "comment": "ตามที่ประชุม"}
    )

    assert response.status_code == 409
    page = response.content.decode()
    assert "This item changed after you opened it; reload it and try again." in page
    assert "ตามที่ประชุม</textarea>" in page  # what was typed is still there
    assert Measure.objects.get(pk=measure.pk).state == State.DRAFTED


def test_return_shows_the_reason_in_the_history(world):
    people, _division, measure = world
    transition_perform(item=measure, action=Action.SUBMIT, actor=people.head)
    transition_perform(
        item=measure, action=Action.RETURN, actor=people.working, comment="แก้ไขวิธีการข้อ ๒"
    )

    page = as_user(people.auditor).get(reverse("workflow:measure-detail", args=[measure.pk]))

    assert "แก้ไขวิธีการข้อ ๒" in page.content.decode()
    audit_url = reverse("audit:timeline", args=[measure.organization.slug, "measures", measure.pk])
    assert audit_url in page.content.decode()  # auditors go on to the full audit timeline


def test_items_of_another_organization_are_not_found(world):
    people, _division, _measure = world
    stranger = MeasureFactory()
    response = as_user(people.head).get(reverse("workflow:measure-detail", args=[stranger.pk]))
    assert response.status_code == 404


def test_lists_filter_by_state_and_search(world, organization):
    people, division, measure = world
    MeasureFactory(organization=organization, fiscal_year=measure.fiscal_year, number=2,
                   title="ประเมินความเสี่ยงการทุจริต", divisions=[division])  # fmt: skip
    transition_perform(item=measure, action=Action.SUBMIT, actor=people.head)
    client = as_user(people.auditor)

    by_state = client.get(reverse("workflow:measure-list"), {"state": "submitted"})
    by_text = client.get(
        reverse("workflow:measure-list"), {"q": "ความเสี่ยง"}, HTTP_HX_REQUEST="true"
    )

    assert "ปรับปรุงเว็บไซต์หน่วยงาน" in by_state.content.decode()
    assert "ประเมินความเสี่ยงการทุจริต" not in by_state.content.decode()
    assert "ประเมิน<mark>ความเสี่ยง</mark>การทุจริต" in by_text.content.decode()
    assert "<html" not in by_text.content.decode()  # HTMX gets only the rows


@pytest.mark.parametrize("count", [5, 50])
def test_list_query_counts_do_not_grow_with_rows(
    world, organization, django_assert_max_num_queries, count
):
    people, division, measure = world
    round_ = ReportingRoundFactory(organization=organization, fiscal_year=measure.fiscal_year)
    for number in range(2, count + 1):
        other = MeasureFactory(organization=organization, fiscal_year=measure.fiscal_year,
                               number=number, divisions=[division])  # fmt: skip
        ResultReportFactory(measure=other, reporting_round=round_)
    client = as_user(people.auditor)
    # 14, and the header's audit entry (the auditor's organizations, may_audit's check), its
    # inbox count, the person's position and the two-factor device check; the auditor's home
    # adds the chain's status and the latest entries of the log (with their positions)
    for name, limit in (
        ("workflow:measure-list", 20), ("workflow:result-report-list", 20), ("workflow:home", 33),
    ):  # fmt: skip
        with django_assert_max_num_queries(limit):
            assert client.get(reverse(name)).status_code == 200
