"""Schemathesis over /api/openapi.json (FAULTS A1; issue 13, item 9): every operation, called with an
agent's token and with a customer's token, on wrong types, huge strings, odd parameters, NUL
characters… never answers a 5xx, never shows database text, and every answer conforms to the
published schema (its status is documented, its content type and its body match).

Path ids point at real rows half of the time (`_at_real_rows`), so real answers are checked against
the schema too, not only 404s. Run time matters (CI runs this three times): `max_examples` and
`derandomize` keep each run short and the same every time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from kefu.accounts.models import Role
from kefu.knowledge import services as kb
from kefu.routing.services import rules
from kefu.tickets import services
from tests.factories import UserFactory

DB_WORDS = ("sqlite", "psycopg", "syntax error", "traceback", "integrityerror", "operationalerror")
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
FUZZ = settings(
    max_examples=8, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True, database=None
)


def _loaded(*, every_bad_shape: bool):
    # Like django.test.Client: keep the test's connection (and its transaction) open across requests.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        loaded = schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application())
        if not every_bad_shape:
            # Wrong methods and the systematic malformed inputs of the coverage phase are refused the
            # same way whoever calls (405 before authentication, 422 from one parser): one persona
            # probes them all; the other gets valid boundary values there, and random bad input later.
            loaded.config.phases.coverage.unexpected_methods = set()
            loaded.config.phases.coverage.generation.modes = [GenerationMode.POSITIVE]
        yield loaded
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


# After `world`: django.test.Client reconnects close_old_connections after each of its requests, which
# would close the test's connection (and end its transaction) on PostgreSQL at the next fuzz request.
@pytest.fixture
def agent_schema(db, world):
    yield from _loaded(every_bad_shape=True)


@pytest.fixture
def customer_schema(db, world):
    yield from _loaded(every_bad_shape=False)


as_agent = schemathesis.pytest.from_fixture("agent_schema")
as_customer = schemathesis.pytest.from_fixture("customer_schema")


@dataclass
class World:
    """Real rows every path id can point at, by (path pattern, parameter name)."""

    ids: dict[tuple[str, str], int]

    def id_for(self, path: str, name: str) -> int | None:
        for (pattern, param), pk in self.ids.items():
            if param == name and re.search(pattern, path):
                return pk
        return None


@pytest.fixture
def world(api, agent_li, customer_x, ticket_x, team_aftersales) -> World:
    lead = UserFactory(username="lead_fuzz", role=Role.SUPERVISOR, teams=[team_aftersales])
    posted = services.reply(
        ticket_x,
        body="发票已开，见附件",
        by=agent_li,
        attachments=[
            services.Upload(name="发票.pdf", content=b"%PDF-1.4 fuzz", content_type="application/pdf")
        ],
    )
    article = kb.create_article(
        by=agent_li, title="退货运费谁出", body="质量问题由我们承担。", status="published"
    )
    asked = api.post(customer_x.user, "/kb/answer", {"question": "退货运费谁出"}).json()
    keyword = rules.save_keyword_rule(by=lead, keywords="发票 开票", field="type", value="consultation")
    assignment = rules.save_assignment_rule(
        by=lead, name="发票", conditions={"keyword": "发票"}, team=team_aftersales
    )
    return World(
        ids={
            (r"/tickets/", "ticket_id"): ticket_x.pk,
            (r"/attachments/", "attachment_id"): posted.message.attachments.get().pk,
            (r"/customers/", "customer_id"): customer_x.pk,
            (r"/kb/articles/", "article_id"): article.pk,
            (r"/kb/questions/", "question_id"): asked["question_id"],
            (r"/keyword-rules/", "rule_id"): keyword.pk,
            (r"/assignment-rules/", "rule_id"): assignment.pk,
            (r"/routing/agents/", "agent_id"): agent_li.pk,
        }
    )


def _at_real_rows(case, world: World) -> None:
    """Point every even generated id at a real row, so answers for real objects are checked too."""
    for name, value in list((case.path_parameters or {}).items()):
        real = world.id_for(case.operation.path, name)
        if real is not None and isinstance(value, int) and not isinstance(value, bool) and value % 2 == 0:
            case.path_parameters[name] = real


def _check(case, token: str, world: World) -> None:
    _at_real_rows(case, world)
    headers = {"Authorization": f"Bearer {token}"}
    response = case.call(headers=headers)
    assert not any(word in response.text.lower() for word in DB_WORDS), (
        case.method,
        case.formatted_path,
        response.text[:300],
    )
    case.validate_response(response, checks=CHECKS, headers=headers)


@pytest.mark.fault("A1")
@as_agent.parametrize()
@FUZZ
def test_as_an_agent_no_server_errors_and_every_answer_as_documented(case, api, agent_li, world):
    _check(case, api.token(agent_li), world)


@pytest.mark.fault("A1")
@as_customer.parametrize()
@FUZZ
def test_as_a_customer_no_server_errors_and_every_answer_as_documented(case, api, customer_x, world):
    _check(case, api.token(customer_x.user), world)
