"""At-risk prediction: known answers of the estimator, the risk sweep on stored history, and the
inbox's badge and sort."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from statistics import NormalDist
from typing import Any

import numpy as np
import pytest
from django.utils import timezone

from monitoring import prediction
from processes.models import InstanceStatus
from tasks.models import TaskStatus
from tests.factories import JourneyVersionFactory, ProcessInstanceFactory, TaskFactory

HOUR = 3600.0


def prior_survival(x: float, target: float) -> float:
    """The prior written out: log-normal, median half the target, sigma 0.75."""
    if x <= 0:
        return 1.0
    return 1 - NormalDist().cdf(math.log(x / (target / 2)) / 0.75)


def test_without_a_prior_it_is_the_empirical_conditional_survival() -> None:
    history = np.arange(1, 11) * HOUR  # 1 h ... 10 h
    risks = prediction.breach_probability(
        history, np.array([0.0, 5 * HOUR, 7.5 * HOUR, 8 * HOUR]), 8 * HOUR, prior_weight=0
    )
    # Of the 10, two took longer than 8 h; of the five longer than 5 h, two longer than 8 h.
    assert risks.tolist() == pytest.approx([0.2, 0.4, 2 / 3, 1.0])


def test_with_no_history_the_prior_speaks() -> None:
    (risk,) = prediction.breach_probability(np.array([]), np.array([0.0]), 8 * HOUR)
    assert risk == pytest.approx(prior_survival(8 * HOUR, 8 * HOUR))
    assert risk == pytest.approx(0.1777, abs=1e-4)
    (later,) = prediction.breach_probability(np.array([]), np.array([6 * HOUR]), 8 * HOUR)
    expected = prior_survival(8 * HOUR, 8 * HOUR) / prior_survival(6 * HOUR, 8 * HOUR)
    assert later == pytest.approx(expected)


def test_thin_history_is_mixed_with_the_prior() -> None:
    history = np.array([9 * HOUR, 10 * HOUR])  # both breached
    (risk,) = prediction.breach_probability(history, np.array([2 * HOUR]), 8 * HOUR)
    weight = prediction.PRIOR_WEIGHT
    expected = (2 + weight * prior_survival(8 * HOUR, 8 * HOUR)) / (
        2 + weight * prior_survival(2 * HOUR, 8 * HOUR)
    )
    assert risk == pytest.approx(expected)
    # Much history: the prior hardly counts any more.
    (settled,) = prediction.breach_probability(
        np.full(500, 9 * HOUR), np.array([2 * HOUR]), 8 * HOUR
    )
    assert settled > 0.99


def test_risk_grows_as_time_passes() -> None:
    history = np.linspace(1, 12, 40) * HOUR
    elapsed = np.linspace(0, 7.9, 30) * HOUR
    risks = prediction.breach_probability(history, elapsed, 8 * HOUR)
    assert np.all(np.diff(risks) >= -1e-12)
    assert np.all((risks >= 0) & (risks <= 1))


def _task(
    version: Any, element: str, *, created: datetime, hours: float, done: bool, **extra: Any
) -> Any:
    fields: dict[str, Any] = {
        "instance": ProcessInstanceFactory(version=version, status=InstanceStatus.RUNNING),
        "element_id": element,
        "name": element,
        "sla_seconds": 8 * HOUR,
        "sla_deadline": created + timedelta(hours=8),
        "sla_warn_at": created + timedelta(hours=6),
        "sla": {"warn_seconds": 6 * HOUR, "calendar": None, "escalation": ["notify"]},
        "created_at": created,
    }
    if done:
        fields |= {"status": TaskStatus.COMPLETED, "completed_at": created + timedelta(hours=hours)}
    return TaskFactory(**fields, **extra)


@pytest.mark.django_db
def test_the_risk_sweep_uses_each_elements_history(client: Any, worker: Any) -> None:
    version = JourneyVersionFactory()
    now = timezone.now()
    for day in range(20):
        start = now - timedelta(days=30 - day)
        _task(version, "Quick", created=start, hours=2, done=True)
        _task(version, "Slow", created=start, hours=10, done=True)
    hour_ago = now - timedelta(hours=1)
    quick = _task(version, "Quick", created=hour_ago, hours=0, done=False, assignee=worker)
    slow = _task(version, "Slow", created=hour_ago, hours=0, done=False, assignee=worker)
    plain = TaskFactory(instance=quick.instance, element_id="Plain", assignee=worker)
    assert prediction.risk_refresh(now=now) == 2
    quick.refresh_from_db()
    slow.refresh_from_db()
    plain.refresh_from_db()
    weight = prediction.PRIOR_WEIGHT
    s0_target, s0_hour = prior_survival(8 * HOUR, 8 * HOUR), prior_survival(HOUR, 8 * HOUR)
    # Quick: all 20 finished within 2 h; one hour in, only the prior leaves a chance.
    assert quick.sla_risk == pytest.approx((weight * s0_target) / (20 + weight * s0_hour), abs=1e-4)
    # Slow: all 20 took 10 h, past the 8 h SLA.
    assert slow.sla_risk == pytest.approx(
        (20 + weight * s0_target) / (20 + weight * s0_hour), abs=1e-4
    )
    assert plain.sla_risk is None
    # Unchanged risks are not written again.
    assert prediction.risk_refresh(now=now) == 0

    client.force_login(worker)
    response = client.get("/inbox/", {"scope": "mine", "sort": "risk"})
    assert response.status_code == 200
    page = response.content.decode()
    order = [page.index(f'data-task="{task.pk}"') for task in (slow, quick, plain)]
    assert order == sorted(order)
    assert 'data-sla-state="at_risk"' in page  # slow: early, but its history says it is late
    assert 'data-sla-state="on_track"' in page
    assert f'data-sla-risk="{round(slow.sla_risk * 100)}"' in page
