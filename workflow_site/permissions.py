"""Permission checks shared by the apps: a model permission held globally or on one object
(django-guardian), the objects a user holds one of several permissions on, and the refusal."""

from __future__ import annotations

from typing import Any, TypeVar

from django.db.models import Model, QuerySet
from guardian.shortcuts import get_objects_for_user

from workflow_site.errors import ApplicationError

M = TypeVar("M", bound=Model)


def _active(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def can(user: Any, permission: str, obj: Model) -> bool:
    """True when ``user`` holds ``permission`` globally or on ``obj``."""
    return _active(user) and bool(user.has_perm(permission) or user.has_perm(permission, obj))


def objects_with(user: Any, permissions: list[str], klass: type[M]) -> QuerySet[M]:
    """The ``klass`` objects on which ``user`` holds any of ``permissions``, globally or on each."""
    if not _active(user):
        return klass._default_manager.none()
    return get_objects_for_user(
        user,
        permissions,
        klass=klass,
        any_perm=True,
        accept_global_perms=True,
        with_superuser=True,
    )


def require(user: Any, permission: str, obj: Model | None = None) -> None:
    """Refuse (``permission_denied``) unless ``user`` holds ``permission``, on ``obj`` if given."""
    allowed = (
        can(user, permission, obj)
        if obj is not None
        else bool(user is not None and user.is_active and user.has_perm(permission))
    )
    if not allowed:
        raise ApplicationError(
            "permission_denied",
            "You are not allowed to do this.",
            details={"permission": permission},
        )
