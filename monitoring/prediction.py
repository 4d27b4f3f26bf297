"""At-risk prediction: the probability that an open task misses its SLA, from how long the same
element's tasks took before.

For a task that has used ``e`` of its ``S`` working seconds, the probability of a breach is
``P(T > S | T > e) = Surv(S) / Surv(e)``, where ``Surv`` is the survival function of the element's
durations. ``Surv`` is the empirical one of up to ``HISTORY_SIZE`` recent completions, mixed with
a prior worth ``PRIOR_WEIGHT`` observations: a log-normal whose median is half the SLA (a task
designed to an SLA mostly fits in it). With no history the prior alone speaks; with hundreds of
completions the prior hardly counts. Durations are working seconds on the task's calendar, with
paused time left out, as the SLA itself counts them.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from monitoring.calendars import business_seconds_between

HISTORY_SIZE: Final = 500
PRIOR_WEIGHT: Final = 5.0
PRIOR_MEDIAN_FRACTION: Final = 0.5
PRIOR_SIGMA: Final = 0.75
#: The risk sweep runs at most this often (seconds); risks change slowly.
RISK_INTERVAL: Final = 60.0
#: A stored risk is rewritten only when it moved at least this much.
RISK_STEP: Final = 0.01

Array = npt.NDArray[np.float64]
_erfc = np.frompyfunc(math.erfc, 1, 1)


def prior_survival(x: Array, target: Array) -> Array:
    """P(T > x) under the log-normal prior with median ``PRIOR_MEDIAN_FRACTION * target``."""
    x = np.asarray(x, dtype=np.float64)
    median = np.asarray(target, dtype=np.float64) * PRIOR_MEDIAN_FRACTION
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (np.log(np.maximum(x, 1e-12)) - np.log(median)) / PRIOR_SIGMA
    survival = 0.5 * np.asarray(_erfc(z / math.sqrt(2)), dtype=np.float64)
    return np.where(x <= 0, 1.0, survival)


def survival(history: Array, x: Array, target: Array, prior_weight: float = PRIOR_WEIGHT) -> Array:
    """P(T > x): the empirical survival of ``history`` mixed with the prior."""
    ordered = np.sort(np.asarray(history, dtype=np.float64))
    x = np.asarray(x, dtype=np.float64)
    longer = ordered.size - np.searchsorted(ordered, x, side="right")
    prior = prior_survival(x, target) if prior_weight else np.zeros_like(x)
    total = ordered.size + prior_weight
    if total == 0:
        return np.ones_like(x)
    return (longer + prior_weight * prior) / total


def breach_probability(
    history: Array, elapsed: Array, target: Array, prior_weight: float = PRIOR_WEIGHT
) -> Array:
    """For each open task: P(it takes longer than ``target`` | it has taken ``elapsed`` so far)."""
    elapsed = np.asarray(elapsed, dtype=np.float64)
    target = np.broadcast_to(np.asarray(target, dtype=np.float64), elapsed.shape)
    at_target = survival(history, target, target, prior_weight)
    so_far = survival(history, elapsed, target, prior_weight)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(so_far > 0, at_target / so_far, 1.0)
    return np.where(elapsed >= target, 1.0, np.clip(ratio, 0.0, 1.0))


# ---------------------------------------------------------------------------------------------
# From the database
# ---------------------------------------------------------------------------------------------


def _used(row: Mapping[str, Any], moment: datetime, calendars: dict[int | None, Any]) -> float:
    """Working seconds of its SLA a task had used at ``moment`` (its completion, or now)."""
    from monitoring.sla import calendar_by_id

    state = row["sla"] or {}
    seconds = float(row["sla_seconds"])
    if row["sla_deadline"] is None:  # paused
        return seconds - float(state.get("remaining", seconds))
    key = state.get("calendar")
    if key not in calendars:
        calendars[key] = calendar_by_id(key)
    return seconds - business_seconds_between(calendars[key], moment, row["sla_deadline"])


def element_history(
    *, journey_id: int, element_id: str, calendars: dict[int | None, Any], now: datetime
) -> Array:
    """Working seconds the element's last ``HISTORY_SIZE`` completed tasks with an SLA took."""
    from tasks.models import Task, TaskStatus

    rows = (
        Task.objects.filter(
            instance__version__journey_id=journey_id,
            element_id=element_id,
            status=TaskStatus.COMPLETED,
            sla_seconds__isnull=False,
        )
        .order_by("-completed_at", "-pk")
        .values("sla_seconds", "sla_deadline", "sla", "completed_at")[:HISTORY_SIZE]
    )
    return np.array(
        [max(0.0, _used(row, row["completed_at"] or now, calendars)) for row in rows],
        dtype=np.float64,
    )


def risk_refresh(*, now: datetime) -> int:
    """Recompute the breach probability of every open task with an SLA; the number changed.

    Each changed row is written by its own statement, so the sweep never holds two task locks
    (it cannot deadlock with a transaction that holds an instance and its tasks).
    """
    from tasks.models import LIVE_TASK_STATUSES, Task

    rows = list(
        Task.objects.filter(status__in=LIVE_TASK_STATUSES, sla_seconds__isnull=False)
        .order_by("pk")
        .values(
            "pk",
            "element_id",
            "instance__version__journey_id",
            "sla_seconds",
            "sla_deadline",
            "sla",
            "sla_risk",
        )
    )
    groups: dict[tuple[int, str], list[Mapping[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[(row["instance__version__journey_id"], row["element_id"])].append(row)
    calendars: dict[int | None, Any] = {}
    changed = 0
    for (journey_id, element_id), members in groups.items():
        history = element_history(
            journey_id=journey_id, element_id=element_id, calendars=calendars, now=now
        )
        elapsed = np.array([_used(row, now, calendars) for row in members], dtype=np.float64)
        targets = np.array([float(row["sla_seconds"]) for row in members], dtype=np.float64)
        risks = breach_probability(history, elapsed, targets)
        for member, risk in zip(members, risks.tolist(), strict=True):
            stored = member["sla_risk"]
            if stored is None or abs(stored - risk) >= RISK_STEP:
                Task.objects.filter(pk=member["pk"]).update(sla_risk=round(risk, 4))
                changed += 1
    return changed


_last_run = -math.inf


def risk_sweep(now: datetime) -> int:
    """The sweeper's entry: ``risk_refresh`` at most once per ``RISK_INTERVAL`` per process."""
    global _last_run
    moment = time.monotonic()
    if moment - _last_run < RISK_INTERVAL:
        return 0
    _last_run = moment
    return risk_refresh(now=now)
