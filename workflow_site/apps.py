from django.apps import AppConfig


class WorkflowSiteConfig(AppConfig):
    name = "workflow_site"
    verbose_name = "Itinera site"

    def ready(self) -> None:
        from workflow_site import checks  # noqa: F401  (registers the system checks)
        from workflow_site.telemetry.providers import configure_from_environment

        configure_from_environment()  # OpenTelemetry, when the OTEL_* variables ask for it
