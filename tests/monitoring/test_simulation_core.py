"""The simulation core against queueing theory, and its routing, calendars and determinism.

Tolerance of the queueing checks: the simulated mean wait is within 5% of the closed form over
200,000 instances (5,000 of warm-up left out) with a fixed seed; the observed error is about 2%.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from monitoring.simulation import graph as sg
from monitoring.simulation.distributions import DurationSpec
from monitoring.simulation.engine import (
    Arrivals,
    Resource,
    Setup,
    interval,
    replicate,
    simulate,
)
from monitoring.simulation.queueing import erlang_c, mm1_mean_wait, mmc_mean_wait
from monitoring.simulation.worktime import WEEK, WeekCalendar, office_hours
from tests.monitoring.simulation_support import choice_and_parallel, graph_of, sequence

TOLERANCE = 0.05


def single_queue(
    servers: int, arrival_rate: float, *, instances: int = 200_000, warmup: int = 5_000
) -> Setup:
    """One work item with exponential service (mean 1 s), Poisson arrivals."""
    graph = graph_of(sequence(1))
    durations = [
        DurationSpec("exponential", 1.0) if code == sg.TASK else DurationSpec()
        for code in graph.code
    ]
    return Setup(
        graph=graph,
        durations=durations,
        weights={},
        resources={"r0": Resource(servers)},
        arrivals=Arrivals(rate_per_hour=arrival_rate * 3600),
        instances=instances,
        warmup=warmup,
    )


def test_erlang_c_matches_known_values() -> None:
    assert erlang_c(1, 0.5) == pytest.approx(0.5)
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3)
    assert mm1_mean_wait(0.7, 1.0) == pytest.approx(0.7 / 0.3)
    assert mmc_mean_wait(0.7, 1.0, 1) == pytest.approx(mm1_mean_wait(0.7, 1.0))
    with pytest.raises(ValueError, match="below"):
        erlang_c(2, 2.0)


def test_mm1_mean_wait_matches_the_closed_form() -> None:
    report = replicate(single_queue(1, 0.7), replications=1, seed=11)
    (element,) = report["elements"]
    expected = mm1_mean_wait(0.7, 1.0)
    assert element["wait"]["mean"] == pytest.approx(expected, rel=TOLERANCE)
    (role,) = report["roles"]
    assert role["utilisation"]["mean"] == pytest.approx(70, abs=1.5)


@pytest.mark.parametrize(("servers", "arrival_rate"), [(3, 2.4), (5, 3.5)])
def test_mmc_mean_wait_matches_erlang_c(servers: int, arrival_rate: float) -> None:
    report = replicate(single_queue(servers, arrival_rate), replications=1, seed=5)
    (element,) = report["elements"]
    expected = mmc_mean_wait(arrival_rate, 1.0, servers)
    assert element["wait"]["mean"] == pytest.approx(expected, rel=TOLERANCE)
    (role,) = report["roles"]
    assert role["utilisation"]["mean"] == pytest.approx(arrival_rate / servers * 100, abs=1.5)


def test_the_same_seed_gives_the_same_answer_and_another_seed_another() -> None:
    setup = single_queue(2, 1.2, instances=3_000, warmup=100)
    first = replicate(setup, replications=3, seed=99)
    again = replicate(setup, replications=3, seed=99)
    other = replicate(setup, replications=3, seed=100)
    assert first == again
    assert first["cycle_time"] != other["cycle_time"]


def test_replications_give_a_confidence_interval_around_the_mean() -> None:
    report = replicate(single_queue(1, 0.5, instances=6_000, warmup=200), replications=8, seed=3)
    wait = report["elements"][0]["wait"]
    assert wait["low"] < wait["mean"] < wait["high"]
    # The closed form (1 s) lies inside the interval.
    assert wait["low"] <= mm1_mean_wait(0.5, 1.0) <= wait["high"]
    summary = interval([1.0, 2.0, 3.0])
    assert summary["mean"] == 2.0
    assert summary["half_width"] == pytest.approx(4.303 * 1.0 / math.sqrt(3), rel=1e-3)


def _setup_for_choice(weights: list[float], **overrides: object) -> Setup:
    graph = graph_of(choice_and_parallel())
    durations = [
        DurationSpec("fixed", seconds or 0.0, source="expectedDuration")
        for seconds in graph.expected_seconds
    ]
    x = graph.index("X")
    values: dict[str, object] = {
        "graph": graph,
        "durations": durations,
        "weights": {x: np.array(weights)},
        "resources": {"clerks": Resource(None), "experts": Resource(None)},
        "arrivals": Arrivals(rate_per_hour=6),
        "instances": 4_000,
        "sla_seconds": 7200.0,
    }
    values.update(overrides)
    return Setup(**values)  # type: ignore[arg-type,unused-ignore]


def test_branches_follow_their_weights_and_parallel_branches_both_run() -> None:
    setup = _setup_for_choice([0.3, 0.7], sla_seconds=3000.0)
    report = replicate(setup, replications=1, seed=1)
    visits = {row["element_id"]: row["visits_per_instance"] for row in report["elements"]}
    assert visits["B"] == pytest.approx(0.3, abs=0.03)
    assert visits["C"] == pytest.approx(0.7, abs=0.03)
    assert visits["A"] == visits["D"] == visits["F"] == 1
    # With nobody to wait for, an instance takes A + (B or C) + the longer parallel branch.
    big, small = 600 + 3600 + 1800, 600 + 300 + 1800
    assert report["cycle_time"]["p50"]["mean"] == small
    assert report["cycle_time"]["p99"]["mean"] == big
    # The SLA (50 min) is met exactly by the small cases.
    assert report["sla"]["compliance"]["mean"] == pytest.approx(visits["C"] * 100, abs=0.01)
    assert report["completed"] == 4_000


def test_the_graph_kernels_batch_firing_agrees_on_visits() -> None:
    setup = _setup_for_choice([0.25, 0.75])
    visits = sg.expected_visits(setup.graph, setup.weights, runs=20_000, seed=4)
    graph = setup.graph
    assert visits[graph.index("B")] == pytest.approx(0.25, abs=0.02)
    assert visits[graph.index("C")] == pytest.approx(0.75, abs=0.02)
    assert visits[graph.index("Join")] == pytest.approx(1.0)
    assert visits[graph.index("E")] == pytest.approx(1.0)


def test_higher_priority_work_waits_less() -> None:
    body = (
        '<bpmn:startEvent id="S"/><bpmn:exclusiveGateway id="X"/>'
        '<bpmn:userTask id="Urgent" itn:role="desk" itn:priority="90"/>'
        '<bpmn:userTask id="Routine" itn:role="desk" itn:priority="10"/>'
        '<bpmn:endEvent id="E1"/><bpmn:endEvent id="E2"/>'
        '<bpmn:sequenceFlow id="F0" sourceRef="S" targetRef="X"/>'
        '<bpmn:sequenceFlow id="F1" sourceRef="X" targetRef="Urgent"/>'
        '<bpmn:sequenceFlow id="F2" sourceRef="X" targetRef="Routine"/>'
        '<bpmn:sequenceFlow id="F3" sourceRef="Urgent" targetRef="E1"/>'
        '<bpmn:sequenceFlow id="F4" sourceRef="Routine" targetRef="E2"/>'
    )
    from tests.monitoring.simulation_support import process

    graph = graph_of(process(body))
    setup = Setup(
        graph=graph,
        durations=[DurationSpec("exponential", 1.0) for _ in graph.code],
        weights={graph.index("X"): np.array([0.5, 0.5])},
        resources={"desk": Resource(1)},
        arrivals=Arrivals(rate_per_hour=0.8 * 3600),
        instances=40_000,
        warmup=1_000,
    )
    report = replicate(setup, replications=1, seed=2)
    waits = {row["element_id"]: row["wait"]["mean"] for row in report["elements"]}
    # Non-preemptive priority, two classes of equal load (Cobham): W1 = W0/(1-ρ1),
    # W2 = W0/((1-ρ1)(1-ρ)) with W0 = ρ·E[S²]/(2E[S]) = 0.8.
    assert waits["Urgent"] == pytest.approx(0.8 / 0.6, rel=0.07)
    assert waits["Routine"] == pytest.approx(0.8 / (0.6 * 0.2), rel=0.07)
    assert report["bottlenecks"][0]["element_id"] == "Routine"


def test_people_work_only_in_their_working_hours() -> None:
    graph = graph_of(sequence(1))
    setup = Setup(
        graph=graph,
        durations=[DurationSpec("fixed", 3600.0) for _ in graph.code],
        weights={},
        resources={"r0": Resource(1, office_hours())},
        arrivals=Arrivals(kind="replay", times=(8 * 3600.0, 16.5 * 3600, 5 * 86400.0)),
        instances=3,
    )
    run = simulate(setup, np.random.default_rng(0))
    # Arrives Monday 08:00, worked 09:00-10:00; arrives 16:30, worked 16:30-17:00 and 09:00-09:30
    # on Tuesday; arrives on Saturday, worked Monday 09:00-10:00.
    assert run.finish.tolist() == [10 * 3600.0, 86400 + 9.5 * 3600, WEEK + 10 * 3600.0]


def test_week_calendar_arithmetic() -> None:
    calendar = office_hours()
    assert calendar.weekly == 40 * 3600
    assert calendar.working_before(9 * 3600) == 0
    assert calendar.working_before(10 * 3600) == 3600
    assert calendar.working_before(WEEK + 10 * 3600) == 41 * 3600
    assert calendar.add_working(16 * 3600, 3600) == 17 * 3600  # ends at the period's end
    assert calendar.add_working(16 * 3600, 7200) == 86400 + 10 * 3600
    assert calendar.next_working(18 * 3600) == 86400 + 9 * 3600
    assert calendar.next_working(5 * 86400) == WEEK + 9 * 3600
    moments = np.array([0, 9.5 * 3600, 3 * 86400 + 12 * 3600, WEEK * 2 + 1])
    assert calendar.working_before_many(moments).tolist() == [
        calendar.working_before(float(m)) for m in moments
    ]
    with pytest.raises(ValueError, match="sorted"):
        WeekCalendar(((10.0, 5.0),))


def test_replayed_arrivals_repeat_the_pattern_and_scale() -> None:
    arrivals = Arrivals(kind="replay", times=(100.0, 200.0, 400.0))
    moments = arrivals.moments(7, np.random.default_rng(0))
    assert moments.tolist() == [100, 200, 400, 550, 650, 850, 1000]
    faster = Arrivals(kind="replay", times=(0.0, 100.0), scale=2.0)
    assert faster.moments(2, np.random.default_rng(0)).tolist() == [0, 50]


def test_duration_distributions_have_their_means() -> None:
    rng = np.random.default_rng(8)
    for spec in (
        DurationSpec("exponential", 100.0),
        DurationSpec("lognormal", 100.0, cv=0.8),
        DurationSpec("empirical", values=(50.0, 150.0)),
        DurationSpec("fixed", 100.0),
    ):
        assert spec.sample(rng, 200_000).mean() == pytest.approx(100, rel=0.02)
    assert DurationSpec("fixed", 10.0).scaled(1.5).mean == 15
    with pytest.raises(ValueError, match="observed"):
        DurationSpec("empirical")


def test_a_setup_that_does_not_add_up_is_refused() -> None:
    setup = _setup_for_choice([0.5, 0.6])
    with pytest.raises(ValueError, match="sum to 1"):
        setup.check()
    setup = _setup_for_choice([0.5, 0.5], resources={"clerks": Resource(1)})
    with pytest.raises(ValueError, match="experts"):
        setup.check()


def test_inclusive_gateways_and_sub_processes_are_simulated_with_a_warning() -> None:
    from tests.monitoring.simulation_support import process

    body = (
        '<bpmn:startEvent id="S"/><bpmn:inclusiveGateway id="O"/>'
        '<bpmn:userTask id="A" itn:role="r"/><bpmn:subProcess id="Sub"/>'
        '<bpmn:endEvent id="E1"/><bpmn:endEvent id="E2"/>'
        '<bpmn:sequenceFlow id="F0" sourceRef="S" targetRef="O"/>'
        '<bpmn:sequenceFlow id="F1" sourceRef="O" targetRef="A"/>'
        '<bpmn:sequenceFlow id="F2" sourceRef="O" targetRef="Sub"/>'
        '<bpmn:sequenceFlow id="F3" sourceRef="A" targetRef="E1"/>'
        '<bpmn:sequenceFlow id="F4" sourceRef="Sub" targetRef="E2"/>'
    )
    graph = graph_of(process(body))
    assert graph.code[graph.index("O")] == sg.CHOICE
    assert graph.code[graph.index("Sub")] == sg.DELAY
    assert any(w.startswith("O:") for w in graph.warnings)
    assert any(w.startswith("Sub:") for w in graph.warnings)
