"""Retention: a purge removes a journey's old events by checkpointed segment, leaves the chain
verifiable, records itself, and a legal hold blocks it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from monitoring import selectors, services
from monitoring.models import AuditCheckpoint, AuditEvent, AuditPurgedEvent, JourneyRetention
from tests.factories import JourneyFactory, UserFactory
from tests.monitoring.support import tampering, write_chain
from workflow_site.errors import ApplicationError, ConflictError

pytestmark = pytest.mark.django_db

LATER = timedelta(days=31)


@pytest.fixture
def journeys() -> tuple[Any, Any]:
    return JourneyFactory(key="kept-short"), JourneyFactory(key="other")


def interleaved(short: Any, other: Any, rounds: int) -> None:
    """Events of both journeys and of none, interleaved."""
    for _ in range(rounds):
        services.audit_record(type="test.event", journey_id=short.pk, reason="personal data")
        services.audit_record(type="test.event", journey_id=other.pk)
        services.audit_record(type="auth.login")


def test_a_purge_removes_old_events_by_checkpointed_segment_and_the_chain_still_verifies(
    journeys: tuple[Any, Any],
) -> None:
    short, other = journeys
    services.journey_retention_set(actor=None, journey=short, retention_days=30)  # seq 1
    interleaved(short, other, 3)  # seq 2-10
    boundary = services.audit_checkpoint_create()
    assert boundary is not None
    assert boundary.seq == 10
    interleaved(short, other, 2)  # seq 11-16: after the checkpoint, kept whatever their age

    (outcome,) = services.audit_purge(actor=None, journey=short, now=timezone.now() + LATER)

    assert (outcome.purged, outcome.through_seq) == (3, 10)
    assert set(AuditPurgedEvent.objects.values_list("seq", flat=True)) == {2, 5, 8}
    assert not AuditEvent.objects.filter(seq__in=[2, 5, 8]).exists()
    assert AuditEvent.objects.filter(journey_id=short.pk).count() == 2  # the newer segment
    assert AuditEvent.objects.filter(journey_id=other.pk).count() == 5
    purge = AuditEvent.objects.get(type="audit.purged")
    assert purge.seq == 17
    assert purge.after == {
        "journey": "kept-short",
        "events": 3,
        "first_seq": 2,
        "through_seq": 10,
        "retention_days": 30,
    }
    assert AuditPurgedEvent.objects.filter(purge_seq=17).count() == 3
    assert AuditCheckpoint.objects.order_by("-seq").first().seq == 17  # the purge is signed
    result = selectors.audit_verify()
    assert result.ok, [str(problem) for problem in result.problems]
    assert (result.events, result.purged) == (14, 3)
    assert "personal data" not in str(list(AuditPurgedEvent.objects.values()))


def test_a_second_purge_finds_nothing_more(journeys: tuple[Any, Any]) -> None:
    short, other = journeys
    services.journey_retention_set(actor=None, journey=short, retention_days=30)
    interleaved(short, other, 2)
    services.audit_checkpoint_create()
    services.audit_purge(actor=None, journey=short, now=timezone.now() + LATER)
    (again,) = services.audit_purge(actor=None, journey=short, now=timezone.now() + LATER)
    assert again.purged == 0
    assert AuditEvent.objects.filter(type="audit.purged").count() == 1
    assert selectors.audit_verify().ok


def test_nothing_younger_than_the_retention_is_purged(journeys: tuple[Any, Any]) -> None:
    short, other = journeys
    services.journey_retention_set(actor=None, journey=short, retention_days=30)
    interleaved(short, other, 2)
    services.audit_checkpoint_create()
    (outcome,) = services.audit_purge(actor=None, journey=short, now=timezone.now())
    assert (outcome.purged, outcome.through_seq) == (0, None)
    assert not AuditPurgedEvent.objects.exists()


def test_a_legal_hold_blocks_the_purge(journeys: tuple[Any, Any]) -> None:
    short, other = journeys
    services.journey_retention_set(actor=None, journey=short, retention_days=30)
    services.journey_legal_hold_set(actor=None, journey=short, hold=True, reason="Case 2024-17")
    interleaved(short, other, 2)
    services.audit_checkpoint_create()
    with pytest.raises(ConflictError) as caught:
        services.audit_purge(actor=None, journey=short, now=timezone.now() + LATER)
    assert caught.value.code == "legal_hold"
    assert "Case 2024-17" in caught.value.message
    services.journey_retention_set(actor=None, journey=other, retention_days=30)
    services.audit_checkpoint_create()
    outcomes = services.audit_purge(actor=None, now=timezone.now() + LATER)
    assert [(o.journey_key, o.held, o.purged) for o in outcomes] == [
        ("kept-short", True, 0),
        ("other", False, 2),
    ]
    assert AuditEvent.objects.filter(journey_id=short.pk).count() == 2
    services.journey_legal_hold_set(actor=None, journey=short, hold=False, reason="Case closed")
    services.audit_checkpoint_create()
    (released,) = services.audit_purge(actor=None, journey=short, now=timezone.now() + LATER)
    assert released.purged == 2
    assert selectors.audit_verify().ok


def test_a_journey_kept_for_ever_is_not_purged(journeys: tuple[Any, Any]) -> None:
    short, _ = journeys
    with pytest.raises(ApplicationError) as caught:
        services.audit_purge(actor=None, journey=short)
    assert caught.value.code == "no_retention"
    assert services.audit_purge(actor=None) == []


def test_retention_needs_the_permission_and_sane_values(journeys: tuple[Any, Any]) -> None:
    short, _ = journeys
    with pytest.raises(ApplicationError) as caught:
        services.journey_retention_set(
            actor=UserFactory(username="clerk"), journey=short, retention_days=10
        )
    assert caught.value.code == "permission_denied"
    admin = UserFactory(username="boss", is_superuser=True)
    with pytest.raises(ApplicationError) as caught:
        services.journey_retention_set(actor=admin, journey=short, retention_days=0)
    assert caught.value.field == "retention_days"
    with pytest.raises(ApplicationError) as caught:
        services.journey_legal_hold_set(actor=admin, journey=short, hold=True, reason=" ")
    assert caught.value.field == "reason"
    services.journey_retention_set(actor=admin, journey=short, retention_days=10)
    assert JourneyRetention.objects.get(journey=short).updated_by == admin


def test_a_forged_record_of_a_purge_is_caught(journeys: tuple[Any, Any]) -> None:
    events = write_chain(5)
    victim = events[2]
    with tampering():
        AuditEvent.objects.filter(seq=victim.seq).delete()
    AuditPurgedEvent.objects.create(
        seq=victim.seq,
        at=victim.at,
        type=victim.type,
        prev_hash=victim.prev_hash,
        hash=victim.hash,
        purge_seq=6,
        signature="0" * 64,
    )
    assert str(selectors.audit_verify().first_problem) == (
        "broken at seq 3: the record of its purge has a bad signature (forged)"
    )


def test_a_purge_that_removes_the_tip_of_the_chain_continues_after_it(
    journeys: tuple[Any, Any],
) -> None:
    short, _ = journeys
    services.journey_retention_set(actor=None, journey=short, retention_days=30)
    services.audit_record(type="test.event", journey_id=short.pk)  # seq 2, the tip
    services.audit_checkpoint_create()
    (outcome,) = services.audit_purge(actor=None, journey=short, now=timezone.now() + LATER)
    assert outcome.purged == 1
    assert AuditEvent.objects.get(type="audit.purged").seq == 3
    assert services.audit_record(type="test.event").seq == 4
    assert selectors.audit_verify().ok
