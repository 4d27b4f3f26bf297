"""The monitoring REST API for managers (under /api/monitoring/): thin views over
``monitoring.metrics``. Everyone else gets 403."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from monitoring import metrics, sla
from workflow_site.api import PAGING_PARAMETERS, ApiView, errors, paged, paged_response
from workflow_site.errors import ApplicationError

PERIOD_PARAMETERS = [
    OpenApiParameter(
        "since", str, description="start of the period: a date (its midnight) or a date-time"
    ),
    OpenApiParameter(
        "until",
        str,
        description="end of the period, exclusive: a date (counted whole) or a date-time; now",
    ),
    OpenApiParameter("journey", str, description="only this journey (its key)"),
    OpenApiParameter("role", str, description="only this role (its key)"),
]


class ActiveInstanceSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    journey = serializers.CharField(source="version.journey.key")
    journey_name = serializers.CharField(source="version.journey.name")
    version = serializers.IntegerField(source="version.number")
    business_key = serializers.CharField()
    status = serializers.CharField()
    started_at = serializers.DateTimeField()
    started_by = serializers.CharField(source="started_by.username", allow_null=True, default=None)
    open_tasks = serializers.IntegerField()
    breached_tasks = serializers.IntegerField()
    sla_state = serializers.SerializerMethodField()
    sla_deadline = serializers.DateTimeField(allow_null=True)

    def get_sla_state(self, instance: Any) -> str | None:
        return sla.instance_sla_state(instance)


class SlaTaskSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    name = serializers.CharField()
    element_id = serializers.CharField()
    status = serializers.CharField()
    journey = serializers.CharField(source="instance.version.journey.key")
    instance = serializers.IntegerField(source="instance_id")
    business_key = serializers.CharField(source="instance.business_key")
    role = serializers.CharField(source="role.key", allow_null=True, default=None)
    assignee = serializers.CharField(source="assignee.username", allow_null=True, default=None)
    priority = serializers.IntegerField()
    sla_state = serializers.SerializerMethodField()
    sla_deadline = serializers.DateTimeField(allow_null=True)
    sla_warn_at = serializers.DateTimeField(allow_null=True)
    sla_risk = serializers.FloatField(allow_null=True)
    escalated_at = serializers.DateTimeField(source="sla_escalated_at", allow_null=True)

    def get_sla_state(self, task: Any) -> str | None:
        return sla.task_sla_state(task)


def _scope(request: Request) -> metrics.Scope:
    return metrics.scope_from_query(user=request.user, query=request.query_params)


class ActiveProcessesApi(ApiView):
    @extend_schema(
        summary="Running and suspended instances you oversee, newest first",
        operation_id="monitoring_active_processes",
        parameters=[*PERIOD_PARAMETERS, *PAGING_PARAMETERS],
        responses={200: paged(ActiveInstanceSerializer), **errors(400, 403)},
    )
    def get(self, request: Request) -> Response:
        rows = metrics.active_instances(_scope(request))
        return paged_response(request, self, rows, ActiveInstanceSerializer)


class MetricsApi(ApiView):
    @extend_schema(
        summary="Open, at-risk and breached counts, throughput per day, cycle-time percentiles "
        "(seconds) and workload per role and person",
        operation_id="monitoring_metrics",
        parameters=PERIOD_PARAMETERS,
        responses={200: OpenApiTypes.OBJECT, **errors(400, 403)},
    )
    def get(self, request: Request) -> Response:
        return Response(metrics.metrics(_scope(request)))


class SlaComplianceApi(ApiView):
    @extend_schema(
        summary="SLA compliance over the period per journey, step and role (tasks) and per "
        "journey (journey SLAs)",
        operation_id="monitoring_sla_compliance",
        parameters=PERIOD_PARAMETERS,
        responses={200: OpenApiTypes.OBJECT, **errors(400, 403)},
    )
    def get(self, request: Request) -> Response:
        return Response(metrics.sla_compliance(_scope(request)))


class BottlenecksApi(ApiView):
    @extend_schema(
        summary="How long each step of a journey took (seconds), slowest first, with its BPMN",
        operation_id="monitoring_bottlenecks",
        parameters=PERIOD_PARAMETERS,
        responses={200: OpenApiTypes.OBJECT, **errors(400, 403)},
    )
    def get(self, request: Request) -> Response:
        scope = _scope(request)
        if scope.journey is None:
            raise ApplicationError("required", "Name the journey (its key).", field="journey")
        return Response(metrics.bottlenecks(scope, scope.journey))


class SlaTasksApi(ApiView):
    @extend_schema(
        summary="Open tasks with an SLA in one state (on_track, at_risk, breached, paused)",
        operation_id="monitoring_sla_tasks",
        parameters=[
            OpenApiParameter(
                "state", str, required=True, enum=["on_track", "at_risk", "breached", "paused"]
            ),
            *PERIOD_PARAMETERS,
            *PAGING_PARAMETERS,
        ],
        responses={200: paged(SlaTaskSerializer), **errors(400, 403)},
    )
    def get(self, request: Request) -> Response:
        scope = _scope(request)
        state = request.query_params.get("state", "")
        if state not in metrics.OPEN_SLA_STATES:
            raise ApplicationError(
                "invalid_choice",
                f"state is one of {', '.join(metrics.OPEN_SLA_STATES)}.",
                field="state",
            )
        return paged_response(request, self, metrics.sla_tasks(scope, state), SlaTaskSerializer)
