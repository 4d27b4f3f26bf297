"""Malformed input never gets a 500: every operation of the OpenAPI schema is sent bad JSON,
wrong types, unknown ids and oversized bodies, by a signed-in user and by a stranger."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from workflow_site.demo import demo_data_install

pytestmark = pytest.mark.django_db

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63)
    | st.floats(allow_nan=False)
    | st.text(max_size=40),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)
FIELD_NAMES = st.sampled_from(
    [
        "journey",
        "data",
        "bpmn_xml",
        "key",
        "name",
        "reason",
        "user",
        "text",
        "script",
        "version",
        "correlation_key",
        "business_key",
        "lock_version",
        "events",
        "file",
    ]
)
bodies = st.one_of(
    json_values,
    st.dictionaries(FIELD_NAMES, json_values, max_size=5),
)
raw_bodies = st.sampled_from(
    [
        b"{not json",
        b"[",
        b"\xff\xfe",
        b"null",
        b'{"data": ' + b"[" * 2000,
        b'"' + b"x" * 5000 + b'"',
    ]
)
ids = st.one_of(st.integers(min_value=0, max_value=10**12), st.sampled_from([1, 2, 3]))


def operations() -> list[tuple[str, str]]:
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    found = []
    for path, item in schema["paths"].items():
        for method in item:
            if method in ("get", "post", "put", "patch", "delete"):
                found.append((method, path))
    return sorted(found)


@pytest.fixture(scope="module")
def operation_list(django_db_blocker: Any) -> list[tuple[str, str]]:
    with django_db_blocker.unblock():
        return operations()


def client_for(username: str) -> APIClient:
    from django.contrib.auth import get_user_model

    client = APIClient()
    user = get_user_model().objects.get(username=username)
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def fill(path: str, value: int) -> str:
    return re.sub(r"\{[^}]+\}", str(value), path)


def test_the_schema_lists_the_api(operation_list: list[tuple[str, str]]) -> None:
    assert len(operation_list) >= 10


@settings(
    max_examples=1000,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_no_input_makes_a_500(operation_list: list[tuple[str, str]], data: st.DataObject) -> None:
    demo_data_install()
    method, path = data.draw(st.sampled_from(operation_list))
    client = client_for(data.draw(st.sampled_from(["ana", "carla", "maria"])))
    url = fill(path, data.draw(ids))
    if data.draw(st.booleans()):
        body = json.dumps(data.draw(bodies)).encode()
    else:
        body = data.draw(raw_bodies)
    query = data.draw(
        st.dictionaries(
            st.sampled_from(
                [
                    "status",
                    "journey",
                    "scope",
                    "sort",
                    "priority_min",
                    "started_after",
                    "q",
                    "limit",
                    "offset",
                    "var_amount",
                    "format",
                ]
            ),
            st.text(max_size=12),
            max_size=3,
        )
    )
    if method == "get":
        response = client.get(url, query)
    else:
        response = getattr(client, method)(url, body, content_type="application/json")
    assert response.status_code < 500, (method, url, body[:200], response.content[:500])
    if response.status_code >= 400 and response.get("Content-Type", "").startswith(
        "application/json"
    ):
        error = response.json().get("error", {})
        assert error.get("code"), response.content[:300]
        assert error.get("message"), response.content[:300]


def test_oversized_bodies_are_refused(operation_list: list[tuple[str, str]]) -> None:
    demo_data_install()
    client = client_for("ana")
    huge = b'{"bpmn_xml": "' + b"x" * (11 * 1024 * 1024) + b'"}'
    for method, path in operation_list:
        if method == "post" and "{" not in path:
            response = client.post(path, huge, content_type="application/json")
            assert 400 <= response.status_code < 500, (path, response.status_code)
