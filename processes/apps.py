from django.apps import AppConfig


class ProcessesConfig(AppConfig):
    name = "processes"

    def ready(self) -> None:
        from monitoring.sweeper import register_sweep
        from processes import services

        register_sweep("timers")(services.timers_fire_due)
