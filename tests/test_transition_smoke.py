import pytest

from approvals.models import Role
from approvals.services import transition_perform
from audit.models import TransitionLog
from tests.factories import MeasureFactory, MembershipFactory
from workflow.models import Action, Measure, State

pytestmark = pytest.mark.django_db


def test_transition_perform_submit_records_the_log():
    # given
    measure = MeasureFactory()
    division = measure.divisions.get()
    head = MembershipFactory(
        organization=measure.organization, role=Role.DIVISION_HEAD, divisions=[division]
    ).user

    # when
    log = transition_perform(item=measure, action=Action.SUBMIT, actor=head)

    # then
    measure = Measure.objects.get(pk=measure.pk)
    assert measure.state == State.SUBMITTED
    assert measure.version == 2
    assert measure.submitted_by == head
    assert TransitionLog.objects.get() == log
    assert (log.source_state, log.target_state, log.role) == (
        "drafted",
        "submitted",
        "division_head",
    )
    assert measure.history.first().history_user == head
