"""Journeys (process definitions), their numbered versions, and running process instances."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from workflow_site.transitions import TransitionTable


class Journey(models.Model):
    """A process people can start; what runs is one of its published versions."""

    key = models.SlugField(
        max_length=100, unique=True, help_text="Stable identifier, e.g. loan-application."
    )
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        permissions = [
            ("start_journey", "Can start instances of the journey"),
            ("design_journey", "Can edit the draft and publish versions of the journey"),
        ]

    def __str__(self) -> str:
        return self.name


class VersionStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"
    RETIRED = "retired", "Retired"


VERSION_TRANSITIONS = TransitionTable(
    "journey version",
    {
        VersionStatus.DRAFT: frozenset({VersionStatus.PUBLISHED}),
        VersionStatus.PUBLISHED: frozenset({VersionStatus.RETIRED}),
        VersionStatus.RETIRED: frozenset(),
    },
)


class JourneyVersion(models.Model):
    """One numbered version of a journey's BPMN. Published and retired versions never change."""

    journey = models.ForeignKey(Journey, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    status = models.CharField(
        max_length=16, choices=VersionStatus.choices, default=VersionStatus.DRAFT
    )
    bpmn_xml = models.TextField()
    # Bumped on every save of a draft, so two people editing one draft cannot overwrite each other.
    lock_version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)
    retired_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["journey", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["journey", "number"], name="journey_version_number_unique"
            ),
            models.UniqueConstraint(
                fields=["journey"],
                condition=models.Q(status="draft"),
                name="journey_single_draft",
            ),
        ]
        indexes = [models.Index(fields=["journey", "status"])]

    def __str__(self) -> str:
        return f"{self.journey.name} v{self.number} ({self.status})"


class InstanceStatus(models.TextChoices):
    RUNNING = "running", "Running"
    SUSPENDED = "suspended", "Suspended"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"
    FAILED = "failed", "Failed"
    TERMINATED = "terminated", "Terminated"


INSTANCE_TRANSITIONS = TransitionTable(
    "process instance",
    {
        InstanceStatus.RUNNING: frozenset(
            {
                InstanceStatus.SUSPENDED,
                InstanceStatus.COMPLETED,
                InstanceStatus.CANCELLED,
                InstanceStatus.FAILED,
                InstanceStatus.TERMINATED,
            }
        ),
        InstanceStatus.SUSPENDED: frozenset(
            {InstanceStatus.RUNNING, InstanceStatus.CANCELLED, InstanceStatus.TERMINATED}
        ),
        # An operator retries the incident that failed it, or gives up.
        InstanceStatus.FAILED: frozenset(
            {InstanceStatus.RUNNING, InstanceStatus.CANCELLED, InstanceStatus.TERMINATED}
        ),
        InstanceStatus.COMPLETED: frozenset(),
        InstanceStatus.CANCELLED: frozenset(),
        InstanceStatus.TERMINATED: frozenset(),
    },
)


class ProcessInstance(models.Model):
    """One run of a journey version: the engine's marking plus the case data."""

    version = models.ForeignKey(JourneyVersion, on_delete=models.PROTECT, related_name="instances")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    business_key = models.CharField(max_length=200, blank=True, db_index=True)
    status = models.CharField(
        max_length=16, choices=InstanceStatus.choices, default=InstanceStatus.RUNNING
    )
    data = models.JSONField(default=dict, blank=True)
    #: The engine's state of the case (``processes.engine.state.state_to_json``).
    marking = models.JSONField(default=dict, blank=True)
    #: Messages sent with this correlation key reach this instance.
    correlation_key = models.CharField(max_length=200, blank=True, db_index=True)
    # Incremented by every event applied to the instance (optimistic check and change feed).
    lock_version = models.PositiveBigIntegerField(default=0)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.TextField(blank=True)
    #: The journey SLA (``itn:sla`` on the process), kept like a task's (``monitoring.sla``).
    sla_deadline = models.DateTimeField(null=True, blank=True)
    sla_warn_at = models.DateTimeField(null=True, blank=True)
    sla_seconds = models.FloatField(null=True, blank=True)
    sla = models.JSONField(default=dict, blank=True)
    sla_claimed_at = models.DateTimeField(null=True, blank=True)
    sla_escalated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(fields=["status", "started_at"]),
            models.Index(
                fields=["sla_deadline"],
                condition=models.Q(sla_deadline__isnull=False, sla_escalated_at__isnull=True),
                name="instance_sla_due",
            ),
        ]
        permissions = [
            ("send_message", "Can send messages and signals to running instances"),
        ]

    def __str__(self) -> str:
        label = self.business_key or f"#{self.pk}"
        return f"{self.version.journey.name} {label}"


class Timer(models.Model):
    """An armed timer of an instance, fired by the sweeper when due."""

    instance = models.ForeignKey(ProcessInstance, on_delete=models.CASCADE, related_name="timers")
    #: The engine subscription this row stands for.
    subscription = models.BigIntegerField()
    element_id = models.CharField(max_length=200)
    due_at = models.DateTimeField()
    #: Set while a sweeper works on it; a claim older than the claim timeout is taken over.
    claimed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [models.Index(fields=["due_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["instance", "subscription"], name="timer_subscription_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.element_id} due {self.due_at:%Y-%m-%d %H:%M}"


class InstanceWait(models.Model):
    """A message or signal an instance waits for (``message:NAME`` / ``signal:NAME``)."""

    instance = models.ForeignKey(ProcessInstance, on_delete=models.CASCADE, related_name="waits")
    key = models.CharField(max_length=300)

    class Meta:
        indexes = [models.Index(fields=["key"])]
        constraints = [
            models.UniqueConstraint(fields=["instance", "key"], name="instance_wait_unique")
        ]

    def __str__(self) -> str:
        return self.key


class Incident(models.Model):
    """Something stopped part of an instance: a service task out of retries, an engine incident."""

    instance = models.ForeignKey(
        ProcessInstance, on_delete=models.CASCADE, related_name="incidents"
    )
    element_id = models.CharField(max_length=200, blank=True)
    #: The engine activity of a failed service task (retrying runs it again).
    activity = models.BigIntegerField(null=True, blank=True)
    kind = models.CharField(max_length=32)
    message = models.TextField()
    attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} at {self.element_id}: {self.message[:60]}"


class InstanceEvent(models.Model):
    """The history of an instance: every event applied to it, by whom, when."""

    instance = models.ForeignKey(ProcessInstance, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=40)
    element_id = models.CharField(max_length=200, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.element_id}".strip()
