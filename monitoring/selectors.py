"""Reads of the audit trail: filtered event lists and the verification of the whole chain."""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import QuerySet

from monitoring import chain
from monitoring.models import AUDIT_EVENT_TYPES, AuditCheckpoint, AuditEvent, AuditPurgedEvent


def audit_events(
    *,
    actor: str = "",
    type: str = "",
    object_type: str = "",
    object_id: str = "",
    instance_id: int | None = None,
    journey_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[AuditEvent]:
    """Events, newest first, matching every filter given. ``actor`` is a username (or
    "system", "anonymous"); ``type`` an exact type or a family such as ``task.*``."""
    events = AuditEvent.objects.all()
    if actor:
        events = events.filter(actor_label=actor)
    if type.endswith(".*"):
        events = events.filter(type__startswith=type[:-1])
    elif type:
        events = events.filter(type=type)
    if object_type:
        events = events.filter(object_type=object_type)
    if object_id:
        events = events.filter(object_id=object_id)
    if instance_id is not None:
        events = events.filter(instance_id=instance_id)
    if journey_id is not None:
        events = events.filter(journey_id=journey_id)
    if since is not None:
        events = events.filter(at__gte=since)
    if until is not None:
        events = events.filter(at__lt=until)
    return events.order_by("-seq")


def audit_event_types() -> list[str]:
    """Every event type, for filters."""
    return sorted(AUDIT_EVENT_TYPES)


def audit_event_neighbour(*, event: AuditEvent) -> Any:
    """The link before ``event`` (an event or the record of a purged one), if any."""
    previous = AuditEvent.objects.filter(seq=event.seq - 1).first()
    return previous or AuditPurgedEvent.objects.filter(seq=event.seq - 1).first()


# ---------------------------------------------------------------------------------------------
# Verification
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Problem:
    seq: int
    message: str

    def __str__(self) -> str:
        return f"broken at seq {self.seq}: {self.message}"


@dataclass
class Verification:
    """The outcome of checking the whole chain and every checkpoint."""

    events: int = 0
    purged: int = 0
    checkpoints: int = 0
    head_seq: int = 0
    head_hash: str = chain.GENESIS_HASH
    last_checkpoint_seq: int | None = None
    last_checkpoint_at: datetime | None = None
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first_problem(self) -> Problem | None:
        return min(self.problems) if self.problems else None

    @property
    def unsigned_tail(self) -> int:
        """Events after the last checkpoint: only the chain vouches for them until the next."""
        return self.head_seq - (self.last_checkpoint_seq or 0)


@dataclass(frozen=True)
class _Link:
    seq: int
    prev_hash: str
    hash: str
    event: AuditEvent | None = None
    purged: AuditPurgedEvent | None = None


def _links(limit: int, chunk: int) -> Iterator[_Link]:
    """Events and purged-event records up to seq ``limit``, in seq order."""
    events = (
        _Link(event.seq, event.prev_hash, event.hash, event=event)
        for event in AuditEvent.objects.filter(seq__lte=limit)
        .order_by("seq")
        .iterator(chunk_size=chunk)
    )
    purged = (
        _Link(record.seq, record.prev_hash, record.hash, purged=record)
        for record in AuditPurgedEvent.objects.filter(seq__lte=limit)
        .order_by("seq")
        .iterator(chunk_size=chunk)
    )
    return heapq.merge(events, purged, key=lambda link: link.seq)


def _span(first: int, last: int) -> str:
    return f"seq {first} is" if first == last else f"seq {first} to {last} are"


@contextmanager
def _one_snapshot() -> Iterator[None]:
    """On PostgreSQL, read everything in one REPEATABLE READ snapshot, so a purge or appends
    running meanwhile are never mistaken for tampering. (Inside a transaction already, and on
    SQLite, where a transaction would hold the write lock, reads go on as they are.)"""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        yield


def audit_verify(*, key: str | None = None, chunk: int = 2000) -> Verification:
    """Check every link of the chain, every purged-event record and every checkpoint.

    Checkpoints are read before the tip and the tip before the links, so events appended while
    this runs are neither missed nor mistaken for tampering: the chain is checked up to its tip
    as it was when the check began. A tail cut after the last checkpoint cannot be told from a
    chain that ends there; a checkpoint every few minutes keeps that tail short.
    """
    with _one_snapshot():
        return _verify(key or settings.AUDIT_SIGNING_KEY, chunk)


def _verify(key: str, chunk: int) -> Verification:
    result = Verification()
    problems = result.problems
    checkpoints = list(AuditCheckpoint.objects.order_by("seq", "pk"))
    newest = [
        model.objects.order_by("-seq").values_list("seq", flat=True).first()
        for model in (AuditEvent, AuditPurgedEvent)
    ]
    limit = max((seq for seq in newest if seq is not None), default=0)

    by_seq: dict[int, list[AuditCheckpoint]] = {}
    for checkpoint in checkpoints:
        result.checkpoints += 1
        if not chain.signature_matches(key, checkpoint.message(), checkpoint.signature):
            problems.append(
                Problem(
                    checkpoint.seq,
                    f"the checkpoint of {checkpoint.at:%Y-%m-%d %H:%M:%S} UTC has a bad signature "
                    "(forged, altered, or signed with another key)",
                )
            )
            continue
        by_seq.setdefault(checkpoint.seq, []).append(checkpoint)
    signed = sorted(by_seq)
    if signed:
        result.last_checkpoint_seq = signed[-1]
        result.last_checkpoint_at = by_seq[signed[-1]][-1].at

    expected, prev_hash = 1, chain.GENESIS_HASH
    last_good_checkpoint = 0
    for link in _links(limit, chunk):
        if link.seq < expected:
            problems.append(Problem(link.seq, "an event and the record of its purge both exist"))
            continue
        if link.seq > expected:
            problems.append(Problem(expected, f"missing: {_span(expected, link.seq - 1)} gone"))
        elif link.prev_hash != prev_hash:
            problems.append(
                Problem(
                    link.seq,
                    f"its prev_hash does not match the hash of seq {link.seq - 1} "
                    "(an event was removed, inserted or moved)",
                )
            )
        if link.event is not None:
            result.events += 1
            if link.event.computed_hash() != link.hash:
                problems.append(
                    Problem(link.seq, "its contents do not match its hash (changed after writing)")
                )
        elif link.purged is not None:
            result.purged += 1
            if not chain.signature_matches(key, link.purged.message(), link.purged.signature):
                problems.append(
                    Problem(link.seq, "the record of its purge has a bad signature (forged)")
                )
        for checkpoint in by_seq.get(link.seq, ()):
            if checkpoint.head_hash != link.hash:
                problems.append(
                    Problem(
                        link.seq,
                        f"its hash differs from the signed checkpoint of "
                        f"{checkpoint.at:%Y-%m-%d %H:%M:%S} UTC: the chain was rewritten "
                        f"between seq {last_good_checkpoint + 1} and {link.seq}",
                    )
                )
            else:
                last_good_checkpoint = link.seq
        expected, prev_hash = link.seq + 1, link.hash

    last = expected - 1
    result.head_seq, result.head_hash = last, prev_hash
    beyond = [seq for seq in signed if seq > last]
    if beyond:
        problems.append(
            Problem(
                last + 1,
                f"missing: a signed checkpoint shows the chain reached seq {beyond[-1]} "
                "(its tail was cut)",
            )
        )
    problems.sort()
    return result
