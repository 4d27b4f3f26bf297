"""The audit chain's arithmetic: canonical serialization, event hashes and HMAC signatures.

Plain values in and out (no ORM), so the writer, the verifier and the tests compute exactly the
same bytes.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

#: The ``prev_hash`` of the first event of a chain.
GENESIS_HASH = "0" * 64

#: Every stored column of an audit event, in the order the exports use; ``hash`` is computed
#: over all the others.
EVENT_COLUMNS = (
    "seq",
    "at",
    "actor_id",
    "actor_label",
    "type",
    "object_type",
    "object_id",
    "instance_id",
    "journey_id",
    "element_id",
    "ip",
    "user_agent",
    "request_id",
    "before",
    "after",
    "reason",
    "prev_hash",
)

# Integral floats beyond this cannot be told from integers once PostgreSQL's jsonb (which keeps
# numbers as ``numeric``) has stored and printed them, so they are kept as text.
_EXACT_FLOAT_LIMIT = 2**53


def timestamp(moment: datetime) -> str:
    """A datetime as the chain writes it: ISO 8601 in UTC, always with microseconds."""
    if moment.tzinfo is None:
        raise ValueError("audit timestamps must be timezone-aware")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def plain(value: Any) -> Any:
    """``value`` as JSON that reads back identically from SQLite and from PostgreSQL's jsonb.

    Keys become strings, tuples lists, datetimes ISO text; NUL characters (which PostgreSQL
    text cannot hold) are replaced; floats jsonb would print differently become ints or text.
    """
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        if value.is_integer():
            return int(value) if abs(value) < _EXACT_FLOAT_LIMIT else repr(value)
        return value
    if isinstance(value, datetime):
        return timestamp(value) if value.tzinfo is not None else value.isoformat()
    if isinstance(value, Mapping):
        return {plain(str(key)): plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=repr) if isinstance(value, set | frozenset) else value
        return [plain(item) for item in items]
    return plain(str(value))


def canonical(fields: Mapping[str, Any]) -> bytes:
    """The bytes an event's hash is computed over: every column but ``hash``, keys sorted."""
    values = {name: fields[name] for name in EVENT_COLUMNS}
    values["at"] = timestamp(values["at"])
    return json.dumps(
        values, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    ).encode("utf-8")


def event_hash(fields: Mapping[str, Any]) -> str:
    """The SHA-256 of the event's canonical serialization (which includes ``prev_hash``)."""
    return hashlib.sha256(canonical(fields)).hexdigest()


def sign(key: str, message: str) -> str:
    """HMAC-SHA256 of ``message`` under the audit signing key."""
    return hmac.new(key.encode("utf-8"), message.encode("utf-8"), hashlib.sha256).hexdigest()


def signature_matches(key: str, message: str, signature: str) -> bool:
    return hmac.compare_digest(sign(key, message), signature)


def checkpoint_message(*, seq: int, head_hash: str, at: datetime) -> str:
    """What a checkpoint signs: the chain reached ``seq`` with ``head_hash`` at ``at``."""
    return f"itinera-audit-checkpoint:{seq}:{head_hash}:{timestamp(at)}"


def purged_link_message(*, seq: int, prev_hash: str, hash: str, purge_seq: int) -> str:
    """What the record of a purged event signs: its link in the chain and the purge that
    removed it (the ``audit.purged`` event at ``purge_seq``)."""
    return f"itinera-audit-purged:{seq}:{prev_hash}:{hash}:{purge_seq}"
