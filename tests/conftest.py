from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from guardian.shortcuts import assign_perm
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import (
    MINIMAL_BPMN,
    JourneyFactory,
    JourneyVersionFactory,
    RoleFactory,
    UserFactory,
)


@pytest.fixture
def minimal_bpmn() -> str:
    return MINIMAL_BPMN


@pytest.fixture
def designer(db: Any) -> Any:
    """A user allowed to create journeys (and so to design the ones they create)."""
    user = UserFactory(username="designer")
    assign_perm("processes.add_journey", user)
    return user


@pytest.fixture
def worker_role(db: Any) -> Any:
    return RoleFactory(key="clerks", name="Clerks")


@pytest.fixture
def worker(worker_role: Any) -> Any:
    user = UserFactory(username="worker")
    user.groups.add(worker_role.group)
    return user


@pytest.fixture
def startable_journey(worker_role: Any) -> Any:
    """A published journey the worker role may start."""
    version = JourneyVersionFactory(
        journey=JourneyFactory(key="onboarding", name="Onboarding"), number=1
    )
    assign_perm("processes.start_journey", worker_role.group, version.journey)
    return version.journey


@pytest.fixture
def demo_users(db: Any) -> dict[str, Any]:
    """The demo data (users, roles, the loan and expense journeys), users by name."""
    from workflow_site.demo import demo_data_install

    demo_data_install()
    return {user.username: user for user in get_user_model().objects.all()}


@pytest.fixture
def api_as(db: Any) -> Callable[[Any], APIClient]:
    """An API client authenticated with the given user's token."""

    def client_for(user: Any) -> APIClient:
        client = APIClient()
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return client_for


def pytest_report_header(config: pytest.Config) -> list[str]:
    """Say which services this run tests against, so a CI log shows it."""
    from django.conf import settings

    import accelerators

    database = settings.DATABASES["default"]
    layer = str(settings.CHANNEL_LAYERS["default"]["BACKEND"]).rsplit(".", 1)[-1]
    return [
        f"itinera: database {str(database['ENGINE']).rsplit('.', 1)[-1]} "
        f"({database.get('HOST') or database['NAME']}), channel layer {layer}, "
        f"accelerators {accelerators.IMPLEMENTATION}"
    ]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the browser tests and run them last, after every test that needs a clean event loop."""
    browser_items = [i for i in items if "tests/browser/" in str(i.path).replace(os.sep, "/")]
    for item in browser_items:
        item.add_marker(pytest.mark.browser)
    items[:] = [i for i in items if i not in browser_items] + browser_items
