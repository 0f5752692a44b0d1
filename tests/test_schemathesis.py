"""Property-based run of the project's own OpenAPI schema: no input produces a 5xx.

In-process (WSGI), authenticated as a person holding every role of an organization
with items in every state; a bounded, deterministic number of examples per operation.
"""

import contextlib

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from rest_framework.authtoken.models import Token
from schemathesis import GenerationMode

from approvals.models import Role
from config.wsgi import application
from tests.factories import MembershipFactory
from workflow.models import State


@pytest.fixture
def token(world):
    # given a person with every role, and items in every state
    user = world["working_group"]
    for role in Role:
        if role != Role.WORKING_GROUP:
            MembershipFactory(
                user=user, organization=world.organization, role=role,
                divisions=[world.division] if role == Role.DIVISION_HEAD else None,
            )  # fmt: skip
    for state in State:
        world.report(measure=world.measure(state=state), state=state)
    return Token.objects.get_or_create(user=user)[0].key


@pytest.fixture
def connections_kept_open():
    """Like Django's test client: the WSGI app must not close the test's connection."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.django_db
@pytest.mark.usefixtures("connections_kept_open")
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_api_schema_no_server_error(token, mode):
    # given the schema the project serves
    schema = schemathesis.openapi.from_wsgi("/api/schema/", application)
    headers = {"Authorization": f"Token {token}"}
    failures, calls = [], []

    # when every operation is called with generated input
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=10 if mode == GenerationMode.POSITIVE else 5,
            derandomize=True,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        def call(case):
            response = case.call(headers=headers)
            calls.append(case.operation.label)
            if response.status_code >= 500:
                failures.append((case.operation.label, case.formatted_path, response.text[:300]))

        # negative mode: some operations have nothing invalid to generate
        with contextlib.suppress(Unsatisfiable):
            call()

    # then nothing answered with a server error
    assert failures == []
    assert len(set(calls)) >= (30 if mode == GenerationMode.POSITIVE else 15)
