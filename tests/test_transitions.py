"""The workflow end to end through approvals.services.transition_perform."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from approvals.exceptions import NotPermitted, ReasonRequired, TransitionNotAllowed
from approvals.models import PublicationSchedule
from approvals.services import SCHEDULED_PUBLISHER, publication_schedule, transition_perform
from approvals.tasks import scheduled_publications_run
from audit.models import TransitionLog
from workflow.models import Action, Measure, Publication, ResultReport, State
from workflow.selectors import public_report
from workflow.services import measure_update, result_report_update

pytestmark = pytest.mark.django_db


def _run(item, *steps):
    for action, who, *comment in steps:
        transition_perform(
            item=item, action=action, actor=who, comment=comment[0] if comment else ""
        )
    return _fresh(item)


def _fresh(item):
    return type(item).objects.get(pk=item.pk)


def _publish(world, item):
    return _run(
        item,
        (Action.SUBMIT, world["head"]),
        (Action.REVIEW, world["working_group"]),
        (Action.APPROVE, world["chief"]),
        (Action.PUBLISH, world["publisher"]),
    )


@pytest.mark.parametrize("kind", ["measure", "report"])
def test_transition_perform_drafted_to_published_records_each_step(world, kind):
    # given (a result report follows its published measure)
    item = world.measure() if kind == "measure" else world.report()
    if kind == "report":
        _publish(world, item.measure)
    history_before = item.history.count()
    logs_before = TransitionLog.objects.count()
    publications_before = Publication.objects.count()

    # when
    item = _publish(world, item)

    # then
    assert item.state == State.PUBLISHED
    assert item.version == 5
    logs = list(
        TransitionLog.objects.order_by("id").values_list("action", "role", "actor__username")
    )[logs_before:]
    assert logs == [
        ("submit", "division_head", "head"),
        ("review", "working_group", "working_group"),
        ("approve", "chief_executive", "chief"),
        ("publish", "publisher", "publisher"),
    ]
    assert Publication.objects.count() == publications_before + 1
    publication = Publication.objects.order_by("id").last()
    assert publication.published_by == world["publisher"]
    assert publication.approved_by == world["chief"]
    assert item.history.count() - history_before == 4


@pytest.mark.parametrize(
    ("steps", "returner"),
    [
        ([(Action.SUBMIT, "head")], "working_group"),
        ([(Action.SUBMIT, "head"), (Action.REVIEW, "working_group")], "chief"),
        ([(Action.SUBMIT, "head"), (Action.REVIEW, "working_group")], "deputy"),
    ],
)
@pytest.mark.parametrize("kind", ["measure", "report"])
def test_transition_perform_return_paths_carry_the_reason(world, kind, steps, returner):
    # given
    item = world.measure() if kind == "measure" else world.report()
    _run(item, *[(action, world[who]) for action, who in steps])

    # when
    log = transition_perform(
        item=item, action=Action.RETURN, actor=world[returner], comment="  แก้ไขวิธีการ  "
    )

    # then
    item = _fresh(item)
    assert item.state == State.DRAFTED
    assert (log.comment, log.target_state, log.actor) == ("แก้ไขวิธีการ", "drafted", world[returner])
    assert log.delegation_id == (None if returner != "deputy" else log.delegation.pk)


@pytest.mark.parametrize("comment", ["", "   "])
def test_transition_perform_return_without_reason_is_refused(world, comment):
    # given
    measure = _run(world.measure(), (Action.SUBMIT, world["head"]))

    # when / then
    with pytest.raises(ReasonRequired) as raised:
        transition_perform(
            item=measure, action=Action.RETURN, actor=world["working_group"], comment=comment
        )
    assert raised.value.status == 400
    measure = _fresh(measure)
    assert measure.state == State.SUBMITTED
    assert TransitionLog.objects.filter(action="return").count() == 0


def test_transition_perform_withdraw_only_by_the_submitter_before_review(world):
    # given
    measure = _run(world.measure(), (Action.SUBMIT, world["submitter"]))

    # when another head of the division tries, then the submitter
    with pytest.raises(NotPermitted):
        transition_perform(item=measure, action=Action.WITHDRAW, actor=world["head"])
    transition_perform(item=measure, action=Action.WITHDRAW, actor=world["submitter"])

    # then
    measure = _fresh(measure)
    assert measure.state == State.DRAFTED
    _run(measure, (Action.SUBMIT, world["submitter"]), (Action.REVIEW, world["working_group"]))
    with pytest.raises(TransitionNotAllowed):
        transition_perform(item=measure, action=Action.WITHDRAW, actor=world["submitter"])


def test_transition_perform_the_submitter_never_reviews_or_approves(world):
    # given a working group member who also heads the division and submitted the item
    from approvals.models import Role
    from tests.factories import MembershipFactory

    MembershipFactory(user=world["head"], organization=world.organization, role=Role.WORKING_GROUP)
    MembershipFactory(
        user=world["head"], organization=world.organization, role=Role.CHIEF_EXECUTIVE
    )
    measure = _run(world.measure(), (Action.SUBMIT, world["head"]))

    # when / then
    for action in (Action.REVIEW, Action.RETURN):
        with pytest.raises(NotPermitted):
            transition_perform(item=measure, action=action, actor=world["head"], comment="x")
    _run(measure, (Action.REVIEW, world["working_group"]))
    for action in (Action.APPROVE, Action.RETURN):
        with pytest.raises(NotPermitted):
            transition_perform(item=measure, action=action, actor=world["head"], comment="x")


def test_transition_perform_revise_keeps_the_public_report_until_republished(world):
    # given a published measure and result report
    measure = _publish(world, world.measure(title="มาตรการเดิม"))
    report = _publish(world, world.report(measure=measure, items=["ผลเดิม"]))
    before = public_report(world.organization, world.fiscal_year)
    assert [r.measure.content["title"] for r in before] == ["มาตรการเดิม"]
    assert [p.content["items"] for p in before[0].result_reports] == [["ผลเดิม"]]

    # when both are revised and edited
    transition_perform(item=measure, action=Action.REVISE, actor=world["head"])
    transition_perform(item=report, action=Action.REVISE, actor=world["head"])
    measure = Measure.objects.get(pk=measure.pk)
    report = ResultReport.objects.get(pk=report.pk)
    assert (measure.state, measure.revision) == (State.DRAFTED, 2)
    measure_update(
        measure=measure, actor=world["head"], expected_version=measure.version, title="มาตรการใหม่"
    )
    result_report_update(
        report=report, actor=world["head"], expected_version=report.version, items=["ผลใหม่"]
    )

    # then the public sees the old texts
    during = public_report(world.organization, world.fiscal_year)
    assert [r.measure.content["title"] for r in during] == ["มาตรการเดิม"]
    assert [p.content["items"] for p in during[0].result_reports] == [["ผลเดิม"]]

    # when the revision is published in turn
    _publish(world, Measure.objects.get(pk=measure.pk))
    _publish(world, ResultReport.objects.get(pk=report.pk))

    # then the public sees the new texts, revision 2
    after = public_report(world.organization, world.fiscal_year)
    assert [(r.measure.content["title"], r.measure.revision) for r in after] == [("มาตรการใหม่", 2)]
    assert [p.content["items"] for p in after[0].result_reports] == [["ผลใหม่"]]


def test_scheduled_publications_run_publishes_due_items_as_the_scheduler(world):
    # given an approved measure scheduled for a moment that has come
    measure = _run(
        world.measure(),
        (Action.SUBMIT, world["head"]),
        (Action.REVIEW, world["working_group"]),
        (Action.APPROVE, world["chief"]),
    )
    schedule = publication_schedule(
        item=measure,
        actor=world["publisher"],
        publish_at=timezone.now() + dt.timedelta(hours=1),
        comment="เผยแพร่ตามกำหนด",
    )
    later = PublicationSchedule.objects.create(
        organization=world.organization, measure=world.measure(), scheduled_by=world["publisher"],
        publish_at=timezone.now() + dt.timedelta(days=3),
    )  # fmt: skip
    assert scheduled_publications_run() == 0
    PublicationSchedule.objects.filter(pk=schedule.pk).update(
        publish_at=timezone.now() - dt.timedelta(minutes=1)
    )

    # when the beat task runs, twice
    published = scheduled_publications_run()
    again = scheduled_publications_run()

    # then
    assert (published, again) == (1, 0)
    measure = _fresh(measure)
    assert measure.state == State.PUBLISHED
    log = TransitionLog.objects.get(action="publish")
    assert (log.actor, log.system_actor, log.role, log.comment) == (
        world["publisher"],
        SCHEDULED_PUBLISHER,
        "publisher",
        "เผยแพร่ตามกำหนด",
    )
    schedule.refresh_from_db()
    assert schedule.log == log and schedule.done_at is not None and schedule.error_code == ""
    later.refresh_from_db()
    assert later.done_at is None
    assert Publication.objects.get().published_by == world["publisher"]


def test_scheduled_publications_run_records_why_it_could_not_publish(world):
    # given a schedule on an item that was returned meanwhile
    measure = _run(
        world.measure(), (Action.SUBMIT, world["head"]), (Action.REVIEW, world["working_group"])
    )
    schedule = PublicationSchedule.objects.create(
        organization=world.organization, measure=measure, scheduled_by=world["publisher"],
        publish_at=timezone.now() - dt.timedelta(minutes=1),
    )  # fmt: skip

    # when
    assert scheduled_publications_run() == 0

    # then
    schedule.refresh_from_db()
    assert schedule.error_code == "transition_not_allowed"
    assert schedule.done_at is not None
    assert not Publication.objects.exists()


def test_transition_perform_deputy_approves_only_while_delegated(world):
    # given
    measure = _run(
        world.measure(), (Action.SUBMIT, world["head"]), (Action.REVIEW, world["working_group"])
    )

    # when / then
    with pytest.raises(NotPermitted):
        transition_perform(item=measure, action=Action.APPROVE, actor=world["expired_deputy"])
    log = transition_perform(item=measure, action=Action.APPROVE, actor=world["deputy"])
    assert (log.role, log.delegation.deputy) == ("chief_executive", world["deputy"])
    assert log.delegation.delegator == world["chief"]


def test_transition_perform_revoked_delegation_no_longer_counts(world):
    # given
    from approvals.models import Delegation
    from approvals.services import delegation_revoke

    measure = _run(
        world.measure(), (Action.SUBMIT, world["head"]), (Action.REVIEW, world["working_group"])
    )
    delegation_revoke(
        delegation=Delegation.objects.get(deputy=world["deputy"]), actor=world["admin"]
    )

    # when / then
    with pytest.raises(NotPermitted):
        transition_perform(item=measure, action=Action.APPROVE, actor=world["deputy"])


def test_transition_perform_costs_a_fixed_number_of_queries(world):
    # given a busy organization: the head holds many divisions, the item has many
    from approvals.models import Membership
    from tests.factories import DivisionFactory

    divisions = [DivisionFactory(organization=world.organization) for _ in range(8)]
    Membership.objects.get(user=world["head"], role="division_head").divisions.add(*divisions)
    report = world.report(measure=world.measure(divisions=[world.division, *divisions]))
    few = world.report(measure=world.measure())
    warm_up = world.report(measure=world.measure())  # PostgreSQL prepares the reads once
    transition_perform(item=warm_up, action=Action.SUBMIT, actor=world["head"])

    # when: the same transition with 9 divisions and with 1
    with CaptureQueriesContext(connection) as many_queries:
        transition_perform(item=report, action=Action.SUBMIT, actor=world["head"])
    with CaptureQueriesContext(connection) as few_queries:
        transition_perform(item=few, action=Action.SUBMIT, actor=world["head"])

    # then on PostgreSQL: one round trip reads (lock, authority, last version, recipients),
    # one writes (row, version, record, chain links, inbox, outbox); on SQLite the same
    # statements go one by one
    assert len(many_queries) == len(few_queries)
    if connection.vendor == "postgresql":
        sent = [q["sql"] for q in few_queries.captured_queries if "SAVEPOINT" not in q["sql"]]
        assert len(sent) == 2, [q[:60] for q in sent]
