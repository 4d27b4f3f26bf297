"""Permission-checked fetch of a rule by id: another user's rule is the same 404 as one that does
not exist, and is recorded in the audit trail as a denied access."""

from __future__ import annotations

from typing import Any

from django.http import Http404

from monitoring.services import audit_access_denied
from rules import permissions
from rules.models import Rule


def access_rule(*, user: Any, rule_id: int, for_update: bool = False) -> Rule:
    """The rule if ``user`` may see it; otherwise the same 404 as for an unknown id.
    ``for_update`` locks its row (the caller is in a transaction)."""
    queryset = permissions.visible_rules(user).filter(pk=rule_id)
    if for_update:
        queryset = queryset.select_for_update(of=("self",))
    rule = queryset.first()
    if rule is None:
        if Rule.objects.filter(pk=rule_id).exists():
            audit_access_denied(user=user, object_type="rule", object_id=rule_id)
        raise Http404("No such rule.")
    return rule


def access_rule_by_key(*, user: Any, key: str) -> Rule:
    rule = permissions.visible_rules(user).filter(key=key).first()
    if rule is None:
        raise Http404("No such rule.")
    return rule
