"""Who is acting when no web request says so: commands, Celery tasks, the importer.

    with acting_as(system="importer", reason=f"imported from {name}"):
        ...every history row written here names the importer and the reason...

Inside a request simple-history's middleware supplies the user; the innermost
`acting_as` wins over it. Outside both, the process itself is named
(`command:seed_demo`, `task:…`, `process:gunicorn`), never "unknown".
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import sys
from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    user: object | None = None
    system: str = ""
    reason: str = ""
    ip_address: str | None = None


_current: contextvars.ContextVar[Actor | None] = contextvars.ContextVar(
    "itaflow_audit_actor", default=None
)


@contextlib.contextmanager
def acting_as(user=None, system: str = "", reason: str = "", ip_address: str | None = None):
    """Attribute every tracked write inside the block to `user` or the named system process."""
    outer = _current.get()
    if outer is not None:
        # an inner block refines the outer one; what it leaves empty is inherited
        user = user if user is not None else (outer.user if not system else None)
        system = system or (outer.system if user is None else "")
        reason = reason or outer.reason
        ip_address = ip_address or outer.ip_address
    token = _current.set(Actor(user=user, system=system, reason=reason, ip_address=ip_address))
    try:
        yield
    finally:
        _current.reset(token)


def current_actor() -> Actor | None:
    return _current.get()


def process_actor() -> str:
    """The name of this process, for writes no person or named task is behind."""
    argv = sys.argv or [""]
    program = os.path.basename(argv[0]) or "python"
    if program in {"manage.py", "django-admin"} and len(argv) > 1:
        return f"command:{argv[1]}"
    return f"process:{program}"
