"""Every person × every action × every state, for measures and result reports.

The expected outcomes are written out below by hand from DESIGN.md and issue 3;
nothing here is computed by the code under test.
"""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import transaction

from approvals.exceptions import NotEditable, NotPermitted, TransitionNotAllowed
from approvals.services import transition_perform
from tests.factories import MeasureFactory, ResultReportFactory
from tests.roles import PEOPLE
from workflow.services import measure_update, publication_create, result_report_update

pytestmark = pytest.mark.django_db

STATES = ("drafted", "submitted", "reviewed", "approved", "published")
TRANSITIONS = ("submit", "withdraw", "review", "return", "approve", "publish", "revise")
EDITS = {"measure": ("edit",), "report": ("edit", "recommend")}

# From which states the workflow allows each action at all (anything else: 409).
WORKFLOW_SOURCES = {
    "submit": {"drafted"},
    "withdraw": {"submitted"},
    "review": {"submitted"},
    "return": {"submitted", "reviewed"},
    "approve": {"reviewed"},
    "publish": {"approved"},
    "revise": {"published"},
    "edit": {"drafted"},
    "recommend": {"submitted"},
}

# Who may ever make each kind of edit (others: 403; these, in another state: 409).
EDITORS = {
    ("measure", "edit"): {"head", "working_group"},
    ("report", "edit"): {"head"},
    ("report", "recommend"): {"working_group"},
}

# (person, kind) -> {action: the states in which it succeeds}. Items in a state past
# drafted were submitted by "submitter", another head of the same division, so "head"
# is never the submitter here (withdraw by the submitter is in test_transitions.py).
ALLOWED = {
    ("head", "measure"): {"submit": {"drafted"}, "revise": {"published"}, "edit": {"drafted"}},
    ("head", "report"): {"submit": {"drafted"}, "revise": {"published"}, "edit": {"drafted"}},
    ("other_head", "measure"): {},
    ("other_head", "report"): {},
    ("working_group", "measure"): {
        "review": {"submitted"},
        "return": {"submitted"},
        "revise": {"published"},
        "edit": {"drafted"},
    },
    ("working_group", "report"): {
        "review": {"submitted"},
        "return": {"submitted"},
        "recommend": {"submitted"},
    },
    ("chief", "measure"): {"return": {"reviewed"}, "approve": {"reviewed"}},
    ("chief", "report"): {"return": {"reviewed"}, "approve": {"reviewed"}},
    ("deputy", "measure"): {"return": {"reviewed"}, "approve": {"reviewed"}},
    ("deputy", "report"): {"return": {"reviewed"}, "approve": {"reviewed"}},
    ("expired_deputy", "measure"): {},
    ("expired_deputy", "report"): {},
    ("publisher", "measure"): {"publish": {"approved"}},
    ("publisher", "report"): {"publish": {"approved"}},
    ("auditor", "measure"): {},
    ("auditor", "report"): {},
    ("admin", "measure"): {},
    ("admin", "report"): {},
    ("outsider", "measure"): {},
    ("outsider", "report"): {},
    ("anonymous", "measure"): {},
    ("anonymous", "report"): {},
}
NOT_MEMBERS = {"outsider", "anonymous"}


def expected(person: str, kind: str, action: str, state: str) -> str:
    if state in ALLOWED[(person, kind)].get(action, set()):
        return "ok"
    if person in NOT_MEMBERS:
        return "403"
    if action in ("edit", "recommend"):
        return "409" if person in EDITORS[(kind, action)] else "403"
    return "403" if state in WORKFLOW_SOURCES[action] else "409"


def item_in(world, kind: str, state: str):
    submitter = None if state == "drafted" else world["submitter"]
    measure = MeasureFactory(
        organization=world.organization, fiscal_year=world.fiscal_year,
        divisions=[world.division], state=state if kind == "measure" else "drafted",
        submitted_by=submitter if kind == "measure" else None,
    )  # fmt: skip
    if kind == "measure":
        return measure
    publication_create(item=measure, published_by=None)  # a report follows its measure
    return ResultReportFactory(
        measure=measure, reporting_round=world.reporting_round, state=state,
        submitted_by=submitter,
    )  # fmt: skip


def attempt(actor, item, kind: str, action: str) -> str:
    try:
        if action == "edit" and kind == "measure":
            measure_update(measure=item, actor=actor, expected_version=1, title="แก้ไข")
        elif action == "edit":
            result_report_update(report=item, actor=actor, expected_version=1, items=["แก้"])
        elif action == "recommend":
            result_report_update(
                report=item, actor=actor, expected_version=1, recommendations=["ข้อเสนอ"]
            )
        else:
            transition_perform(item=item, action=action, actor=actor, comment="เหตุผล")
    except NotPermitted:
        return "403"
    except (TransitionNotAllowed, NotEditable):
        return "409"
    assert type(item).objects.get(pk=item.pk).version == 2
    return "ok"


class Rollback(Exception):
    pass


@pytest.mark.parametrize("kind", ["measure", "report"])
@pytest.mark.parametrize("person", [*PEOPLE[:1], *PEOPLE[2:], "anonymous"])
def test_permission_matrix(world, person, kind):
    # given the organization of tests/roles.py and an item in each state
    actor = AnonymousUser() if person == "anonymous" else world[person]
    items = {state: item_in(world, kind, state) for state in STATES}
    outcomes, wanted = {}, {}

    # when the person tries every action on an item in every state
    for action in (*TRANSITIONS, *EDITS[kind]):
        for state in STATES:
            wanted[(action, state)] = expected(person, kind, action, state)
            try:
                with transaction.atomic():
                    outcomes[(action, state)] = attempt(actor, items[state], kind, action)
                    raise Rollback
            except Rollback:
                pass

    # then each outcome is the one in the table
    assert outcomes == wanted


def test_permission_matrix_covers_every_person_and_kind():
    assert {p for p, _ in ALLOWED} == {*PEOPLE} - {"submitter"} | {"anonymous"}
    assert {k for _, k in ALLOWED} == {"measure", "report"}


@pytest.mark.parametrize("action", ["review", "return", "approve"])
def test_permission_matrix_submitter_never_judges_own_item(world, action):
    # given the submitter also holds the working group and chief executive roles
    from approvals.models import Role
    from tests.factories import MembershipFactory

    for role in (Role.WORKING_GROUP, Role.CHIEF_EXECUTIVE):
        MembershipFactory(user=world["submitter"], organization=world.organization, role=role)
    for state in ("submitted", "reviewed"):
        if state not in WORKFLOW_SOURCES[action]:
            continue
        measure = MeasureFactory(
            organization=world.organization, fiscal_year=world.fiscal_year,
            divisions=[world.division], state=state, submitted_by=world["submitter"],
        )  # fmt: skip

        # when / then
        with pytest.raises(NotPermitted):
            transition_perform(
                item=measure, action=action, actor=world["submitter"], comment="เหตุผล"
            )


def test_permission_matrix_reviewer_never_approves_what_they_reviewed(world):
    # given a working group member who is also chief executive reviews a submitted measure
    from approvals.models import Role
    from tests.factories import MembershipFactory

    MembershipFactory(user=world["working_group"], organization=world.organization,
                      role=Role.CHIEF_EXECUTIVE)  # fmt: skip
    measure = MeasureFactory(
        organization=world.organization, fiscal_year=world.fiscal_year,
        divisions=[world.division], state="submitted", submitted_by=world["submitter"],
    )  # fmt: skip
    transition_perform(item=measure, action="review", actor=world["working_group"])

    # when they try to approve it, then they may not; the chief (or the deputy) may
    with pytest.raises(NotPermitted):
        transition_perform(item=measure, action="approve", actor=world["working_group"])
    log = transition_perform(item=measure, action="approve", actor=world["chief"])
    assert log.actor == world["chief"]


# Self-grants: who may give a role or a delegation to whom (issue 12, hole 5). Nobody
# gives one to themselves, not even an admin; an admin or the platform operator gives one
# to someone else; nobody else gives any.
GRANTERS = {"admin", "operator"}


def test_permission_matrix_nobody_grants_themselves_a_role_or_a_delegation(world):
    # given every person of the organization, and the platform operator
    import datetime as dt

    from django.utils import timezone

    from approvals.exceptions import SelfGrant
    from approvals.models import Delegation, Membership, Role
    from approvals.services import delegation_create, membership_create
    from tests.factories import UserFactory

    operator = UserFactory(username="operator", is_staff=True, is_superuser=True)
    now = timezone.now()
    roles = (Role.CHIEF_EXECUTIVE, Role.WORKING_GROUP, Role.PUBLISHER, Role.ADMIN)

    def outcome(service, **kwargs) -> str:
        try:
            with transaction.atomic():
                service(organization=world.organization, **kwargs)
                raise Rollback
        except Rollback:
            return "ok"
        except SelfGrant:
            return "self"
        except NotPermitted:
            return "403"

    for person in (*PEOPLE, "operator"):
        actor = operator if person == "operator" else world[person]
        outcomes = {}

        # when one tries to give themselves, then someone else, each role and a delegation
        for whom, grantee in (("self", actor), ("other", world["outsider"])):
            for role in roles:
                outcomes[(whom, role.value)] = outcome(
                    membership_create, actor=actor, user=grantee, role=role
                )
            outcomes[(whom, "delegation")] = outcome(
                delegation_create, actor=actor, deputy=grantee, starts_at=now,
                delegator=actor if person == "chief" else world["chief"],
                ends_at=now + dt.timedelta(days=1),
            )  # fmt: skip

        # then nobody gives themselves anything; admins and the operator give others;
        # the chief executive delegates their own authority, to someone else
        may_grant = person in GRANTERS
        wanted = {
            (whom, what): "self" if whom == "self" and may_grant else "ok" if may_grant else "403"
            for whom in ("self", "other")
            for what in (*(r.value for r in roles), "delegation")
        }
        if person == "chief":
            wanted[("self", "delegation")], wanted[("other", "delegation")] = "self", "ok"
        assert outcomes == wanted, person
    assert not Membership.objects.filter(user=operator).exists()
    assert not Delegation.objects.filter(created_at__gte=now).exists()
