"""The chain's arithmetic and the verifier: every kind of tampering is caught and located."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db.models import F

from monitoring import chain, selectors, services
from monitoring.models import AuditCheckpoint, AuditEvent
from tests.monitoring.support import tampering, write_chain

pytestmark = pytest.mark.django_db


def first_problem() -> str:
    result = selectors.audit_verify()
    assert not result.ok, "the verifier found nothing wrong"
    return str(result.first_problem)


# --- The arithmetic ---------------------------------------------------------------------------


def test_plain_values_read_back_identically_from_jsonb() -> None:
    assert chain.plain({"a": 1e15, "b": 1e100, "c": 0.5, "d": float("nan"), 3: (1, 2)}) == {
        "a": 1_000_000_000_000_000,
        "b": "1e+100",
        "c": 0.5,
        "d": "nan",
        "3": [1, 2],
    }
    assert chain.plain("a\x00b") == "a\ufffdb"
    moment = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
    assert chain.plain(moment) == "2024-05-06T07:08:09.000000+00:00"


def test_canonical_serialization_is_sorted_compact_and_excludes_the_hash() -> None:
    fields: dict[str, Any] = dict.fromkeys(chain.EVENT_COLUMNS, "")
    fields.update(seq=1, at=datetime(2024, 1, 1, tzinfo=UTC), before={"b": 1, "a": 2}, after={})
    text = chain.canonical({**fields, "hash": "ignored"}).decode()
    assert '"before":{"a":2,"b":1}' in text
    assert "ignored" not in text
    assert ", " not in text
    assert chain.event_hash(fields) == chain.event_hash(dict(reversed(fields.items())))


def test_every_event_links_to_the_one_before() -> None:
    events = write_chain(5)
    assert [event.seq for event in events] == [1, 2, 3, 4, 5]
    assert events[0].prev_hash == chain.GENESIS_HASH
    for before, after in zip(events, events[1:], strict=False):
        assert after.prev_hash == before.hash
    for event in AuditEvent.objects.all():  # as read back from the database
        assert event.computed_hash() == event.hash
    assert selectors.audit_verify().ok


def test_secrets_are_redacted_and_unchanged_fields_dropped() -> None:
    event = services.audit_record(
        type="test.event",
        before={"status": "a", "same": 1, "nested": {"x": 1, "y": 2}},
        after={"status": "b", "same": 1, "nested": {"x": 1, "y": 3}, "password": "hunter2"},
    )
    assert event.before == {"status": "a", "nested": {"y": 2}}
    assert event.after == {"status": "b", "nested": {"y": 3}, "password": services.REDACTED}
    assert "hunter2" not in str(AuditEvent.objects.get(seq=event.seq).__dict__)


# --- Tampering with one column of one event ------------------------------------------------

TAMPERED = {
    "at": F("at") + timedelta(seconds=1),
    "actor_id": 424242,
    "actor_label": "mallory",
    "type": "task.completed",
    "object_type": "journey",
    "object_id": "999",
    "instance_id": 999,
    "journey_id": 999,
    "element_id": "Elsewhere",
    "ip": "10.6.6.6",
    "user_agent": "curl/8",
    "request_id": "forged",
    "before": {"n": 41},
    "after": {"n": 42},
    "reason": "nothing to see",
    "prev_hash": "f" * 64,
    "hash": "e" * 64,
}


def test_the_tampering_table_covers_every_column() -> None:
    stored = {field.column for field in AuditEvent._meta.concrete_fields}
    assert stored == {*TAMPERED, "seq"}


@pytest.mark.parametrize("column", sorted(TAMPERED))
def test_a_change_to_any_column_is_caught_at_its_event(column: str) -> None:
    write_chain(6)
    assert selectors.audit_verify().ok
    with tampering():
        assert AuditEvent.objects.filter(seq=3).update(**{column: TAMPERED[column]}) == 1
    assert first_problem().startswith("broken at seq 3: ")


def test_a_changed_seq_is_caught_as_a_missing_event() -> None:
    write_chain(6)
    with tampering():
        AuditEvent.objects.filter(seq=3).update(seq=3000)
    assert first_problem().startswith("broken at seq 3: missing")


def test_a_deleted_middle_event_is_caught() -> None:
    write_chain(10)
    with tampering():
        AuditEvent.objects.filter(seq=5).delete()
    assert first_problem() == "broken at seq 5: missing: seq 5 is gone"


def test_two_swapped_events_are_caught() -> None:
    write_chain(10)
    with tampering():
        AuditEvent.objects.filter(seq=4).update(seq=-4)
        AuditEvent.objects.filter(seq=5).update(seq=4)
        AuditEvent.objects.filter(seq=-4).update(seq=5)
    result = selectors.audit_verify()
    assert str(result.first_problem).startswith("broken at seq 4: ")
    assert {problem.seq for problem in result.problems} == {4, 5, 6}


def test_a_truncated_tail_is_caught_by_a_checkpoint() -> None:
    write_chain(10)
    services.audit_checkpoint_create()
    with tampering():
        AuditEvent.objects.filter(seq__gte=8).delete()
    assert first_problem() == (
        "broken at seq 8: missing: a signed checkpoint shows the chain reached seq 10 "
        "(its tail was cut)"
    )


def rewrite_from(seq: int) -> None:
    """Change one event and recompute every hash after it: a consistent, forged chain."""
    with tampering():
        AuditEvent.objects.filter(seq=seq).update(reason="rewritten")
        prev_hash = AuditEvent.objects.get(seq=seq - 1).hash if seq > 1 else chain.GENESIS_HASH
        for event in AuditEvent.objects.filter(seq__gte=seq).order_by("seq"):
            event.prev_hash = prev_hash
            event.hash = event.computed_hash()
            AuditEvent.objects.filter(seq=event.seq).update(
                prev_hash=event.prev_hash, hash=event.hash
            )
            prev_hash = event.hash


def test_a_chain_rewritten_from_the_start_is_caught_only_by_the_checkpoints() -> None:
    write_chain(4)
    services.audit_checkpoint_create()
    write_chain(4)
    services.audit_checkpoint_create()
    rewrite_from(1)
    result = selectors.audit_verify()
    assert [str(problem).split(":")[0] for problem in result.problems] == [
        "broken at seq 4",
        "broken at seq 8",
    ]
    assert "rewritten between seq 1 and 4" in str(result.first_problem)


def test_without_checkpoints_a_rewritten_chain_looks_sound() -> None:
    write_chain(6)
    rewrite_from(2)
    assert selectors.audit_verify().ok  # which is why the head is signed periodically


def test_a_forged_checkpoint_is_caught() -> None:
    events = write_chain(3)
    AuditCheckpoint.objects.create(
        seq=3,
        head_hash=events[-1].hash,
        at=events[-1].at,
        signature=chain.sign("someone else's key, not the audit signing key", "x"),
    )
    assert "bad signature" in first_problem()


def test_a_checkpoint_signed_with_another_key_does_not_verify(settings: Any) -> None:
    write_chain(3)
    settings.AUDIT_SIGNING_KEY = "k" * 64
    services.audit_checkpoint_create()
    settings.AUDIT_SIGNING_KEY = "l" * 64
    assert first_problem().startswith("broken at seq 3: the checkpoint of ")


def test_the_verification_summary() -> None:
    write_chain(5)
    services.audit_checkpoint_create()
    write_chain(2)
    result = selectors.audit_verify()
    assert (result.events, result.checkpoints, result.head_seq) == (7, 1, 7)
    assert (result.last_checkpoint_seq, result.unsigned_tail) == (5, 2)
