"""Name the actor for writes made outside a request: commands, Celery tasks, logins."""

from __future__ import annotations

import contextlib

from celery.signals import task_postrun, task_prerun
from django.contrib.auth.models import update_last_login
from django.contrib.auth.signals import user_logged_in
from django.core.management.base import BaseCommand

from audit.context import acting_as, current_actor

_task_contexts: dict[str, contextlib.ExitStack] = {}


def _command_execute(execute):
    def run(self, *args, **options):
        # Every management command, called from the shell or by call_command, is named.
        name = self.__class__.__module__.rsplit(".", 1)[-1]
        with acting_as(system=f"command:{name}"):
            return execute(self, *args, **options)

    run.__wrapped__ = execute
    return run


def _task_started(task_id=None, task=None, **kwargs):
    if current_actor() is not None:
        return  # run in-process inside someone's action: theirs stays the attribution
    stack = contextlib.ExitStack()
    stack.enter_context(acting_as(system=f"task:{task.name}"))
    _task_contexts[task_id] = stack


def _task_finished(task_id=None, **kwargs):
    stack = _task_contexts.pop(task_id, None)
    if stack is not None:
        stack.close()


def _last_login_unaudited(sender, user, **kwargs):
    """A login only stamps last_login (not audited); it must not add a user version."""
    user.skip_history_when_saving = True
    try:
        update_last_login(sender, user, **kwargs)
    finally:
        del user.skip_history_when_saving


def install() -> None:
    if not hasattr(BaseCommand.execute, "__wrapped__"):
        BaseCommand.execute = _command_execute(BaseCommand.execute)
    task_prerun.connect(_task_started, dispatch_uid="audit_task_started", weak=False)
    task_postrun.connect(_task_finished, dispatch_uid="audit_task_finished", weak=False)
    user_logged_in.disconnect(dispatch_uid="update_last_login")
    user_logged_in.connect(_last_login_unaudited, dispatch_uid="update_last_login")
