"""Hostile input against the API: schemathesis generates requests from the OpenAPI schema (valid
and invalid bodies, parameters and headers, positive and negative data) for every operation and
checks every answer — never a 5xx, and every response conforms to the schema (status code,
content type, headers, body) — as an anonymous caller and with the API tokens of real roles.

Not checked: that every schema-valid request is accepted. The API refuses some strings the schema's
"string" admits (lone surrogates, NUL characters) with a structured 400, which is what it should do."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode, checks

from accounts.roles import OrgKind, Role

pytestmark = pytest.mark.django_db

EXAMPLES = 40


@pytest.fixture
def tokens(make_member):
    """API tokens of the people who use the API: an enterprise admin (roster checks), an exam-centre
    item writer (question banks) and a worker (own attempts)."""
    from rest_framework.authtoken.models import Token

    from tests.conftest import ensure_reference_data
    from tests.factories import OrganizationFactory

    ensure_reference_data()
    centre = OrganizationFactory(kind=OrgKind.EXAM_CENTRE)
    people = [make_member(Role.ENT_ADMIN), make_member(Role.ITEM_WRITER, org=centre), make_member(Role.WORKER)]
    return [Token.objects.create(user=u).key for u in people]


@pytest.fixture
def keep_test_connection():
    """The schema is called through the WSGI application, which closes database connections at the
    end of every request; keep the test's connection (and its transaction) open, as Django's test
    client does."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def _operations():
    from config.wsgi import application

    schema = schemathesis.openapi.from_wsgi("/api/schema/", application)
    schema.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 6, [op.label for op in operations]
    return operations


def test_every_api_operation_answers_hostile_input_without_server_errors(tokens, keep_test_connection):
    from django.core.cache import cache

    callers = [{}, *({"Authorization": f"Token {t}"} for t in tokens)]
    checked: dict[str, int] = {}
    for operation in _operations():

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def run(case):
            cache.clear()  # the public verification endpoint rate-limits by client; test the handler
            for headers in callers:
                case.call_and_validate(headers=headers, excluded_checks=[checks.positive_data_acceptance])
            checked[operation.label] = checked.get(operation.label, 0) + 1

        run()
    assert all(n >= 5 for n in checked.values()) and len(checked) >= 6, checked
