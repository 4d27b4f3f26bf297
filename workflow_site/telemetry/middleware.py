"""Every error response names its trace id (``X-Trace-Id``), the id its log lines carry."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from workflow_site.telemetry import current_trace_id

REQUEST_KEY = "itinera.trace_id"


class TraceIdMiddleware:
    """Runs inside ``AuditContextMiddleware``, so the request id is known when tracing is off."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # Kept on the request for the lines Django logs after the middleware has returned.
        trace_id = request.META[REQUEST_KEY] = current_trace_id()
        response = self.get_response(request)
        if response.status_code >= 400 and "X-Trace-Id" not in response:
            response["X-Trace-Id"] = trace_id
        return response
