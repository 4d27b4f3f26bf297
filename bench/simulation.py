"""Monte-Carlo simulation: seconds to simulate 10,000 instances of a 30-step journey on one core.

The journey: ten steps in sequence, a parallel block of two five-step branches, an exclusive
choice between a five-step and a two-step branch (60/40), then three closing steps; three roles
take turns, one step in five is automatic. Durations are log-normal (mean 10 minutes, cv 0.5);
arrivals are Poisson; each role is staffed for about 80% utilisation (the offered load comes
from the graph kernels' batch firing). The figure is the best of three replications timed from
building the simulation graph to the finished summary (percentiles, utilisation, time series).
Budget: 2 s.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

from monitoring.simulation import graph as sg
from monitoring.simulation.distributions import DurationSpec
from monitoring.simulation.engine import Arrivals, Resource, Setup, replicate
from processes.bpmn.importer import import_definitions
from processes.engine.compiled import compile_process

INSTANCES = 10_000
STEPS = 30
BUDGET_SECONDS = 2.0
MEAN_SECONDS = 600.0
ARRIVALS_PER_HOUR = 30.0
TARGET_UTILISATION = 0.8


def _flow(flow_id: str, source: str, target: str) -> str:
    return f'<bpmn:sequenceFlow id="{flow_id}" sourceRef="{source}" targetRef="{target}"/>'


def journey_bpmn() -> str:
    """The 30-step benchmark journey (see the module docstring)."""
    body: list[str] = ['<bpmn:startEvent id="S"/>', '<bpmn:endEvent id="E"/>']
    flows: list[str] = []

    def step(number: int) -> str:
        if number % 5 == 4:
            body.append(f'<bpmn:serviceTask id="T{number}"/>')
        else:
            body.append(f'<bpmn:userTask id="T{number}" itn:role="role{number % 3}"/>')
        return f"T{number}"

    def chain(first: int, last: int, source: str) -> str:
        previous = source
        for number in range(first, last + 1):
            flows.append(_flow(f"F{len(flows)}", previous, step(number)))
            previous = f"T{number}"
        return previous

    tail = chain(0, 9, "S")
    body += [
        '<bpmn:parallelGateway id="Split"/>',
        '<bpmn:parallelGateway id="Join"/>',
        '<bpmn:exclusiveGateway id="Choice"/>',
        '<bpmn:exclusiveGateway id="Merge"/>',
    ]
    for source, target in (
        (tail, "Split"),
        (chain(10, 14, "Split"), "Join"),
        (chain(15, 19, "Split"), "Join"),
        ("Join", "Choice"),
        (chain(20, 24, "Choice"), "Merge"),
        (chain(25, 26, "Choice"), "Merge"),
        (chain(27, 29, "Merge"), "E"),
    ):
        flows.append(_flow(f"F{len(flows)}", source, target))
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"'
        ' xmlns:itn="urn:itinera:bpmn:1" id="Bench" targetNamespace="urn:itinera:bench">'
        f'<bpmn:process id="Bench30" isExecutable="true">{"".join(body + flows)}</bpmn:process>'
        "</bpmn:definitions>"
    )


def bench_setup(instances: int = INSTANCES) -> Setup:
    definitions = import_definitions(journey_bpmn())
    graph = sg.build_graph(compile_process(definitions, definitions.executable_process()))
    weights = {node: np.array([0.6, 0.4]) for node in graph.choices()}
    visits = sg.expected_visits(graph, weights, runs=20_000, seed=1)
    resources: dict[str, Resource] = {}
    for role in graph.roles():
        work_per_hour = sum(
            visits[n] * MEAN_SECONDS * ARRIVALS_PER_HOUR
            for n in range(graph.node_count)
            if graph.code[n] == sg.TASK and graph.role[n] == role
        )
        people = math.ceil(work_per_hour / 3600 / TARGET_UTILISATION)
        resources[role] = Resource(people)
    durations = [
        DurationSpec("lognormal", MEAN_SECONDS, cv=0.5)
        if code in sg.ACTIVITY_CODES
        else DurationSpec()
        for code in graph.code
    ]
    return Setup(
        graph=graph,
        durations=durations,
        weights=weights,
        resources=resources,
        arrivals=Arrivals(rate_per_hour=ARRIVALS_PER_HOUR),
        instances=instances,
    )


def measure(repeats: int = 3, instances: int = INSTANCES) -> dict[str, Any]:
    steps = len([1 for code in bench_setup(1).graph.code if code in sg.ACTIVITY_CODES])
    best = math.inf
    report: dict[str, Any] = {}
    for repeat in range(repeats):
        started = time.perf_counter()
        report = replicate(bench_setup(instances), replications=1, seed=repeat)
        best = min(best, time.perf_counter() - started)
    executions = sum(
        (row["visits_per_instance"] or 0) * report["completed"] for row in report["elements"]
    )
    return {
        "simulation_10k_instances_30_steps_s": round(best, 3),
        "details": {
            "simulation_steps": steps,
            "simulation_instances": instances,
            "simulation_steps_executed": int(executions),
            "simulation_us_per_step": round(best / max(executions, 1) * 1e6, 2),
            "simulation_utilisation_pct": {
                row["role"]: row["utilisation"]["mean"] for row in report["roles"]
            },
            "simulation_cycle_p50_s": report["cycle_time"]["p50"]["mean"],
            "simulation_budget_s": BUDGET_SECONDS,
        },
    }


if __name__ == "__main__":
    print(measure())
