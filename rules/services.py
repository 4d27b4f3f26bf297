"""Every change to rules: create, edit the draft, publish versions, grant permissions, pin the
versions a journey version is published with. Each service checks first, then writes, and records
its audit event in the same transaction."""

from __future__ import annotations

import copy
from typing import Any

from django.contrib.auth.models import Group
from django.db.models import Max
from django.utils import timezone
from guardian.shortcuts import assign_perm, remove_perm

from monitoring import services as audit
from rules import permissions
from rules.core import KEY_PATTERN, KINDS, Problem, RuleDefinitionError, compile_rule
from rules.core import definition_problems as core_problems
from rules.core.dmn import DmnError, ImportedDecision, parse_dmn
from rules.core.tabular import import_csv
from rules.models import Rule, RuleKind, RulePin, RuleVersion
from workflow_site import permissions as shared_permissions
from workflow_site.errors import ApplicationError, ConflictError

#: A new rule's draft, by kind: something the editor can start from.
EMPTY_DEFINITIONS: dict[str, dict[str, Any]] = {
    "condition": {
        "kind": "condition",
        "combine": "all",
        "conditions": [{"field": "amount", "operator": "gt", "value": 0}],
    },
    "decision_table": {
        "kind": "decision_table",
        "hit_policy": "unique",
        "aggregation": None,
        "inputs": [{"label": "Amount", "expression": "amount", "type": "number"}],
        "outputs": [{"name": "result", "label": "Result", "type": "string"}],
        "rules": [{"inputs": ["-"], "outputs": ['"ok"'], "description": ""}],
    },
}


def check_permission(user: Any, permission: str, rule: Rule | None = None) -> None:
    shared_permissions.require(user, permission, rule)


def problems_error(
    problems: list[Problem], *, field_prefix: str = "definition"
) -> ApplicationError:
    """The 400 for a definition with problems: the first one's path as the field, all listed."""
    first = problems[0]
    field = f"{field_prefix}.{first.path}" if first.path else field_prefix
    return ApplicationError(
        "invalid_rule",
        f"The rule has {len(problems)} problem(s); the first: {first.path or 'definition'}: "
        f"{first.message}",
        field=field,
        details={"problems": [problem.as_dict() for problem in problems]},
    )


def check_definition(*, definition: Any, kind: str) -> None:
    """Refuse a definition that does not compile, or is of another kind than the rule."""
    if not isinstance(definition, dict):
        raise ApplicationError("invalid_rule", "The definition is an object.", field="definition")
    if definition.get("kind") != kind:
        raise ApplicationError(
            "invalid_rule",
            f"This rule is a {RuleKind(kind).label.lower()}; the definition must have kind "
            f"{kind!r}.",
            field="definition.kind",
        )
    try:
        compile_rule(definition)
    except RuleDefinitionError as error:
        raise problems_error(error.problems) from None


def _audit(
    type: str,
    actor: Any,
    rule: Rule,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str = "",
) -> None:
    audit.audit_record(
        type=type,
        actor=actor,
        object_type="rule",
        object_id=rule.pk,
        before=before,
        after=after,
        reason=reason,
    )


def _check_key(key: str) -> None:
    if not KEY_PATTERN.fullmatch(key or ""):
        raise ApplicationError(
            "invalid_key",
            "A rule key is lower-case letters, digits, '-' and '_', starting with a letter or "
            "digit, e.g. credit-score-threshold.",
            field="key",
        )
    if Rule.objects.filter(key=key).exists():
        raise ApplicationError("duplicate_key", f"A rule with key {key!r} exists.", field="key")


@audit.audit_batched
def rule_create(
    *,
    actor: Any,
    key: str,
    name: str,
    kind: str,
    description: str = "",
    definition: dict[str, Any] | None = None,
    always_latest: bool = False,
) -> Rule:
    """Create a rule with a draft; its creator owns it and may view, edit and publish it."""
    check_permission(actor, permissions.CREATE)
    if kind not in KINDS:
        raise ApplicationError("invalid_choice", f"The kind is one of {KINDS}.", field="kind")
    _check_key(key)
    if not name.strip():
        raise ApplicationError("required", "A rule needs a name.", field="name")
    draft = copy.deepcopy(definition) if definition is not None else EMPTY_DEFINITIONS[kind]
    check_definition(definition=draft, kind=kind)
    now = timezone.now()
    rule = Rule.objects.create(
        key=key,
        name=name.strip(),
        description=description,
        kind=kind,
        owner=actor,
        always_latest=always_latest,
        draft=draft,
        created_by=actor,
        updated_by=actor,
        created_at=now,
        updated_at=now,
    )
    for permission in (permissions.VIEW, permissions.EDIT, permissions.PUBLISH):
        assign_perm(permission, actor, rule)
    _audit(
        "rule.created",
        actor,
        rule,
        after={"key": key, "name": rule.name, "kind": kind, "always_latest": always_latest},
    )
    return rule


@audit.audit_batched
def rule_update(
    *,
    actor: Any,
    rule: Rule,
    name: str | None = None,
    description: str | None = None,
    always_latest: bool | None = None,
) -> Rule:
    """Change a rule's name, description or whether journeys follow its latest version."""
    check_permission(actor, permissions.EDIT, rule)
    rule = Rule.objects.select_for_update(of=("self",)).get(pk=rule.pk)
    before = {
        "name": rule.name,
        "description": rule.description,
        "always_latest": rule.always_latest,
    }
    if name is not None:
        if not name.strip():
            raise ApplicationError("required", "A rule needs a name.", field="name")
        rule.name = name.strip()
    if description is not None:
        rule.description = description
    if always_latest is not None:
        rule.always_latest = always_latest
    after = {
        "name": rule.name,
        "description": rule.description,
        "always_latest": rule.always_latest,
    }
    if after == before:
        return rule
    rule.updated_by, rule.updated_at = actor, timezone.now()
    rule.save()
    _audit("rule.updated", actor, rule, before=before, after=after)
    return rule


@audit.audit_batched
def rule_draft_save(*, actor: Any, rule: Rule, definition: Any, expected_lock_version: int) -> Rule:
    """Replace the draft; 409 when someone saved it since ``expected_lock_version``.

    The draft must compile (the editor shows each problem where it is); overlaps that break the
    hit policy are allowed in a draft and refused at publish.
    """
    check_permission(actor, permissions.EDIT, rule)
    rule = Rule.objects.select_for_update(of=("self",)).get(pk=rule.pk)
    if rule.lock_version != expected_lock_version:
        raise ConflictError(
            "stale_draft",
            "Someone saved this rule since you opened it; reload it to see their changes.",
            field="lock_version",
            details={"lock_version": rule.lock_version},
        )
    check_definition(definition=definition, kind=rule.kind)
    before = rule.draft
    rule.draft = copy.deepcopy(definition)
    rule.lock_version += 1
    rule.updated_by, rule.updated_at = actor, timezone.now()
    rule.save()
    _audit(
        "rule.draft_saved",
        actor,
        rule,
        before={"definition": before, "lock_version": expected_lock_version},
        after={"definition": rule.draft, "lock_version": rule.lock_version},
    )
    return rule


def _changes(old: dict[str, Any] | None, new: dict[str, Any]) -> dict[str, Any]:
    """What changed between two definitions, in words a history page can show."""
    if old is None:
        return {"summary": "first version"}
    parts: list[str] = []
    changes: dict[str, Any] = {}
    for setting in ("hit_policy", "aggregation", "combine", "expression"):
        if old.get(setting) != new.get(setting):
            changes[setting] = [old.get(setting), new.get(setting)]
            parts.append(f"{setting.replace('_', ' ')} {old.get(setting)} → {new.get(setting)}")
    for part in ("inputs", "outputs", "rules", "conditions"):
        before, after = old.get(part) or [], new.get(part) or []
        if before == after:
            continue
        added = [item for item in after if item not in before]
        removed = [item for item in before if item not in after]
        changes[part] = {"before": len(before), "after": len(after)}
        label = {"rules": "rows", "inputs": "input columns", "outputs": "output columns"}.get(
            part, part
        )
        pieces = []
        if len(after) > len(before):
            pieces.append(f"{len(after) - len(before)} added")
        elif len(after) < len(before):
            pieces.append(f"{len(before) - len(after)} removed")
        changed = min(len(added), len(removed))
        if changed:
            pieces.append(f"{changed} changed")
        parts.append(f"{label}: {', '.join(pieces) or 'reordered'}")
    changes["summary"] = "; ".join(parts) or "no change to the definition"
    return changes


@audit.audit_batched
def rule_publish(*, actor: Any, rule: Rule, note: str = "") -> RuleVersion:
    """Publish the draft as the next numbered version. Refused when it has problems, including
    rows that break the hit policy for some input, or when nothing changed."""
    check_permission(actor, permissions.PUBLISH, rule)
    rule = Rule.objects.select_for_update(of=("self",)).get(pk=rule.pk)
    problems = core_problems(rule.draft)
    if problems:
        raise problems_error(problems)
    latest = rule.versions.order_by("-number").first()
    if latest is not None and latest.definition == rule.draft:
        raise ConflictError(
            "unchanged",
            f"The draft is the same as version {latest.number}; change it before publishing.",
            field="definition",
        )
    number = (latest.number if latest else 0) + 1
    version = RuleVersion.objects.create(
        rule=rule,
        number=number,
        definition=copy.deepcopy(rule.draft),
        note=note,
        changes=_changes(latest.definition if latest else None, rule.draft),
        published_by=actor,
        published_at=timezone.now(),
    )
    _audit(
        "rule.published",
        actor,
        rule,
        before={"version": latest.number if latest else None},
        after={"version": number, "changes": version.changes["summary"]},
        reason=note,
    )
    return version


@audit.audit_batched
def rule_delete(*, actor: Any, rule: Rule) -> None:
    """Delete a rule no published journey version pins."""
    check_permission(actor, permissions.EDIT, rule)
    rule = Rule.objects.select_for_update(of=("self",)).get(pk=rule.pk)
    if RulePin.objects.filter(rule=rule).exists():
        raise ConflictError(
            "rule_in_use",
            "Published journey versions use this rule; it cannot be deleted.",
            field="id",
        )
    _audit("rule.deleted", actor, rule, before={"key": rule.key, "name": rule.name})
    rule.delete()


def _grant_target(
    actor: Any, rule: Rule, action: str, user: Any, group: Group | None
) -> tuple[str, Any, dict[str, Any]]:
    """What a grant or revoke names, checked: the permission, the user or group, and how the
    audit event shows it. Only a publisher of the rule may change who may do what."""
    check_permission(actor, permissions.PUBLISH, rule)
    if action not in permissions.ACTIONS:
        raise ApplicationError(
            "invalid_choice", f"The action is one of {sorted(permissions.ACTIONS)}.", field="action"
        )
    if (user is None) == (group is None):
        raise ApplicationError("required", "Name a user or a group.", field="user")
    grantee = user if user is not None else group
    return (
        permissions.ACTIONS[action],
        grantee,
        {
            "action": action,
            "user" if user is not None else "group": str(grantee),
        },
    )


@audit.audit_batched
def rule_permission_grant(
    *, actor: Any, rule: Rule, action: str, user: Any = None, group: Group | None = None
) -> None:
    """Let a user or a group ``action`` (view, edit or publish) this rule."""
    permission, grantee, shown = _grant_target(actor, rule, action, user, group)
    assign_perm(permission, grantee, rule)
    _audit("rule.permission_granted", actor, rule, after=shown)


@audit.audit_batched
def rule_permission_revoke(
    *, actor: Any, rule: Rule, action: str, user: Any = None, group: Group | None = None
) -> None:
    """Take back what ``rule_permission_grant`` gave."""
    permission, grantee, shown = _grant_target(actor, rule, action, user, group)
    remove_perm(permission, grantee, rule)
    _audit("rule.permission_revoked", actor, rule, before=shown)


def read_dmn(text: str | bytes, *, field: str = "file") -> ImportedDecision:
    try:
        return parse_dmn(text)
    except DmnError as error:
        details = {"line": error.line} if error.line else {}
        raise ApplicationError("invalid_dmn", error.message, field=field, details=details) from None


@audit.audit_batched
def rule_import_dmn(
    *, actor: Any, dmn: str | bytes, key: str = "", name: str = "", field: str = "file"
) -> Rule:
    """Create a decision-table rule from the first decision table of a DMN document."""
    decision = read_dmn(dmn, field=field)
    return rule_create(
        actor=actor,
        key=key or decision.key.lower().replace(" ", "-"),
        name=name or decision.name or decision.key,
        kind="decision_table",
        description=decision.description,
        definition=decision.definition,
    )


@audit.audit_batched
def rule_draft_import(
    *, actor: Any, rule: Rule, dmn: str | bytes | None = None, csv_text: str | None = None
) -> Rule:
    """Replace a decision table's draft with a DMN document's table or a CSV file's rows."""
    check_permission(actor, permissions.EDIT, rule)
    if rule.kind != RuleKind.DECISION_TABLE:
        raise ApplicationError(
            "invalid_rule", "Only decision tables are imported from DMN or CSV.", field="file"
        )
    if dmn is not None:
        definition = read_dmn(dmn).definition
    else:
        try:
            definition = import_csv(csv_text or "", rule.draft)
        except RuleDefinitionError as error:
            raise problems_error(error.problems, field_prefix="file") from None
    return rule_draft_save(
        actor=actor, rule=rule, definition=definition, expected_lock_version=rule.lock_version
    )


def rule_pins_record(*, actor: Any, version: Any) -> list[RulePin]:
    """Pin the latest published version of every rule a journey version names, as it is
    published. Refuses (400, with the findings) a version naming a missing rule or one of the
    wrong kind. Caller: inside the publishing transaction."""
    from processes.bpmn.importer import import_definitions
    from processes.engine.validate import validate
    from rules.runtime import LatestRules

    definitions = import_definitions(version.bpmn_xml)
    findings = [
        finding
        for finding in validate(definitions, rules=LatestRules())
        if finding.code.startswith("rule-")
    ]
    errors = [finding for finding in findings if finding.severity == "error"]
    if errors:
        first = errors[0]
        raise ApplicationError(
            "invalid_process",
            f"The process has {len(errors)} error(s); the first: {first.element_id}: "
            f"{first.message}",
            field="bpmn_xml",
            details={"findings": [finding.as_dict() for finding in findings]},
        )
    keys = set()
    for process in definitions.processes.values():
        keys |= {flow.rule for flow in process.flows.values() if flow.rule}
        for node in process.nodes.values():
            for name in ("rule", "assignmentRule"):
                if node.extensions.get(name, "").strip():
                    keys.add(node.extensions[name].strip())
    pins = []
    latest = (
        Rule.objects.filter(key__in=keys)
        .annotate(latest=Max("versions__number"))
        .filter(latest__isnull=False)
    )
    for rule in latest:
        rule_version = RuleVersion.objects.get(rule=rule, number=rule.latest)
        pin, _ = RulePin.objects.update_or_create(
            journey_version=version, rule=rule, defaults={"rule_version": rule_version}
        )
        pins.append(pin)
        _audit(
            "rule.pinned",
            actor,
            rule,
            after={
                "journey": version.journey.key,
                "journey_version": version.number,
                "version": rule_version.number,
                "always_latest": rule.always_latest,
            },
        )
    return pins
