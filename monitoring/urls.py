from django.urls import path

from monitoring import dashboard_views, views
from monitoring.analytics import views as analytics_views
from monitoring.simulation import views as simulation_views

urlpatterns = [
    path("audit/", views.audit_list, name="audit-list"),
    path("audit/verify/", views.audit_verify, name="audit-verify"),
    path("audit/<int:seq>/", views.audit_detail, name="audit-detail"),
    path("dashboard/", dashboard_views.dashboard, name="dashboard"),
    path("dashboard/tasks/", dashboard_views.dashboard_tasks, name="dashboard-tasks"),
    path("dashboard/active/", dashboard_views.dashboard_active, name="dashboard-active"),
    path(
        "dashboard/compliance/",
        dashboard_views.dashboard_compliance,
        name="dashboard-compliance",
    ),
    path(
        "dashboard/anomalies/",
        analytics_views.dashboard_anomalies,
        name="dashboard-anomalies",
    ),
    path("analytics/", analytics_views.analytics_page, name="analytics"),
    path("what-if/", simulation_views.whatif_page, name="what-if"),
]
