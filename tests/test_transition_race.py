"""Two people take the same action on the same item at the same moment: exactly one wins."""

import threading

import pytest
from django.db import connection

from approvals.exceptions import StaleVersion, TransitionNotAllowed
from approvals.models import Role
from approvals.services import transition_perform
from audit.chain import verify
from audit.models import TransitionLog
from tests.factories import MeasureFactory, MembershipFactory, UserFactory
from tests.roles import world_build
from workflow.models import Measure, State

ROUNDS = 50


def _race(item, actors, **kwargs) -> list[str]:
    """Run transition_perform from one thread per actor, each on its own connection."""
    barrier = threading.Barrier(len(actors))
    outcomes: list[str] = []
    lock = threading.Lock()

    def act(actor):
        try:
            barrier.wait()
            transition_perform(item=item, actor=actor, **kwargs)
            outcome = "ok"
        except (TransitionNotAllowed, StaleVersion) as error:
            outcome = error.code
        except Exception as error:  # reported, so a failure says what happened
            outcome = f"{type(error).__name__}: {error}"
        finally:
            connection.close()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=act, args=(actor,)) for actor in actors]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(outcomes)


def _two_reviewers(count: int):
    """A world with a second working group member, and `count` submitted measures."""
    world = world_build()
    second = UserFactory(username="working_group_2")
    MembershipFactory(user=second, organization=world.organization, role=Role.WORKING_GROUP)
    measures = [
        MeasureFactory(
            organization=world.organization,
            fiscal_year=world.fiscal_year,
            divisions=[world.division],
            state=State.SUBMITTED,
            submitted_by=world["head"],
        )
        for _ in range(count)
    ]
    return world, second, measures


@pytest.mark.django_db(transaction=True)
def test_transition_race_exactly_one_review_wins_each_time():
    # given two working group members and fifty submitted measures
    world, second, measures = _two_reviewers(ROUNDS)

    # when both review each measure at the same moment
    results = [_race(m, [world["working_group"], second], action="review") for m in measures]

    # then each time exactly one succeeded and the other was told it came too late
    assert results == [["ok", "transition_not_allowed"]] * ROUNDS
    assert TransitionLog.objects.filter(action="review").count() == ROUNDS
    assert set(Measure.objects.values_list("state", "version")) == {(State.REVIEWED, 2)}


@pytest.mark.django_db(transaction=True)
def test_transition_race_stale_version_loses_with_a_conflict():
    # given two heads of the division holding version 1 of the same drafted measures
    world = world_build()
    measures = [
        MeasureFactory(
            organization=world.organization,
            fiscal_year=world.fiscal_year,
            divisions=[world.division],
        )
        for _ in range(ROUNDS)
    ]

    # when both submit version 1 at the same moment
    results = [
        _race(m, [world["head"], world["submitter"]], action="submit", expected_version=1)
        for m in measures
    ]

    # then one wins, the other's version is stale
    assert results == [["ok", "stale_version"]] * ROUNDS
    assert TransitionLog.objects.filter(action="submit").count() == ROUNDS


@pytest.mark.django_db(transaction=True)
def test_simultaneous_transitions_on_different_items_keep_one_unbroken_chain():
    # given two working group members and forty submitted measures of one organization
    world, second, measures = _two_reviewers(2 * 20)
    barrier = threading.Barrier(2)
    failures: list[str] = []

    def review(actor, items):
        try:
            barrier.wait()
            for item in items:
                transition_perform(item=item, action="review", actor=actor)
        except Exception as error:  # reported, so a failure says what happened
            failures.append(f"{type(error).__name__}: {error}")
        finally:
            connection.close()

    # when both review their half at the same time: their chain appends interleave
    threads = [
        threading.Thread(target=review, args=(world["working_group"], measures[0::2])),
        threading.Thread(target=review, args=(second, measures[1::2])),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # then every transition is in one unbroken chain
    assert failures == []
    assert TransitionLog.objects.filter(action="review").count() == 40
    result = verify(world.organization.pk)
    assert result.ok, result.problem


@pytest.mark.django_db(transaction=True)
def test_two_admins_giving_a_first_position_at_once_queue_rather_than_fail():
    # given two admins of one organization and a person with no position yet
    from approvals.models import Position
    from approvals.services import position_set

    world = world_build()
    second_admin = UserFactory(username="admin_2")
    MembershipFactory(user=second_admin, organization=world.organization, role=Role.ADMIN)
    person = world["head"]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def give(actor, title):
        try:
            barrier.wait()
            position_set(organization=world.organization, actor=actor, user=person, title=title)
            outcomes.append("ok")
        except Exception as error:  # reported, so a failure says what happened
            outcomes.append(f"{type(error).__name__}: {error}")
        finally:
            connection.close()

    # when both save a position for that person at the same moment
    threads = [
        threading.Thread(target=give, args=(world["admin"], "ผู้อำนวยการกองคลัง")),
        threading.Thread(target=give, args=(second_admin, "นักวิชาการเงินและบัญชี")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # then both were saved one after the other, and the person holds one position
    assert outcomes == ["ok", "ok"]
    positions = Position.objects.filter(user=person, organization=world.organization)
    assert positions.count() == 1
    assert positions.get().title in {"ผู้อำนวยการกองคลัง", "นักวิชาการเงินและบัญชี"}
