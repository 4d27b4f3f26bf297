"""Roles (backed by Django groups) and the work items people claim and complete."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models
from django.utils import timezone

from workflow_site.transitions import TransitionTable


class Role(models.Model):
    """A set of people who may be offered the same work; its members are the group's users."""

    key = models.SlugField(max_length=100, unique=True, help_text="Referenced as itn:role in BPMN.")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    group = models.OneToOneField(Group, on_delete=models.PROTECT, related_name="role")
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_roles",
    )
    #: The member who got the last round-robin assignment.
    last_assigned = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TaskStatus(models.TextChoices):
    OFFERED = "offered", "Offered"
    CLAIMED = "claimed", "Claimed"
    STARTED = "started", "Started"
    #: Withheld by the engine (mutex, interleaving, milestone): nobody may start it now.
    WAITING = "waiting", "Waiting"
    COMPLETED = "completed", "Completed"
    WITHDRAWN = "withdrawn", "Withdrawn"


OPEN_TASK_STATUSES = (TaskStatus.OFFERED, TaskStatus.CLAIMED, TaskStatus.STARTED)
#: Tasks that still stand for an engine work item.
LIVE_TASK_STATUSES = (*OPEN_TASK_STATUSES, TaskStatus.WAITING)

TASK_TRANSITIONS = TransitionTable(
    "task",
    {
        TaskStatus.OFFERED: frozenset(
            {
                TaskStatus.CLAIMED,
                TaskStatus.STARTED,
                TaskStatus.COMPLETED,
                TaskStatus.WAITING,
                TaskStatus.WITHDRAWN,
            }
        ),
        TaskStatus.CLAIMED: frozenset(
            {
                TaskStatus.OFFERED,
                TaskStatus.STARTED,
                TaskStatus.COMPLETED,
                TaskStatus.WAITING,
                TaskStatus.WITHDRAWN,
            }
        ),
        TaskStatus.WAITING: frozenset(
            {TaskStatus.OFFERED, TaskStatus.CLAIMED, TaskStatus.WITHDRAWN}
        ),
        TaskStatus.STARTED: frozenset(
            {TaskStatus.OFFERED, TaskStatus.COMPLETED, TaskStatus.WITHDRAWN}
        ),
        TaskStatus.COMPLETED: frozenset(),
        TaskStatus.WITHDRAWN: frozenset(),
    },
)


class Task(models.Model):
    """A work item of a process instance: offered to a role, claimed by one person, completed."""

    instance = models.ForeignKey(
        "processes.ProcessInstance", on_delete=models.CASCADE, related_name="tasks"
    )
    #: The engine's work item this row stands for.
    activity = models.BigIntegerField(null=True, blank=True)
    element_id = models.CharField(max_length=200, help_text="The BPMN element that made this item.")
    name = models.CharField(max_length=200)
    status = models.CharField(max_length=16, choices=TaskStatus.choices, default=TaskStatus.OFFERED)
    role = models.ForeignKey(
        Role, null=True, blank=True, on_delete=models.PROTECT, related_name="tasks"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_tasks",
    )
    priority = models.PositiveSmallIntegerField(
        default=50, help_text="0 (lowest) to 100 (highest)."
    )
    due_at = models.DateTimeField(null=True, blank=True)
    form_schema = models.JSONField(default=dict, blank=True)
    data = models.JSONField(default=dict, blank=True, help_text="What was submitted on completion.")
    lock_version = models.PositiveBigIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    #: Who handed the task on (delegation) and why; escalation moment.
    delegated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    escalated_at = models.DateTimeField(null=True, blank=True)
    #: Separation of duties (itn:notSameAs): who completed this element may not do this task.
    separation_from = models.CharField(max_length=200, blank=True)
    #: The SLA (``monitoring.sla``): set when the row is made from an element with ``itn:sla``.
    #: The deadline and warning moment in business time (empty while the clock is paused), the
    #: target in working seconds, and the rest of the clock's state.
    sla_deadline = models.DateTimeField(null=True, blank=True)
    sla_warn_at = models.DateTimeField(null=True, blank=True)
    sla_seconds = models.FloatField(null=True, blank=True)
    sla = models.JSONField(default=dict, blank=True)
    #: Estimated probability of missing the deadline (refreshed by the sweeper).
    sla_risk = models.FloatField(null=True, blank=True)
    #: A sweeper claimed the due SLA check; the escalation was carried out.
    sla_claimed_at = models.DateTimeField(null=True, blank=True)
    sla_escalated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-priority", "created_at", "id"]
        indexes = [
            models.Index(fields=["status", "role"]),
            models.Index(fields=["assignee", "status"]),
            # The inbox's tabs in their default order (tasks.selectors.inbox): a user's open
            # tasks, and the unclaimed tasks offered to a role; the first page is read off the
            # index instead of sorting every match.
            models.Index(
                fields=["assignee", "-priority", "created_at", "id"],
                condition=models.Q(status__in=[str(status) for status in OPEN_TASK_STATUSES]),
                name="task_open_by_assignee",
            ),
            models.Index(
                fields=["role", "-priority", "created_at", "id"],
                condition=models.Q(assignee__isnull=True, status=str(TaskStatus.OFFERED)),
                name="task_offered_by_role",
            ),
            # Only rows with an SLA still to escalate: tasks without one cost the index nothing.
            models.Index(
                fields=["sla_deadline"],
                condition=models.Q(sla_deadline__isnull=False, sla_escalated_at__isnull=True),
                name="task_sla_due",
            ),
            # SLA compliance over a period (monitoring.metrics.sla_compliance): tasks with an SLA
            # completed in it, and live ones whose deadline passed in it, as ranges of these two
            # instead of a scan of every task.
            models.Index(
                fields=["completed_at"],
                condition=models.Q(sla_seconds__isnull=False, status=str(TaskStatus.COMPLETED)),
                name="task_sla_completed",
            ),
            models.Index(
                fields=["sla_deadline"],
                condition=models.Q(
                    sla_seconds__isnull=False,
                    status__in=[str(status) for status in LIVE_TASK_STATUSES],
                ),
                name="task_sla_live_deadline",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(priority__lte=100), name="task_priority_at_most_100"
            ),
            models.UniqueConstraint(
                fields=["instance", "activity"], name="task_engine_item_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_TASK_STATUSES


class TaskComment(models.Model):
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.text[:60]


class SavedFilter(models.Model):
    """A named inbox filter a user keeps: the inbox query string, replayed when chosen."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_filters"
    )
    name = models.CharField(max_length=80)
    query = models.CharField(max_length=1000, blank=True, help_text="The inbox query string.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "name"], name="saved_filter_name_unique")
        ]

    def __str__(self) -> str:
        return self.name
