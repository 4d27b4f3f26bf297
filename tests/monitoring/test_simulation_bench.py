"""The simulation benchmark's journey and harness (a small run; the timing is bench/'s job)."""

from __future__ import annotations

from bench import simulation
from monitoring.simulation import graph as sg


def test_the_benchmark_journey_has_thirty_steps_and_runs_to_completion() -> None:
    setup = simulation.bench_setup(50)
    assert len(setup.graph.activities()) == 30
    assert {setup.graph.code[n] for n in range(setup.graph.node_count)} >= {
        sg.SPLIT,
        sg.JOIN,
        sg.CHOICE,
    }
    result = simulation.measure(repeats=1, instances=200)
    assert result["simulation_10k_instances_30_steps_s"] > 0
    details = result["details"]
    assert details["simulation_instances"] == 200
    # Every instance runs the 10 + 10 + 3 common steps and 5 or 2 on the choice.
    assert 200 * 25 <= details["simulation_steps_executed"] <= 200 * 28
