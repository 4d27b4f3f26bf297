"""Run the benchmarks and write ``bench/results/latest.json`` plus a readable table.

Usage: ``python -m bench.run [--only graph] [--json PATH]``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import (
    api_http,
    celery_jobs,
    durable,
    engine_core,
    graph_kernels,
    peers,
    pgbench,
    scale,
    telemetry_overhead,
    ws_fanout,
)
from bench import rules as rules_bench
from bench import simulation as simulation_bench

RESULTS = Path(__file__).resolve().parent / "results" / "latest.json"
MEASUREMENTS: dict[str, Callable[[], dict[str, Any]]] = {
    "pgbench": pgbench.measure,  # the machine's calibration, first
    "graph": graph_kernels.measure,
    "engine": engine_core.measure,
    "durable": durable.measure,
    "rules": rules_bench.measure,
    "simulation": simulation_bench.measure,
    "api": api_http.measure,
    "ws": ws_fanout.measure,
    "celery": celery_jobs.measure,
    "scale": scale.measure,
    "telemetry": telemetry_overhead.measure,
    "peers": peers.measure,
}


def machine() -> dict[str, Any]:
    return {
        "nproc": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", default=",".join(MEASUREMENTS), help="comma-separated subset")
    parser.add_argument("--json", type=Path, default=RESULTS, help="where to write the results")
    arguments = parser.parse_args(argv)
    chosen = [name.strip() for name in arguments.only.split(",") if name.strip()]
    unknown = sorted(set(chosen) - set(MEASUREMENTS))
    if unknown:
        parser.error(f"unknown measurement(s) {unknown}; choose from {sorted(MEASUREMENTS)}")

    report: dict[str, Any] = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "details": {},
    }
    for name in chosen:
        results = MEASUREMENTS[name]()
        report["details"].update(results.pop("details", {}))
        report.update(results)
    if "peers" in chosen:
        report.update({f"ratio_{name}": value for name, value in peers.ratios(report).items()})
    arguments.json.parent.mkdir(parents=True, exist_ok=True)
    arguments.json.write_text(json.dumps(report, indent=2) + "\n")

    width = max(len(key) for key in report)
    for key, value in report.items():
        if key not in ("details", "machine", "started_at"):
            print(f"{key:<{width}}  {value}")
    print(f"written to {arguments.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
