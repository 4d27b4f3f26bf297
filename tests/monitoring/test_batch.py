"""Audit batches: a service's events are appended together at its end, in order, and a part that
fails takes its events with it."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from monitoring import selectors, services
from monitoring.models import AuditEvent
from tests.monitoring.support import write_chain

pytestmark = pytest.mark.django_db


def failing_part(audit_type: str) -> None:
    with transaction.atomic(), services.audit_batch():
        services.audit_record(type=audit_type)
        raise RuntimeError("the part fails")


def test_a_batch_appends_its_events_at_the_end_in_order() -> None:
    write_chain(2)
    with transaction.atomic(), services.audit_batch():
        first = services.audit_record(type="test.first")
        second = services.audit_record(type="test.second")
        assert not AuditEvent.objects.filter(type__startswith="test.").exclude(seq__lte=2).exists()
        assert first.seq == 0  # placed in the chain when the batch ends
    assert (first.seq, second.seq) == (3, 4)
    assert second.prev_hash == first.hash
    assert list(AuditEvent.objects.order_by("seq").values_list("type", flat=True))[2:] == [
        "test.first",
        "test.second",
    ]
    assert selectors.audit_verify().ok


def test_a_batch_takes_the_chain_lock_once_and_writes_one_insert() -> None:
    with CaptureQueriesContext(connection) as queries, transaction.atomic(), services.audit_batch():
        for number in range(5):
            services.audit_record(type="test.many", object_id=number)
    inserts = [
        q["sql"] for q in queries if q["sql"].startswith('INSERT INTO "monitoring_auditevent"')
    ]
    assert len(inserts) == 1
    locks = [q["sql"] for q in queries if "pg_advisory_xact_lock" in q["sql"]]
    assert len(locks) == (1 if connection.vendor == "postgresql" else 0)
    assert AuditEvent.objects.filter(type="test.many").count() == 5


def test_a_nested_part_that_fails_drops_its_events_and_the_rest_are_kept() -> None:
    with transaction.atomic(), services.audit_batch():
        services.audit_record(type="test.kept")
        with pytest.raises(RuntimeError):
            failing_part("test.dropped")
        services.audit_record(type="test.also_kept")
    assert list(AuditEvent.objects.order_by("seq").values_list("type", flat=True)) == [
        "test.kept",
        "test.also_kept",
    ]
    assert selectors.audit_verify().ok


def test_a_failing_batch_writes_nothing_and_the_next_one_starts_clean() -> None:
    with pytest.raises(RuntimeError):
        failing_part("test.lost")
    assert getattr(connection, services.BATCH, None) is None
    event = services.audit_record(type="test.after")  # not batched: written at once
    assert event.seq == 1
    assert not AuditEvent.objects.filter(type="test.lost").exists()


def test_services_append_their_events_in_one_batch() -> None:
    from processes import services as process_services
    from tests.factories import MINIMAL_BPMN, UserFactory
    from tests.processes.test_instances import published

    worker = UserFactory(is_superuser=True)
    journey = published(worker, "batched", MINIMAL_BPMN)

    with CaptureQueriesContext(connection) as queries:
        process_services.instance_start(actor=worker, journey=journey)
    inserts = [q for q in queries if q["sql"].startswith('INSERT INTO "monitoring_auditevent"')]
    assert len(inserts) == 1
    assert AuditEvent.objects.filter(type__in=("instance.started", "task.offered")).count() == 2
    assert selectors.audit_verify().ok
