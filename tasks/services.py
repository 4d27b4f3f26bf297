"""Every change to roles and their members (work-item services come with the engine)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group
from django.db import transaction

from tasks.models import Role
from workflow_site.errors import ApplicationError


@transaction.atomic
def role_create(*, key: str, name: str, description: str = "", manager: Any | None = None) -> Role:
    """Create a role and the Django group that holds its members and permissions."""
    if not key.strip():
        raise ApplicationError("required", "A role needs a key.", field="key")
    if Role.objects.filter(key=key).exists():
        raise ApplicationError(
            "duplicate_key", f"A role with key {key!r} already exists.", field="key"
        )
    group_name = f"role:{key}"
    if Group.objects.filter(name=group_name).exists():
        raise ApplicationError(
            "duplicate_key", f"The group {group_name!r} already exists.", field="key"
        )
    group = Group.objects.create(name=group_name)
    return Role.objects.create(
        key=key, name=name or key, description=description, group=group, manager=manager
    )


@transaction.atomic
def role_member_add(*, role: Role, user: Any) -> None:
    user.groups.add(role.group)


@transaction.atomic
def role_member_remove(*, role: Role, user: Any) -> None:
    user.groups.remove(role.group)


@transaction.atomic
def role_update(*, role: Role, name: str, description: str, manager: Any | None) -> Role:
    """Rename a role, change its description or its manager (who is told of escalations)."""
    if not name.strip():
        raise ApplicationError("required", "A role needs a name.", field="name")
    role.name = name.strip()
    role.description = description
    role.manager = manager
    role.save(update_fields=["name", "description", "manager"])
    return role
