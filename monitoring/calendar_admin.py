"""The calendar editor in the admin: a calendar's time zone, working periods per weekday and
holidays, and which journeys and roles use it; SLA escalations, read-only."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from monitoring import sla
from monitoring.calendars import WEEKDAY_NAMES, CalendarError, check_zone
from monitoring.sla import period_minutes
from monitoring.sla_models import (
    BusinessCalendar,
    Holiday,
    JourneyCalendar,
    RoleCalendar,
    SlaEscalation,
    WorkingPeriod,
)


class BusinessCalendarForm(forms.ModelForm):
    class Meta:
        model = BusinessCalendar
        fields = ("name", "time_zone", "business_day_hours")

    def clean_time_zone(self) -> str:
        zone = str(self.cleaned_data["time_zone"]).strip()
        try:
            check_zone(zone)
        except CalendarError as error:
            raise ValidationError(str(error), code="invalid_time_zone") from None
        return zone

    def clean_business_day_hours(self) -> Any:
        hours = self.cleaned_data["business_day_hours"]
        if hours is None or not 0 < hours <= 24:
            raise ValidationError("A business day is longer than 0 and at most 24 hours.")
        return hours


class WorkingPeriodFormSet(forms.BaseInlineFormSet):
    """Each period starts before it ends (an end of 00:00 is midnight); periods of one weekday
    do not overlap; a calendar has at least one."""

    def clean(self) -> None:
        super().clean()
        by_day: dict[int, list[tuple[int, int]]] = {}
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or data.get("DELETE") or data.get("start") is None:
                continue
            if data.get("end") is None:
                continue
            start, end = (
                period_minutes(data["start"], end=False),
                period_minutes(data["end"], end=True),
            )
            if start >= end:
                form.add_error("end", "A working period ends after it starts.")
                continue
            by_day.setdefault(data["weekday"], []).append((start, end))
        for weekday, periods in by_day.items():
            periods.sort()
            if any(periods[i][1] > periods[i + 1][0] for i in range(len(periods) - 1)):
                raise ValidationError(f"{WEEKDAY_NAMES[weekday]}: working periods overlap.")
        if not by_day:
            raise ValidationError("A calendar needs at least one working period.")


class WorkingPeriodInline(admin.TabularInline):
    model = WorkingPeriod
    formset = WorkingPeriodFormSet
    extra = 0
    fields = ("weekday", "start", "end")


class HolidayInline(admin.TabularInline):
    model = Holiday
    extra = 0
    fields = ("date", "name")


class JourneyCalendarInline(admin.TabularInline):
    model = JourneyCalendar
    extra = 0
    verbose_name = "journey using this calendar"
    verbose_name_plural = "journeys using this calendar"


class RoleCalendarInline(admin.TabularInline):
    model = RoleCalendar
    extra = 0
    verbose_name = "role using this calendar"
    verbose_name_plural = "roles using this calendar (they win over the journey's)"


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(admin.ModelAdmin):
    form = BusinessCalendarForm
    list_display = ("name", "time_zone", "business_day_hours", "updated_at")
    search_fields = ("name",)
    inlines = (WorkingPeriodInline, HolidayInline, JourneyCalendarInline, RoleCalendarInline)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        sla.calendar_compile(calendar=form.instance, actor=request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Deadlines already computed keep their calendar's id; retire a calendar by unlinking it.
        return False


@admin.register(SlaEscalation)
class SlaEscalationAdmin(admin.ModelAdmin):
    list_display = ("escalated_at", "kind", "instance", "element_id", "deadline", "actions")
    list_filter = ("kind",)
    list_select_related = ("instance__version__journey",)
    raw_id_fields = ("instance", "task", "assignee_before", "assignee_after")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
