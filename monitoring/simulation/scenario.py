"""A what-if scenario as a manager writes it (JSON), checked field by field, and the simulation
setup it makes together with what history says about the journey.

Reading a scenario raises ``ScenarioError(code, message, field)`` for the first field at fault;
the API turns it into a 400. Nothing here reads the database: ``Facts`` carries what history,
the rules and the staff lists say, gathered by ``monitoring.simulation.inputs``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np

from monitoring.simulation import graph as sg
from monitoring.simulation.distributions import DEFAULT_CV, KINDS, DurationSpec
from monitoring.simulation.engine import Arrivals, Resource, Setup
from monitoring.simulation.worktime import WeekCalendar

MAX_INSTANCES: Final = 50_000
MAX_REPLICATIONS: Final = 20
#: instances × replications: what one run may simulate in all.
MAX_SIMULATED: Final = 200_000
MAX_PEOPLE: Final = 10_000
MAX_SECONDS: Final = 366 * 86400.0
MAX_EMPIRICAL_VALUES: Final = 10_000
#: Completed tasks an element needs before its history, not its expected duration, is used.
MIN_HISTORY: Final = 20
ARRIVAL_KINDS: Final = ("poisson", "replay")
BRANCH_SOURCES: Final = ("history", "rules", "uniform")


class ScenarioError(ValueError):
    """A scenario that cannot be simulated: ``code`` is stable, ``field`` the path at fault."""

    def __init__(self, code: str, message: str, field: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


@dataclass(frozen=True)
class DurationChange:
    """A step's duration in a scenario: a new distribution, or the usual one times ``factor``."""

    distribution: str | None = None
    mean: float | None = None
    cv: float = DEFAULT_CV
    values: tuple[float, ...] = ()
    factor: float = 1.0


@dataclass(frozen=True)
class Scenario:
    name: str = ""
    instances: int = 1000
    replications: int = 5
    seed: int = 1
    warmup: int = 0
    arrival_kind: str = "poisson"
    rate_per_hour: float | None = None
    replay_weeks: int = 4
    arrival_scale: float = 1.0
    staffing: dict[str, int] = field(default_factory=dict)
    durations: dict[str, DurationChange] = field(default_factory=dict)
    branches: dict[str, dict[str, float]] = field(default_factory=dict)
    branch_source: str = "history"
    calendars: bool = True
    #: The journey's SLA as an ISO-8601 duration, in place of the process's itn:sla.
    sla: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "instances": self.instances,
            "replications": self.replications,
            "seed": self.seed,
            "warmup": self.warmup,
            "arrivals": {
                "kind": self.arrival_kind,
                "rate_per_hour": self.rate_per_hour,
                "weeks": self.replay_weeks,
                "scale": self.arrival_scale,
            },
            "staffing": dict(self.staffing),
            "durations": {
                element: {
                    key: value
                    for key, value in (
                        ("distribution", change.distribution),
                        ("mean", change.mean),
                        ("cv", change.cv if change.distribution == "lognormal" else None),
                        ("values", list(change.values) or None),
                        ("factor", change.factor if change.factor != 1 else None),
                    )
                    if value is not None
                }
                for element, change in self.durations.items()
            },
            "branches": {gateway: dict(weights) for gateway, weights in self.branches.items()},
            "branch_source": self.branch_source,
            "calendars": self.calendars,
            "sla": self.sla,
        }


# ---------------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------------


def _object(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ScenarioError("invalid", "Give an object.", where)
    return value


def _integer(value: Any, where: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ScenarioError("invalid", "Give a whole number.", where)
    if not low <= value <= high:
        raise ScenarioError("out_of_range", f"Give a number from {low} to {high}.", where)
    return value


def _number(value: Any, where: str, low: float, high: float, *, above: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ScenarioError("invalid", "Give a number.", where)
    number = float(value)
    if number < low or number > high or (above and number <= low):
        bound = f"above {low:g}" if above else f"from {low:g}"
        raise ScenarioError("out_of_range", f"Give a number {bound} to {high:g}.", where)
    return number


def _choice(value: Any, where: str, choices: Sequence[str]) -> str:
    if not isinstance(value, str) or value not in choices:
        raise ScenarioError("invalid_choice", f"Choose one of {', '.join(choices)}.", where)
    return value


def _key(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value or len(value) > 200:
        raise ScenarioError("invalid", "Give an element, role or flow id.", where)
    return value


def _duration_change(value: Any, where: str) -> DurationChange:
    data = _object(value, where)
    unknown = sorted(set(data) - {"distribution", "mean", "cv", "values", "factor"})
    if unknown:
        raise ScenarioError(
            "unknown_field", f"Unknown setting {unknown[0]!r}.", f"{where}.{unknown[0]}"
        )
    factor = _number(data.get("factor", 1.0), f"{where}.factor", 0.0, 100.0, above=True)
    distribution = data.get("distribution")
    if distribution is None:
        if "mean" in data or "values" in data:
            raise ScenarioError(
                "required", "Name the distribution of the new duration.", f"{where}.distribution"
            )
        return DurationChange(factor=factor)
    kind = _choice(distribution, f"{where}.distribution", KINDS)
    cv = _number(data.get("cv", DEFAULT_CV), f"{where}.cv", 0.0, 10.0)
    if kind == "empirical":
        values = data.get("values")
        if not isinstance(values, list) or not values:
            raise ScenarioError("required", "Give the observed durations.", f"{where}.values")
        if len(values) > MAX_EMPIRICAL_VALUES:
            raise ScenarioError(
                "too_many", f"Give at most {MAX_EMPIRICAL_VALUES} values.", f"{where}.values"
            )
        numbers = tuple(
            _number(item, f"{where}.values[{i}]", 0.0, MAX_SECONDS) for i, item in enumerate(values)
        )
        return DurationChange(distribution=kind, values=numbers, factor=factor)
    if "mean" not in data:
        raise ScenarioError("required", "Give the mean duration in seconds.", f"{where}.mean")
    mean = _number(data["mean"], f"{where}.mean", 0.0, MAX_SECONDS)
    return DurationChange(distribution=kind, mean=mean, cv=cv, factor=factor)


SCENARIO_FIELDS: Final = frozenset(
    {
        "name",
        "instances",
        "replications",
        "seed",
        "warmup",
        "arrivals",
        "staffing",
        "durations",
        "branches",
        "branch_source",
        "calendars",
        "sla",
    }
)


def read_scenario(value: Any, *, prefix: str = "") -> Scenario:
    """A scenario from JSON-like data; ``prefix`` is put before every field path."""
    where = prefix.rstrip(".") or "scenario"
    data = _object(value, where)

    def at(name: str) -> str:
        return f"{prefix}{name}"

    unknown = sorted(set(data) - SCENARIO_FIELDS)
    if unknown:
        raise ScenarioError("unknown_field", f"Unknown setting {unknown[0]!r}.", at(unknown[0]))
    name = data.get("name", "")
    if not isinstance(name, str) or len(name) > 200:
        raise ScenarioError("invalid", "Give a name of at most 200 characters.", at("name"))
    instances = _integer(data.get("instances", 1000), at("instances"), 1, MAX_INSTANCES)
    replications = _integer(data.get("replications", 5), at("replications"), 1, MAX_REPLICATIONS)
    if instances * replications > MAX_SIMULATED:
        raise ScenarioError(
            "too_large",
            f"Simulate at most {MAX_SIMULATED:,} instances in all (instances × replications).",
            at("instances"),
        )
    seed = _integer(data.get("seed", 1), at("seed"), 0, 2**32 - 1)
    warmup = _integer(data.get("warmup", 0), at("warmup"), 0, instances - 1)
    arrivals = _object(data.get("arrivals", {}), at("arrivals"))
    unknown = sorted(set(arrivals) - {"kind", "rate_per_hour", "weeks", "scale"})
    if unknown:
        raise ScenarioError(
            "unknown_field", f"Unknown setting {unknown[0]!r}.", at(f"arrivals.{unknown[0]}")
        )
    arrival_kind = _choice(arrivals.get("kind", "poisson"), at("arrivals.kind"), ARRIVAL_KINDS)
    rate = arrivals.get("rate_per_hour")
    rate_per_hour = (
        None
        if rate is None
        else _number(rate, at("arrivals.rate_per_hour"), 0.0, 100_000.0, above=True)
    )
    weeks = _integer(arrivals.get("weeks", 4), at("arrivals.weeks"), 1, 52)
    scale = _number(arrivals.get("scale", 1.0), at("arrivals.scale"), 0.0, 100.0, above=True)
    staffing: dict[str, int] = {}
    for role, people in _object(data.get("staffing", {}), at("staffing")).items():
        key = _key(role, at("staffing"))
        staffing[key] = _integer(people, at(f"staffing.{key}"), 1, MAX_PEOPLE)
    durations = {
        _key(element, at("durations")): _duration_change(change, at(f"durations.{element}"))
        for element, change in _object(data.get("durations", {}), at("durations")).items()
    }
    branches: dict[str, dict[str, float]] = {}
    for gateway, weights in _object(data.get("branches", {}), at("branches")).items():
        key = _key(gateway, at("branches"))
        flows = _object(weights, at(f"branches.{key}"))
        branches[key] = {
            _key(flow, at(f"branches.{key}")): _number(
                weight, at(f"branches.{key}.{flow}"), 0.0, 1e9
            )
            for flow, weight in flows.items()
        }
        if not branches[key] or sum(branches[key].values()) <= 0:
            raise ScenarioError(
                "invalid", "Give at least one branch a weight above 0.", at(f"branches.{key}")
            )
    branch_source = _choice(
        data.get("branch_source", "history"), at("branch_source"), BRANCH_SOURCES
    )
    calendars = data.get("calendars", True)
    if not isinstance(calendars, bool):
        raise ScenarioError("invalid", "Give true or false.", at("calendars"))
    sla = data.get("sla")
    if sla is not None and (not isinstance(sla, str) or not sla.strip() or len(sla) > 40):
        raise ScenarioError("invalid", "Give an ISO-8601 duration such as P2D.", at("sla"))
    return Scenario(
        name=name,
        instances=instances,
        replications=replications,
        seed=seed,
        warmup=warmup,
        arrival_kind=arrival_kind,
        rate_per_hour=rate_per_hour,
        replay_weeks=weeks,
        arrival_scale=scale,
        staffing=staffing,
        durations=durations,
        branches=branches,
        branch_source=branch_source,
        calendars=calendars,
        sla=sla.strip() if isinstance(sla, str) else None,
    )


# ---------------------------------------------------------------------------------------------
# What history says, and the setup
# ---------------------------------------------------------------------------------------------


@dataclass
class Facts:
    """What the database says about a journey version, gathered by ``inputs``."""

    #: Working seconds of each element's completed tasks (most recent first).
    history: dict[str, list[float]] = field(default_factory=dict)
    #: Per choice element: how often each outgoing flow was taken, from history and from the
    #: flow conditions applied to sampled case data.
    history_branches: dict[str, dict[str, int]] = field(default_factory=dict)
    rule_branches: dict[str, dict[str, int]] = field(default_factory=dict)
    #: Active people per role key, and each role's working calendar (None: round the clock).
    people: dict[str, int] = field(default_factory=dict)
    calendars: dict[str, WeekCalendar | None] = field(default_factory=dict)
    #: Start moments of the last weeks (seconds on the simulation clock) and starts per hour.
    replay: dict[int, tuple[float, ...]] = field(default_factory=dict)
    starts_per_hour: float | None = None
    #: The journey's SLA and each element's, in working seconds, and the journey's calendar.
    sla_seconds: float | None = None
    sla_calendar: WeekCalendar | None = None
    task_sla_seconds: dict[str, float] = field(default_factory=dict)


def _base_duration(graph: sg.SimGraph, node: int, facts: Facts) -> DurationSpec:
    element = graph.element_ids[node]
    observed = facts.history.get(element, [])
    if len(observed) >= MIN_HISTORY:
        return DurationSpec("empirical", values=tuple(observed), source="history")
    seconds = graph.expected_seconds[node]
    if seconds is not None:
        source = graph.expected_source[node]
        kind = "fixed" if source == "timer" else "lognormal"
        return DurationSpec(kind, seconds, source=source)  # type: ignore[arg-type]
    return DurationSpec("fixed", 0.0, source="none")


def _weights(
    graph: sg.SimGraph, node: int, scenario: Scenario, facts: Facts
) -> tuple[np.ndarray, str]:
    branches = graph.branches[node]
    element = graph.element_ids[node]
    flows = [branch.flow_id for branch in branches]
    given = scenario.branches.get(element)
    if given is not None:
        unknown = sorted(set(given) - set(flows))
        if unknown:
            raise ScenarioError(
                "unknown_flow",
                f"{element} has no outgoing flow {unknown[0]!r}.",
                f"branches.{element}.{unknown[0]}",
            )
        weights = np.array([given.get(flow, 0.0) for flow in flows], dtype=np.float64)
        return weights / weights.sum(), "scenario"
    order = {
        "history": (("history", facts.history_branches), ("rules", facts.rule_branches)),
        "rules": (("rules", facts.rule_branches), ("history", facts.history_branches)),
        "uniform": (),
    }[scenario.branch_source]
    for source, counts in order:
        observed = counts.get(element, {})
        total = sum(observed.get(flow, 0) for flow in flows)
        if total > 0:
            weights = np.array([observed.get(flow, 0) for flow in flows], dtype=np.float64)
            return weights / total, source
    return np.full(len(flows), 1.0 / len(flows)), "uniform"


def make_setup(
    graph: sg.SimGraph, scenario: Scenario, facts: Facts
) -> tuple[Setup, dict[str, Any]]:
    """The setup a scenario asks for, and what was assumed (sources of durations and branch
    weights, staffing, arrivals) so that the page can show it."""
    elements = set(graph.element_ids)
    activities = {graph.element_ids[n] for n in graph.activities()}
    for element in scenario.durations:
        if element not in activities:
            code = "unknown_element" if element not in elements else "not_an_activity"
            raise ScenarioError(
                code, f"{element} is not a step of this journey.", f"durations.{element}"
            )
    for element in scenario.branches:
        if element not in elements or graph.index(element) not in graph.branches:
            raise ScenarioError(
                "unknown_element",
                f"{element} is not a choice of this journey.",
                f"branches.{element}",
            )
    roles = graph.roles()
    for role in scenario.staffing:
        if role not in roles:
            raise ScenarioError(
                "unknown_role", f"No step of this journey needs role {role!r}.", f"staffing.{role}"
            )

    durations: list[DurationSpec] = []
    for node in range(graph.node_count):
        if graph.code[node] not in sg.ACTIVITY_CODES:
            durations.append(DurationSpec())
            continue
        spec = _base_duration(graph, node, facts)
        change = scenario.durations.get(graph.element_ids[node])
        if change is not None:
            if change.distribution is not None:
                spec = DurationSpec(
                    change.distribution,  # type: ignore[arg-type]
                    change.mean or 0.0,
                    cv=change.cv,
                    values=change.values,
                    source="scenario",
                )
            spec = spec.scaled(change.factor)
        durations.append(spec)

    weights: dict[int, np.ndarray] = {}
    weight_sources: dict[str, Any] = {}
    for node in graph.choices():
        weights[node], source = _weights(graph, node, scenario, facts)
        weight_sources[graph.element_ids[node]] = {
            "source": source,
            "weights": {
                branch.flow_id: round(float(weight), 4)
                for branch, weight in zip(graph.branches[node], weights[node], strict=True)
            },
        }

    resources: dict[str, Resource] = {}
    warnings: list[str] = []
    for role in roles:
        if not role:
            resources[role] = Resource(None)
            warnings.append("Steps without a role are simulated as if someone were always free.")
            continue
        people = scenario.staffing.get(role) or facts.people.get(role, 0)
        if people < 1:
            warnings.append(f"Role {role!r} has nobody in it: one person is assumed.")
            people = 1
        calendar = facts.calendars.get(role) if scenario.calendars else None
        resources[role] = Resource(people, calendar)

    if scenario.arrival_kind == "replay":
        times = facts.replay.get(scenario.replay_weeks, ())
        if not times:
            raise ScenarioError(
                "no_history",
                f"Nothing of this journey started in the last {scenario.replay_weeks} weeks to "
                "replay; give an arrival rate instead.",
                "arrivals.kind",
            )
        arrivals = Arrivals(kind="replay", times=times, scale=scenario.arrival_scale)
    else:
        rate = scenario.rate_per_hour or facts.starts_per_hour
        if rate is None or rate <= 0:
            raise ScenarioError(
                "required",
                "Give the arrival rate: this journey has no recent starts to take it from.",
                "arrivals.rate_per_hour",
            )
        arrivals = Arrivals(rate_per_hour=rate * scenario.arrival_scale)

    task_sla = {
        graph.index(element): seconds
        for element, seconds in facts.task_sla_seconds.items()
        if element in activities
    }
    setup = Setup(
        graph=graph,
        durations=durations,
        weights=weights,
        resources=resources,
        arrivals=arrivals,
        instances=scenario.instances,
        sla_seconds=facts.sla_seconds,
        sla_calendar=facts.sla_calendar if scenario.calendars else None,
        task_sla_seconds=task_sla,
        warmup=scenario.warmup,
    )
    visits = sg.expected_visits(graph, weights, runs=2_000, seed=scenario.seed)
    load: dict[str, Any] = {}
    hourly = arrivals.rate_per_hour if arrivals.kind == "poisson" else None
    if hourly is None and arrivals.times:
        span = (max(arrivals.times) - min(arrivals.times)) or 3600.0
        hourly = len(arrivals.times) / span * 3600 * arrivals.scale
    for role in roles:
        resource = resources[role]
        work = sum(
            visits[n] * durations[n].mean
            for n in range(graph.node_count)
            if graph.code[n] == sg.TASK and graph.role[n] == role
        )
        share = resource.calendar.weekly / (7 * 86400) if resource.calendar is not None else 1.0
        offered = (
            work * (hourly or 0) / (3600 * resource.people * share) * 100
            if resource.people
            else None
        )
        load[role] = {
            "people": resource.people,
            "offered_utilisation": round(offered, 1) if offered is not None else None,
        }
        if offered is not None and offered >= 100:
            warnings.append(
                f"Role {role!r} gets more work than its people can do ({offered:.0f}% of their "
                "time): its queue grows as long as work arrives."
            )
    assumptions = {
        "arrivals": {
            "kind": arrivals.kind,
            "rate_per_hour": round(hourly, 4) if hourly else None,
            "replayed_starts": len(arrivals.times) if arrivals.kind == "replay" else None,
        },
        "durations": {graph.element_ids[n]: durations[n].summary() for n in graph.activities()},
        "branches": weight_sources,
        "roles": load,
        "sla_seconds": facts.sla_seconds,
        "visits": {graph.element_ids[n]: round(float(visits[n]), 3) for n in graph.activities()},
        "warnings": warnings,
    }
    return setup, assumptions
