"""The audit trail: a hash chain of events, its signed checkpoints, the signed records of purged
events, and per-journey retention."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from monitoring import chain

#: Every type of audit event, and what it records.
AUDIT_EVENT_TYPES = {
    "journey.created": "a journey was created (or imported) with its first draft",
    "journey.updated": "a journey was renamed or described anew",
    "journey.draft_saved": "a journey's draft was saved",
    "journey.published": "a version was published",
    "journey.retired": "a version was retired",
    "scenario.created": "a test scenario was saved with a journey",
    "scenario.updated": "a journey's test scenario was changed",
    "scenario.deleted": "a journey's test scenario was deleted",
    "permission.granted": "a role may now start, design or view a journey",
    "permission.revoked": "a role may no longer start, design or view a journey",
    "role.created": "a role was created",
    "role.updated": "a role was renamed or given another manager",
    "role.member_added": "someone joined a role",
    "role.member_removed": "someone left a role",
    "instance.started": "an instance was started",
    "instance.advanced": "a message, signal, timer or finished job moved an instance on",
    "instance.suspended": "an instance was suspended",
    "instance.resumed": "an instance was resumed",
    "instance.cancelled": "an instance was cancelled",
    "instance.terminated": "an instance was terminated",
    "instance.completed": "an instance reached its end",
    "instance.failed": "an instance failed",
    "task.offered": "a task was created and offered or assigned",
    "task.claimed": "a task was claimed",
    "task.unclaimed": "a task was given back to its role",
    "task.started": "work on a task started",
    "task.completed": "a task was completed",
    "task.reassigned": "a manager gave a task to someone else",
    "task.delegated": "an assignee handed a task on",
    "task.escalated": "a task went to its role's manager",
    "instance.escalated": "a journey's SLA deadline passed and was escalated",
    "calendar.saved": "a business calendar's hours or holidays were saved",
    "task.commented": "a task was commented on",
    "task.withdrawn": "a task was withdrawn (its instance ended or moved on)",
    "incident.raised": "a service task or the engine raised an incident",
    "incident.retried": "an operator retried an incident",
    "auth.login": "someone signed in",
    "auth.logout": "someone signed out",
    "auth.login_failed": "a sign-in failed",
    "access.denied": "someone asked for an object they may not see (and got a 404)",
    "audit.exported": "audit events were exported",
    "audit.retention_set": "a journey's audit retention was set",
    "audit.legal_hold_placed": "a legal hold was placed on a journey's audit events",
    "audit.legal_hold_released": "a legal hold was released",
    "audit.purged": "a journey's audit events past their retention were purged",
    "simulation.requested": "a manager asked for a simulation of a journey version",
    "event_log.exported": "a journey's event log was exported (XES or OCEL)",
}


class AuditEvent(models.Model):
    """One action: who did what to which object, when, from where, and what it changed.

    Rows are only ever inserted (``monitoring.services.audit_record``); on PostgreSQL a trigger
    refuses UPDATE and DELETE except for the purge. ``hash`` is the SHA-256 of every other
    column (``monitoring.chain.canonical``), ``prev_hash`` the hash of the event before.
    """

    seq = models.BigIntegerField(primary_key=True)
    at = models.DateTimeField(db_index=True)
    # No database constraint and nothing done on delete: deleting a user must not touch the
    # (append-only) audit rows; ``actor_label`` keeps the name.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    #: The actor's username, "system" for jobs and sweeps, "anonymous" before sign-in.
    actor_label = models.CharField(max_length=150, db_index=True)
    type = models.CharField(max_length=64, db_index=True)
    object_type = models.CharField(max_length=32, blank=True)
    object_id = models.CharField(max_length=200, blank=True)
    instance_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    journey_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    #: The BPMN element (task, timer, service task) the event is about, if any.
    element_id = models.CharField(max_length=200, blank=True)
    ip = models.CharField(max_length=45, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    reason = models.TextField(blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["-seq"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"#{self.seq} {self.type} by {self.actor_label}"

    def chain_fields(self) -> dict[str, Any]:
        """The stored columns the hash covers, as the chain serializes them."""
        return {name: getattr(self, name) for name in chain.EVENT_COLUMNS}

    def computed_hash(self) -> str:
        return chain.event_hash(self.chain_fields())


class AuditCheckpoint(models.Model):
    """A signed statement that the chain reached ``seq`` with ``head_hash``.

    Signed with ``settings.AUDIT_SIGNING_KEY`` (never ``SECRET_KEY``): whoever can rewrite the
    database but not read that key cannot rewrite the chain up to a checkpoint unnoticed.
    """

    seq = models.BigIntegerField(unique=True)
    head_hash = models.CharField(max_length=64)
    at = models.DateTimeField()
    signature = models.CharField(max_length=64)

    class Meta:
        ordering = ["-seq"]

    def __str__(self) -> str:
        return f"checkpoint at seq {self.seq}"

    def message(self) -> str:
        return chain.checkpoint_message(seq=self.seq, head_hash=self.head_hash, at=self.at)


class AuditPurgedEvent(models.Model):
    """What is left of a purged event: its link in the chain, signed by the purge.

    The contents (who, what, before/after) are gone; the chain still verifies across it because
    ``prev_hash`` and ``hash`` are kept and the signature shows the purge service wrote them.
    """

    seq = models.BigIntegerField(primary_key=True)
    at = models.DateTimeField()
    type = models.CharField(max_length=64)
    journey_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)
    #: The ``audit.purged`` event that removed it.
    purge_seq = models.BigIntegerField()
    signature = models.CharField(max_length=64)

    class Meta:
        ordering = ["seq"]

    def __str__(self) -> str:
        return f"purged #{self.seq} ({self.type})"

    def message(self) -> str:
        return chain.purged_link_message(
            seq=self.seq, prev_hash=self.prev_hash, hash=self.hash, purge_seq=self.purge_seq
        )


class JourneyRetention(models.Model):
    """How long a journey's audit events are kept, and whether a legal hold blocks purging."""

    journey = models.OneToOneField(
        "processes.Journey", on_delete=models.CASCADE, related_name="audit_retention"
    )
    #: Events older than this many days may be purged; empty keeps them for ever.
    retention_days = models.PositiveIntegerField(null=True, blank=True)
    legal_hold = models.BooleanField(default=False)
    legal_hold_reason = models.TextField(blank=True)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name_plural = "journey retention"

    def __str__(self) -> str:
        days = f"{self.retention_days} days" if self.retention_days else "kept for ever"
        return f"{self.journey}: {days}{' (legal hold)' if self.legal_hold else ''}"


# SLAs, business calendars and escalations (defined beside the audit trail), and simulation
# runs (defined in the simulation package), registered here.
from monitoring.simulation.models import SimulationRun  # noqa: E402, F401
from monitoring.sla_models import (  # noqa: E402, F401
    BusinessCalendar,
    Holiday,
    JourneyCalendar,
    RoleCalendar,
    SlaEscalation,
    WorkingPeriod,
)
