"""Queueing theory's closed forms: what a long simulation of a single queue must come close to,
and a quick check of whether a scenario can keep up with its arrivals at all."""

from __future__ import annotations

import math


def erlang_c(servers: int, offered_load: float) -> float:
    """The probability that an arrival waits in an M/M/c queue (Erlang's C formula);
    ``offered_load`` is λ/μ in Erlangs and must be below ``servers``."""
    if servers < 1:
        raise ValueError("at least one server")
    if not 0 <= offered_load < servers:
        raise ValueError("the offered load must be below the number of servers")
    # Erlang B by its stable recurrence, then C from B.
    blocking = 1.0
    for k in range(1, servers + 1):
        blocking = offered_load * blocking / (k + offered_load * blocking)
    utilisation = offered_load / servers
    return blocking / (1 - utilisation + utilisation * blocking)


def mmc_mean_wait(arrival_rate: float, service_rate: float, servers: int) -> float:
    """Mean time in the queue (before service) of an M/M/c queue."""
    load = arrival_rate / service_rate
    return erlang_c(servers, load) / (servers * service_rate - arrival_rate)


def mm1_mean_wait(arrival_rate: float, service_rate: float) -> float:
    """Mean time in the queue of an M/M/1 queue: ρ / (μ - λ)."""
    if not 0 <= arrival_rate < service_rate:
        raise ValueError("the arrival rate must be below the service rate")
    return arrival_rate / service_rate / (service_rate - arrival_rate)


def offered_utilisation(work_per_hour: float, people: int, working_share: float = 1.0) -> float:
    """The share of their working time ``people`` need to keep up with ``work_per_hour`` seconds
    of work arriving per hour, when they work ``working_share`` of the hours. At or above 1 the
    queue grows without bound."""
    if people < 1 or working_share <= 0:
        return math.inf
    return work_per_hour / (3600.0 * people * working_share)
