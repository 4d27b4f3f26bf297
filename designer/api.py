"""REST API of the designer: checks of conditions and timers, validation of the diagram being
edited, the stateless dry run, the diff before publishing, and saved test scenarios. Thin views
over ``designer.access``, ``designer.selectors`` and ``designer.services``."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from designer import selectors, services, simulation
from designer.access import access_journey_for_design, access_scenario
from designer.models import Scenario
from processes.api import FindingsSerializer
from workflow_site.api import ApiView, errors

MAX_ID = 2**63 - 1


class CheckSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=selectors.CHECK_KINDS, default="expression")
    text = serializers.CharField(trim_whitespace=False, allow_blank=True, max_length=100_000)


class CheckResultSerializer(serializers.Serializer):
    valid = serializers.BooleanField()
    message = serializers.CharField()
    offset = serializers.IntegerField(allow_null=True, help_text="0-based character offset")
    names = serializers.ListField(child=serializers.CharField(), help_text="variables read")


class CheckApi(ApiView):
    @extend_schema(
        summary="Check a condition expression or a timer value (duration, date, cycle)",
        request=CheckSerializer,
        responses={200: CheckResultSerializer, **errors(400)},
    )
    def post(self, request: Request) -> Response:
        payload = CheckSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        return Response(selectors.check_text(**payload.validated_data))


class DocumentSerializer(serializers.Serializer):
    bpmn_xml = serializers.CharField(trim_whitespace=False)


class ValidateApi(ApiView):
    @extend_schema(
        summary="Validate the diagram being edited (the checks publishing runs)",
        request=DocumentSerializer,
        responses={200: FindingsSerializer, **errors(400, 404)},
    )
    def post(self, request: Request, journey_id: int) -> Response:
        access_journey_for_design(user=request.user, journey_id=journey_id)
        payload = DocumentSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        return Response(selectors.document_findings(**payload.validated_data))


class DryRunStartSerializer(DocumentSerializer):
    data = serializers.DictField(required=False, default=dict)  # type: ignore[assignment]
    now = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="ISO 8601 start time"
    )


class DryRunFireSerializer(DocumentSerializer):
    state = serializers.DictField(help_text="the state returned by the previous step")
    event = serializers.DictField(help_text='an itinera play event, e.g. {"complete": "B"}')


class WorkItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    element = serializers.CharField()
    name = serializers.CharField()
    status = serializers.CharField()


class TimerSerializer(serializers.Serializer):
    subscription = serializers.IntegerField()
    element = serializers.CharField()
    due = serializers.DateTimeField()


class MultiInstanceSerializer(serializers.Serializer):
    element = serializers.CharField()
    name = serializers.CharField()
    dynamic = serializers.BooleanField()
    closed = serializers.BooleanField()


class DryRunSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    error = serializers.CharField(allow_null=True)
    status = serializers.CharField()
    clock = serializers.DateTimeField()
    work_items = WorkItemSerializer(many=True)
    timers = TimerSerializer(many=True)
    waiting = serializers.ListField(child=serializers.CharField())
    multi_instances = MultiInstanceSerializer(many=True)
    tokens = serializers.DictField(child=serializers.IntegerField())
    open = serializers.DictField(child=serializers.IntegerField())
    started = serializers.DictField(child=serializers.IntegerField())
    log = serializers.DictField(child=serializers.IntegerField())
    data = serializers.DictField()  # type: ignore[assignment]
    incidents = serializers.ListField(child=serializers.DictField())
    effects = serializers.ListField(child=serializers.CharField())
    state = serializers.DictField()


class DryRunStartApi(ApiView):
    @extend_schema(
        summary="Dry run: start a case of the diagram in memory",
        request=DryRunStartSerializer,
        responses={200: DryRunSerializer, **errors(400, 404)},
    )
    def post(self, request: Request, journey_id: int) -> Response:
        access_journey_for_design(user=request.user, journey_id=journey_id)
        payload = DryRunStartSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        values = payload.validated_data
        return Response(
            simulation.dry_run_start(
                bpmn_xml=values["bpmn_xml"], data=values["data"], now=values["now"] or None
            )
        )


class DryRunFireApi(ApiView):
    @extend_schema(
        summary="Dry run: apply one event to the state of the previous step",
        request=DryRunFireSerializer,
        responses={200: DryRunSerializer, **errors(400, 404)},
    )
    def post(self, request: Request, journey_id: int) -> Response:
        access_journey_for_design(user=request.user, journey_id=journey_id)
        payload = DryRunFireSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        return Response(simulation.dry_run_fire(**payload.validated_data))


class ElementSerializer(serializers.Serializer):
    id = serializers.CharField()
    type = serializers.CharField()
    name = serializers.CharField()


class ChangedElementSerializer(ElementSerializer):
    changes = serializers.ListField(child=serializers.CharField())


class DiffSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    status = serializers.CharField()
    previous = serializers.IntegerField(allow_null=True)
    added = ElementSerializer(many=True)
    removed = ElementSerializer(many=True)
    changed = ChangedElementSerializer(many=True)
    layout_changed = serializers.BooleanField()


class DiffQuerySerializer(serializers.Serializer):
    version = serializers.RegexField(r"^(draft|[1-9][0-9]{0,8})$", required=False, default="draft")


class DiffApi(ApiView):
    @extend_schema(
        summary="What a version (the draft by default) changes from the version before it",
        parameters=[OpenApiParameter("version", str, description='a number or "draft"')],
        responses={200: DiffSerializer, **errors(400, 404)},
    )
    def get(self, request: Request, journey_id: int) -> Response:
        journey = access_journey_for_design(user=request.user, journey_id=journey_id)
        query = DiffQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        version = query.validated_data["version"]
        reference: int | str = version if version == "draft" else int(version)
        return Response(selectors.version_diff(journey=journey, version=reference))


class ScenarioSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    script = serializers.JSONField(
        help_text='what itinera play reads: {"data": {...}, "events": [...]} or a list of events'
    )
    expect = serializers.JSONField(
        help_text='expectations, e.g. [{"step": 0, "open": {"B": 1}}, {"state": "completed"}]'
    )
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)


class ScenarioListApi(ApiView):
    @extend_schema(
        summary="The journey's test scenarios",
        operation_id="designer_scenarios_list",
        responses={200: ScenarioSerializer(many=True), **errors(404)},
    )
    def get(self, request: Request, journey_id: int) -> Response:
        journey = access_journey_for_design(user=request.user, journey_id=journey_id)
        scenarios = selectors.scenarios_of(journey=journey)
        return Response(ScenarioSerializer(scenarios, many=True).data)

    @extend_schema(
        summary="Save a test scenario with the journey",
        request=ScenarioSerializer,
        responses={201: ScenarioSerializer, **errors(400, 404)},
    )
    def post(self, request: Request, journey_id: int) -> Response:
        journey = access_journey_for_design(user=request.user, journey_id=journey_id)
        payload = ScenarioSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        scenario = services.scenario_create(
            actor=request.user, journey=journey, **payload.validated_data
        )
        return Response(ScenarioSerializer(scenario).data, status=status.HTTP_201_CREATED)


class ScenarioDetailApi(ApiView):
    def _scenario(self, request: Request, journey_id: int, scenario_id: int) -> Scenario:
        return access_scenario(user=request.user, journey_id=journey_id, scenario_id=scenario_id)

    @extend_schema(summary="One test scenario", responses={200: ScenarioSerializer, **errors(404)})
    def get(self, request: Request, journey_id: int, scenario_id: int) -> Response:
        return Response(ScenarioSerializer(self._scenario(request, journey_id, scenario_id)).data)

    @extend_schema(
        summary="Replace a test scenario",
        request=ScenarioSerializer,
        responses={200: ScenarioSerializer, **errors(400, 404)},
    )
    def put(self, request: Request, journey_id: int, scenario_id: int) -> Response:
        payload = ScenarioSerializer(data=request.data)
        with transaction.atomic():
            scenario = self._scenario(request, journey_id, scenario_id)
            payload.is_valid(raise_exception=True)
            scenario = services.scenario_update(
                actor=request.user, scenario=scenario, **payload.validated_data
            )
        return Response(ScenarioSerializer(scenario).data)

    @extend_schema(summary="Delete a test scenario", responses={204: None, **errors(404)})
    def delete(self, request: Request, journey_id: int, scenario_id: int) -> Response:
        scenario = self._scenario(request, journey_id, scenario_id)
        services.scenario_delete(actor=request.user, scenario=scenario)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ScenarioRunSerializer(serializers.Serializer):
    bpmn_xml = serializers.CharField(
        trim_whitespace=False,
        required=False,
        help_text="the diagram to test; the draft (or newest version) when left out",
    )
    scenarios = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        required=False,
        max_length=1000,
        help_text="ids of the scenarios to run; all when left out",
    )


class FailureSerializer(serializers.Serializer):
    expectation = serializers.IntegerField(allow_null=True)
    step = serializers.IntegerField()
    field = serializers.CharField()
    expected = serializers.JSONField()
    actual = serializers.JSONField()
    message = serializers.CharField()


class ScenarioResultSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    passed = serializers.BooleanField()
    error = serializers.CharField(allow_null=True)
    failures = FailureSerializer(many=True)
    lines = serializers.ListField(child=serializers.DictField())


class ScenarioRunResultSerializer(serializers.Serializer):
    passed = serializers.IntegerField()
    failed = serializers.IntegerField()
    results = ScenarioResultSerializer(many=True)


class ScenarioRunApi(ApiView):
    @extend_schema(
        summary="Run the journey's test scenarios against a diagram; pass or fail for each",
        request=ScenarioRunSerializer,
        responses={200: ScenarioRunResultSerializer, **errors(400, 404)},
    )
    def post(self, request: Request, journey_id: int) -> Response:
        journey = access_journey_for_design(user=request.user, journey_id=journey_id)
        payload = ScenarioRunSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        values: dict[str, Any] = payload.validated_data
        return Response(
            selectors.scenarios_run(
                journey=journey,
                bpmn_xml=values.get("bpmn_xml"),
                scenario_ids=values.get("scenarios"),
            )
        )
