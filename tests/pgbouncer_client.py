"""A client process of the PgBouncer test: transitions, a timeline, an export, as the web does.

Run as `python -m tests.pgbouncer_client <measure id> <head's user id> <rounds>` with
DATABASE_URL pointing at the pooler; exits non-zero on the first failure.
"""

import sys

import django


def main(measure_id: int, head_id: int, rounds: int) -> None:
    django.setup()
    from django.contrib.auth import get_user_model

    from approvals.services import transition_perform
    from audit.selectors import LogFilter, item_timeline, log_export
    from workflow.models import Action, Measure

    head = get_user_model().objects.get(pk=head_id)
    for _ in range(rounds):
        for action in (Action.SUBMIT, Action.WITHDRAW):
            measure = Measure.objects.get(pk=measure_id)
            transition_perform(item=measure, action=action, actor=head)
    measure = Measure.objects.get(pk=measure_id)
    entries, _ = item_timeline(organization_id=measure.organization_id, item=Measure, pk=measure.pk)
    assert entries, "no timeline"
    exported = b"".join(log_export(LogFilter(organization_id=measure.organization_id), "csv"))
    assert exported.count(b"\n") > rounds, "export too short"


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:4]))
