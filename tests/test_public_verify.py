"""The public verification page reads the stored check of a publication's audit chain;
the chain is walked by the worker, when the publication commits and when a visitor finds
the stored check older than PUBLIC_VERIFY_REFRESH_SECONDS."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError

from audit import chain
from audit.models import ChainEntry
from tests.web_helpers import SEED_MEASURES, published_report
from workflow import selectors, services, thai
from workflow.models import Measure, Publication, PublicationVerification

INTACT = "ครบถ้วนถูกต้อง"
BROKEN = "ไม่ถูกต้อง: มีการเปลี่ยนแปลงที่ไม่ตรงกับที่บันทึกไว้"
REFRESH_NOTE = "ระบบจะตรวจสอบใหม่โดยอัตโนมัติ"


@pytest.fixture
def walks():
    """Counts the walks of the audit chain (audit.chain.verify), letting each run."""
    with mock.patch("audit.chain.verify", wraps=chain.verify) as verify:
        yield verify


def publish_one(organization):
    published_report(organization, measures=SEED_MEASURES[:1], with_results=False)
    return selectors.newest_publication(organization_slug=organization.slug, year=2564)


def verify_url(organization) -> str:
    return reverse("public:report-verify", args=[organization.slug, 2564])


def checked_minutes_ago(publication, minutes: int) -> dt.datetime:
    """Age the stored check (as if the last visitor came `minutes` ago); returns its time."""
    moment = timezone.now() - dt.timedelta(minutes=minutes)
    PublicationVerification.objects.filter(publication=publication).update(checked_at=moment)
    return moment


def shown_time(moment: dt.datetime) -> str:
    """The check's time as the Thai page writes it: `๗ ธ.ค. ๒๕๖๙ ๐๘:๒๑ น.`"""
    return thai.format_datetime(moment)


@pytest.mark.django_db
def test_publication_create_stores_the_chain_check_after_commit(
    organization, django_capture_on_commit_callbacks, tasks_in_process
):
    # given nothing stored yet

    # when a measure is published and its after-commit tasks run
    before = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        publication = publish_one(organization)

    # then the check of the chain up to the link the publication recorded is stored
    verification = PublicationVerification.objects.get(publication=publication)
    assert verification.ok is True
    assert verification.entries_checked == publication.chain_seq > 0
    assert verification.broken_seq is None and verification.problem == ""
    assert verification.refresh_requested_at is None
    assert verification.checked_at >= before

    # when it is made again
    links = ChainEntry.objects.count()
    services.publication_verification_refresh(publication_id=publication.pk)

    # then it is overwritten, not added to, and (derived data) not put into the audit chain
    assert PublicationVerification.objects.filter(publication=publication).count() == 1
    assert ChainEntry.objects.count() == links


@pytest.mark.django_db
def test_report_verify_shows_a_stale_check_and_two_visits_enqueue_one_refresh(
    client, organization, django_capture_on_commit_callbacks, tasks_in_process, walks
):
    # given a stored check five minutes old
    with django_capture_on_commit_callbacks(execute=True):
        publication = publish_one(organization)
    old = checked_minutes_ago(publication, 5)
    walks.reset_mock()
    code = selectors.verification_code(publication.chain_head)

    # when two citizens open the page before the worker has run
    with django_capture_on_commit_callbacks() as callbacks:
        first = client.get(verify_url(organization), {"code": code})
        second = client.get(verify_url(organization))

    # then both are answered at once with the stored check and its time, and one refresh
    # is enqueued after commit: the first visit claimed it, the second found it claimed
    for response in (first, second):
        page = response.content.decode()
        assert response.status_code == 200
        assert INTACT in page and shown_time(old) in page and REFRESH_NOTE in page
    assert walks.call_count == 0
    assert len(callbacks) == 1
    claimed = PublicationVerification.objects.get(publication=publication)
    assert claimed.checked_at == old and claimed.refresh_requested_at is not None

    # when the enqueued task runs
    callbacks[0]()

    # then the chain was walked once, the check is fresh and the claim is released
    assert walks.call_count == 1
    fresh = PublicationVerification.objects.get(publication=publication)
    assert fresh.checked_at > old and fresh.refresh_requested_at is None
    assert REFRESH_NOTE not in client.get(verify_url(organization)).content.decode()


@pytest.mark.django_db
def test_report_verify_shows_a_fresh_check_without_a_refresh_or_a_walk(
    client, organization, django_capture_on_commit_callbacks, tasks_in_process, walks,
    django_assert_max_num_queries,
):  # fmt: skip
    # given a check stored at publication, a moment ago
    with django_capture_on_commit_callbacks(execute=True):
        publication = publish_one(organization)
    walks.reset_mock()
    stored = PublicationVerification.objects.get(publication=publication)
    code = selectors.verification_code(publication.chain_head)

    # when a citizen checks the code
    with django_capture_on_commit_callbacks() as callbacks, django_assert_max_num_queries(4):
        response = client.get(verify_url(organization), {"code": code})

    # then the stored check is shown, with its time, and nothing is walked or enqueued (the
    # queries: the newest publication, those with the code, their checks, the year's list)
    page = response.content.decode()
    assert INTACT in page and shown_time(stored.checked_at) in page
    assert REFRESH_NOTE not in page
    assert walks.call_count == 0
    assert callbacks == []
    assert PublicationVerification.objects.get(publication=publication).refresh_requested_at is None


@pytest.mark.django_db
def test_publication_verification_refresh_reports_an_edited_history_row_broken(
    client, organization, django_capture_on_commit_callbacks, tasks_in_process
):
    # given a published measure whose stored check passed
    with django_capture_on_commit_callbacks(execute=True):
        publication = publish_one(organization)
    assert INTACT in client.get(verify_url(organization)).content.decode()

    # when a history row of the measure is edited behind the product's back, and a citizen
    # opens the page once the stored check is older than the interval
    measure = Measure.objects.get(organization=organization)
    measure.history.filter(history_type="+").update(title="แก้ไขย้อนหลัง")
    checked_minutes_ago(publication, 2)
    with django_capture_on_commit_callbacks(execute=True):
        stale = client.get(verify_url(organization)).content.decode()
    after = client.get(verify_url(organization)).content.decode()

    # then that visit still shows the stored check; the refresh it asked for finds the
    # edit, and the next visit says plainly that the record no longer matches
    assert INTACT in stale and BROKEN not in stale
    assert BROKEN in after and INTACT not in after
    verification = PublicationVerification.objects.get(publication=publication)
    assert verification.ok is False
    assert verification.broken_seq is not None and "altered" in verification.problem
    # and a citizen holding the current code is not told in green that all is well
    code = client.get(verify_url(organization), {"code": publication.chain_head[:12]})
    page = code.content.decode()
    assert "แต่ประวัติการเปลี่ยนแปลงที่บันทึกไว้ตรวจสอบไม่ผ่าน" in page
    assert '<p class="ok"><strong>รหัสนี้ตรงกับ' not in page


@pytest.mark.django_db
def test_report_verify_checks_a_publication_with_nothing_stored_once(client, organization, walks):
    # given a publication whose after-commit task never ran (made before checks were stored)
    publication = publish_one(organization)
    assert not PublicationVerification.objects.exists()
    walks.reset_mock()

    # when two citizens open the page
    first = client.get(verify_url(organization)).content.decode()
    second = client.get(verify_url(organization)).content.decode()

    # then the first visit walked the chain and stored the check; the second read it
    assert walks.call_count == 1
    verification = PublicationVerification.objects.get(publication=publication)
    assert verification.ok is True and verification.entries_checked == publication.chain_seq
    assert INTACT in first and INTACT in second
    assert shown_time(verification.checked_at) in second


@pytest.mark.django_db(transaction=True)
def test_report_verify_answers_while_the_broker_is_down_and_the_claim_runs_out(
    client, organization, tasks_in_process
):
    # given a stale stored check (autocommit, as in production: the enqueue runs in the request)
    publication = publish_one(organization)
    services.publication_verification_refresh(publication_id=publication.pk)
    old = checked_minutes_ago(publication, 5)
    task = "workflow.tasks.publication_verification_refresh.apply_async"

    # when the broker is down as a citizen opens the page, and another a moment later
    with mock.patch(task, side_effect=OperationalError("Error 111 connecting")) as enqueue:
        first = client.get(verify_url(organization))
        second = client.get(verify_url(organization))

    # then both are answered with the stored check; the first tried to enqueue, the second
    # found the claim taken
    for response in (first, second):
        assert response.status_code == 200
        assert INTACT in response.content.decode() and shown_time(old) in response.content.decode()
    assert enqueue.call_count == 1
    claim = PublicationVerification.objects.get(publication=publication).refresh_requested_at
    assert claim is not None

    # when the claim is older than the interval and the broker is back (the task it takes
    # runs at once, as the worker would)
    PublicationVerification.objects.filter(publication=publication).update(
        refresh_requested_at=claim - dt.timedelta(minutes=2)
    )
    from workflow import tasks

    def worker(args, kwargs=None, **options):
        tasks.publication_verification_refresh(*args, **(kwargs or {}))

    with mock.patch(task, side_effect=worker) as enqueue:
        client.get(verify_url(organization))

    # then the next visit asked again, and the check is fresh
    assert enqueue.call_count == 1
    verification = PublicationVerification.objects.get(publication=publication)
    assert verification.checked_at > old and verification.refresh_requested_at is None


@pytest.mark.django_db
def test_a_batch_published_item_after_item_walks_the_chain_once_for_its_last_publication(
    client, organization, django_capture_on_commit_callbacks, tasks_in_process, walks
):
    # when two measures are published one after the other, each publication's task running
    # once both are committed (a batch: the worker is behind the publisher)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        published_report(organization, measures=SEED_MEASURES[:2], with_results=False)
    for callback in callbacks:
        callback()

    # then only the last publication's check was made: one walk of the chain
    assert Publication.objects.filter(organization=organization).count() == 2
    newest = selectors.newest_publication(organization_slug=organization.slug, year=2564)
    assert list(PublicationVerification.objects.values_list("publication", flat=True)) == [
        newest.pk
    ]
    assert walks.call_count == 1
