"""Fuzzing /api/v1/ from its own OpenAPI document (issue 14 §2; reference INP-*, API-*).

schemathesis generates requests for every operation from the schema, valid and invalid, and
sends them in process through the WSGI application as a community admin (the widest scope that
is not global) would. Every answer must be something other than a 5xx, and an answer whose
status the schema declares must match the declared body. The number of examples per operation
is bounded (FUZZ_EXAMPLES), so the whole run stays within a few minutes on two cores.
"""

import os
from typing import Any

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from django.test import Client
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from nuanxin.testing import PASSWORD

FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "12"))

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())


@pytest.fixture
def bearer(world: Any) -> dict[str, str]:
    answer = Client().post(
        "/api/v1/auth/token",
        {"username": world.community_admin.username, "password": PASSWORD},
        content_type="application/json",
    )
    token = answer.json()["token"]
    return {"Authorization": f"Bearer {token}"}


@schema.parametrize()
@settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@pytest.mark.django_db(transaction=False)
def test_no_operation_answers_5xx_or_breaks_its_schema(case: Any, bearer: dict[str, str]) -> None:
    case.call_and_validate(headers=bearer, checks=[not_a_server_error, response_schema_conformance])
