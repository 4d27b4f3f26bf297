"""The simulation API for managers (under /api/simulation/): ask for a run, read it back."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from monitoring.metrics import is_manager
from monitoring.simulation import services
from monitoring.simulation.access import access_simulation_run
from monitoring.simulation.selectors import simulation_runs_visible_to
from workflow_site.api import PAGING_PARAMETERS, ApiView, errors, paged, paged_response
from workflow_site.errors import ApplicationError


class SimulationRunRequestSerializer(serializers.Serializer):
    journey = serializers.CharField(help_text="the journey's key")
    version = serializers.JSONField(
        required=False,
        help_text='a version number, "draft", or nothing for the latest published version',
    )
    scenario = serializers.JSONField(
        required=False,
        help_text=(
            "name, instances (1-50,000), replications (1-20), seed, warmup, arrivals "
            '{kind: "poisson"|"replay", rate_per_hour, weeks, scale}, staffing {role: people}, '
            "durations {element: {distribution: fixed|exponential|lognormal|empirical, mean, "
            "cv, values} or {factor}}, branches {gateway: {flow: weight}}, branch_source "
            "(history|rules|uniform), calendars (true|false), sla (ISO-8601)"
        ),
    )


class SimulationRunSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    name = serializers.CharField()
    journey = serializers.CharField(source="journey.key")
    journey_name = serializers.CharField(source="journey.name")
    version = serializers.IntegerField(source="version_number")
    version_status = serializers.CharField()
    status = serializers.CharField()
    progress = serializers.FloatField()
    error = serializers.CharField()
    created_by = serializers.CharField(source="created_by.username")
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    scenario = serializers.JSONField()


class SimulationRunDetailSerializer(SimulationRunSerializer):
    assumptions = serializers.JSONField()
    result = serializers.JSONField()
    bpmn_xml = serializers.CharField()


def _object(request: Request) -> dict[str, Any]:
    if not isinstance(request.data, dict):
        raise ApplicationError("invalid", "Send a JSON object.", field=None)
    return request.data


class SimulationRunApi(ApiView):
    @extend_schema(
        summary="Simulate a journey version under a scenario (a Celery job; progress is told "
        "over the live socket as simulation events); the run as it stands",
        operation_id="simulation_run",
        request=SimulationRunRequestSerializer,
        responses={201: SimulationRunDetailSerializer, **errors(400, 403)},
    )
    def post(self, request: Request) -> Response:
        services.check_manager(request.user)
        body = _object(request)
        run = services.simulation_run_request(
            actor=request.user,
            journey_key=body.get("journey"),
            version=body.get("version"),
            scenario=body.get("scenario", {}),
        )
        run.refresh_from_db()
        response = Response(SimulationRunDetailSerializer(run).data, status=status.HTTP_201_CREATED)
        response["Location"] = f"/api/simulation/runs/{run.pk}"
        return response


class SimulationRunListApi(ApiView):
    @extend_schema(
        summary="Simulation runs you asked for (staff: every run), newest first",
        operation_id="simulation_runs",
        parameters=PAGING_PARAMETERS,
        responses={200: paged(SimulationRunSerializer), **errors(403)},
    )
    def get(self, request: Request) -> Response:
        if not is_manager(request.user):
            raise PermissionDenied
        rows = simulation_runs_visible_to(user=request.user)
        return paged_response(request, self, rows, SimulationRunSerializer)


class SimulationRunDetailApi(ApiView):
    @extend_schema(
        summary="One simulation run: its scenario, what was assumed, progress and results",
        operation_id="simulation_run_detail",
        responses={200: SimulationRunDetailSerializer, **errors(403, 404)},
    )
    def get(self, request: Request, run_id: int) -> Response:
        run = access_simulation_run(user=request.user, run_id=run_id)
        return Response(SimulationRunDetailSerializer(run).data)
