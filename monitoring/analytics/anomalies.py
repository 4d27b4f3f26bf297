"""Anomaly flags for the dashboard: instances stuck far beyond their step's usual duration,
instances that took an unusual path, and sudden drops in a journey's throughput."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import timedelta
from typing import Any, Final

import numpy as np
from django.db.models import Count
from django.db.models.functions import TruncDate

from monitoring.analytics.selectors import journey_cases
from monitoring.metrics import Scope
from processes.models import InstanceStatus
from tasks.models import OPEN_TASK_STATUSES, TaskStatus

#: A step needs this many completed work items before "usual" means something.
MIN_SAMPLES: Final = 10
#: Stuck: open longer than this many times the step's median, and longer than its p95.
STUCK_FACTOR: Final = 3.0
#: Unusual path: a variant of at most this share of the period's finished cases...
RARE_SHARE: Final = 5.0
#: ...among at least this many finished cases.
MIN_FINISHED: Final = 20
#: Throughput drop: yesterday's completions under this share of the daily mean of the
#: ``DROP_WINDOW`` days before, which averaged at least ``MIN_DAILY``.
DROP_SHARE: Final = 0.5
DROP_WINDOW: Final = 14
MIN_DAILY: Final = 3.0
LIMIT: Final = 20


def stuck(scope: Scope) -> list[dict[str, Any]]:
    tasks = scope.tasks()
    usual: dict[tuple[int, str], tuple[float, float, int]] = {}
    history: dict[tuple[int, str], list[float]] = defaultdict(list)
    for journey_id, element, created, completed in (
        tasks.filter(status=TaskStatus.COMPLETED, completed_at__gte=scope.now - timedelta(days=90))
        .values_list("instance__version__journey_id", "element_id", "created_at", "completed_at")
        .order_by()
        .iterator(chunk_size=2000)
    ):
        if completed is not None:
            history[(journey_id, element)].append((completed - created).total_seconds())
    for key, values in history.items():
        if len(values) >= MIN_SAMPLES:
            array = np.array(values)
            usual[key] = (float(np.median(array)), float(np.percentile(array, 95)), len(values))
    flags: list[dict[str, Any]] = []
    for task in (
        tasks.filter(status__in=OPEN_TASK_STATUSES)
        .select_related("instance__version__journey")
        .order_by("created_at", "pk")
        .iterator(chunk_size=500)
    ):
        journey = task.instance.version.journey
        found = usual.get((journey.pk, task.element_id))
        if found is None:
            continue
        median, p95, samples = found
        age = (scope.now - task.created_at).total_seconds()
        limit = max(STUCK_FACTOR * median, p95)
        if age > limit and limit > 0:
            flags.append(
                {
                    "kind": "stuck",
                    "instance": task.instance_id,
                    "business_key": task.instance.business_key,
                    "journey": journey.key,
                    "element_id": task.element_id,
                    "name": task.name,
                    "age": round(age, 1),
                    "usual": round(median, 1),
                    "times_usual": round(age / median, 1) if median else None,
                    "samples": samples,
                }
            )
    flags.sort(key=lambda flag: -(flag["times_usual"] or 0))
    return flags[:LIMIT]


def unusual_paths(scope: Scope) -> list[dict[str, Any]]:
    flags: list[dict[str, Any]] = []
    for journey in scope.journeys():
        cases = [case for case in journey_cases(scope, journey) if case.ended is not None]
        if len(cases) < MIN_FINISHED:
            continue
        counts = Counter(case.trace for case in cases)
        for case in cases:
            share = counts[case.trace] / len(cases) * 100
            if share <= RARE_SHARE:
                flags.append(
                    {
                        "kind": "unusual_path",
                        "instance": case.id,
                        "business_key": case.business_key,
                        "journey": journey.key,
                        "path": list(case.trace),
                        "share": round(share, 2),
                    }
                )
    flags.sort(key=lambda flag: (flag["share"], -flag["instance"]))
    return flags[:LIMIT]


def throughput_drops(scope: Scope) -> list[dict[str, Any]]:
    today = scope.now.astimezone(scope.zone).date()
    first = today - timedelta(days=DROP_WINDOW + 1)
    rows = (
        scope.instances()
        .filter(
            status=InstanceStatus.COMPLETED,
            ended_at__gte=scope.now - timedelta(days=DROP_WINDOW + 2),
        )
        .annotate(day=TruncDate("ended_at", tzinfo=scope.zone))
        .values("version__journey__key", "day")
        .annotate(count=Count("pk"))
        .order_by()
    )
    per_journey: dict[str, dict[Any, int]] = defaultdict(dict)
    for row in rows:
        per_journey[row["version__journey__key"]][row["day"]] = row["count"]
    yesterday = today - timedelta(days=1)
    flags = []
    for journey, days in sorted(per_journey.items()):
        window = [days.get(first + timedelta(days=offset), 0) for offset in range(DROP_WINDOW)]
        mean = float(np.mean(window))
        last = days.get(yesterday, 0)
        if mean >= MIN_DAILY and last < DROP_SHARE * mean:
            flags.append(
                {
                    "kind": "throughput_drop",
                    "journey": journey,
                    "day": yesterday.isoformat(),
                    "completed": last,
                    "usual": round(mean, 2),
                }
            )
    return flags


def anomalies(scope: Scope) -> dict[str, list[dict[str, Any]]]:
    return {
        "stuck": stuck(scope),
        "unusual_paths": unusual_paths(scope),
        "throughput_drops": throughput_drops(scope),
    }
