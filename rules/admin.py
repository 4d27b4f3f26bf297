"""Admin views of rules, read only: changes go through the rules pages and API, which audit them."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from rules.models import Rule, RulePin, RuleVersion


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Rule)
class RuleAdmin(_ReadOnly):
    list_display = ("name", "key", "kind", "always_latest", "owner", "updated_at")
    search_fields = ("name", "key", "description")
    list_filter = ("kind", "always_latest")


@admin.register(RuleVersion)
class RuleVersionAdmin(_ReadOnly):
    list_display = ("rule", "number", "published_by", "published_at")
    list_select_related = ("rule", "published_by")


@admin.register(RulePin)
class RulePinAdmin(_ReadOnly):
    list_display = ("journey_version", "rule", "rule_version")
    list_select_related = ("journey_version__journey", "rule", "rule_version")
