"""The API against its own OpenAPI schema (schemathesis, in-process through WSGI): for every
operation, bounded generated requests — valid and invalid — never get a server error, and
every response conforms to the schema (status code, content type, body)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from tests.factories import AdjustmentFactory, PaymentFactory, ProjectFactory
from tests.tracking.season import monitoring_round, project_with_targets

APP = get_wsgi_application()
schema = schemathesis.openapi.from_wsgi("/api/schema/", APP)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Bounded: a few examples per operation keep the run to about a minute.
EXAMPLES = 12


@pytest.fixture
def admin_token(db, adam, unit_a, unit_b, wsgi_keeps_the_connection):
    """Data of every kind for the generated requests to meet, and the admin's token (the
    admin may call every operation, so responses other than 401/403 are exercised)."""
    project = project_with_targets(unit_a)
    ProjectFactory(unit=unit_b)
    PaymentFactory(project=project, amount=Decimal("12.5"), date=date(2024, 3, 1))
    AdjustmentFactory(project=project, amount=Decimal("5"), date=date(2024, 4, 1))
    monitoring_round()
    return Token.objects.create(user=adam).key


@pytest.mark.filterwarnings("ignore")
@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_every_operation_conforms_and_never_fails(case, admin_token):
    case.call_and_validate(
        headers={"Authorization": f"Token {admin_token}"},
        checks=CHECKS,
    )
