"""Schemathesis over /api/openapi.json: wrong types, huge strings, odd params → never a 5xx (FAULTS A1)."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

DB_WORDS = ("sqlite", "psycopg", "syntax error", "traceback", "integrityerror", "operationalerror")


@pytest.fixture
def api_schema(db):
    # Like django.test.Client: keep the test's connection (and its transaction) open across requests.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application())
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.fixture
def token(api, agent_li, ticket_x):
    return api.token(agent_li)


@schema.parametrize()
@settings(
    max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True, database=None
)
def test_no_server_errors_and_no_database_text(case, token):
    response = case.call(headers={"Authorization": f"Bearer {token}"})
    assert response.status_code < 500, (case.method, case.formatted_path, response.text[:300])
    assert not any(word in response.text.lower() for word in DB_WORDS)
