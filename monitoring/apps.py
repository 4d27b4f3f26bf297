from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "monitoring"

    def ready(self) -> None:
        from monitoring import checks, prediction, receivers, sla  # noqa: F401  (checks, receivers)
        from monitoring.services import audit_checkpoint_due
        from monitoring.sweeper import register_sweep

        register_sweep("audit-checkpoint")(audit_checkpoint_due)
        register_sweep("sla")(sla.sla_checks_claim_due)
        register_sweep("dashboard")(sla.dashboard_tick)
        register_sweep("sla-risk")(prediction.risk_sweep)
