"""Concurrent writers share one chain; on PostgreSQL the trigger keeps audit rows append-only.

Real threads with their own connections; a barrier makes them collide; joins time out so a
deadlock fails the test instead of hanging it.
"""

from __future__ import annotations

import threading

import pytest
from django.db import DatabaseError, connection, transaction

from monitoring import selectors, services
from monitoring.models import AuditCheckpoint, AuditEvent, AuditPurgedEvent
from tests.monitoring.support import requires_postgres, write_chain

WRITERS = 50


@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_writers_leave_one_unbroken_chain() -> None:
    barrier = threading.Barrier(WRITERS, timeout=30)
    failures: list[str] = []
    lock = threading.Lock()

    def writer(number: int) -> None:
        try:
            barrier.wait()
            with transaction.atomic():
                services.audit_record(type="test.concurrent", object_id=number, reason="first")
                services.audit_record(type="test.concurrent", object_id=number, reason="second")
        except Exception as error:  # noqa: BLE001 - every failure is reported
            with lock:
                failures.append(f"{number}: {type(error).__name__}: {error}")
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(number,)) for number in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
        assert not thread.is_alive(), "an audit writer deadlocked"
    assert failures == []
    seqs = list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, 2 * WRITERS + 1))
    # Each writer's two events are consecutive: the head lock is held until its commit.
    writers = list(AuditEvent.objects.order_by("seq").values_list("object_id", flat=True))
    assert all(writers[index] == writers[index + 1] for index in range(0, len(writers), 2))
    result = selectors.audit_verify()
    assert result.ok, [str(problem) for problem in result.problems]
    assert result.events == 2 * WRITERS


@transaction.atomic
def record_then_fail() -> None:
    services.audit_record(type="test.rolled_back")
    raise RuntimeError("the change failed")


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_change_leaves_no_event_and_no_gap() -> None:
    services.audit_record(type="test.kept")
    with pytest.raises(RuntimeError, match="the change failed"):
        record_then_fail()
    services.audit_record(type="test.kept")
    assert list(AuditEvent.objects.order_by("seq").values_list("seq", "type")) == [
        (1, "test.kept"),
        (2, "test.kept"),
    ]
    assert selectors.audit_verify().ok


# --- PostgreSQL: the application's role cannot change audit rows -------------------------------


def refused(statement: str) -> str:
    with (
        pytest.raises(DatabaseError) as caught,
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement)
    return str(caught.value)


@pytest.mark.postgres
@requires_postgres
@pytest.mark.django_db
def test_update_and_delete_of_events_are_refused() -> None:
    write_chain(3)
    assert "append-only: UPDATE on monitoring_auditevent" in refused(
        "UPDATE monitoring_auditevent SET reason = 'x' WHERE seq = 2"
    )
    assert "append-only: DELETE on monitoring_auditevent" in refused(
        "DELETE FROM monitoring_auditevent WHERE seq = 2"
    )
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(seq=1).update(reason="x")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(seq=3).delete()
    assert AuditEvent.objects.count() == 3
    assert selectors.audit_verify().ok


@pytest.mark.postgres
@requires_postgres
@pytest.mark.django_db
def test_checkpoints_and_purged_records_are_append_only_too() -> None:
    write_chain(2)
    services.audit_checkpoint_create()
    AuditPurgedEvent.objects.create(
        seq=99, at=AuditEvent.objects.get(seq=1).at, type="x", prev_hash="", hash="", purge_seq=0
    )
    for table in ("monitoring_auditcheckpoint", "monitoring_auditpurgedevent"):
        assert "append-only: UPDATE" in refused(f"UPDATE {table} SET seq = seq + 1000")  # noqa: S608
        assert "append-only: DELETE" in refused(f"DELETE FROM {table}")  # noqa: S608
    assert AuditCheckpoint.objects.count() == 1


@pytest.mark.postgres
@requires_postgres
@pytest.mark.django_db
def test_only_a_transaction_that_declares_a_purge_may_delete_and_never_update() -> None:
    write_chain(3)
    with transaction.atomic():
        services._allow_purge(True)
        assert "append-only: UPDATE" in refused(
            "UPDATE monitoring_auditevent SET reason = 'x' WHERE seq = 1"
        )
        AuditEvent.objects.filter(seq=3).delete()
        services._allow_purge(False)
        assert "append-only: DELETE" in refused("DELETE FROM monitoring_auditevent WHERE seq = 2")
    assert list(AuditEvent.objects.values_list("seq", flat=True).order_by("seq")) == [1, 2]
