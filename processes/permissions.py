"""Who may do what with a journey: global model permissions or per-journey ones (guardian)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from guardian.shortcuts import get_objects_for_user

from processes.models import Journey

START = "processes.start_journey"
DESIGN = "processes.design_journey"
VIEW = "processes.view_journey"


def can(user: Any, permission: str, journey: Journey) -> bool:
    """True when ``user`` holds ``permission`` globally or on this journey."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return bool(user.has_perm(permission) or user.has_perm(permission, journey))


def journeys_with(user: Any, permissions: list[str]) -> QuerySet[Journey]:
    """Journeys on which ``user`` holds any of ``permissions``, globally or per journey."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Journey.objects.none()
    return get_objects_for_user(
        user,
        permissions,
        klass=Journey,
        any_perm=True,
        accept_global_perms=True,
        with_superuser=True,
    )
