"""Property-based run of the project's own OpenAPI schema, as each role in turn.

In-process (WSGI), with all of schemathesis's checks: no 5xx, and every answer is one the
schema documents (status, content type, body, headers). A bounded, deterministic number of
examples per operation and role.
"""

import contextlib
import json

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from rest_framework.authtoken.models import Token
from schemathesis import GenerationMode
from schemathesis.core.failures import FailureGroup
from schemathesis.openapi.checks import RejectedPositiveData

from config.wsgi import application
from workflow.models import State

# The people of tests/roles.py, one role each.
ROLES = ("head", "working_group", "chief", "publisher", "auditor", "admin")
EXAMPLES = {GenerationMode.POSITIVE: 3, GenerationMode.NEGATIVE: 2}
WRITES = ("POST", "PUT", "PATCH", "DELETE")


@pytest.fixture
def connections_kept_open():
    """Like Django's test client: the WSGI app must not close the test's connection."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def refused_by_a_business_rule(case, response, failure) -> bool:
    """A schema-valid write refused with 400 and the fields at fault: the schema can say
    that `organization` is an id, not which organizations exist and are yours, nor that a
    delegation ends after it starts. Reads and any other refusal stay failures."""
    if not isinstance(failure, RejectedPositiveData) or case.method.upper() not in WRITES:
        return False
    if response.status_code != 400:
        return False
    body = json.loads(response.content)
    return body.get("code") == "invalid" and bool(body.get("fields"))


def failures_of(case, response, headers, role) -> list[str]:
    try:
        case.validate_response(response, headers=headers)
    except FailureGroup as group:  # every check that failed
        return [
            f"{case.operation.label} as {role} → {response.status_code}: {failure.title}"
            f" {case.query}"
            for failure in group.exceptions
            if not refused_by_a_business_rule(case, response, failure)
        ]
    return []


def call_as_each_role(operation, mode, headers, failures: set, called: set) -> None:
    """A bounded, deterministic run of one operation; each generated request as each role."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES[mode],
        derandomize=True,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    def call(case):
        called.add((mode, case.operation.label))
        for role in ROLES:
            response = case.call(headers=headers[role])
            failures.update(failures_of(case, response, headers[role], role))

    # negative mode: some operations have nothing invalid to generate
    with contextlib.suppress(Unsatisfiable):
        call()


@pytest.mark.django_db
@pytest.mark.usefixtures("connections_kept_open")
def test_api_schema_every_check_as_each_role(world):
    # given items in every state, and a person for each role
    for state in State:
        world.report(measure=world.measure(state=state), state=state)
    headers = {
        role: {"Authorization": f"Token {Token.objects.get_or_create(user=world[role])[0].key}"}
        for role in ROLES
    }
    schema = schemathesis.openapi.from_wsgi("/api/schema/", application)
    failures, called = set(), set()

    # when every operation is called with valid and with invalid generated input, each
    # request as each role in turn
    for mode in EXAMPLES:
        for result in schema.get_all_operations():
            call_as_each_role(result.ok(), mode, headers, failures, called)

    # then no check failed: no server error, no answer the schema does not describe
    assert sorted(failures) == []
    positive = {label for mode, label in called if mode == GenerationMode.POSITIVE}
    assert len(positive) >= 45
    assert len(called) - len(positive) >= 15
