"""The analytics API for managers (under /api/analytics/): variants, conformance, handovers,
waiting and working time per step with rework, anomalies, and the event log as XES or OCEL 2.0.
Every figure covers the instances of one journey started in the period."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpResponse, StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from monitoring import metrics
from monitoring.analytics import anomalies, exports, mining, selectors
from monitoring.api import PERIOD_PARAMETERS
from monitoring.services import audit_record
from processes.models import Journey
from workflow_site.api import ApiView, errors
from workflow_site.errors import ApplicationError

JOURNEY_PARAMETERS = [
    OpenApiParameter("journey", str, required=True, description="the journey (its key)"),
    *[parameter for parameter in PERIOD_PARAMETERS if parameter.name != "journey"],
]


def _scope(request: Request) -> tuple[metrics.Scope, Journey]:
    scope = metrics.scope_from_query(user=request.user, query=request.query_params)
    if scope.journey is None:
        raise ApplicationError("required", "Name the journey (its key).", field="journey")
    return scope, scope.journey


def _head(scope: metrics.Scope, journey: Journey, cases: list[mining.Case]) -> dict[str, Any]:
    return {
        "journey": journey.key,
        "name": journey.name,
        "since": scope.since,
        "until": scope.until,
        "instances": len(cases),
        "finished": sum(1 for case in cases if case.ended is not None),
    }


class AnalyticsVariantsApi(ApiView):
    @extend_schema(
        summary="Variants: distinct paths of finished instances with frequency, share and "
        "median duration (seconds), the most frequent first",
        operation_id="analytics_variants",
        parameters=[
            *JOURNEY_PARAMETERS,
            OpenApiParameter(
                "running", bool, description="count running instances too (their path so far)"
            ),
        ],
        responses={200: OpenApiTypes.OBJECT, **errors(400, 403)},
    )
    def get(self, request: Request) -> Response:
        scope, journey = _scope(request)
        cases = selectors.journey_cases(scope, journey)
        running = request.query_params.get("running", "") in ("1", "true", "yes")
        return Response(
            {
                **_head(scope, journey, cases),
                "variants": mining.variants(cases, finished_only=not running),
            }
        )


class AnalyticsConformanceApi(ApiView):
    @extend_schema(
        summary="Conformance: each instance's path replayed on its own version; the instances "
        "that do not fit, with their deviations and the operator actions or migrations that "
        "explain them",
        operation_id="analytics_conformance",
        parameters=JOURNEY_PARAMETERS,
        responses={200: OpenApiTypes.OBJECT, **errors(400, 403)},
    )
    def get(self, request: Request) -> Response:
        scope, journey = _scope(request)
        cases = selectors.journey_cases(scope, journey)
        graphs = selectors.version_graphs(journey, {case.version for case in cases})
        return Response({**_head(scope, journey, cases), **mining.conformance(cases, graphs)})


class AnalyticsHandoversApi(ApiView):
    @extend_schema(
        summary="Handovers: work passing between roles (or people) from one step to the next, "
        "with the median delay (seconds), the busiest first",
        operation_id="analytics_handovers",
        parameters=[
            *JOURNEY_PARAMETERS,
            OpenApiParameter("by", str, enum=["role", "user"], description="role (default)"),
        ],
        responses={200: OpenApiTypes.OBJECT, **errors(400, 403)},
    )
    def get(self, request: Request) -> Response:
        scope, journey = _scope(request)
        by = request.query_params.get("by") or "role"
        if by not in ("role", "user"):
            raise ApplicationError("invalid_choice", "by is role or user.", field="by")
        cases = selectors.journey_cases(scope, journey)
        return Response(
            {**_head(scope, journey, cases), "by": by, "handovers": mining.handovers(cases, by=by)}
        )


class AnalyticsStepsApi(ApiView):
    @extend_schema(
        summary="Per step: waiting and working time (seconds) and rework, with the BPMN of the "
        "version to draw them on",
        operation_id="analytics_steps",
        parameters=[
            *JOURNEY_PARAMETERS,
            OpenApiParameter("version", int, description="the version to draw on"),
        ],
        responses={200: OpenApiTypes.OBJECT, **errors(400, 403)},
    )
    def get(self, request: Request) -> Response:
        scope, journey = _scope(request)
        number = request.query_params.get("version")
        if number and not number.isdigit():
            raise ApplicationError("invalid", "Give a version number.", field="version")
        version = selectors.diagram_version(journey, int(number) if number else None)
        if number and version is None:
            raise ApplicationError("unknown_version", "No such version.", field="version")
        cases = selectors.journey_cases(scope, journey)
        return Response(
            {
                **_head(scope, journey, cases),
                "version": version.number if version else None,
                "bpmn_xml": version.bpmn_xml if version else "",
                "steps": mining.waiting_and_working(cases),
                "rework": mining.rework(cases),
            }
        )


class AnalyticsAnomaliesApi(ApiView):
    @extend_schema(
        summary="Anomalies: instances stuck far beyond their step's usual duration, instances "
        "on unusual paths, and sudden drops in a journey's daily completions",
        operation_id="analytics_anomalies",
        parameters=PERIOD_PARAMETERS,
        responses={200: OpenApiTypes.OBJECT, **errors(400, 403)},
    )
    def get(self, request: Request) -> Response:
        scope = metrics.scope_from_query(user=request.user, query=request.query_params)
        return Response(anomalies.anomalies(scope))


def _exported(request: Request, journey: Journey, format_name: str, count: int) -> None:
    audit_record(
        type="event_log.exported",
        actor=request.user,
        object_type="journey",
        object_id=journey.pk,
        journey_id=journey.pk,
        after={"format": format_name, "instances": count},
    )


class AnalyticsXesApi(ApiView):
    @extend_schema(
        summary="The journey's event log as XES (IEEE 1849-2016): one trace per instance, "
        "start and complete events per work item",
        operation_id="analytics_event_log_xes",
        parameters=JOURNEY_PARAMETERS,
        responses={
            (200, "application/xml"): OpenApiResponse(OpenApiTypes.STR),
            **errors(400, 403),
        },
    )
    def get(self, request: Request) -> Any:
        scope, journey = _scope(request)
        cases = selectors.journey_cases(scope, journey)
        _exported(request, journey, "xes", len(cases))
        response = StreamingHttpResponse(
            exports.as_xes(cases, journey=journey.key), content_type="application/xml"
        )
        response["Content-Disposition"] = f'attachment; filename="{journey.key}.xes"'
        return response


class AnalyticsOcelApi(ApiView):
    @extend_schema(
        summary="The journey's event log as OCEL 2.0 JSON: cases, work items, people and roles "
        "as objects, with every event related to the objects it touches",
        operation_id="analytics_event_log_ocel",
        parameters=JOURNEY_PARAMETERS,
        responses={200: OpenApiTypes.OBJECT, **errors(400, 403)},
    )
    def get(self, request: Request) -> Any:
        scope, journey = _scope(request)
        cases = selectors.journey_cases(scope, journey)
        _exported(request, journey, "ocel", len(cases))
        response = HttpResponse(
            json.dumps(exports.as_ocel(cases, journey=journey.key), ensure_ascii=False),
            content_type="application/json",
        )
        response["Content-Disposition"] = f'attachment; filename="{journey.key}.ocel.json"'
        return response
