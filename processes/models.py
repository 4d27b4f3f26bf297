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


INSTANCE_TRANSITIONS = TransitionTable(
    "process instance",
    {
        InstanceStatus.RUNNING: frozenset(
            {
                InstanceStatus.SUSPENDED,
                InstanceStatus.COMPLETED,
                InstanceStatus.CANCELLED,
                InstanceStatus.FAILED,
            }
        ),
        InstanceStatus.SUSPENDED: frozenset({InstanceStatus.RUNNING, InstanceStatus.CANCELLED}),
        # An operator retries the incident that failed it, or gives up.
        InstanceStatus.FAILED: frozenset({InstanceStatus.RUNNING, InstanceStatus.CANCELLED}),
        InstanceStatus.COMPLETED: frozenset(),
        InstanceStatus.CANCELLED: frozenset(),
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
    marking = models.JSONField(default=dict, blank=True)
    # Incremented by every event applied to the instance (optimistic check and change feed).
    lock_version = models.PositiveBigIntegerField(default=0)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["status", "started_at"])]

    def __str__(self) -> str:
        label = self.business_key or f"#{self.pk}"
        return f"{self.version.journey.name} {label}"
