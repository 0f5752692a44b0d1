"""Verification from where the last passing one ended, a full one on demand, several at once."""

import datetime as dt

import pytest
from django.core.management import CommandError, call_command

from approvals.services import transition_perform
from audit.chain import verification_record
from audit.models import ChainEntry, ChainVerification, TransitionLog
from tests.factories import MeasureFactory, MembershipFactory
from workflow.models import Action

pytestmark = pytest.mark.django_db


def _org_with_history():
    measure = MeasureFactory()
    org = measure.organization
    head = MembershipFactory(
        organization=org, role="division_head", divisions=[measure.divisions.get()]
    ).user
    for _ in range(3):
        transition_perform(item=measure, action=Action.SUBMIT, actor=head)
        transition_perform(item=measure, action=Action.WITHDRAW, actor=head)
    return measure, head


def test_an_incremental_check_reads_only_the_new_links():
    # given a full verification that passed, then more work
    measure, head = _org_with_history()
    org_id = measure.organization_id
    first = verification_record(org_id, full=True)
    assert first.ok and first.full
    transition_perform(item=measure, action=Action.SUBMIT, actor=head)

    # when
    second = verification_record(org_id, full=False)

    # then only the links after the verified head were checked, up to the new head
    new_links = ChainEntry.objects.filter(organization_id=org_id, seq__gt=first.head_seq).count()
    assert second.ok and not second.full
    assert second.entries_checked == new_links == 2  # the version row and the transition
    assert second.head_seq == first.head_seq + new_links


def test_an_incremental_check_finds_new_links_altered_and_the_verified_head_changed():
    measure, head = _org_with_history()
    org_id = measure.organization_id
    first = verification_record(org_id, full=True)
    log = transition_perform(item=measure, action=Action.SUBMIT, actor=head)

    # a new link altered
    TransitionLog.objects.filter(pk=log.pk).update(comment="แก้ไขภายหลัง")
    assert not verification_record(org_id, full=False).ok

    # the head verified last time rewritten: found without reading the links before it
    TransitionLog.objects.filter(pk=log.pk).update(comment="")
    ChainEntry.objects.filter(organization_id=org_id, seq=first.head_seq).update(hash="f" * 64)
    ChainVerification.objects.filter(ok=False).delete()
    run = verification_record(org_id, full=False)
    assert not run.ok
    assert run.broken_seq == first.head_seq
    assert "changed or removed since" in run.problem


def test_an_old_row_changed_after_its_check_needs_the_full_verification():
    # given a passing verification, then an old row rewritten around the product
    measure, _ = _org_with_history()
    org_id = measure.organization_id
    verification_record(org_id, full=True)
    oldest = TransitionLog.objects.filter(organization_id=org_id).order_by("pk").first()
    TransitionLog.objects.filter(pk=oldest.pk).update(comment="rewritten")

    # then the nightly check cannot see it (nothing new), the weekly full one does
    assert verification_record(org_id, full=False).ok
    full = verification_record(org_id, full=True)
    assert not full.ok and full.full


@pytest.mark.django_db(transaction=True)
def test_audit_verify_command_full_and_in_parallel(capsys):
    # given two organizations
    _org_with_history()
    _org_with_history()

    # when verified in full by two processes
    call_command("audit_verify", "--full", "--jobs", "2")

    # then every chain is recorded as wholly checked, and the rate is reported
    out = capsys.readouterr().out
    assert "links/s, 2 process(es)" in out
    assert ChainVerification.objects.filter(full=True, ok=True).count() == 3  # with the global

    # and the nightly default checks only what is new
    call_command("audit_verify")
    assert ChainVerification.objects.filter(full=False, ok=True).count() == 3

    # a broken chain still fails the command
    TransitionLog.objects.update(comment="x")
    with pytest.raises(CommandError):
        call_command("audit_verify", "--full")


def _verified(organization, *, ok: bool, days_ago: float):
    from django.utils import timezone

    at = timezone.now() - dt.timedelta(days=days_ago)
    return ChainVerification.objects.create(
        organization=organization, started_at=at, finished_at=at, ok=ok, entries_checked=1,
        head_seq=1, head_hash="0" * 64,
    )  # fmt: skip


def test_chains_verified_counts_each_chain_by_its_latest_verification(
    django_assert_max_num_queries,
):
    from django.utils import timezone

    from audit.selectors import chains_verified
    from tests.factories import OrganizationFactory

    # given one chain broken then repaired, one intact then broken, one checked long ago,
    # one never checked, and the global chain intact
    repaired, broken, old, _never = OrganizationFactory.create_batch(4)
    _verified(repaired, ok=False, days_ago=2)
    _verified(repaired, ok=True, days_ago=1)
    _verified(broken, ok=True, days_ago=3)
    _verified(broken, ok=False, days_ago=0.5)
    _verified(old, ok=True, days_ago=30)
    _verified(None, ok=True, days_ago=0.1)

    # when every chain is counted, and only those checked in the last 7 days
    with django_assert_max_num_queries(1):
        every = chains_verified()
    recent = chains_verified(since=timezone.now() - dt.timedelta(days=7))

    # then each counts once, by its latest verification (left on its chain's head)
    assert (every.intact, every.broken) == (3, 1)
    assert (recent.intact, recent.broken) == (2, 1)
    assert timezone.now() - recent.newest < dt.timedelta(hours=3)
