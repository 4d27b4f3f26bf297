"""Sign-in, sign-out and failed sign-in, as audit events (receivers of Django's auth signals)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from monitoring import context
from monitoring.services import ANONYMOUS, audit_record


def _where(request: Any) -> context.RequestContext | None:
    """The current request's context, or one read from the request the signal names."""
    found = context.current()
    if found is not None or request is None:
        return found
    return context.from_meta(getattr(request, "META", {}), settings.AUDIT_CLIENT_IP_HEADER)


@receiver(user_logged_in, dispatch_uid="itinera-audit-login")
def audit_login(sender: Any, request: Any = None, user: Any = None, **kwargs: Any) -> None:
    audit_record(
        type="auth.login",
        actor=user,
        object_type="user",
        object_id=user.pk,
        context=_where(request),
    )


@receiver(user_logged_out, dispatch_uid="itinera-audit-logout")
def audit_logout(sender: Any, request: Any = None, user: Any = None, **kwargs: Any) -> None:
    if user is None or not getattr(user, "is_authenticated", False):
        return  # signing out without being signed in changes nothing
    audit_record(
        type="auth.logout",
        actor=user,
        object_type="user",
        object_id=user.pk,
        context=_where(request),
    )


@receiver(user_login_failed, dispatch_uid="itinera-audit-login-failed")
def audit_login_failed(
    sender: Any, credentials: dict[str, Any] | None = None, request: Any = None, **kwargs: Any
) -> None:
    # Only the name tried: Django masks the password, and nothing else of it is kept.
    username = str((credentials or {}).get("username") or "")[:150]
    audit_record(
        type="auth.login_failed",
        actor_label=ANONYMOUS,
        object_type="user",
        object_id=username,
        after={"username": username},
        context=_where(request),
    )
