"""Under ASGI every middleware runs synchronously: none is sent to a thread per method."""

from __future__ import annotations

from typing import Any
from unittest import mock

import pytest
from asgiref.sync import async_to_sync
from django.conf import settings
from django.test import AsyncClient
from django.utils.deprecation import MiddlewareMixin

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_synchronous_chain_is_the_last_middleware() -> None:
    assert settings.MIDDLEWARE[-1] == "workflow_site.middleware.SynchronousChain"


def test_no_middleware_runs_in_async_mode_under_asgi(django_user_model: Any) -> None:
    user = django_user_model.objects.create_user("ana", password="pw")
    client = AsyncClient()
    client.force_login(user)
    with mock.patch.object(
        MiddlewareMixin, "__acall__", side_effect=AssertionError("a middleware ran async")
    ) as acall:
        page = async_to_sync(client.get)("/inbox/")
        missing = async_to_sync(client.get)("/api/nothing-here")
    assert (page.status_code, missing.status_code) == (200, 404)
    assert page["X-Frame-Options"] == "DENY"  # the middleware still ran
    assert missing["X-Trace-Id"]
    assert not acall.called
