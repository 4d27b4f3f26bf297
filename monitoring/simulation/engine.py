"""The discrete-event simulation of a journey: instances arrive, tokens move through the graph,
work items wait in their role's queue (highest priority first, then first come, first served)
for a free person, who works on them in working time; gateways take no time.

``simulate`` plays one replication; ``replicate`` plays several with independent random streams
spawned from one seed and reports each figure as the mean over replications with a 95%
confidence interval. Same setup, same seed, same answer.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from heapq import heapify, heappop, heappush
from typing import Any, Final, Literal

import numpy as np
import numpy.typing as npt

from monitoring.simulation.distributions import DurationSpec
from monitoring.simulation.graph import (
    CHOICE,
    DELAY,
    END,
    JOIN,
    TASK,
    TERMINATE,
    SimGraph,
)
from monitoring.simulation.worktime import WeekCalendar

Array = npt.NDArray[np.float64]
#: Durations are drawn this many at a time per element.
CHUNK: Final = 512
#: Time-series resolution of utilisation and queue length.
SERIES_BINS: Final = 48
HISTOGRAM_BINS: Final = 30
PERCENTILES: Final = (50, 95, 99)
#: A token that passes more nodes than this (a loop that never ends) stops its instance.
MAX_STEPS_PER_INSTANCE: Final = 10_000
#: Student's t quantiles (0.975) for 1..30 degrees of freedom; 1.96 beyond.
_T975: Final = (
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
    2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
    2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
)  # fmt: skip


@dataclass(frozen=True)
class Arrivals:
    """Poisson arrivals at ``rate_per_hour``, or a replay of start moments (seconds after
    simulation time 0, repeated back to back until enough instances started), sped up by
    ``scale`` (2 means twice as many per hour)."""

    kind: Literal["poisson", "replay"] = "poisson"
    rate_per_hour: float = 1.0
    times: tuple[float, ...] = ()
    scale: float = 1.0

    def moments(self, count: int, rng: np.random.Generator) -> Array:
        if count <= 0:
            return np.zeros(0)
        if self.kind == "poisson":
            if self.rate_per_hour <= 0:
                raise ValueError("the arrival rate must be above 0")
            gaps = rng.exponential(3600.0 / self.rate_per_hour, count)
            return np.cumsum(gaps)
        if not self.times:
            raise ValueError("a replay needs start moments")
        if self.scale <= 0:
            raise ValueError("the arrival scale must be above 0")
        base = np.sort(np.asarray(self.times, dtype=np.float64))
        base = base - base[0]
        span = float(base[-1]) + (float(base[-1]) / max(len(base) - 1, 1) if len(base) > 1 else 1)
        repeats = math.ceil(count / len(base))
        tiled = (base[None, :] + span * np.arange(repeats)[:, None]).ravel()[:count]
        times: Array = tiled / self.scale + float(min(self.times))
        return times


@dataclass(frozen=True)
class Resource:
    """The people of one role: how many (None: as many as there is work) and when they work
    (None: round the clock)."""

    people: int | None
    calendar: WeekCalendar | None = None


@dataclass
class Setup:
    """Everything one simulation needs."""

    graph: SimGraph
    #: One per node (only activities' are used).
    durations: list[DurationSpec]
    #: Choice nodes: the probability of each branch, in branch order (sums to 1).
    weights: dict[int, Array]
    resources: dict[str, Resource]
    arrivals: Arrivals
    instances: int
    #: The journey's SLA in working seconds on ``sla_calendar`` (elapsed seconds without one).
    sla_seconds: float | None = None
    sla_calendar: WeekCalendar | None = None
    #: Task SLAs per node in working seconds (from request to completion), where set.
    task_sla_seconds: dict[int, float] = field(default_factory=dict)
    #: The first instances warm the system up and are left out of the figures.
    warmup: int = 0

    def check(self) -> None:
        graph = self.graph
        if self.instances < 1:
            raise ValueError("simulate at least one instance")
        if not 0 <= self.warmup < self.instances:
            raise ValueError("the warm-up must leave instances to measure")
        for node in graph.choices():
            weights = self.weights.get(node)
            if weights is None or len(weights) != len(graph.successors[node]):
                raise ValueError(f"{graph.element_ids[node]}: give one weight per branch")
            if np.any(weights < 0) or not np.isclose(weights.sum(), 1.0):
                raise ValueError(f"{graph.element_ids[node]}: branch weights must sum to 1")
        for role in graph.roles():
            resource = self.resources.get(role)
            if resource is None:
                raise ValueError(f"role {role or '(none)'!r}: say how many people it has")
            if resource.people is not None and resource.people < 1:
                raise ValueError(f"role {role or '(none)'!r}: at least one person")


@dataclass
class Replication:
    """The raw outcome of one replication."""

    arrival: Array
    finish: Array
    #: One row per executed activity: node, instance, requested, started, finished, worked.
    node: npt.NDArray[np.int64]
    instance: npt.NDArray[np.int64]
    requested: Array
    started: Array
    finished: Array
    worked: Array
    cut_off: int
    events: int


def _cumulative(weights: Array) -> tuple[float, ...]:
    cumulative = np.cumsum(weights)
    cumulative[-1] = 1.0
    return tuple(float(value) for value in cumulative[:-1])


def simulate(
    setup: Setup,
    rng: np.random.Generator,
    *,
    progress: Callable[[float], None] | None = None,
) -> Replication:
    """Play one replication to the end of its last instance."""
    setup.check()
    graph = setup.graph
    count = setup.instances
    nodes = graph.node_count
    code = graph.code
    successors = graph.successors
    join_need = graph.join_need
    priority = graph.priority
    roles = graph.roles()
    role_index = {role: r for r, role in enumerate(roles)}
    node_role = [role_index[graph.role[n]] if code[n] == TASK else -1 for n in range(nodes)]
    # A role with unlimited people is a delay.
    unlimited = [setup.resources[role].people is None for role in roles]
    for n in range(nodes):
        if code[n] == TASK and unlimited[node_role[n]]:
            node_role[n] = -2
    free = [setup.resources[role].people or 0 for role in roles]
    calendars = [setup.resources[role].calendar for role in roles]
    queues: list[list[tuple[int, float, int, int, int]]] = [[] for _ in roles]
    cumulative = {n: _cumulative(setup.weights[n]) for n in graph.choices()}
    targets_of = {n: graph.successors[n] for n in graph.choices()}
    samplers = setup.durations
    buffers: list[list[float]] = [[] for _ in range(nodes)]
    positions = [0] * nodes

    def refill(node: int) -> list[float]:
        values: list[float] = samplers[node].sample(rng, CHUNK).tolist()
        buffers[node] = values
        return values

    uniforms: list[float] = rng.random(CHUNK * 4).tolist()
    u_position = 0

    arrival = setup.arrivals.moments(count, rng)
    finish = np.full(count, np.nan)
    live = [1] * count  # tokens in flight per instance
    steps = [0] * count
    done = [False] * count
    joins: dict[int, int] = {}
    cut_off = 0
    # Executions, appended as they start.
    x_node: list[int] = []
    x_instance: list[int] = []
    x_requested: list[float] = []
    x_started: list[float] = []
    x_finished: list[float] = []
    x_worked: list[float] = []

    # Events: (time, sequence, node, instance): the node's work for the instance ends then.
    start = graph.start
    heap: list[tuple[float, int, int, int]] = [
        (float(moment), i, start, i) for i, moment in enumerate(arrival.tolist())
    ]
    heapify(heap)
    sequence = count
    events = 0
    finished_instances = 0
    report_every = max(count // 20, 1)

    while heap:
        now, _, node, inst = heappop(heap)
        events += 1
        r = node_role[node]
        if r >= 0:
            # A person of role r finished: they take the next queued item, or become free.
            queue = queues[r]
            if queue:
                _, requested, _, next_node, next_inst = heappop(queue)
                position = positions[next_node]
                buffer = buffers[next_node]
                if position == len(buffer):
                    buffer = refill(next_node)
                    position = 0
                work = buffer[position]
                positions[next_node] = position + 1
                calendar = calendars[r]
                if calendar is None:
                    begin, end = now, now + work
                else:
                    begin = calendar.next_working(now)
                    end = calendar.add_working(begin, work)
                x_node.append(next_node)
                x_instance.append(next_inst)
                x_requested.append(requested)
                x_started.append(begin)
                x_finished.append(end)
                x_worked.append(work)
                heappush(heap, (end, sequence, next_node, next_inst))
                sequence += 1
            else:
                free[r] += 1
        if done[inst]:
            continue
        # The token leaves ``node``: route it (gateways take no time).
        stack = [node]
        while stack:
            here = stack.pop()
            steps[inst] += 1
            if steps[inst] > MAX_STEPS_PER_INSTANCE:
                done[inst] = True
                cut_off += 1
                break
            if code[here] == CHOICE:
                if u_position == len(uniforms):
                    uniforms = rng.random(CHUNK * 4).tolist()
                    u_position = 0
                draw = uniforms[u_position]
                u_position += 1
                outgoing: tuple[int, ...] = (
                    targets_of[here][bisect_right(cumulative[here], draw)],
                )
            else:
                outgoing = successors[here]
            live[inst] += len(outgoing) - 1
            if not outgoing and live[inst] <= 0:  # an implicit end: no outgoing flow
                finish[inst] = now
                done[inst] = True
                finished_instances += 1
                break
            for target in outgoing:
                kind = code[target]
                if kind in (TASK, DELAY):
                    r = node_role[target]
                    if r >= 0 and (queues[r] or not free[r]):
                        heappush(queues[r], (-priority[target], now, sequence, target, inst))
                        sequence += 1
                        continue
                    if r >= 0:
                        free[r] -= 1
                    position = positions[target]
                    buffer = buffers[target]
                    if position == len(buffer):
                        buffer = refill(target)
                        position = 0
                    work = buffer[position]
                    positions[target] = position + 1
                    calendar = calendars[r] if r >= 0 else None
                    if calendar is None:
                        begin, end = now, now + work
                    else:
                        begin = calendar.next_working(now)
                        end = calendar.add_working(begin, work)
                    x_node.append(target)
                    x_instance.append(inst)
                    x_requested.append(now)
                    x_started.append(begin)
                    x_finished.append(end)
                    x_worked.append(work)
                    heappush(heap, (end, sequence, target, inst))
                    sequence += 1
                elif kind == JOIN:
                    key = inst * nodes + target
                    arrived = joins.get(key, 0) + 1
                    if arrived < join_need[target]:
                        joins[key] = arrived
                        live[inst] -= 1
                    else:
                        joins.pop(key, None)
                        stack.append(target)
                elif kind in (END, TERMINATE):
                    live[inst] -= 1
                    if live[inst] <= 0 or kind == TERMINATE:
                        finish[inst] = now
                        done[inst] = True
                        finished_instances += 1
                        if progress is not None and finished_instances % report_every == 0:
                            progress(finished_instances / count)
                        break
                else:
                    stack.append(target)
            if done[inst]:
                break

    return Replication(
        arrival=arrival,
        finish=finish,
        node=np.asarray(x_node, dtype=np.int64),
        instance=np.asarray(x_instance, dtype=np.int64),
        requested=np.asarray(x_requested, dtype=np.float64),
        started=np.asarray(x_started, dtype=np.float64),
        finished=np.asarray(x_finished, dtype=np.float64),
        worked=np.asarray(x_worked, dtype=np.float64),
        cut_off=cut_off,
        events=events,
    )


# ---------------------------------------------------------------------------------------------
# Figures of one replication
# ---------------------------------------------------------------------------------------------


def _covered(starts: Array, ends: Array, edges: Array) -> Array:
    """Time-weighted count of the intervals [starts, ends) over each bin between ``edges``,
    divided by the bin's length (the mean number covering a moment of the bin)."""
    if starts.size == 0:
        return np.zeros(len(edges) - 1)
    starts, ends = np.sort(starts), np.sort(ends)
    start_sums = np.concatenate(([0.0], np.cumsum(starts)))
    end_sums = np.concatenate(([0.0], np.cumsum(ends)))
    # F(x): the summed length of the intervals' parts before x.
    started = np.searchsorted(starts, edges, side="right")
    ended = np.searchsorted(ends, edges, side="right")
    area = (started * edges - start_sums[started]) - (ended * edges - end_sums[ended])
    widths = np.diff(edges)
    covered: Array = np.diff(area) / np.where(widths > 0, widths, 1.0)
    return covered


@dataclass
class RunFigures:
    cycle: Array
    percentiles: dict[str, float]
    mean_cycle: float
    sla_compliance: float | None
    utilisation: dict[str, float]
    element_wait: dict[int, float]
    element_work: dict[int, float]
    element_visits: dict[int, float]
    element_sla: dict[int, float]
    role_wait: dict[str, float]
    throughput_per_day: float
    makespan: float
    raw: Replication = field(repr=False)


def _role_index(graph: SimGraph) -> npt.NDArray[np.int64]:
    """Per node, the index of its role in ``graph.roles()`` (-1 for nodes that are not work)."""
    roles = {role: r for r, role in enumerate(graph.roles())}
    return np.array(
        [roles[graph.role[n]] if graph.code[n] == TASK else -1 for n in range(graph.node_count)],
        dtype=np.int64,
    )


def figures(setup: Setup, run: Replication) -> RunFigures:
    """The figures of one replication, leaving out the warm-up instances."""
    measured = np.arange(setup.instances) >= setup.warmup
    done = measured & ~np.isnan(run.finish)
    cycle = (run.finish - run.arrival)[done]
    percentiles = (
        dict(
            zip(
                (f"p{p}" for p in PERCENTILES),
                np.percentile(cycle, PERCENTILES).tolist(),
                strict=True,
            )
        )
        if cycle.size
        else {f"p{p}": math.nan for p in PERCENTILES}
    )
    compliance = None
    if setup.sla_seconds is not None and cycle.size:
        if setup.sla_calendar is not None:
            calendar = setup.sla_calendar
            used = calendar.working_before_many(run.finish[done]) - calendar.working_before_many(
                run.arrival[done]
            )
        else:
            used = cycle
        compliance = float(np.mean(used <= setup.sla_seconds + 1e-9) * 100)
    horizon_end = float(np.nanmax(run.finish)) if np.any(~np.isnan(run.finish)) else 0.0
    horizon_start = float(run.arrival[0]) if run.arrival.size else 0.0
    span = max(horizon_end - horizon_start, 1e-9)
    graph = setup.graph
    roles = graph.roles()
    keep = measured[run.instance] if run.instance.size else np.zeros(0, dtype=bool)
    waits = (run.started - run.requested)[keep]
    nodes = run.node[keep]
    counts = np.bincount(nodes, minlength=graph.node_count).astype(np.float64)
    wait_sum = np.bincount(nodes, weights=waits, minlength=graph.node_count)
    work_sum = np.bincount(nodes, weights=run.worked[keep], minlength=graph.node_count)
    measured_count = max(int(measured.sum()), 1)
    element_wait: dict[int, float] = {}
    element_work: dict[int, float] = {}
    element_visits: dict[int, float] = {}
    element_sla: dict[int, float] = {}
    for node in graph.activities():
        element_visits[node] = float(counts[node] / measured_count)
        element_wait[node] = float(wait_sum[node] / counts[node]) if counts[node] else 0.0
        element_work[node] = float(work_sum[node] / counts[node]) if counts[node] else 0.0
    execution_role = _role_index(graph)[run.node]
    for node, target in setup.task_sla_seconds.items():
        mine = run.node[keep] == node
        if mine.any():
            taken = (run.finished - run.requested)[keep][mine]
            role = graph.role[node]
            clock = setup.resources[role].calendar if graph.code[node] == TASK else None
            if clock is not None:
                taken = clock.working_before_many(
                    run.finished[keep][mine]
                ) - clock.working_before_many(run.requested[keep][mine])
            element_sla[node] = float(np.mean(taken <= target + 1e-9) * 100)
    utilisation: dict[str, float] = {}
    role_wait: dict[str, float] = {}
    for r, role in enumerate(roles):
        resource = setup.resources[role]
        mine = execution_role == r
        if resource.people is None:
            continue
        worked = float(run.worked[mine].sum())
        if resource.calendar is not None:
            available = resource.calendar.working_before(
                horizon_end
            ) - resource.calendar.working_before(horizon_start)
        else:
            available = span
        utilisation[role] = worked / max(resource.people * available, 1e-9) * 100
        mine_kept = mine & keep if keep.size else mine
        role_wait[role] = (
            float((run.started - run.requested)[mine_kept].mean()) if mine_kept.any() else 0.0
        )
    throughput = float(done.sum()) / span * 86400.0
    return RunFigures(
        cycle=cycle,
        percentiles={key: float(value) for key, value in percentiles.items()},
        mean_cycle=float(cycle.mean()) if cycle.size else math.nan,
        sla_compliance=compliance,
        utilisation=utilisation,
        element_wait=element_wait,
        element_work=element_work,
        element_visits=element_visits,
        element_sla=element_sla,
        role_wait=role_wait,
        throughput_per_day=throughput,
        makespan=span,
        raw=run,
    )


# ---------------------------------------------------------------------------------------------
# Replications and their summary
# ---------------------------------------------------------------------------------------------


def interval(values: list[float]) -> dict[str, float | None]:
    """Mean and the half-width of its 95% confidence interval (Student's t over replications)."""
    clean = [value for value in values if value is not None and math.isfinite(value)]
    if not clean:
        return {"mean": None, "low": None, "high": None, "half_width": None}
    mean = float(np.mean(clean))
    if len(clean) < 2:
        return {"mean": mean, "low": None, "high": None, "half_width": None}
    quantile = _T975[len(clean) - 2] if len(clean) - 1 <= len(_T975) else 1.96
    half = quantile * float(np.std(clean, ddof=1)) / math.sqrt(len(clean))
    return {"mean": mean, "low": mean - half, "high": mean + half, "half_width": half}


def _series(setup: Setup, runs: list[Replication], horizon: float) -> dict[str, Any]:
    """Utilisation (% of the role's people busy) and queue length per role over time, averaged
    over replications, on ``SERIES_BINS`` bins from time 0 to ``horizon``."""
    graph = setup.graph
    start = min(float(run.arrival[0]) for run in runs if run.arrival.size)
    edges = np.linspace(start, max(horizon, start + 1.0), SERIES_BINS + 1)
    series: dict[str, Any] = {"t": ((edges[:-1] + edges[1:]) / 2 - start).tolist(), "roles": {}}
    role_index = _role_index(graph)
    for r, role in enumerate(graph.roles()):
        resource = setup.resources[role]
        busy = np.zeros(SERIES_BINS)
        waiting = np.zeros(SERIES_BINS)
        for run in runs:
            mine = role_index[run.node] == r
            if not mine.any():
                continue
            busy += _covered(run.started[mine], run.finished[mine], edges)
            waiting += _covered(run.requested[mine], run.started[mine], edges)
        busy /= len(runs)
        waiting /= len(runs)
        people = resource.people
        series["roles"][role] = {
            "utilisation": (busy / people * 100).round(2).tolist() if people else None,
            "busy": busy.round(3).tolist(),
            "queue": waiting.round(3).tolist(),
        }
    return series


def replicate(
    setup: Setup,
    *,
    replications: int,
    seed: int,
    progress: Callable[[float], None] | None = None,
) -> dict[str, Any]:
    """Play ``replications`` independent replications and summarise them (JSON-ready)."""
    if not 1 <= replications <= 100:
        raise ValueError("play between 1 and 100 replications")
    setup.check()
    streams = np.random.SeedSequence(seed).spawn(replications)
    runs: list[RunFigures] = []
    for number, stream in enumerate(streams):

        def step(fraction: float, number: int = number) -> None:
            if progress is not None:
                progress((number + fraction) / replications)

        raw = simulate(setup, np.random.Generator(np.random.PCG64(stream)), progress=step)
        runs.append(figures(setup, raw))
        if progress is not None:
            progress((number + 1) / replications)
    return summarise(setup, runs)


def _rounded(value: float | None, digits: int = 3) -> float | None:
    return None if value is None or not math.isfinite(value) else round(value, digits)


def _ci(values: list[float], digits: int = 3) -> dict[str, float | None]:
    return {key: _rounded(value, digits) for key, value in interval(values).items()}


def summarise(setup: Setup, runs: list[RunFigures]) -> dict[str, Any]:
    graph = setup.graph
    pooled = np.concatenate([run.cycle for run in runs]) if runs else np.zeros(0)
    histogram: dict[str, list[float]] = {"edges": [], "counts": []}
    if pooled.size:
        high = float(np.percentile(pooled, 99.5)) or float(pooled.max()) or 1.0
        counts, edges = np.histogram(np.minimum(pooled, high), bins=HISTOGRAM_BINS, range=(0, high))
        histogram = {
            "edges": [round(float(edge), 3) for edge in edges],
            "counts": [round(float(c) / len(runs), 2) for c in counts],
        }
    roles = graph.roles()
    elements = []
    for node in graph.activities():
        waits = [run.element_wait[node] for run in runs]
        works = [run.element_work[node] for run in runs]
        visits = [run.element_visits[node] for run in runs]
        element: dict[str, Any] = {
            "element_id": graph.element_ids[node],
            "name": graph.names[node],
            "role": graph.role[node] if graph.code[node] == TASK else None,
            "visits_per_instance": _rounded(float(np.mean(visits)), 4),
            "wait": _ci(waits),
            "work": _ci(works),
            "duration": setup.durations[node].summary(),
            "waiting_share": None,
        }
        if node in setup.task_sla_seconds:
            element["sla_compliance"] = _ci([run.element_sla.get(node, math.nan) for run in runs])
        elements.append(element)
    total_wait = sum(
        (element["wait"]["mean"] or 0) * (element["visits_per_instance"] or 0)
        for element in elements
    )
    for element in elements:
        weighted = (element["wait"]["mean"] or 0) * (element["visits_per_instance"] or 0)
        element["waiting_share"] = round(weighted / total_wait * 100, 2) if total_wait else 0.0
    bottlenecks = sorted(
        (element for element in elements if element["waiting_share"]),
        key=lambda element: -element["waiting_share"],
    )[:5]
    horizon = max((float(np.nanmax(run.raw.finish)) for run in runs), default=0.0)
    sla = (
        _ci([run.sla_compliance for run in runs if run.sla_compliance is not None], 2)
        if setup.sla_seconds is not None
        else None
    )
    return {
        "instances": setup.instances,
        "warmup": setup.warmup,
        "replications": len(runs),
        "completed": int(pooled.size),
        "cut_off": sum(run.raw.cut_off for run in runs),
        "cycle_time": {
            **{key: _ci([run.percentiles[key] for run in runs]) for key in runs[0].percentiles},
            "mean": _ci([run.mean_cycle for run in runs]),
            "histogram": histogram,
        },
        "sla": (
            {"target_seconds": setup.sla_seconds, "compliance": sla}
            if setup.sla_seconds is not None
            else None
        ),
        "throughput_per_day": _ci([run.throughput_per_day for run in runs]),
        "roles": [
            {
                "role": role,
                "people": setup.resources[role].people,
                "calendar": setup.resources[role].calendar is not None,
                "utilisation": _ci([run.utilisation.get(role, math.nan) for run in runs], 2),
                "wait": _ci([run.role_wait.get(role, math.nan) for run in runs]),
            }
            for role in roles
        ],
        "elements": elements,
        "bottlenecks": [
            {
                "element_id": element["element_id"],
                "name": element["name"],
                "role": element["role"],
                "waiting_share": element["waiting_share"],
                "wait": element["wait"]["mean"],
            }
            for element in bottlenecks
        ],
        "series": _series(setup, [run.raw for run in runs], horizon),
        "warnings": list(graph.warnings),
    }
