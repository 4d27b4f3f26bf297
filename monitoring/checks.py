"""System checks of the audit trail's configuration."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, register

MIN_KEY_LENGTH = 32


@register()
def check_audit_signing_key(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    key = getattr(settings, "AUDIT_SIGNING_KEY", "")
    if not key or len(key) < MIN_KEY_LENGTH:
        return [
            Error(
                f"AUDIT_SIGNING_KEY is missing or shorter than {MIN_KEY_LENGTH} characters: "
                "audit checkpoints signed with it prove little.",
                hint="Set AUDIT_SIGNING_KEY to a long random string (not SECRET_KEY).",
                id="itinera.E010",
            )
        ]
    if key == settings.SECRET_KEY:
        return [
            Error(
                "AUDIT_SIGNING_KEY is SECRET_KEY: whoever holds one could forge the other's "
                "signatures.",
                hint="Give the audit trail a key of its own.",
                id="itinera.E011",
            )
        ]
    return []
