"""Reads of roles and work items that are more than a plain get."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from tasks.models import Role


def roles_of(*, user: Any) -> QuerySet[Role]:
    """The roles ``user`` is a member of."""
    return Role.objects.filter(group__user=user).order_by("name")
