"""The API against its own OpenAPI schema (schemathesis): whatever a caller sends, no server
error, every answer matches the schema (status codes, content type, body), and a request that
breaks the schema is refused.

One default check is left out: "positive data acceptance" expects every schema-valid request to
succeed, but a well-formed request can still name a unit that does not exist or a day like
0000-00-00, which the API refuses with 422 and the problems, by design.

CI runs the same examples every time (derandomised), so that it cannot fail on a new find that a
change did not cause. To explore further with fresh random examples:
STEER_FUZZ_RANDOM=1 STEER_FUZZ_EXAMPLES=300 make test PYTEST_ARGS=tests/test_api_fuzz.py
"""

import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import positive_data_acceptance

from steer.accounts.models import User
from steer.api import tokens
from steer.wsgi import application

pytestmark = pytest.mark.fuzz

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)


@pytest.fixture(autouse=True)
def _one_connection_per_test():
    """Calls go straight to the WSGI handler, whose end-of-request hook closes a connection older
    than CONN_MAX_AGE, which on PostgreSQL would be the test's own (Django's test client unhooks
    it the same way)."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def token(db):
    _row, plain = tokens.issue(User.objects.get(username="quantri"), "schemathesis", "write", 1)
    return plain


@schema.parametrize()
@settings(
    max_examples=int(os.environ.get("STEER_FUZZ_EXAMPLES", "15")),
    derandomize=os.environ.get("STEER_FUZZ_RANDOM") != "1",
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@pytest.mark.django_db
def test_the_api_keeps_to_its_schema(case, token):
    case.call_and_validate(
        headers={"Authorization": f"Bearer {token}"}, excluded_checks=[positive_data_acceptance]
    )
