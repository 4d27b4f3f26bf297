"""Every write to the audit trail: appending events to the chain, checkpoints, retention, the purge.

An event is appended inside the caller's transaction, so it commits or rolls back with the change
it records. Appending takes the chain lock, held until that transaction ends, so concurrent writers
take turns and never fork the chain; it should be the last lock a transaction takes (services that
update a shared row, such as a role, record their event before the update).
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from monitoring import chain
from monitoring.context import RequestContext, current
from monitoring.models import (
    AuditCheckpoint,
    AuditEvent,
    AuditPurgedEvent,
    JourneyRetention,
)
from workflow_site import statements
from workflow_site.errors import ApplicationError, ConflictError

if TYPE_CHECKING:
    from processes.models import Journey

logger = logging.getLogger("itinera.audit")
P = ParamSpec("P")
R = TypeVar("R")

SYSTEM = "system"
ANONYMOUS = "anonymous"
REDACTED = "[redacted]"
#: Values under keys like these never reach the audit trail.
SECRET_KEY_NAMES = re.compile(
    r"pass(word|phrase)?|secret|token|api[_-]?key|private[_-]?key|authori[sz]ation|credential"
    r"|cookie|session|signature|csrf|otp",
    re.IGNORECASE,
)
#: Longer strings are cut; a before/after larger than ``MAX_CHANGE_CHARS`` keeps its keys only.
MAX_TEXT_CHARS = 2000
MAX_CHANGE_CHARS = 32_000
_MISSING = object()
#: The PostgreSQL advisory lock that serialises appends to the chain.
CHAIN_LOCK = 7_424_178_113


# ---------------------------------------------------------------------------------------------
# Appending
# ---------------------------------------------------------------------------------------------


def _actor(actor: Any) -> tuple[int | None, str]:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return None, SYSTEM
    return actor.pk, str(actor.get_username())[:150]


def _redacted(value: Any) -> Any:
    """``value`` without secrets: values of secret-looking keys replaced, long text cut."""
    if isinstance(value, Mapping):
        return {
            key: REDACTED if SECRET_KEY_NAMES.search(str(key)) else _redacted(item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [_redacted(item) for item in value]
    if isinstance(value, str) and len(value) > MAX_TEXT_CHARS:
        return value[:MAX_TEXT_CHARS] + "…"
    return value


def _diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> tuple[dict, dict]:
    """Only what changed: keys equal on both sides are dropped, nested objects compared by key."""
    old: dict[str, Any] = {}
    new: dict[str, Any] = {}
    for key in [*before, *(key for key in after if key not in before)]:
        was, now = before.get(key, _MISSING), after.get(key, _MISSING)
        if was == now:
            continue
        if isinstance(was, Mapping) and isinstance(now, Mapping):
            old[key], new[key] = _diff(was, now)
            continue
        if was is not _MISSING:
            old[key] = was
        if now is not _MISSING:
            new[key] = now
    return old, new


def _bounded(change: dict[str, Any]) -> dict[str, Any]:
    if len(repr(change)) <= MAX_CHANGE_CHARS:
        return change
    return {"truncated": True, "keys": sorted(change)}


def _chain_tip() -> tuple[int, str]:
    """The last link of the chain, an event or the record of a purged one: its seq and hash
    (0 and the genesis hash when the chain is empty)."""
    if connection.vendor == "postgresql":
        # One round trip for both tables (each read through its primary key index).
        events, purged = AuditEvent._meta.db_table, AuditPurgedEvent._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"(SELECT seq, hash FROM {events} ORDER BY seq DESC LIMIT 1) UNION ALL "  # noqa: S608 - table names from the models
                f"(SELECT seq, hash FROM {purged} ORDER BY seq DESC LIMIT 1)"
            )
            links = cursor.fetchall()
    else:
        links = [
            model.objects.order_by("-seq").values_list("seq", "hash").first()
            for model in (AuditEvent, AuditPurgedEvent)
        ]
    return max((tuple(link) for link in links if link is not None), default=(0, chain.GENESIS_HASH))


def _locked_tip() -> tuple[int, str]:
    """Take the chain lock until the caller's transaction ends, then read the tip.

    On PostgreSQL an advisory transaction lock (no row is updated, so a transaction may append
    many events cheaply); on SQLite the write transaction already holds the database's lock
    (IMMEDIATE mode). Were the lock ever missing, the unique ``seq`` would refuse the second of
    two events claiming one place: an error, never a fork.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK])
    return _chain_tip()


def audit_record(
    *,
    type: str,
    actor: Any = None,
    actor_label: str = "",
    object_type: str = "",
    object_id: Any = "",
    instance_id: int | None = None,
    journey_id: int | None = None,
    element_id: str = "",
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    reason: str = "",
    context: RequestContext | None = None,
) -> AuditEvent:
    """Append one event to the chain, in the caller's transaction.

    ``actor`` is the user who acted (None for the system); ``before``/``after`` are the values
    of the fields the action changed (unchanged keys are dropped, secrets redacted); where the
    request came from is read from the current request context. Takes the chain lock.
    """
    where = context or current() or RequestContext()
    actor_id, label = _actor(actor)
    old, new = _diff(_redacted(before or {}), _redacted(after or {}))
    fields: dict[str, Any] = {
        "seq": 0,
        "at": timezone.now(),
        "actor_id": actor_id,
        "actor_label": (actor_label or label)[:150],
        "type": type,
        "object_type": object_type[:32],
        "object_id": str(object_id)[:200],
        "instance_id": instance_id,
        "journey_id": journey_id,
        "element_id": element_id[:200],
        "ip": where.ip,
        "user_agent": where.user_agent,
        "request_id": where.request_id,
        "before": chain.plain(_bounded(old)),
        "after": chain.plain(_bounded(new)),
        "reason": chain.plain(str(reason or ""))[:MAX_TEXT_CHARS],
        "prev_hash": "",
    }
    batch: list[tuple[AuditEvent, dict[str, Any]]] | None = getattr(connection, BATCH, None)
    if batch is not None:
        event = AuditEvent(**fields)
        batch.append((event, fields))
        return event
    with transaction.atomic():
        _link(fields, _locked_tip())
        return AuditEvent.objects.create(**fields)


def _link(fields: dict[str, Any], tip: tuple[int, str]) -> tuple[int, str]:
    """Give an event its place after ``tip`` and its hash; the new tip."""
    fields["seq"], fields["prev_hash"] = tip[0] + 1, tip[1]
    fields["hash"] = chain.event_hash(fields)
    return fields["seq"], fields["hash"]


#: Where the events of an open ``audit_batch`` wait, on the database connection they belong to.
BATCH = "itinera_audit_batch"


@contextmanager
def audit_batch() -> Iterator[None]:
    """Append the audit events recorded in the block together when it ends: one chain lock, one
    read of the tip and one INSERT instead of one of each per event, and the chain lock (which
    every writer waits for) taken as late as possible and held the shortest.

    Use it inside the transaction whose changes the events record (under ``transaction.atomic``):
    the events commit or roll back with it. A nested batch joins the outermost one; when the
    block raises, the events it recorded are dropped (its changes roll back too).
    """
    pending: list[tuple[AuditEvent, dict[str, Any]]] | None = getattr(connection, BATCH, None)
    if pending is not None:
        mark = len(pending)
        try:
            yield
        except BaseException:
            del pending[mark:]
            raise
        return
    pending = []
    setattr(connection, BATCH, pending)
    try:
        yield
        setattr(connection, BATCH, None)
        if pending:
            with transaction.atomic(savepoint=False):
                tip = _locked_tip()
                for event, fields in pending:
                    tip = _link(fields, tip)
                    event.seq, event.prev_hash, event.hash = tip[0], fields["prev_hash"], tip[1]
                statements.insert([event for event, _ in pending])
    finally:
        setattr(connection, BATCH, None)


def audit_batched(function: Callable[P, R]) -> Callable[P, R]:
    """``function`` in a transaction whose audit events are appended together at its end."""

    @functools.wraps(function)
    def batched(*args: P.args, **kwargs: P.kwargs) -> R:
        with transaction.atomic(), audit_batch():
            return function(*args, **kwargs)

    return batched


def audit_access_denied(
    *,
    user: Any,
    object_type: str,
    object_id: Any,
    instance_id: int | None = None,
    journey_id: int | None = None,
) -> None:
    """Record that ``user`` asked for an object that exists but that they may not see.

    The request answers 404 and its transaction usually rolls back, which would take the event
    with it: inside a request's transaction the event waits in the request context and is
    written by the middleware once the response is made; outside a transaction it is written at
    once, in a transaction of its own.
    """
    event = {
        "type": "access.denied",
        "actor": user,
        "actor_label": "" if getattr(user, "is_authenticated", False) else ANONYMOUS,
        "object_type": object_type,
        "object_id": object_id,
        "instance_id": instance_id,
        "journey_id": journey_id,
    }
    where = current()
    if where is not None and connection.in_atomic_block:
        where.pending.append(event)
        return
    audit_record(**event)


def audit_pending_flush(*, context: RequestContext) -> int:
    """Write the events a request left waiting (denied accesses), each in its own transaction."""
    written = 0
    while context.pending:
        event = context.pending.pop(0)
        audit_record(**event, context=context)
        written += 1
    return written


# ---------------------------------------------------------------------------------------------
# Checkpoints
# ---------------------------------------------------------------------------------------------


@transaction.atomic
def audit_checkpoint_create(*, now: datetime | None = None) -> AuditCheckpoint | None:
    """Sign the chain's current head and store it apart from the chain; None when it is empty.

    Reads the committed tip without taking the chain lock, so writers are never held up.
    """
    seq, head_hash = _chain_tip()
    if seq == 0:
        return None
    existing = AuditCheckpoint.objects.filter(seq=seq).first()
    if existing is not None:
        return existing
    at = now or timezone.now()
    checkpoint = AuditCheckpoint(
        seq=seq,
        head_hash=head_hash,
        at=at,
        signature=chain.sign(
            settings.AUDIT_SIGNING_KEY,
            chain.checkpoint_message(seq=seq, head_hash=head_hash, at=at),
        ),
    )
    try:
        with transaction.atomic():
            checkpoint.save(force_insert=True)
    except IntegrityError:  # another process signed the same head meanwhile
        return AuditCheckpoint.objects.get(seq=seq)
    logger.info(
        "audit checkpoint seq=%s hash=%s signature=%s", seq, head_hash, checkpoint.signature
    )
    return checkpoint


def audit_checkpoint_due(now: datetime) -> int:
    """The sweep: sign the head when enough events or enough time passed since the last
    checkpoint (``AUDIT_CHECKPOINT_EVERY`` events, ``AUDIT_CHECKPOINT_SECONDS``)."""
    seq, _ = _chain_tip()
    last = AuditCheckpoint.objects.order_by("-seq").values_list("seq", "at").first()
    if seq == 0 or (last is not None and last[0] >= seq):
        return 0
    due = (
        last is None
        or seq - last[0] >= settings.AUDIT_CHECKPOINT_EVERY
        or last[1] <= now - timedelta(seconds=settings.AUDIT_CHECKPOINT_SECONDS)
    )
    if not due:
        return 0
    return 1 if audit_checkpoint_create(now=now) is not None else 0


# ---------------------------------------------------------------------------------------------
# Retention, legal hold, purge
# ---------------------------------------------------------------------------------------------
# The events about retention itself (audit.*) name the journey as their object but carry no
# journey_id: purging a journey's events must not remove the record of its retention and purges.


def _check_may_manage_retention(actor: Any) -> None:
    """People need the permission; ``None`` is the operator at the shell (``manage.py audit``)."""
    if actor is not None and not (
        actor.is_active and actor.has_perm("monitoring.change_journeyretention")
    ):
        raise ApplicationError(
            "permission_denied",
            "You are not allowed to change audit retention.",
            details={"permission": "monitoring.change_journeyretention"},
        )


def _retention_state(retention: JourneyRetention) -> dict[str, Any]:
    return {
        "retention_days": retention.retention_days,
        "legal_hold": retention.legal_hold,
    }


def _locked_retention(journey: Journey) -> JourneyRetention:
    JourneyRetention.objects.bulk_create([JourneyRetention(journey=journey)], ignore_conflicts=True)
    return JourneyRetention.objects.select_for_update().get(journey=journey)


@transaction.atomic
def journey_retention_set(
    *, actor: Any, journey: Journey, retention_days: int | None
) -> JourneyRetention:
    """Keep the journey's audit events ``retention_days`` days (None: for ever)."""
    _check_may_manage_retention(actor)
    if retention_days is not None and (isinstance(retention_days, bool) or retention_days < 1):
        raise ApplicationError(
            "invalid", "Retention is a number of days, at least 1.", field="retention_days"
        )
    retention = _locked_retention(journey)
    before = _retention_state(retention)
    retention.retention_days = retention_days
    retention.updated_at, retention.updated_by = timezone.now(), actor
    retention.save(update_fields=["retention_days", "updated_at", "updated_by"])
    audit_record(
        type="audit.retention_set",
        actor=actor,
        object_type="journey",
        object_id=journey.pk,
        before=before,
        after=_retention_state(retention),
    )
    return retention


@transaction.atomic
def journey_legal_hold_set(
    *, actor: Any, journey: Journey, hold: bool, reason: str
) -> JourneyRetention:
    """Place (``hold``) or release a legal hold: while it holds, none of the journey's audit
    events are purged. Either way a reason is required."""
    _check_may_manage_retention(actor)
    if not isinstance(reason, str) or not reason.strip():
        raise ApplicationError("required", "Say why.", field="reason")
    retention = _locked_retention(journey)
    before = _retention_state(retention)
    retention.legal_hold = hold
    retention.legal_hold_reason = reason.strip()
    retention.updated_at, retention.updated_by = timezone.now(), actor
    retention.save(update_fields=["legal_hold", "legal_hold_reason", "updated_at", "updated_by"])
    audit_record(
        type="audit.legal_hold_placed" if hold else "audit.legal_hold_released",
        actor=actor,
        object_type="journey",
        object_id=journey.pk,
        before=before,
        after=_retention_state(retention),
        reason=reason.strip(),
    )
    return retention


@dataclass(frozen=True)
class PurgeOutcome:
    journey_key: str
    purged: int
    through_seq: int | None
    held: bool = False


def _allow_purge(allowed: bool) -> None:
    """Tell the PostgreSQL trigger that this transaction may delete audit events (or no more)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT set_config('itinera.audit_purge', %s, true)", ["on" if allowed else "off"]
            )


PURGE_BATCH = 1000


@transaction.atomic
def audit_purge_journey(
    *, actor: Any, journey: Journey, now: datetime | None = None, reason: str = ""
) -> PurgeOutcome:
    """Delete the journey's audit events older than its retention, by checkpointed segment.

    Only events up to the newest checkpoint signed before the retention cut-off go (so every
    purged event lies in a segment whose head is signed). Each leaves a signed record of its
    link, so the chain still verifies; the purge is itself recorded as an ``audit.purged``
    event, and the new head is checkpointed. A legal hold refuses the purge.
    """
    retention = JourneyRetention.objects.select_for_update().filter(journey=journey).first()
    if retention is None or retention.retention_days is None:
        raise ApplicationError(
            "no_retention",
            f"The journey {journey.key!r} keeps its audit events for ever.",
            field="journey",
        )
    if retention.legal_hold:
        raise ConflictError(
            "legal_hold",
            f"The journey {journey.key!r} is under a legal hold: {retention.legal_hold_reason}",
            field="journey",
        )
    moment = now or timezone.now()
    cutoff = moment - timedelta(days=retention.retention_days)
    boundary = (
        AuditCheckpoint.objects.filter(at__lte=cutoff).order_by("-seq").values_list("seq").first()
    )
    if boundary is None:
        return PurgeOutcome(journey.key, 0, None)
    through = boundary[0]
    doomed = AuditEvent.objects.filter(journey_id=journey.pk, seq__lte=through)
    purge_seq = _locked_tip()[0] + 1
    key = settings.AUDIT_SIGNING_KEY
    purged = 0
    first_seq: int | None = None
    _allow_purge(True)
    while True:
        batch = list(
            doomed.order_by("seq").values_list("seq", "at", "type", "prev_hash", "hash")[
                :PURGE_BATCH
            ]
        )
        if not batch:
            break
        AuditPurgedEvent.objects.bulk_create(
            [
                AuditPurgedEvent(
                    seq=seq,
                    at=at,
                    type=type_,
                    journey_id=journey.pk,
                    prev_hash=prev_hash,
                    hash=hash_,
                    purge_seq=purge_seq,
                    signature=chain.sign(
                        key,
                        chain.purged_link_message(
                            seq=seq, prev_hash=prev_hash, hash=hash_, purge_seq=purge_seq
                        ),
                    ),
                )
                for seq, at, type_, prev_hash, hash_ in batch
            ]
        )
        AuditEvent.objects.filter(seq__in=[row[0] for row in batch]).delete()
        first_seq = batch[0][0] if first_seq is None else first_seq
        purged += len(batch)
    _allow_purge(False)
    if purged == 0:
        return PurgeOutcome(journey.key, 0, through)
    event = audit_record(
        type="audit.purged",
        actor=actor,
        object_type="journey",
        object_id=journey.pk,
        after={
            "journey": journey.key,
            "events": purged,
            "first_seq": first_seq,
            "through_seq": through,
            "retention_days": retention.retention_days,
        },
        reason=reason,
    )
    if event.seq != purge_seq:  # pragma: no cover - the chain lock is held throughout
        raise RuntimeError("the audit chain moved during a purge")
    audit_checkpoint_create()
    return PurgeOutcome(journey.key, purged, through)


def audit_purge(
    *, actor: Any, journey: Journey | None = None, now: datetime | None = None, reason: str = ""
) -> list[PurgeOutcome]:
    """Purge one journey (refused under a legal hold), or every journey with a retention
    period, skipping those under a legal hold. One transaction per journey."""
    if journey is not None:
        return [audit_purge_journey(actor=actor, journey=journey, now=now, reason=reason)]
    outcomes = []
    policies = JourneyRetention.objects.filter(retention_days__isnull=False).select_related(
        "journey"
    )
    for policy in policies.order_by("journey__key"):
        try:
            outcomes.append(
                audit_purge_journey(actor=actor, journey=policy.journey, now=now, reason=reason)
            )
        except ConflictError:
            outcomes.append(PurgeOutcome(policy.journey.key, 0, None, held=True))
    return outcomes
