"""Celery jobs of the monitoring app."""

from celery import shared_task

from monitoring import sweeper


@shared_task(name="monitoring.jobs.sweep", ignore_result=True)
def sweep() -> dict[str, int | None]:
    """Beat's periodic entry point: run every registered sweep once."""
    return sweeper.sweep()
