from __future__ import annotations

from typing import Any

import pytest
from guardian.shortcuts import assign_perm

from processes import permissions, services
from processes.models import JourneyVersion, VersionStatus
from tests.factories import MINIMAL_BPMN, UserFactory
from workflow_site.errors import ApplicationError, ConflictError

pytestmark = pytest.mark.django_db


def test_journey_create_makes_a_first_draft_the_creator_may_design(designer: Any) -> None:
    journey = services.journey_create(
        actor=designer, key="loan", name=" Loan ", bpmn_xml=MINIMAL_BPMN
    )
    assert journey.name == "Loan"
    (draft,) = journey.versions.all()
    assert (draft.number, draft.status, draft.lock_version) == (1, VersionStatus.DRAFT, 1)
    assert permissions.can(designer, permissions.DESIGN, journey)


def test_journey_create_needs_the_add_permission() -> None:
    with pytest.raises(ApplicationError) as caught:
        services.journey_create(actor=UserFactory(), key="x", name="X", bpmn_xml=MINIMAL_BPMN)
    assert caught.value.code == "permission_denied"


@pytest.mark.parametrize(
    ("bpmn_xml", "message"),
    [
        ("", "empty"),
        ("<bpmn:definitions", "not well-formed"),
        ("<definitions/>", "root element"),
        (
            '<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"/>',
            "declares no process",
        ),
        ('<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>', "DOCTYPE"),
    ],
)
def test_bad_bpmn_is_refused_naming_the_field(designer: Any, bpmn_xml: str, message: str) -> None:
    with pytest.raises(ApplicationError) as caught:
        services.journey_create(actor=designer, key="bad", name="Bad", bpmn_xml=bpmn_xml)
    assert caught.value.code == "invalid_bpmn"
    assert caught.value.field == "bpmn_xml"
    assert message in caught.value.message


def test_duplicate_key_is_refused(designer: Any) -> None:
    services.journey_create(actor=designer, key="loan", name="Loan", bpmn_xml=MINIMAL_BPMN)
    with pytest.raises(ApplicationError) as caught:
        services.journey_create(actor=designer, key="loan", name="Loan 2", bpmn_xml=MINIMAL_BPMN)
    assert (caught.value.code, caught.value.field) == ("duplicate_key", "key")


def test_draft_save_detects_a_concurrent_edit(designer: Any) -> None:
    journey = services.journey_create(actor=designer, key="j", name="J", bpmn_xml=MINIMAL_BPMN)
    saved = services.journey_draft_save(
        actor=designer, journey=journey, bpmn_xml=MINIMAL_BPMN + " ", expected_lock_version=1
    )
    assert saved.lock_version == 2
    with pytest.raises(ConflictError) as caught:
        services.journey_draft_save(
            actor=designer, journey=journey, bpmn_xml=MINIMAL_BPMN, expected_lock_version=1
        )
    assert caught.value.code == "draft_conflict"
    assert caught.value.details == {"current_lock_version": 2}
    assert JourneyVersion.objects.get(pk=saved.pk).bpmn_xml == MINIMAL_BPMN + " "


def test_publish_then_edit_starts_the_next_numbered_draft(designer: Any) -> None:
    journey = services.journey_create(actor=designer, key="j", name="J", bpmn_xml=MINIMAL_BPMN)
    first = services.journey_version_publish(actor=designer, version=journey.versions.get(number=1))
    assert (first.status, first.published_by) == (VersionStatus.PUBLISHED, designer)
    assert first.published_at is not None
    second = services.journey_draft_save(
        actor=designer, journey=journey, bpmn_xml=MINIMAL_BPMN, expected_lock_version=None
    )
    assert (second.number, second.status) == (2, VersionStatus.DRAFT)
    # Publishing is a one-way step: a published version cannot be published again.
    with pytest.raises(ConflictError) as caught:
        services.journey_version_publish(actor=designer, version=first)
    assert caught.value.code == "illegal_transition"


def test_draft_save_with_a_stale_version_after_publish_conflicts(designer: Any) -> None:
    journey = services.journey_create(actor=designer, key="j", name="J", bpmn_xml=MINIMAL_BPMN)
    services.journey_version_publish(actor=designer, version=journey.versions.get())
    with pytest.raises(ConflictError):
        services.journey_draft_save(
            actor=designer, journey=journey, bpmn_xml=MINIMAL_BPMN, expected_lock_version=1
        )


def test_retire_only_published_versions(designer: Any) -> None:
    journey = services.journey_create(actor=designer, key="j", name="J", bpmn_xml=MINIMAL_BPMN)
    draft = journey.versions.get()
    with pytest.raises(ConflictError):
        services.journey_version_retire(actor=designer, version=draft)
    services.journey_version_publish(actor=designer, version=draft)
    retired = services.journey_version_retire(actor=designer, version=draft)
    assert retired.status == VersionStatus.RETIRED
    assert retired.retired_by == designer


def test_only_designers_publish(designer: Any, worker: Any) -> None:
    journey = services.journey_create(actor=designer, key="j", name="J", bpmn_xml=MINIMAL_BPMN)
    with pytest.raises(ApplicationError) as caught:
        services.journey_version_publish(actor=worker, version=journey.versions.get())
    assert caught.value.code == "permission_denied"
    assign_perm(permissions.DESIGN, worker, journey)
    services.journey_version_publish(actor=worker, version=journey.versions.get())


def test_grant_and_revoke_start_to_a_role(designer: Any, worker: Any, worker_role: Any) -> None:
    journey = services.journey_create(actor=designer, key="j", name="J", bpmn_xml=MINIMAL_BPMN)
    services.journey_permission_grant(
        actor=designer, journey=journey, role=worker_role, action="start"
    )
    assert permissions.can(worker, permissions.START, journey)
    services.journey_permission_revoke(
        actor=designer, journey=journey, role=worker_role, action="start"
    )
    worker = type(worker).objects.get(pk=worker.pk)  # fresh permission cache
    assert not permissions.can(worker, permissions.START, journey)
    with pytest.raises(ApplicationError) as caught:
        services.journey_permission_grant(
            actor=designer, journey=journey, role=worker_role, action="delete"
        )
    assert (caught.value.code, caught.value.field) == ("invalid_choice", "permission")


def test_journey_update_renames(designer: Any) -> None:
    journey = services.journey_create(actor=designer, key="j", name="J", bpmn_xml=MINIMAL_BPMN)
    services.journey_update(actor=designer, journey=journey, name="Renamed", description="d")
    journey.refresh_from_db()
    assert (journey.name, journey.description) == ("Renamed", "d")
    with pytest.raises(ApplicationError) as caught:
        services.journey_update(actor=designer, journey=journey, name="  ", description="")
    assert caught.value.field == "name"


def test_publish_refuses_a_process_with_errors_naming_each_element(designer: Any) -> None:
    broken = MINIMAL_BPMN.replace(
        '<bpmn:sequenceFlow id="F2" sourceRef="Work" targetRef="End" />',
        '<bpmn:sequenceFlow id="F2" sourceRef="Work" targetRef="End">'
        "<bpmn:conditionExpression>amount &gt;</bpmn:conditionExpression></bpmn:sequenceFlow>"
        '<bpmn:complexGateway id="Lost" />',
    )
    journey = services.journey_create(actor=designer, key="j", name="J", bpmn_xml=broken)
    with pytest.raises(ApplicationError) as caught:
        services.journey_version_publish(actor=designer, version=journey.versions.get())
    error = caught.value
    assert (error.code, error.field) == ("invalid_process", "bpmn_xml")
    codes = {(f["element_id"], f["code"]) for f in error.details["findings"]}
    assert ("F2", "bad-expression") in codes
    assert ("Lost", "unreachable") in codes
    assert journey.versions.get().status == VersionStatus.DRAFT
