import itertools

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from approvals.models import Role
from approvals.services import transition_perform
from audit.chain import head_for, tracked_record_models, verify
from audit.models import GENESIS_HASH, ChainEntry, ChainHead, ChainVerification, TransitionLog
from tests.factories import MeasureFactory, MembershipFactory, OrganizationFactory
from workflow.models import Action, Measure, MeasureMethod

pytestmark = pytest.mark.django_db


def _measure_with_people():
    measure = MeasureFactory(methods=["ประชุม", "ประกาศ"])
    org = measure.organization
    head = MembershipFactory(
        organization=org, role=Role.DIVISION_HEAD, divisions=[measure.divisions.get()]
    ).user
    working = MembershipFactory(organization=org, role=Role.WORKING_GROUP).user
    return measure, head, working


def _history_table(model) -> str:
    return model.history.model._meta.db_table


def test_every_history_row_and_transition_is_chained_per_organization():
    # given
    measure, head, _working = _measure_with_people()
    other = MeasureFactory()

    # when
    log = transition_perform(item=measure, action=Action.SUBMIT, actor=head)

    # then
    org = measure.organization
    entries = list(ChainEntry.objects.filter(organization=org).order_by("seq"))
    assert [e.seq for e in entries] == list(range(1, len(entries) + 1))
    assert entries[0].prev_hash == GENESIS_HASH
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(entries))
    assert entries[-1].record_model == "audit.transitionlog"
    assert entries[-1].record_pk == log.pk
    assert entries[-2].record_model == "workflow.historicalmeasure"
    assert entries[-2].reason == "submit"
    assert head_for(org.pk) == entries[-1].hash
    assert not ChainEntry.objects.filter(organization=org, measure=other).exists()
    assert ChainEntry.objects.filter(organization=other.organization).exists()
    assert ChainEntry.objects.filter(organization__isnull=True).exists()  # fiscal year, users
    assert verify(org.pk).ok
    assert verify(None).ok


def test_audit_verify_reports_an_intact_chain_and_records_it(capsys):
    # given
    measure, head, _ = _measure_with_people()
    transition_perform(item=measure, action=Action.SUBMIT, actor=head)

    # when
    call_command("audit_verify", "--org", measure.organization.slug)

    # then
    run = ChainVerification.objects.get(organization=measure.organization)
    assert run.ok
    assert run.head_hash == head_for(measure.organization_id)
    assert run.entries_checked == ChainEntry.objects.filter(organization=run.organization).count()
    assert "intact" in capsys.readouterr().out


def test_audit_verify_locates_an_edited_history_row():
    # given
    measure, head, working = _measure_with_people()
    transition_perform(item=measure, action=Action.SUBMIT, actor=head)
    transition_perform(item=measure, action=Action.REVIEW, actor=working)
    victim = measure.history.order_by("history_id")[1]
    entry = ChainEntry.objects.get(record_model="workflow.historicalmeasure", record_pk=victim.pk)

    # when
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {_history_table(Measure)} SET title = %s WHERE history_id = %s",
            ["แก้ไขย้อนหลัง", victim.pk],
        )

    # then
    with pytest.raises(CommandError):
        call_command("audit_verify", "--org", measure.organization.slug)
    run = ChainVerification.objects.get(organization=measure.organization)
    assert not run.ok
    assert run.broken_seq == entry.seq
    assert f"historicalmeasure {victim.pk}" in run.problem


def test_audit_verify_locates_an_edited_transition_comment():
    # given
    measure, head, working = _measure_with_people()
    transition_perform(item=measure, action=Action.SUBMIT, actor=head)
    log = transition_perform(item=measure, action=Action.RETURN, actor=working, comment="ขาดผล")
    entry = ChainEntry.objects.get(record_model="audit.transitionlog", record_pk=log.pk)

    # when
    TransitionLog.objects.filter(pk=log.pk).update(comment="ok")

    # then
    result = verify(measure.organization_id)
    assert not result.ok
    assert result.broken_seq == entry.seq


def test_audit_verify_locates_a_deleted_history_row():
    # given
    measure, head, working = _measure_with_people()
    transition_perform(item=measure, action=Action.SUBMIT, actor=head)
    transition_perform(item=measure, action=Action.REVIEW, actor=working)
    victim = measure.history.order_by("history_id")[2]
    entry = ChainEntry.objects.get(record_model="workflow.historicalmeasure", record_pk=victim.pk)

    # when
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {_history_table(Measure)} WHERE history_id = %s", [victim.pk])

    # then
    result = verify(measure.organization_id)
    assert not result.ok
    assert result.broken_seq == entry.seq
    assert "deleted" in result.problem


def test_audit_verify_locates_a_deleted_chain_entry_even_when_renumbered():
    # given
    measure, head, working = _measure_with_people()
    transition_perform(item=measure, action=Action.SUBMIT, actor=head)
    transition_perform(item=measure, action=Action.REVIEW, actor=working)
    org_id = measure.organization_id
    victim = ChainEntry.objects.filter(organization_id=org_id).order_by("seq")[3]

    # when: delete one link and close the gap
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_chainentry WHERE id = %s", [victim.pk])
        # in two steps: the unique (organization, seq) index is checked row by row
        cursor.execute(
            "UPDATE audit_chainentry SET seq = 1 - seq WHERE organization_id = %s AND seq > %s",
            [org_id, victim.seq],
        )
        cursor.execute(
            "UPDATE audit_chainentry SET seq = -seq WHERE organization_id = %s AND seq < 0",
            [org_id],
        )

    # then
    result = verify(org_id)
    assert not result.ok
    assert result.broken_seq == victim.seq
    assert "does not follow" in result.problem


def test_audit_verify_locates_reordered_rows():
    # given
    measure, head, working = _measure_with_people()
    transition_perform(item=measure, action=Action.SUBMIT, actor=head)
    transition_perform(item=measure, action=Action.REVIEW, actor=working)
    org_id = measure.organization_id
    first, second = ChainEntry.objects.filter(organization_id=org_id).order_by("seq")[2:4]

    # when: swap the places of two links
    with connection.cursor() as cursor:
        cursor.execute("UPDATE audit_chainentry SET seq = -1 WHERE id = %s", [first.pk])
        cursor.execute("UPDATE audit_chainentry SET seq = %s WHERE id = %s", [first.seq, second.pk])
        cursor.execute("UPDATE audit_chainentry SET seq = %s WHERE id = %s", [second.seq, first.pk])

    # then
    result = verify(org_id)
    assert not result.ok
    assert result.broken_seq == first.seq


def test_audit_verify_locates_reordered_history_dates():
    # given
    measure, head, working = _measure_with_people()
    transition_perform(item=measure, action=Action.SUBMIT, actor=head)
    transition_perform(item=measure, action=Action.REVIEW, actor=working)
    older, newer = measure.history.order_by("history_id")[1:3]
    entry = ChainEntry.objects.get(record_model="workflow.historicalmeasure", record_pk=older.pk)

    # when: swap the times of two versions
    table = _history_table(Measure)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET history_date = %s WHERE history_id = %s",
            [newer.history_date, older.pk],
        )
        cursor.execute(
            f"UPDATE {table} SET history_date = %s WHERE history_id = %s",
            [older.history_date, newer.pk],
        )

    # then
    result = verify(measure.organization_id)
    assert result.broken_seq == entry.seq


def test_audit_verify_finds_truncated_chain_and_rows_written_around_it():
    # given
    measure, head, _ = _measure_with_people()
    transition_perform(item=measure, action=Action.SUBMIT, actor=head)
    org_id = measure.organization_id
    last = ChainEntry.objects.filter(organization_id=org_id).order_by("seq").last()

    # when: the last link is removed
    ChainEntry.objects.filter(pk=last.pk).delete()

    # then
    result = verify(org_id)
    assert not result.ok
    assert result.broken_seq == last.seq

    # and when the head is rewound to hide it, the row without a link is named
    ChainHead.objects.filter(key=org_id).update(seq=last.seq - 1, hash=last.prev_hash)
    result = verify(org_id)
    assert not result.ok
    assert f"{last.record_model} {last.record_pk}" in result.problem


def test_publication_records_the_chain_head():
    # given
    measure, head, working = _measure_with_people()
    org = measure.organization
    chief = MembershipFactory(organization=org, role=Role.CHIEF_EXECUTIVE).user
    publisher = MembershipFactory(organization=org, role=Role.PUBLISHER).user
    transition_perform(item=measure, action=Action.SUBMIT, actor=head)
    transition_perform(item=measure, action=Action.REVIEW, actor=working)
    transition_perform(item=measure, action=Action.APPROVE, actor=chief)

    # when
    log = transition_perform(item=measure, action=Action.PUBLISH, actor=publisher)

    # then
    publication = measure.publications.get()
    entry = ChainEntry.objects.get(record_model="audit.transitionlog", record_pk=log.pk)
    assert publication.chain_head == entry.hash


def test_audit_verify_all_organizations_task_records_each_chain():
    # given
    _measure_with_people()
    OrganizationFactory()

    # when
    from audit.tasks import audit_verify_all

    audit_verify_all()

    # then
    assert ChainVerification.objects.filter(ok=True).count() >= 3  # two orgs + global
    assert not ChainVerification.objects.filter(ok=False).exists()


def test_a_version_written_before_its_children_is_completed_and_still_chained():
    # given
    measure, head, _ = _measure_with_people()
    versions = measure.history.count()

    # when: an edit service saves the measure first, then replaces its methods
    with transaction.atomic():
        measure.version += 1
        measure._history_user = head
        measure._change_reason = "edit"
        measure.save()
        measure.methods.all().delete()
        for position, text in enumerate(["ขั้นใหม่หนึ่ง", "ขั้นใหม่สอง"], start=1):
            MeasureMethod.objects.create(measure=measure, position=position, text=text)

    # then: one new version, holding the new methods, and the chain still verifies
    assert measure.history.count() == versions + 1
    latest = measure.history.order_by("history_id").last()
    assert latest.history_change_reason == "edit"
    assert [m["text"] for m in latest.history_children["methods"]] == [
        "ขั้นใหม่หนึ่ง",
        "ขั้นใหม่สอง",
    ]
    assert verify(measure.organization_id).ok
    assert (
        head_for(measure.organization_id) == ChainHead.objects.get(key=measure.organization_id).hash
    )


def test_a_transition_on_an_item_without_versions_starts_its_chain_and_snapshot():
    # given a measure whose rows were written without history (an organization's first
    # tracked write is this transition: no chain head yet)
    measure, head, _ = _measure_with_people()
    org_id = measure.organization_id
    for model in tracked_record_models():
        if model is not TransitionLog:
            model.objects.filter(history_organization_id=org_id).delete()
    ChainEntry.objects.filter(organization_id=org_id).delete()
    ChainHead.objects.filter(key=org_id).delete()

    # when
    transition_perform(item=measure, action=Action.SUBMIT, actor=head)

    # then the version holds the children read now, and the chain starts at #1
    version = Measure.history.model.objects.get(id=measure.pk)
    assert [m["text"] for m in version.history_children["methods"]] == ["ประชุม", "ประกาศ"]
    result = verify(org_id)
    assert result.ok, result.problem
    assert result.head_seq == 2  # the version and the transition record
