from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "monitoring"

    def ready(self) -> None:
        from monitoring import checks, receivers  # noqa: F401  (system checks, auth receivers)
        from monitoring.services import audit_checkpoint_due
        from monitoring.sweeper import register_sweep

        register_sweep("audit-checkpoint")(audit_checkpoint_due)
        from monitoring import sla

        register_sweep("sla")(sla.sla_checks_claim_due)
        register_sweep("dashboard")(sla.dashboard_tick)
