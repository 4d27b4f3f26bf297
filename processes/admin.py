"""Admin for journeys, versions and instances; every change goes through ``processes.services``."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from guardian.admin import GuardedModelAdmin

from processes import services
from processes.models import (
    Incident,
    InstanceEvent,
    Journey,
    JourneyVersion,
    ProcessInstance,
    Timer,
)
from workflow_site.errors import ApplicationError


class JourneyVersionInline(admin.TabularInline):
    model = JourneyVersion
    fields = ("number", "status", "published_by", "published_at", "retired_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Journey)
class JourneyAdmin(GuardedModelAdmin):
    list_display = ("name", "key", "created_at")
    search_fields = ("name", "key", "description")
    fields = ("key", "name", "description", "created_by", "created_at")
    readonly_fields = ("key", "created_by", "created_at")
    inlines = [JourneyVersionInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # A journey starts from a BPMN document: created in the designer or through the API.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Journey, form: Any, change: bool) -> None:
        services.journey_update(
            actor=request.user, journey=obj, name=obj.name, description=obj.description
        )


def _run_on_each(
    request: HttpRequest, queryset: QuerySet[JourneyVersion], action: Any, verb: str
) -> None:
    for version in queryset.select_related("journey"):
        try:
            action(actor=request.user, version=version)
        except ApplicationError as exc:
            messages.error(request, f"{version}: {exc.message}")
        else:
            messages.success(request, f"{version.journey.name} v{version.number} {verb}.")


@admin.action(description="Publish the selected drafts")
def publish_versions(modeladmin: Any, request: HttpRequest, queryset: Any) -> None:
    _run_on_each(request, queryset, services.journey_version_publish, "published")


@admin.action(description="Retire the selected versions")
def retire_versions(modeladmin: Any, request: HttpRequest, queryset: Any) -> None:
    _run_on_each(request, queryset, services.journey_version_retire, "retired")


@admin.register(JourneyVersion)
class JourneyVersionAdmin(admin.ModelAdmin):
    list_display = ("journey", "number", "status", "published_by", "published_at")
    list_filter = ("status",)
    search_fields = ("journey__name", "journey__key")
    actions = [publish_versions, retire_versions]
    readonly_fields = [field.name for field in JourneyVersion._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ProcessInstance)
class ProcessInstanceAdmin(admin.ModelAdmin):
    list_display = ("id", "version", "business_key", "status", "started_at", "ended_at")
    list_filter = ("status",)
    search_fields = ("business_key",)
    list_select_related = ("version__journey",)
    readonly_fields = [field.name for field in ProcessInstance._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written only by the engine and the services."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Incident)
class IncidentAdmin(ReadOnlyAdmin):
    list_display = ("instance", "element_id", "kind", "attempts", "created_at", "resolved_at")
    list_filter = ("kind", "resolved_at")
    search_fields = ("element_id", "message")


@admin.register(Timer)
class TimerAdmin(ReadOnlyAdmin):
    list_display = ("instance", "element_id", "due_at", "claimed_at")


@admin.register(InstanceEvent)
class InstanceEventAdmin(ReadOnlyAdmin):
    list_display = ("instance", "at", "kind", "element_id", "actor")
    list_filter = ("kind",)
    search_fields = ("element_id",)
