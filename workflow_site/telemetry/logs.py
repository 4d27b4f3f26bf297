"""The trace id on every log line: ``%(trace_id)s`` in a format, filled in by this filter."""

from __future__ import annotations

import logging


class TraceIdFilter(logging.Filter):
    """Sets ``record.trace_id``: the OpenTelemetry trace id, else the request id, else "-"."""

    def filter(self, record: logging.LogRecord) -> bool:
        if hasattr(record, "trace_id"):
            return True
        from workflow_site.telemetry import current_trace_id

        trace_id = current_trace_id(create=False)
        if not trace_id:
            # django.request logs a refused request after the middleware returned.
            meta = getattr(getattr(record, "request", None), "META", None)
            trace_id = meta.get("itinera.trace_id", "") if isinstance(meta, dict) else ""
        record.trace_id = trace_id or "-"
        return True
