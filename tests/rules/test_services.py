"""Rules through the services: drafts, publishing, audit, pins of journey versions (pinned versus
always latest while instances run), assignment rules making tasks, permissions."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group
from guardian.shortcuts import assign_perm

from monitoring.models import AuditEvent
from processes import services as journey_services
from processes.models import InstanceStatus, ProcessInstance
from rules import services
from rules.models import RulePin
from tasks import services as task_services
from tasks.models import Role
from tests.factories import UserFactory
from tests.rules.support import ASSIGNMENT, JOURNEY, THRESHOLD, rule_author
from workflow_site.errors import ApplicationError, ConflictError

pytestmark = pytest.mark.django_db


def audit_types(rule: Any) -> list[str]:
    return list(
        AuditEvent.objects.filter(object_type="rule", object_id=str(rule.pk))
        .order_by("seq")
        .values_list("type", flat=True)
    )


def test_create_save_publish_and_audit() -> None:
    author = rule_author()
    rule = services.rule_create(
        actor=author, key="credit-score-threshold", name="Credit score", kind="condition"
    )
    assert author.has_perm("rules.publish_rule", rule)
    rule = services.rule_draft_save(
        actor=author, rule=rule, definition=THRESHOLD, expected_lock_version=1
    )
    assert rule.lock_version == 2
    with pytest.raises(ConflictError) as stale:
        services.rule_draft_save(
            actor=author, rule=rule, definition=THRESHOLD, expected_lock_version=1
        )
    assert stale.value.code == "stale_draft"
    broken = {**THRESHOLD, "conditions": [{"field": "x", "operator": "like", "value": 1}]}
    with pytest.raises(ApplicationError) as invalid:
        services.rule_draft_save(
            actor=author, rule=rule, definition=broken, expected_lock_version=2
        )
    assert invalid.value.field == "definition.conditions[0].operator"
    first = services.rule_publish(actor=author, rule=rule, note="initial threshold")
    assert first.number == 1
    assert first.changes["summary"] == "first version"
    with pytest.raises(ConflictError) as unchanged:
        services.rule_publish(actor=author, rule=rule)
    assert unchanged.value.code == "unchanged"
    higher = {
        **THRESHOLD,
        "conditions": [{"field": "credit_score", "operator": "gte", "value": 680}],
    }
    services.rule_draft_save(actor=author, rule=rule, definition=higher, expected_lock_version=2)
    second = services.rule_publish(actor=author, rule=rule)
    assert second.number == 2
    assert second.changes["summary"] == "conditions: 1 changed"
    assert audit_types(rule) == [
        "rule.created",
        "rule.draft_saved",
        "rule.published",
        "rule.draft_saved",
        "rule.published",
    ]
    event = AuditEvent.objects.get(object_type="rule", type="rule.published", after__version=1)
    assert event.actor_id == author.pk
    assert event.reason == "initial threshold"


def test_publish_refuses_a_table_that_breaks_its_hit_policy() -> None:
    author = rule_author()
    overlapping = {
        **ASSIGNMENT,
        "hit_policy": "unique",
    }
    rule = services.rule_create(
        actor=author, key="overlap", name="Overlap", kind="decision_table", definition=overlapping
    )
    with pytest.raises(ApplicationError) as refused:
        services.rule_publish(actor=author, rule=rule)
    assert refused.value.code == "invalid_rule"
    assert refused.value.field == "definition.rules[1]"
    assert (
        "rows 1 and 2 may match the same input, e.g. for amount = 500000"
        in (refused.value.details["problems"][0]["message"])
    )


def test_others_need_permissions() -> None:
    author = rule_author()
    rule = services.rule_create(actor=author, key="r1", name="R1", kind="condition")
    stranger = UserFactory(username="stranger")
    with pytest.raises(ApplicationError) as denied:
        services.rule_create(actor=stranger, key="r2", name="R2", kind="condition")
    assert denied.value.code == "permission_denied"
    with pytest.raises(ApplicationError):
        services.rule_publish(actor=stranger, rule=rule)
    editors = Group.objects.create(name="editors")
    stranger.groups.add(editors)
    services.rule_permission_grant(actor=author, rule=rule, action="edit", group=editors)
    services.rule_draft_save(
        actor=stranger, rule=rule, definition=THRESHOLD, expected_lock_version=1
    )
    with pytest.raises(ApplicationError):
        services.rule_publish(actor=stranger, rule=rule)
    services.rule_permission_revoke(actor=author, rule=rule, action="edit", group=editors)
    with pytest.raises(ApplicationError):
        services.rule_draft_save(
            actor=stranger, rule=rule, definition=THRESHOLD, expected_lock_version=2
        )
    assert "rule.permission_granted" in audit_types(rule)


@pytest.fixture
def loan_setup(django_capture_on_commit_callbacks: Any) -> dict[str, Any]:
    author = rule_author()
    assign_perm("processes.add_journey", author)
    officer = UserFactory(username="olga")
    carla = UserFactory(username="carla")
    officers = Role.objects.create(
        key="officers", name="Officers", group=Group.objects.create(name="role:officers")
    )
    seniors = Role.objects.create(
        key="seniors", name="Seniors", group=Group.objects.create(name="role:seniors")
    )
    officer.groups.add(officers.group)
    carla.groups.add(seniors.group)
    threshold = services.rule_create(
        actor=author,
        key="credit-score-threshold",
        name="Credit score threshold",
        kind="condition",
        definition=THRESHOLD,
    )
    services.rule_publish(actor=author, rule=threshold)
    assignment = services.rule_create(
        actor=author,
        key="loan-assignment",
        name="Loan assignment",
        kind="decision_table",
        definition=ASSIGNMENT,
    )
    services.rule_publish(actor=author, rule=assignment)
    journey = journey_services.journey_create(
        actor=author, key="loan", name="Loan", bpmn_xml=JOURNEY
    )
    draft = journey.versions.get()
    version = journey_services.journey_version_publish(actor=author, version=draft)
    assign_perm("processes.start_journey", author, journey)
    author = type(author).objects.get(pk=author.pk)  # without the cached permissions
    return {
        "author": author,
        "officer": officer,
        "threshold": threshold,
        "journey": journey,
        "version": version,
    }


def start_and_capture(
    setup: dict[str, Any], score: int, amount: int, capture: Any, data: Any = None
) -> ProcessInstance:
    with capture(execute=True):
        instance = journey_services.instance_start(
            actor=setup["author"], journey=setup["journey"], data=data
        )
    return instance


def capture_task(instance: ProcessInstance, setup: dict[str, Any], score: int, amount: int) -> None:
    task = instance.tasks.get(element_id="Capture")
    task_services.task_complete(
        actor=setup["officer"], task=task, data={"credit_score": score, "amount": amount}
    )


def routed_to(instance: ProcessInstance) -> dict[str, str | None]:
    instance.refresh_from_db()
    return {
        task.element_id: task.assignee.username if task.assignee else None
        for task in instance.tasks.exclude(element_id="Capture")
    }


def test_journey_version_pins_rule_versions_and_assignment_rule_routes(
    loan_setup: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    setup = loan_setup
    pins = RulePin.objects.filter(journey_version=setup["version"])
    assert {(pin.rule.key, pin.rule_version.number) for pin in pins} == {
        ("credit-score-threshold", 1),
        ("loan-assignment", 1),
    }
    running = start_and_capture(setup, 650, 600_000, django_capture_on_commit_callbacks)
    # The rule changes while the instance runs: 650 no longer passes in version 2.
    stricter = {
        **THRESHOLD,
        "conditions": [{"field": "credit_score", "operator": "gte", "value": 700}],
    }
    threshold = setup["threshold"]
    services.rule_draft_save(
        actor=setup["author"], rule=threshold, definition=stricter, expected_lock_version=1
    )
    services.rule_publish(actor=setup["author"], rule=threshold)
    capture_task(running, setup, 650, 600_000)
    # Pinned: the journey version still runs with version 1.
    assert routed_to(running) == {"Underwrite": "carla"}
    underwrite = running.tasks.get(element_id="Underwrite")
    assert underwrite.role.key == "seniors"
    small = start_and_capture(setup, 650, 1_000, django_capture_on_commit_callbacks)
    capture_task(small, setup, 650, 1_000)
    assert routed_to(small) == {"Underwrite": "olga"}  # offered to officers, least loaded
    assert small.tasks.get(element_id="Underwrite").role.key == "officers"
    # Marked "always latest": the same journey version now reads version 2.
    services.rule_update(actor=setup["author"], rule=threshold, always_latest=True)
    latest = start_and_capture(setup, 650, 600_000, django_capture_on_commit_callbacks)
    capture_task(latest, setup, 650, 600_000)
    assert routed_to(latest) == {"Decline": "olga"}


def test_journey_publish_refuses_missing_rules(designer: Any) -> None:
    journey = journey_services.journey_create(
        actor=designer, key="loan", name="Loan", bpmn_xml=JOURNEY
    )
    with pytest.raises(ApplicationError) as refused:
        journey_services.journey_version_publish(actor=designer, version=journey.versions.get())
    assert refused.value.code == "invalid_process"
    codes = {(f["code"], f["element_id"]) for f in refused.value.details["findings"]}
    assert codes == {("rule-missing", "Underwrite"), ("rule-missing", "toUnderwrite")}


def test_a_failing_rule_is_an_incident(
    loan_setup: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    setup = loan_setup
    instance = start_and_capture(setup, 0, 0, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        capture_task(instance, setup, 700, 10)
    instance.refresh_from_db()
    assert instance.status == InstanceStatus.RUNNING
    # A table whose rows depend on case data can only fail at run time.
    pinned = RulePin.objects.get(rule__key="loan-assignment").rule
    unique = {
        **ASSIGNMENT,
        "hit_policy": "unique",
        "rules": [
            {"inputs": ["< limit"], "outputs": ['"carla"', '"seniors"']},
            {"inputs": ["-"], "outputs": ["null", '"officers"']},
        ],
    }
    services.rule_draft_save(
        actor=setup["author"], rule=pinned, definition=unique, expected_lock_version=1
    )
    services.rule_publish(actor=setup["author"], rule=pinned)
    services.rule_update(actor=setup["author"], rule=pinned, always_latest=True)
    failing = start_and_capture(
        setup, 0, 0, django_capture_on_commit_callbacks, data={"limit": 100}
    )
    task = failing.tasks.get(element_id="Capture")
    task_services.task_complete(
        actor=setup["officer"], task=task, data={"credit_score": 700, "amount": 10}
    )
    failing.refresh_from_db()
    assert failing.status == InstanceStatus.FAILED
    incident = failing.incidents.get()
    assert incident.element_id == "Underwrite"
    assert "hit policy unique" in incident.message


def test_delete_refuses_pinned_rules(loan_setup: dict[str, Any]) -> None:
    with pytest.raises(ConflictError) as refused:
        services.rule_delete(actor=loan_setup["author"], rule=loan_setup["threshold"])
    assert refused.value.code == "rule_in_use"
    spare = services.rule_create(
        actor=loan_setup["author"], key="spare", name="Spare", kind="condition"
    )
    services.rule_delete(actor=loan_setup["author"], rule=spare)
    assert AuditEvent.objects.filter(type="rule.deleted", object_id=str(spare.pk)).exists()
