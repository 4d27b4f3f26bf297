"""Business calendars (working hours per weekday, time zone, holidays) given to journeys and
roles, and the record of every SLA escalation."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from monitoring.calendars import WEEKDAY_NAMES


class BusinessCalendar(models.Model):
    """When a team works. ``compiled`` is the calendar as ``monitoring.calendars`` reads it,
    rewritten by ``monitoring.sla.calendar_compile`` whenever a period or holiday changes, so
    that finding a task's calendar is one query."""

    name = models.CharField(max_length=200, unique=True)
    time_zone = models.CharField(
        max_length=64, default="UTC", help_text="An IANA time zone, e.g. Europe/Berlin."
    )
    business_day_hours = models.DecimalField(
        max_digits=4,
        decimal_places=2,
        default=8,
        help_text="How many working hours an SLA day (P1D) stands for.",
    )
    compiled = models.JSONField(default=dict, blank=True, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class WorkingPeriod(models.Model):
    """One stretch of working time on a weekday, in the calendar's time zone."""

    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="periods")
    weekday = models.PositiveSmallIntegerField(
        choices=[(number, name) for number, name in enumerate(WEEKDAY_NAMES)]
    )
    start = models.TimeField()
    end = models.TimeField(help_text="00:00 means midnight at the end of the day.")

    class Meta:
        ordering = ["calendar", "weekday", "start"]

    def __str__(self) -> str:
        return f"{WEEKDAY_NAMES[self.weekday]} {self.start:%H:%M}-{self.end:%H:%M}"


class Holiday(models.Model):
    """A day without work in the calendar's time zone."""

    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.CASCADE, related_name="holidays"
    )
    date = models.DateField()
    name = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["calendar", "date"]
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="holiday_once_per_calendar")
        ]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.name}".strip()


class JourneyCalendar(models.Model):
    """The calendar a journey's SLAs (and the SLAs of its tasks without a role calendar) use."""

    journey = models.OneToOneField(
        "processes.Journey", on_delete=models.CASCADE, related_name="business_calendar"
    )
    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.PROTECT, related_name="journey_links"
    )

    def __str__(self) -> str:
        return f"{self.journey} uses {self.calendar}"


class RoleCalendar(models.Model):
    """The calendar the SLAs of a role's tasks use (it wins over the journey's)."""

    role = models.OneToOneField(
        "tasks.Role", on_delete=models.CASCADE, related_name="business_calendar"
    )
    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.PROTECT, related_name="role_links"
    )

    def __str__(self) -> str:
        return f"{self.role} uses {self.calendar}"


class EscalationKind(models.TextChoices):
    TASK = "task", "Task SLA"
    JOURNEY = "journey", "Journey SLA"


class SlaEscalation(models.Model):
    """An SLA deadline passed and its escalation was carried out (once: the constraints refuse a
    second row for the same task or instance)."""

    kind = models.CharField(max_length=16, choices=EscalationKind.choices)
    instance = models.ForeignKey(
        "processes.ProcessInstance", on_delete=models.CASCADE, related_name="sla_escalations"
    )
    task = models.ForeignKey(
        "tasks.Task",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="sla_escalations",
    )
    element_id = models.CharField(max_length=200, blank=True)
    deadline = models.DateTimeField()
    escalated_at = models.DateTimeField(default=timezone.now)
    #: The actions taken, in order (``monitoring.calendars.ESCALATION_ACTIONS``).
    actions = models.JSONField(default=list)
    #: Who was told (user ids) and where the task went.
    notified = models.JSONField(default=list, blank=True)
    assignee_before = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assignee_after = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-escalated_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["task"],
                condition=models.Q(kind="task"),
                name="sla_escalation_once_per_task",
            ),
            models.UniqueConstraint(
                fields=["instance"],
                condition=models.Q(kind="journey"),
                name="sla_escalation_once_per_instance",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} SLA of {self.element_id or self.instance_id} escalated"

    def summary(self) -> dict[str, Any]:
        return {"actions": list(self.actions), "deadline": self.deadline.isoformat()}
