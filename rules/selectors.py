"""Reads of rules: the ones a user may see, their versions and history, and evaluations."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Max, Q, QuerySet

from monitoring.models import AuditEvent
from rules import permissions
from rules.core import Evaluation, RuleDefinitionError, RuleError, compile_rule
from rules.core import definition_problems as core_problems
from rules.core.tables import DecisionTable
from rules.models import Rule, RulePin, RuleVersion
from rules.runtime import compiled_version
from workflow_site.errors import ApplicationError, NotFoundError


def rules_visible_to(*, user: Any, search: str = "") -> QuerySet[Rule]:
    """The rules ``user`` may see, by name; ``search`` matches key, name or description."""
    rules = permissions.visible_rules(user)
    search = search.strip()
    if search:
        rules = rules.filter(
            Q(key__icontains=search) | Q(name__icontains=search) | Q(description__icontains=search)
        )
    return (
        rules.select_related("owner", "updated_by")
        .annotate(latest_number=Max("versions__number"), pin_count=Count("pins", distinct=True))
        .order_by("name", "pk")
    )


def rule_versions(*, rule: Rule) -> QuerySet[RuleVersion]:
    return rule.versions.select_related("published_by").order_by("-number")


def rule_version(*, rule: Rule, number: int) -> RuleVersion:
    version = rule.versions.select_related("published_by").filter(number=number).first()
    if version is None:
        raise NotFoundError("not_found", f"The rule has no version {number}.", field="version")
    return version


def rule_history(*, rule: Rule, limit: int = 200) -> QuerySet[AuditEvent]:
    """Who changed what on the rule, newest first (its audit events)."""
    return AuditEvent.objects.filter(object_type="rule", object_id=str(rule.pk)).order_by("-seq")[
        :limit
    ]


def rule_pins(*, rule: Rule) -> QuerySet[RulePin]:
    return RulePin.objects.filter(rule=rule).select_related(
        "journey_version__journey", "rule_version"
    )


def draft_problems(*, definition: Any) -> list[dict[str, Any]]:
    """Every problem of a definition as the editor shows it (compile errors and overlaps)."""
    return [problem.as_dict() for problem in core_problems(definition)]


def _evaluation_body(evaluation: Evaluation, compiled: Any, version: int | None) -> dict[str, Any]:
    body: dict[str, Any] = {"version": version, **evaluation.as_dict()}
    if isinstance(compiled, DecisionTable):
        body["rows"] = [
            {
                "index": row,
                "description": compiled.descriptions[row]
                if row < len(compiled.descriptions)
                else "",
                "selected": row in evaluation.selected,
            }
            for row in evaluation.matched[:100]
        ]
    return body


def rule_evaluate(
    *, rule: Rule, data: dict[str, Any], version: int | None = None, definition: Any = None
) -> dict[str, Any]:
    """Evaluate the rule on ``data``: the given ``definition`` (the editor's unsaved one), the
    published ``version``, or else the latest published version, or the draft when there is none.
    A rule that fails on the data (a hit-policy violation, an expression error) is a 400 naming
    the rows at fault."""
    number: int | None
    if definition is not None:
        if not isinstance(definition, dict) or definition.get("kind") != rule.kind:
            raise ApplicationError(
                "invalid_rule", f"The definition must have kind {rule.kind!r}.", field="definition"
            )
        try:
            compiled: Any = compile_rule(definition)
        except RuleDefinitionError as error:
            from rules.services import problems_error

            raise problems_error(error.problems) from None
        number = None
    else:
        chosen = (
            rule_version(rule=rule, number=version)
            if version is not None
            else rule.versions.order_by("-number").first()
        )
        if chosen is None:
            compiled, number = compile_rule(rule.draft), None
        else:
            compiled = compiled_version(chosen.pk, chosen.definition, chosen.published_at)
            number = chosen.number
    try:
        evaluation = compiled.evaluate(data)
    except RuleError as error:
        rows = list(getattr(error, "rows", ()))
        raise ApplicationError(
            "rule_failed", error.message, field="data", details={"rows": rows}
        ) from None
    return _evaluation_body(evaluation, compiled, number)
