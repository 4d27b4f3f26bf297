"""Where an action comes from: the client address, user agent and request id of the request
being served, kept in a context variable the audit service reads."""

from __future__ import annotations

import ipaddress
import re
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

USER_AGENT_LENGTH = 300
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")


@dataclass
class RequestContext:
    ip: str = ""
    user_agent: str = ""
    request_id: str = ""
    #: Denied-access events waiting for the request's transaction to end (see
    #: ``monitoring.services.audit_access_denied``).
    pending: list[dict[str, Any]] = field(default_factory=list)


_current: ContextVar[RequestContext | None] = ContextVar("itinera_audit_request", default=None)


def current() -> RequestContext | None:
    return _current.get()


@contextmanager
def bound(context: RequestContext) -> Iterator[RequestContext]:
    """Make ``context`` the current one for the duration of the block."""
    token = _current.set(context)
    try:
        yield context
    finally:
        _current.reset(token)


def client_ip(meta: Mapping[str, Any], header: str = "") -> str:
    """The client's address: ``REMOTE_ADDR``, or the last address of ``header`` (the one the
    trusted proxy in front appended) when the deployment names one. Blank if not an address."""
    raw = str(meta.get("REMOTE_ADDR") or "")
    if header and meta.get(header):
        raw = str(meta[header]).split(",")[-1]
    try:
        return str(ipaddress.ip_address(raw.strip()))
    except ValueError:
        return ""


def request_id(supplied: str | None) -> str:
    """The caller's ``X-Request-ID`` if it is a sane token, otherwise a new one."""
    if supplied and _REQUEST_ID.fullmatch(supplied):
        return supplied
    return uuid.uuid4().hex


def from_meta(meta: Mapping[str, Any], header: str = "") -> RequestContext:
    return RequestContext(
        ip=client_ip(meta, header),
        user_agent=str(meta.get("HTTP_USER_AGENT") or "")[:USER_AGENT_LENGTH],
        request_id=request_id(meta.get("HTTP_X_REQUEST_ID")),
    )
