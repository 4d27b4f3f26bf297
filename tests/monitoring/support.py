"""Helpers of the audit trail tests: a chain of events, and tampering that bypasses the
append-only trigger the way someone with direct database access could."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import connection

from monitoring import services
from monitoring.models import AuditEvent

requires_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL (the trigger is PostgreSQL's)"
)


def write_chain(count: int, **fields: Any) -> list[AuditEvent]:
    """``count`` events with every column filled in."""
    return [
        services.audit_record(
            type="test.event",
            object_type="thing",
            object_id=number,
            instance_id=number,
            journey_id=1,
            element_id=f"E{number}",
            before={"n": number - 1},
            after={"n": number},
            reason=f"reason {number}",
            **fields,
        )
        for number in range(1, count + 1)
    ]


def last_seq() -> int:
    return AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


@contextmanager
def tampering() -> Iterator[None]:
    """Switch off the audit triggers for this session (PostgreSQL superuser only), as an
    attacker with the database's superuser would."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = origin")
