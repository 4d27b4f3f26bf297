"""Stored simulation runs: the scenario asked for, its progress and its results."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from workflow_site.transitions import TransitionTable


class SimulationStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


SIMULATION_TRANSITIONS = TransitionTable(
    "simulation",
    {
        SimulationStatus.QUEUED: frozenset({SimulationStatus.RUNNING, SimulationStatus.FAILED}),
        SimulationStatus.RUNNING: frozenset({SimulationStatus.DONE, SimulationStatus.FAILED}),
        SimulationStatus.DONE: frozenset(),
        SimulationStatus.FAILED: frozenset(),
    },
)


class SimulationRun(models.Model):
    """One simulation of a journey version under a scenario. The version's BPMN is kept as it
    was (a draft changes), so that results can always be drawn on the diagram they came from."""

    journey = models.ForeignKey(
        "processes.Journey", on_delete=models.CASCADE, related_name="simulation_runs"
    )
    version = models.ForeignKey(
        "processes.JourneyVersion",
        null=True,
        on_delete=models.SET_NULL,
        related_name="simulation_runs",
    )
    version_number = models.PositiveIntegerField()
    version_status = models.CharField(max_length=16)
    bpmn_xml = models.TextField()
    name = models.CharField(max_length=200, blank=True)
    scenario = models.JSONField(default=dict)
    status = models.CharField(
        max_length=16, choices=SimulationStatus.choices, default=SimulationStatus.QUEUED
    )
    progress = models.FloatField(default=0.0)
    assumptions = models.JSONField(default=dict, blank=True)
    result = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="simulation_runs"
    )
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["created_by", "-created_at"])]

    def __str__(self) -> str:
        return f"Simulation {self.pk} of {self.journey_id} v{self.version_number} ({self.status})"
