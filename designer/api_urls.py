"""URLs of the designer API (under /api/designer/)."""

from django.urls import path

from designer import api

urlpatterns = [
    path("check", api.CheckApi.as_view(), name="api-designer-check"),
    path(
        "journeys/<int:journey_id>/validate",
        api.ValidateApi.as_view(),
        name="api-designer-validate",
    ),
    path(
        "journeys/<int:journey_id>/dry-run/start",
        api.DryRunStartApi.as_view(),
        name="api-designer-dry-run-start",
    ),
    path(
        "journeys/<int:journey_id>/dry-run/fire",
        api.DryRunFireApi.as_view(),
        name="api-designer-dry-run-fire",
    ),
    path("journeys/<int:journey_id>/diff", api.DiffApi.as_view(), name="api-designer-diff"),
    path(
        "journeys/<int:journey_id>/scenarios/",
        api.ScenarioListApi.as_view(),
        name="api-designer-scenarios",
    ),
    path(
        "journeys/<int:journey_id>/scenarios/run",
        api.ScenarioRunApi.as_view(),
        name="api-designer-scenarios-run",
    ),
    path(
        "journeys/<int:journey_id>/scenarios/<int:scenario_id>/",
        api.ScenarioDetailApi.as_view(),
        name="api-designer-scenario",
    ),
]
