"""Admin for roles and work items; role changes go through ``tasks.services``."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from tasks import services
from tasks.models import Role, Task


@admin.register(Role)
class RoleAdmin(admin.ModelAdmin):
    list_display = ("name", "key", "manager")
    search_fields = ("name", "key")
    fields = ("key", "name", "description", "manager", "group")
    readonly_fields = ("group",)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ("key", "group") if obj is not None else ("group",)

    def save_model(self, request: HttpRequest, obj: Role, form: Any, change: bool) -> None:
        if change:
            services.role_update(
                role=obj,
                name=obj.name,
                description=obj.description,
                manager=obj.manager,
                actor=request.user,
            )
        else:
            created = services.role_create(
                key=obj.key,
                name=obj.name,
                description=obj.description,
                manager=obj.manager,
                actor=request.user,
            )
            obj.pk = created.pk
            obj.group = created.group


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    list_display = ("name", "instance", "status", "role", "assignee", "priority", "due_at")
    list_filter = ("status", "role")
    search_fields = ("name", "element_id")
    list_select_related = ("instance__version__journey", "role", "assignee")
    readonly_fields = [field.name for field in Task._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
