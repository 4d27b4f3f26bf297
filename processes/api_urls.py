"""URLs of the journeys, processes, incidents, messages, signals and simulation APIs."""

from django.urls import path

from processes import api

urlpatterns = [
    path("journeys/", api.JourneyListApi.as_view(), name="api-journey-list"),
    path("journeys/import/", api.JourneyImportApi.as_view(), name="api-journey-import"),
    path("journeys/<int:journey_id>/", api.JourneyDetailApi.as_view(), name="api-journey-detail"),
    path(
        "journeys/<int:journey_id>/versions/",
        api.JourneyVersionListApi.as_view(),
        name="api-journey-versions",
    ),
    path(
        "journeys/<int:journey_id>/versions/<int:number>/retire/",
        api.JourneyVersionRetireApi.as_view(),
        name="api-journey-version-retire",
    ),
    path(
        "journeys/<int:journey_id>/versions/<int:number>/bpmn",
        api.JourneyVersionBpmnApi.as_view(),
        name="api-journey-version-bpmn",
    ),
    path(
        "journeys/<int:journey_id>/draft/", api.JourneyDraftApi.as_view(), name="api-journey-draft"
    ),
    path(
        "journeys/<int:journey_id>/draft/validate/",
        api.JourneyDraftValidateApi.as_view(),
        name="api-journey-draft-validate",
    ),
    path(
        "journeys/<int:journey_id>/draft/publish/",
        api.JourneyDraftPublishApi.as_view(),
        name="api-journey-draft-publish",
    ),
    path(
        "journeys/<int:journey_id>/draft/bpmn",
        api.JourneyDraftBpmnApi.as_view(),
        name="api-journey-draft-bpmn",
    ),
    path("processes/", api.InstanceListApi.as_view(), name="api-instance-list"),
    path("processes/start", api.InstanceStartApi.as_view(), name="api-instance-start"),
    path(
        "processes/<int:instance_id>/", api.InstanceDetailApi.as_view(), name="api-instance-detail"
    ),
    path(
        "processes/<int:instance_id>/suspend/",
        api.InstanceSuspendApi.as_view(),
        name="api-instance-suspend",
    ),
    path(
        "processes/<int:instance_id>/resume/",
        api.InstanceResumeApi.as_view(),
        name="api-instance-resume",
    ),
    path(
        "processes/<int:instance_id>/cancel/",
        api.InstanceCancelApi.as_view(),
        name="api-instance-cancel",
    ),
    path(
        "processes/<int:instance_id>/terminate/",
        api.InstanceTerminateApi.as_view(),
        name="api-instance-terminate",
    ),
    path(
        "processes/<int:instance_id>/history/",
        api.InstanceHistoryApi.as_view(),
        name="api-instance-history",
    ),
    path(
        "processes/<int:instance_id>/visualize/",
        api.InstanceVisualizeApi.as_view(),
        name="api-instance-visualize",
    ),
    path(
        "incidents/<int:incident_id>/retry/",
        api.IncidentRetryApi.as_view(),
        name="api-incident-retry",
    ),
    path("messages", api.MessageApi.as_view(), name="api-messages"),
    path("signals", api.SignalApi.as_view(), name="api-signals"),
    path(
        "simulation/test-journey",
        api.JourneySimulationApi.as_view(),
        name="api-simulation-test-journey",
    ),
    path(
        "simulation/validate-workflow",
        api.ValidateWorkflowApi.as_view(),
        name="api-simulation-validate-workflow",
    ),
]
