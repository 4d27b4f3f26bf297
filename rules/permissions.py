"""Who may do what with a rule: global model permissions or per-rule ones (guardian)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from rules.models import Rule
from workflow_site import permissions as shared

VIEW = "rules.view_rule"
EDIT = "rules.edit_rule"
PUBLISH = "rules.publish_rule"
CREATE = "rules.add_rule"
#: The actions a grant names, and the permission each gives.
ACTIONS = {"view": VIEW, "edit": EDIT, "publish": PUBLISH}


def can(user: Any, permission: str, rule: Rule) -> bool:
    """True when ``user`` holds ``permission`` globally or on this rule."""
    return shared.can(user, permission, rule)


def rules_with(user: Any, permissions: list[str]) -> QuerySet[Rule]:
    """Rules on which ``user`` holds any of ``permissions``, globally or per rule."""
    return shared.objects_with(user, permissions, Rule)


def visible_rules(user: Any) -> QuerySet[Rule]:
    """Seeing a rule comes with any permission on it."""
    return rules_with(user, [VIEW, EDIT, PUBLISH])
