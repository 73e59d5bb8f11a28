"""Every API operation, fed inputs generated from its own OpenAPI schema (schemathesis): whatever arrives,
the answer is never a 500, always in the documented shape, and a rejected input gets the JSON error."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis import Case
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from factories import CustomerFactory, InteractionFactory, OrganizationFactory
from peyvand.accounts.services import api_token_create

pytestmark = pytest.mark.django_db

APP = get_wsgi_application()
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", APP)


@pytest.fixture(autouse=True)
def _keep_the_test_connection() -> Iterator[None]:
    """The WSGI handler closes the database connection after each request, which would end the test's
    transaction on PostgreSQL; Django's own test client switches that off in the same way."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def token(admin: Any, team_a: Any, settings: Any) -> str:
    settings.PEYVAND_API_RATE_LIMIT = 1_000_000
    # A few records so that ids in paths sometimes exist and reads have something to serialise.
    org = OrganizationFactory(team=team_a)
    for customer in (CustomerFactory(team=team_a, organization=org), CustomerFactory(team=team_a)):
        InteractionFactory(customer=customer)
    return api_token_create(user=admin, name="fuzz")[1]


def not_a_server_error(ctx: Any, response: Any, case: Case) -> bool | None:
    assert response.status_code < 500, f"{case.method} {case.formatted_path} answered {response.status_code}"
    return None


def errors_are_in_the_documented_shape(ctx: Any, response: Any, case: Case) -> bool | None:
    if response.status_code >= 400:
        content_type = " ".join(response.headers.get("content-type", []))
        assert content_type.startswith("application/json"), (
            f"{case.method} {case.formatted_path!r} answered {response.status_code} with {response.text[:200]!r}"
        )
        body = response.json()
        assert set(body) == {"error"}, body
        assert {"code", "message", "fields"} <= set(body["error"]), body
    return None


@schema.parametrize()
# 15 inputs an operation (211 operations): at 25 the test took 3 min 43 s of the SQLite run alone, and CI must
# stay within 20 minutes; each run draws new inputs, so the runs together still cover more.
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_input_makes_the_api_fail_or_break_its_schema(case: Case, token: str) -> None:
    response = case.call(headers={"Authorization": f"Bearer {token}"})
    case.validate_response(
        response,
        checks=[
            not_a_server_error,
            errors_are_in_the_documented_shape,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ],
    )
