"""Admin for the audit trail: events and checkpoints read-only, retention through the services."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from monitoring import services
from monitoring.models import AuditCheckpoint, AuditEvent, JourneyRetention


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("seq", "at", "actor_label", "type", "object_type", "object_id", "instance_id")
    list_filter = ("type",)
    search_fields = ("actor_label", "object_id", "request_id")
    show_full_result_count = False


@admin.register(AuditCheckpoint)
class AuditCheckpointAdmin(ReadOnlyAdmin):
    list_display = ("seq", "at", "head_hash")


@admin.register(JourneyRetention)
class JourneyRetentionAdmin(admin.ModelAdmin):
    list_display = ("journey", "retention_days", "legal_hold", "updated_at", "updated_by")
    fields = ("journey", "retention_days", "legal_hold", "legal_hold_reason")
    list_select_related = ("journey", "updated_by")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ("journey",) if obj is not None else ()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(
        self, request: HttpRequest, obj: JourneyRetention, form: Any, change: bool
    ) -> None:
        stored = JourneyRetention.objects.filter(journey=obj.journey).first()
        if stored is None or stored.retention_days != obj.retention_days:
            services.journey_retention_set(
                actor=request.user, journey=obj.journey, retention_days=obj.retention_days
            )
        if (stored is None and obj.legal_hold) or (
            stored is not None and stored.legal_hold != obj.legal_hold
        ):
            services.journey_legal_hold_set(
                actor=request.user,
                journey=obj.journey,
                hold=obj.legal_hold,
                reason=obj.legal_hold_reason or "changed in the admin",
            )
        saved = JourneyRetention.objects.get(journey=obj.journey)
        obj.pk = saved.pk


# The business-calendar editor and SLA escalations.
from monitoring import calendar_admin  # noqa: E402, F401
