"""Celery jobs of the monitoring app."""

from celery import shared_task

from monitoring import sweeper


@shared_task(name="monitoring.jobs.sweep", ignore_result=True)
def sweep() -> dict[str, int | None]:
    """Beat's periodic entry point: run every registered sweep once."""
    return sweeper.sweep()


@shared_task(name="monitoring.jobs.sla_escalate", ignore_result=True, acks_late=True)
def sla_escalate(kind: str, object_id: int) -> bool:
    """Escalate one SLA whose deadline passed (claimed by the sweep); safe to run again."""
    from monitoring.sla import escalation_run

    return escalation_run(kind=kind, object_id=object_id)


@shared_task(name="monitoring.jobs.simulation_run", ignore_result=True, acks_late=True)
def simulation_run(run_id: int) -> None:
    """Run one queued simulation (a run already started or finished is left alone)."""
    from monitoring.simulation.services import simulation_run_execute

    simulation_run_execute(run_id=run_id)
