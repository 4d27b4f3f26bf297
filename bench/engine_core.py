"""The engine core in memory: µs per task completion on the peers' seq10 and par10 processes.

Measured as SpiffWorkflow's in-memory peer is: whole instances (start, then every work item
completed in turn) in batches of 20, median batch time per instance divided by the 10 tasks.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

from processes.bpmn.importer import import_definitions
from processes.engine.core import Engine, snapshot

TASKS = 10
NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"


def make_bpmn(shape: str) -> str:
    """seq10: start -> t0..t9 -> end.  par10: start -> split -> t0..t9 -> join -> end."""
    nodes = ['<bpmn:startEvent id="start"/>', '<bpmn:endEvent id="end"/>']
    nodes += [f'<bpmn:userTask id="t{i}" name="t{i}"/>' for i in range(TASKS)]
    edges: list[tuple[str, str]] = []
    if shape == "seq10":
        names = ["start", *(f"t{i}" for i in range(TASKS)), "end"]
        edges = list(zip(names, names[1:], strict=False))
    elif shape == "par10":
        nodes += ['<bpmn:parallelGateway id="split"/>', '<bpmn:parallelGateway id="join"/>']
        edges = [("start", "split"), ("join", "end")]
        for i in range(TASKS):
            edges += [("split", f"t{i}"), (f"t{i}", "join")]
    else:
        raise ValueError(shape)
    flows = [
        f'<bpmn:sequenceFlow id="f_{a}_{b}" sourceRef="{a}" targetRef="{b}"/>' for a, b in edges
    ]
    return (
        f'<bpmn:definitions xmlns:bpmn="{NS}" id="defs" targetNamespace="urn:bench">'
        f'<bpmn:process id="proc" isExecutable="true">{"".join(nodes)}{"".join(flows)}'
        "</bpmn:process></bpmn:definitions>"
    )


def run_instance(engine: Engine, order: list[dict[str, Any]]) -> None:
    state, _ = engine.start()
    for event in order:
        engine.fire(state, event)
    if state.status != "completed":
        raise AssertionError(f"instance ended {state.status}: {snapshot(engine, state)}")


def measure_shape(shape: str, seconds: float, batch: int = 20) -> dict[str, float]:
    engine = Engine(import_definitions(make_bpmn(shape)))
    order = [{"complete": f"t{i}"} for i in range(TASKS)]
    run_instance(engine, order)  # warm-up and check
    samples: list[float] = []
    end = time.perf_counter() + seconds
    while time.perf_counter() < end or len(samples) < 3:
        start = time.perf_counter()
        for _ in range(batch):
            run_instance(engine, order)
        samples.append((time.perf_counter() - start) / batch)
    per_instance = statistics.median(samples)
    return {"us_per_completion": per_instance * 1e6 / TASKS, "instances": len(samples) * batch}


def measure(seconds: float = 3.0) -> dict[str, Any]:
    results: dict[str, Any] = {"details": {"engine": {}}}
    for shape in ("seq10", "par10"):
        figures = measure_shape(shape, seconds)
        results[f"engine_us_per_completion_{shape}"] = round(figures["us_per_completion"], 2)
        results["details"]["engine"][shape] = figures
    return results
