"""Fuzzing /api/v1/ from its own OpenAPI document (issue 14 §2; reference INP-*, API-*).

schemathesis generates requests for every operation from the schema, valid and invalid, and
sends them in process through the WSGI application as a community admin (the widest scope that
is not global) would. Every answer must be something other than a 5xx, and an answer whose
status the schema declares must match the declared body. The number of examples per operation
is bounded (FUZZ_EXAMPLES), so the whole run stays within a few minutes on two cores.
"""

import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from nuanxin.testing import PASSWORD

FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "12"))

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())


@pytest.fixture
def bearer(world: Any) -> Iterator[dict[str, str]]:
    """A community admin's token, and the test's database connection kept open: Django's WSGI
    handler closes the connection when a request starts and ends, and the test's transaction
    lives on it (PostgreSQL then answers "the connection is closed"). Django's test client
    unhooks that signal handler around each of its own requests, and hooks it again after,
    so it is unhooked here once the token is fetched. (Asked for by name: schemathesis sets
    up only the fixtures the test function names.)"""
    answer = Client().post(
        "/api/v1/auth/token",
        {"username": world.community_admin.username, "password": PASSWORD},
        content_type="application/json",
    )
    token = answer.json()["token"]
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield {"Authorization": f"Bearer {token}"}
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@pytest.mark.django_db(transaction=False)
def test_no_operation_answers_5xx_or_breaks_its_schema(case: Any, bearer: dict[str, str]) -> None:
    case.call_and_validate(headers=bearer, checks=[not_a_server_error, response_schema_conformance])
