"""Gives every request an audit context (client address, user agent, request id) and writes the
denied-access events it left waiting once its transaction is over."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from monitoring import context
from monitoring.services import audit_pending_flush

logger = logging.getLogger("itinera.audit")


class AuditContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        where = context.from_meta(request.META, settings.AUDIT_CLIENT_IP_HEADER)
        with context.bound(where):
            try:
                response = self.get_response(request)
            finally:
                if where.pending:
                    try:
                        audit_pending_flush(context=where)
                    except Exception:
                        logger.exception("could not write the request's denied-access events")
        response["X-Request-ID"] = where.request_id
        return response
