"""The Prometheus scrape endpoint ``/metrics`` and the page shown for a server error.

``/metrics`` is served when ``OTEL_METRICS_EXPORTER`` includes ``prometheus`` (404 otherwise). A
scraper sends ``Authorization: Bearer <ITINERA_METRICS_TOKEN>``; a signed-in staff user may read
it in the browser. Anyone else gets a 401. The figures are those of the process that answers
(plus the queue depths, read from the database and the broker).
"""

from __future__ import annotations

import hmac
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.template import loader
from django.views.decorators.http import require_GET

from workflow_site.telemetry import current_trace_id, runtime


def _bearer_allowed(request: HttpRequest) -> bool:
    expected = str(getattr(settings, "METRICS_BEARER_TOKEN", "") or "")
    scheme, _, supplied = request.headers.get("Authorization", "").partition(" ")
    return bool(
        expected
        and scheme.lower() == "bearer"
        and hmac.compare_digest(supplied.strip().encode(), expected.encode())
    )


@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    if not runtime.prometheus:
        raise Http404("Prometheus export is off (OTEL_METRICS_EXPORTER=prometheus turns it on).")
    user = getattr(request, "user", None)
    if not (_bearer_allowed(request) or (user is not None and user.is_active and user.is_staff)):
        response = HttpResponse("Send the metrics bearer token.\n", status=401)
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        response["Content-Type"] = "text/plain; charset=utf-8"
        return response
    from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

    return HttpResponse(generate_latest(REGISTRY), content_type=CONTENT_TYPE_LATEST)


def server_error(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """The 500 page, with the trace id to quote (no request context is trusted here)."""
    trace_id = current_trace_id()
    body = loader.get_template("500.html").render({"trace_id": trace_id})
    response = HttpResponse(body, status=500)
    response["X-Trace-Id"] = trace_id
    return response
