"""What the designer keeps beside a journey's versions: its saved test scenarios."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from processes.models import Journey


class Scenario(models.Model):
    """A test of a journey: an ``itinera play`` events script plus what must hold after its steps.

    ``script`` is what ``itinera play`` reads (``{"data", "events", "now"}``); ``expect`` is a
    list of expectations, each naming a step (or the last one) and the fields of that step's
    line that must match (see ``designer.scenarios``).
    """

    journey = models.ForeignKey(Journey, on_delete=models.CASCADE, related_name="scenarios")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    script = models.JSONField(default=dict)
    expect = models.JSONField(default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["journey", "name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["journey", "name"], name="scenario_name_unique")
        ]

    def __str__(self) -> str:
        return f"{self.journey.key}: {self.name}"
