"""What the telemetry helpers cost a service call, off (the default) and on (an in-memory SDK).

A decorated no-op function with one ``annotate`` inside, and one counter ``add``, timed against
the same plain function; ns per call, best of several rounds. Off, the difference is what every
``process.advance``, ``task.complete`` and ``process.start`` pays when telemetry is not configured.

``python -m bench.telemetry_overhead [--quick]``
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from typing import Any


def _best_ns(call: Callable[[], object], calls: int, rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        began = time.perf_counter_ns()
        for _ in range(calls):
            call()
        best = min(best, (time.perf_counter_ns() - began) / calls)
    return best


def _figures(calls: int, rounds: int) -> dict[str, float]:
    from workflow_site import telemetry

    def plain(kind: str) -> str:
        return kind

    @telemetry.traced("process.advance")
    def traced(kind: str) -> str:
        telemetry.annotate(instance_id=1, event_kind=kind)
        return kind

    def counted() -> None:
        telemetry.add("itinera.process.starts", journey_key="bench")

    base = _best_ns(lambda: plain("timer"), calls, rounds)
    return {
        "traced_call_ns": round(_best_ns(lambda: traced("timer"), calls, rounds) - base, 1),
        "counter_add_ns": round(_best_ns(counted, calls, rounds), 1),
    }


def measure(calls: int = 200_000, rounds: int = 5) -> dict[str, Any]:
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workflow_site.settings.dev")
    import django

    django.setup()
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from opentelemetry.sdk.trace import TracerProvider

    from workflow_site.telemetry import providers, runtime

    if runtime.on:
        return {"details": {"telemetry": {"skipped": "telemetry is configured in this process"}}}
    off = _figures(calls, rounds)
    tracer_provider, meter_provider = TracerProvider(), MeterProvider([InMemoryMetricReader()])
    providers.install(
        tracer_provider=tracer_provider, meter_provider=meter_provider, instrument_libraries=False
    )
    try:
        on = _figures(max(1, calls // 20), rounds)
    finally:
        providers.uninstall()
        tracer_provider.shutdown()
        meter_provider.shutdown()
    return {
        "telemetry_off_ns_per_traced_call": off["traced_call_ns"],
        "details": {"telemetry": {"off": off, "on_in_memory": on, "calls": calls}},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="20,000 calls per round")
    arguments = parser.parse_args(argv)
    print(json.dumps(measure(20_000 if arguments.quick else 200_000), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
