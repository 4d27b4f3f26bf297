"""URLs of the monitoring API (under /api/)."""

from django.urls import path

from monitoring import api
from monitoring.simulation import api as simulation_api

urlpatterns = [
    path(
        "monitoring/active-processes",
        api.ActiveProcessesApi.as_view(),
        name="api-monitoring-active-processes",
    ),
    path("monitoring/metrics", api.MetricsApi.as_view(), name="api-monitoring-metrics"),
    path(
        "monitoring/sla-compliance",
        api.SlaComplianceApi.as_view(),
        name="api-monitoring-sla-compliance",
    ),
    path("monitoring/bottlenecks", api.BottlenecksApi.as_view(), name="api-monitoring-bottlenecks"),
    path("monitoring/sla-tasks", api.SlaTasksApi.as_view(), name="api-monitoring-sla-tasks"),
    path("simulation/run", simulation_api.SimulationRunApi.as_view(), name="api-simulation-run"),
    path(
        "simulation/runs", simulation_api.SimulationRunListApi.as_view(), name="api-simulation-runs"
    ),
    path(
        "simulation/runs/<int:run_id>",
        simulation_api.SimulationRunDetailApi.as_view(),
        name="api-simulation-run-detail",
    ),
]
