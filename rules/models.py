"""Business rules: named condition rules and decision tables, published in numbered versions, and
the versions each published journey version pinned."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class RuleKind(models.TextChoices):
    CONDITION = "condition", "Condition rule"
    DECISION_TABLE = "decision_table", "Decision table"


class Rule(models.Model):
    """A rule people edit as a draft and publish as immutable versions.

    ``always_latest``: journeys evaluate the latest published version, not the one pinned when
    the journey version was published.
    """

    key = models.SlugField(
        max_length=100, unique=True, help_text="What processes name, e.g. credit-score-threshold."
    )
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    kind = models.CharField(max_length=16, choices=RuleKind.choices)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    always_latest = models.BooleanField(default=False)
    #: The definition being edited (see ``rules.core``); published versions copy it.
    draft = models.JSONField()
    # Bumped on every save of the draft, so two editors cannot overwrite each other.
    lock_version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        permissions = [
            ("edit_rule", "Can edit the rule's draft and settings"),
            ("publish_rule", "Can publish versions of the rule"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.key})"


class RuleVersion(models.Model):
    """One published version of a rule; never changes."""

    rule = models.ForeignKey(Rule, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    definition = models.JSONField()
    #: Why it changed, as the publisher wrote it.
    note = models.TextField(blank=True)
    #: What changed since the previous version (rows, columns, conditions added or removed).
    changes = models.JSONField(default=dict, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["rule", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["rule", "number"], name="rule_version_number_unique")
        ]

    def __str__(self) -> str:
        return f"{self.rule.key} v{self.number}"


class RulePin(models.Model):
    """The rule version a journey version was published with."""

    journey_version = models.ForeignKey(
        "processes.JourneyVersion", on_delete=models.CASCADE, related_name="rule_pins"
    )
    rule = models.ForeignKey(Rule, on_delete=models.PROTECT, related_name="pins")
    rule_version = models.ForeignKey(RuleVersion, on_delete=models.PROTECT, related_name="pins")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["journey_version", "rule"], name="rule_pin_one_per_rule"
            )
        ]

    def __str__(self) -> str:
        return f"{self.journey_version} pins {self.rule_version}"
