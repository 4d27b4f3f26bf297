"""Template tags of SLAs: the badge showing a task's SLA state and breach risk."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import template

from monitoring import sla

register = template.Library()

#: Risks from here on show as "at risk" even before the warning moment.
RISK_WARNING = 0.5


@register.inclusion_tag("monitoring/_sla_badge.html")
def sla_badge(task: Any, now: datetime | None = None) -> dict[str, Any]:
    """The SLA badge of a task: breached, paused, met, or at risk / on track with the
    estimated probability of a breach."""
    state = sla.task_sla_state(task, now)
    risk = task.sla_risk
    if state in (sla.ON_TRACK, sla.AT_RISK) and risk is not None and risk >= RISK_WARNING:
        state = sla.AT_RISK
    return {
        "state": state,
        "risk": None if risk is None else round(risk * 100),
        "deadline": task.sla_deadline,
    }


@register.filter
def duration(seconds: Any) -> str:
    """Seconds as people read them: ``45 s``, ``12 min``, ``2 h 45 min``, ``3 d 4 h``."""
    if seconds is None or seconds == "":
        return "—"
    total = int(round(float(seconds)))
    if total < 60:
        return f"{total} s"
    minutes, _ = divmod(total, 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"
