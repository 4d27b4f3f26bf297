"""URLs of the monitoring API (under /api/)."""

from django.urls import path

from monitoring import api
from monitoring.analytics import api as analytics_api
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
    path(
        "analytics/variants",
        analytics_api.AnalyticsVariantsApi.as_view(),
        name="api-analytics-variants",
    ),
    path(
        "analytics/conformance",
        analytics_api.AnalyticsConformanceApi.as_view(),
        name="api-analytics-conformance",
    ),
    path(
        "analytics/handovers",
        analytics_api.AnalyticsHandoversApi.as_view(),
        name="api-analytics-handovers",
    ),
    path("analytics/steps", analytics_api.AnalyticsStepsApi.as_view(), name="api-analytics-steps"),
    path(
        "analytics/anomalies",
        analytics_api.AnalyticsAnomaliesApi.as_view(),
        name="api-analytics-anomalies",
    ),
    path(
        "analytics/event-log.xes",
        analytics_api.AnalyticsXesApi.as_view(),
        name="api-analytics-xes",
    ),
    path(
        "analytics/event-log.ocel.json",
        analytics_api.AnalyticsOcelApi.as_view(),
        name="api-analytics-ocel",
    ),
]
