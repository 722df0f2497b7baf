"""schemathesis against /openapi.json: no 5xx, and every answer conforms to the documented schema."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from api.app import create_app
from api.context import ApiConfig, Limit
from tests.api.conftest import MODERATOR, OPERATOR

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
# Building the document needs no database: list the operations at collection time.
DOCUMENT = create_app(ApiConfig(database_url="", schema="", application=None)).openapi()  # type: ignore[arg-type]
OPERATIONS = [f"{method.upper()} {path}" for path, item in DOCUMENT["paths"].items() for method in item]


@pytest.mark.parametrize("label", OPERATIONS)
def test_the_api_keeps_its_documented_contract(serve, label):
    served = serve(intake_per_token=Limit(100_000, 60), intake_per_address=Limit(100_000, 60))
    method, path = label.split(" ", 1)
    operation = _operation(served.url, method, path)
    # The right role for each operation, so generated cases reach validation, not only 401/403.
    token = OPERATOR if (method, path) == ("POST", "/v1/reports") else MODERATOR

    @given(case=operation.as_strategy())
    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def check(case):
        case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)

    check()


def _operation(url: str, method: str, path: str):
    loaded = schemathesis.openapi.from_url(f"{url}/openapi.json")
    for result in loaded.get_all_operations():
        operation = result.ok()
        if operation.method.upper() == method and operation.path == path:
            return operation
    raise LookupError(f"{method} {path} is not in the served document")
