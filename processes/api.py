"""REST API of journeys, process instances, incidents, messages, signals and simulation: thin views
over ``processes.access``, ``processes.selectors`` and ``processes.services``."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from processes import selectors, services
from processes.access import (
    access_incident,
    access_instance,
    access_journey,
    access_journey_by_reference,
    access_journey_draft,
    access_journey_version,
    access_journey_version_by_reference,
)
from processes.bpmn.xml import MAX_DOCUMENT_BYTES, BpmnSyntaxError, document_text
from processes.models import InstanceStatus, JourneyVersion
from tasks.api import TaskSummarySerializer
from workflow_site.api import (
    PAGING_PARAMETERS,
    ApiView,
    ReasonSerializer,
    UserSerializer,
    errors,
    paged,
    paged_response,
)
from workflow_site.errors import ApplicationError

#: Ids and numbers fit a signed 64-bit column.
MAX_ID = 2**63 - 1

# Serializer fields called ``data`` carry ``type: ignore[assignment]``: to mypy they shadow
# ``Serializer.data``, but DRF's metaclass takes declared fields out of the class body.


# --- Journeys --------------------------------------------------------------------------------


class JourneyOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    key = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    published_version = serializers.IntegerField(source="published_number", allow_null=True)
    created_at = serializers.DateTimeField()


class JourneyCreateSerializer(serializers.Serializer):
    key = serializers.SlugField(max_length=100)
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    bpmn_xml = serializers.CharField(trim_whitespace=False)


@extend_schema_field({"type": "string", "format": "binary"})
class UploadField(serializers.FileField):
    """A file sent as a part of a multipart body."""


class JourneyImportSerializer(serializers.Serializer):
    """A BPMN file (multipart ``file``) or its text (``bpmn_xml``); key and name default to the
    document's process."""

    file = UploadField(required=False)
    bpmn_xml = serializers.CharField(required=False, trim_whitespace=False)
    key = serializers.SlugField(max_length=100, required=False, allow_blank=True, default="")
    name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    description = serializers.CharField(required=False, allow_blank=True, default="")

    def validate_file(self, upload: Any) -> str:
        if upload.size > MAX_DOCUMENT_BYTES:
            raise serializers.ValidationError(
                f"The file is larger than {MAX_DOCUMENT_BYTES} bytes.", code="too_large"
            )
        try:
            return document_text(upload.read())
        except BpmnSyntaxError as error:
            raise ApplicationError("invalid_bpmn", str(error), field="file") from None

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        text = attrs.pop("file", None)
        if (text is None) == ("bpmn_xml" not in attrs):
            raise serializers.ValidationError(
                {"file": "Send either a BPMN file or bpmn_xml, not both or neither."},
                code="required",
            )
        if text is not None:
            attrs["bpmn_xml"] = text
        return attrs


class VersionSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    status = serializers.CharField()
    lock_version = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    created_by = UserSerializer(allow_null=True)
    updated_at = serializers.DateTimeField()
    published_at = serializers.DateTimeField(allow_null=True)
    published_by = UserSerializer(allow_null=True)
    retired_at = serializers.DateTimeField(allow_null=True)
    retired_by = UserSerializer(allow_null=True)


class DraftSerializer(VersionSerializer):
    bpmn_xml = serializers.CharField()


class DraftSaveSerializer(serializers.Serializer):
    bpmn_xml = serializers.CharField(trim_whitespace=False)
    lock_version = serializers.IntegerField(
        allow_null=True, min_value=0, max_value=MAX_ID, help_text="null when there is no draft yet"
    )


class FindingSerializer(serializers.Serializer):
    severity = serializers.CharField()
    element_id = serializers.CharField(allow_null=True)
    element_type = serializers.CharField(allow_null=True)
    code = serializers.CharField()
    message = serializers.CharField()


class FindingsSerializer(serializers.Serializer):
    valid = serializers.BooleanField()
    findings = FindingSerializer(many=True)


class BpmnRenderer(BaseRenderer):
    """``application/xml``: the BPMN export as is; an error as a small XML document."""

    media_type = "application/xml"
    format = "bpmn"
    charset = None

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Any = None,
    ) -> bytes:
        if isinstance(data, bytes):
            return data
        from lxml import etree

        error = (data or {}).get("error", {}) if isinstance(data, dict) else {}
        root = etree.Element("error", code=str(error.get("code", "error")))
        root.text = str(error.get("message", ""))
        return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def _bpmn_download(version: JourneyVersion, content: bytes) -> HttpResponse:
    response = HttpResponse(content, content_type="application/xml")
    name = f"{version.journey.key}-v{version.number}.bpmn"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


BPMN_RESPONSE: dict[Any, Any] = {(200, "application/xml"): OpenApiTypes.STR, **errors(404)}


class JourneyListApi(ApiView):
    @extend_schema(
        summary="Journeys you may see",
        operation_id="journeys_list",
        parameters=PAGING_PARAMETERS,
        responses=paged(JourneyOutputSerializer),
    )
    def get(self, request: Request) -> Response:
        journeys = selectors.journeys_visible_to(user=request.user)
        return paged_response(request, self, journeys, JourneyOutputSerializer)

    @extend_schema(
        summary="Create a journey with its first draft",
        request=JourneyCreateSerializer,
        responses={201: JourneyOutputSerializer, **errors(400)},
    )
    def post(self, request: Request) -> Response:
        payload = JourneyCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        journey = services.journey_create(actor=request.user, **payload.validated_data)
        journey = access_journey(user=request.user, journey_id=journey.pk)
        return Response(JourneyOutputSerializer(journey).data, status=status.HTTP_201_CREATED)


class JourneyImportApi(ApiView):
    parser_classes = [*ApiView.parser_classes, MultiPartParser]

    @extend_schema(
        summary="Import a BPMN file as a new journey",
        request={
            "multipart/form-data": JourneyImportSerializer,
            "application/json": JourneyImportSerializer,
        },
        responses={201: JourneyOutputSerializer, **errors(400, 413)},
    )
    def post(self, request: Request) -> Response:
        payload = JourneyImportSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        journey = services.journey_import(actor=request.user, **payload.validated_data)
        journey = access_journey(user=request.user, journey_id=journey.pk)
        return Response(JourneyOutputSerializer(journey).data, status=status.HTTP_201_CREATED)


class JourneyDetailApi(ApiView):
    @extend_schema(summary="One journey", responses={200: JourneyOutputSerializer, **errors(404)})
    def get(self, request: Request, journey_id: int) -> Response:
        journey = access_journey(user=request.user, journey_id=journey_id)
        return Response(JourneyOutputSerializer(journey).data)


class JourneyVersionListApi(ApiView):
    @extend_schema(
        summary="The versions of a journey, newest first",
        operation_id="journeys_versions_list",
        parameters=PAGING_PARAMETERS,
        responses={200: paged(VersionSerializer), **errors(404)},
    )
    def get(self, request: Request, journey_id: int) -> Response:
        journey = access_journey(user=request.user, journey_id=journey_id)
        versions = selectors.journey_versions(journey=journey)
        return paged_response(request, self, versions, VersionSerializer)


class JourneyVersionRetireApi(ApiView):
    @extend_schema(
        summary="Retire a published version (running instances carry on)",
        request=None,
        responses={200: VersionSerializer, **errors(400, 404, 409)},
    )
    def post(self, request: Request, journey_id: int, number: int) -> Response:
        with transaction.atomic():
            version = access_journey_version(
                user=request.user, journey_id=journey_id, number=number, for_update=True
            )
            version = services.journey_version_retire(actor=request.user, version=version)
        return Response(VersionSerializer(version).data)


class JourneyVersionBpmnApi(ApiView):
    renderer_classes = [JSONRenderer, BpmnRenderer]

    @extend_schema(summary="Export a version as BPMN 2.0 XML", responses=BPMN_RESPONSE)
    def get(self, request: Request, journey_id: int, number: int) -> HttpResponse:
        version = access_journey_version(user=request.user, journey_id=journey_id, number=number)
        return _bpmn_download(version, selectors.journey_version_export(version=version))


class JourneyDraftApi(ApiView):
    @extend_schema(
        summary="The draft of a journey", responses={200: DraftSerializer, **errors(404)}
    )
    def get(self, request: Request, journey_id: int) -> Response:
        draft = access_journey_draft(user=request.user, journey_id=journey_id)
        return Response(DraftSerializer(draft).data)

    @extend_schema(
        summary="Save the draft (409 when someone else saved it since lock_version)",
        request=DraftSaveSerializer,
        responses={200: DraftSerializer, **errors(400, 404, 409)},
    )
    def put(self, request: Request, journey_id: int) -> Response:
        payload = DraftSaveSerializer(data=request.data)
        with transaction.atomic():
            journey = access_journey(user=request.user, journey_id=journey_id, for_update=True)
            payload.is_valid(raise_exception=True)
            draft = services.journey_draft_save(
                actor=request.user,
                journey=journey,
                bpmn_xml=payload.validated_data["bpmn_xml"],
                expected_lock_version=payload.validated_data["lock_version"],
            )
        return Response(DraftSerializer(draft).data)


class JourneyDraftValidateApi(ApiView):
    @extend_schema(
        summary="Validate the draft",
        request=None,
        responses={200: FindingsSerializer, **errors(404)},
    )
    def post(self, request: Request, journey_id: int) -> Response:
        draft = access_journey_draft(user=request.user, journey_id=journey_id)
        return Response(selectors.bpmn_findings(bpmn_xml=draft.bpmn_xml))


class JourneyDraftPublishApi(ApiView):
    @extend_schema(
        summary="Publish the draft (400 invalid_process with the findings when it cannot run)",
        request=None,
        responses={200: VersionSerializer, **errors(400, 404, 409)},
    )
    def post(self, request: Request, journey_id: int) -> Response:
        with transaction.atomic():
            draft = access_journey_draft(user=request.user, journey_id=journey_id, for_update=True)
            version = services.journey_version_publish(actor=request.user, version=draft)
        return Response(VersionSerializer(version).data)


class JourneyDraftBpmnApi(ApiView):
    renderer_classes = [JSONRenderer, BpmnRenderer]

    @extend_schema(summary="Export the draft as BPMN 2.0 XML", responses=BPMN_RESPONSE)
    def get(self, request: Request, journey_id: int) -> HttpResponse:
        draft = access_journey_draft(user=request.user, journey_id=journey_id)
        return _bpmn_download(draft, selectors.journey_version_export(version=draft))


# --- Process instances -----------------------------------------------------------------------


@extend_schema_field({"oneOf": [{"type": "integer"}, {"type": "string"}]})
class JourneyReferenceField(serializers.Field):
    """A journey by id (an integer) or by key (a string)."""

    default_error_messages = {"invalid": "Give the journey's id (an integer) or key (a string)."}

    def to_internal_value(self, data: Any) -> int | str:
        if isinstance(data, int) and not isinstance(data, bool) and 0 < data <= MAX_ID:
            return data
        if isinstance(data, str) and 0 < len(data.strip()) <= 100 and "\x00" not in data:
            return data.strip()
        self.fail("invalid")
        raise AssertionError  # pragma: no cover - fail() raises

    def to_representation(self, value: Any) -> Any:
        return value


class JourneyRefSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()


class InstanceStartSerializer(serializers.Serializer):
    journey = JourneyReferenceField()
    data = serializers.DictField(required=False, default=dict)  # type: ignore[assignment]
    business_key = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default=""
    )
    correlation_key = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default=""
    )


class InstanceListQuerySerializer(serializers.Serializer):
    """Filters of the instance list; ``var_NAME=value`` filters on one case variable."""

    status = serializers.ChoiceField(choices=InstanceStatus.choices, required=False)
    journey = serializers.CharField(max_length=100, required=False, help_text="a journey key")
    started_after = serializers.DateTimeField(required=False)
    started_before = serializers.DateTimeField(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        names = [name for name in self.initial_data if name.startswith("var_")]
        if len(names) > 1:
            raise serializers.ValidationError(
                {names[1]: "Filter on one variable at a time."}, code="invalid"
            )
        if names:
            variable = names[0].removeprefix("var_")
            value = self.initial_data.get(names[0])
            if not variable.isidentifier() or not variable.isascii() or len(variable) > 100:
                raise serializers.ValidationError(
                    {names[0]: "Name a case variable: var_NAME=value."}, code="invalid"
                )
            if len(value) > 200 or "\x00" in value:
                raise serializers.ValidationError(
                    {names[0]: "Give a value of at most 200 characters."}, code="invalid"
                )
            attrs["variable"] = (variable, value)
        return attrs


class IncidentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    instance = serializers.IntegerField(source="instance_id")
    element_id = serializers.CharField()
    kind = serializers.CharField()
    message = serializers.CharField()
    attempts = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    resolved_at = serializers.DateTimeField(allow_null=True)


class InstanceItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    journey = JourneyRefSerializer(source="version.journey")
    version = serializers.IntegerField(source="version.number")
    status = serializers.CharField()
    business_key = serializers.CharField()
    correlation_key = serializers.CharField()
    started_at = serializers.DateTimeField()
    started_by = UserSerializer(allow_null=True)
    ended_at = serializers.DateTimeField(allow_null=True)


class InstanceDetailSerializer(InstanceItemSerializer):
    data = serializers.DictField()  # type: ignore[assignment]
    end_reason = serializers.CharField()
    lock_version = serializers.IntegerField()
    open_tasks = serializers.SerializerMethodField()
    open_incidents = serializers.SerializerMethodField()

    @extend_schema_field(TaskSummarySerializer(many=True))
    def get_open_tasks(self, instance: Any) -> Any:
        tasks = selectors.instance_open_tasks(instance=instance)
        return TaskSummarySerializer(tasks, many=True).data

    @extend_schema_field(IncidentSerializer(many=True))
    def get_open_incidents(self, instance: Any) -> Any:
        incidents = selectors.instance_open_incidents(instance=instance)
        return IncidentSerializer(incidents, many=True).data


class EventSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    at = serializers.DateTimeField()
    kind = serializers.CharField()
    element_id = serializers.CharField()
    actor = UserSerializer(allow_null=True)
    detail = serializers.DictField()


class DiagramSerializer(serializers.Serializer):
    status = serializers.CharField()
    active = serializers.DictField(child=serializers.IntegerField())
    completed = serializers.DictField(child=serializers.IntegerField())
    waiting = serializers.ListField(child=serializers.CharField())
    incidents = serializers.ListField(child=serializers.CharField())
    path = serializers.ListField(child=serializers.CharField())
    bpmn_xml = serializers.CharField()


def _instance_response(request: Request, instance_id: int, http_status: int = 200) -> Response:
    # Read again after the commit: a job run on commit may have moved the instance on.
    instance = access_instance(user=request.user, instance_id=instance_id)
    return Response(InstanceDetailSerializer(instance).data, status=http_status)


INSTANCE_CHANGE = {200: InstanceDetailSerializer, **errors(400, 404, 409)}


class InstanceStartApi(ApiView):
    @extend_schema(
        summary="Start an instance of a journey's latest published version",
        request=InstanceStartSerializer,
        responses={201: InstanceDetailSerializer, **errors(400, 404)},
    )
    def post(self, request: Request) -> Response:
        payload = InstanceStartSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        options = dict(payload.validated_data)
        # Nothing that exists is changed, so nothing is locked: the new instance is the service's.
        with transaction.atomic():
            journey = access_journey_by_reference(
                user=request.user, reference=options.pop("journey")
            )
            instance = services.instance_start(actor=request.user, journey=journey, **options)
        return _instance_response(request, instance.pk, status.HTTP_201_CREATED)


class InstanceListApi(ApiView):
    @extend_schema(
        summary="Process instances you may see, newest first",
        operation_id="processes_list",
        parameters=[InstanceListQuerySerializer, *PAGING_PARAMETERS],
        responses={200: paged(InstanceItemSerializer), **errors(400)},
    )
    def get(self, request: Request) -> Response:
        query = InstanceListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        instances = selectors.instance_list(user=request.user, **query.validated_data)
        return paged_response(request, self, instances, InstanceItemSerializer)


class InstanceDetailApi(ApiView):
    @extend_schema(
        summary="One instance: data, status, open tasks and incidents",
        responses={200: InstanceDetailSerializer, **errors(404)},
    )
    def get(self, request: Request, instance_id: int) -> Response:
        instance = access_instance(user=request.user, instance_id=instance_id)
        return Response(InstanceDetailSerializer(instance).data)


class _InstanceActionApi(ApiView):
    """An operator action on one instance: lock it, check the body, act."""

    payload_serializer: type[serializers.Serializer[Any]] | None = ReasonSerializer

    def act(self, request: Request, instance_id: int, data: dict[str, Any]) -> None:
        raise NotImplementedError

    def post(self, request: Request, instance_id: int) -> Response:
        payload = self.payload_serializer(data=request.data) if self.payload_serializer else None
        with transaction.atomic():
            access_instance(user=request.user, instance_id=instance_id, for_update=True)
            if payload is not None:
                payload.is_valid(raise_exception=True)
            self.act(request, instance_id, dict(payload.validated_data) if payload else {})
        return _instance_response(request, instance_id)


@extend_schema_view(
    post=extend_schema(
        summary="Suspend an instance", request=ReasonSerializer, responses=INSTANCE_CHANGE
    )
)
class InstanceSuspendApi(_InstanceActionApi):
    def act(self, request: Request, instance_id: int, data: dict[str, Any]) -> None:
        services.instance_suspend(
            actor=request.user, instance_id=instance_id, reason=data["reason"]
        )


@extend_schema_view(
    post=extend_schema(
        summary="Resume a suspended instance", request=None, responses=INSTANCE_CHANGE
    )
)
class InstanceResumeApi(_InstanceActionApi):
    payload_serializer = None

    def act(self, request: Request, instance_id: int, data: dict[str, Any]) -> None:
        services.instance_resume(actor=request.user, instance_id=instance_id)


@extend_schema_view(
    post=extend_schema(
        summary="Cancel an instance (a reason is required)",
        request=ReasonSerializer,
        responses=INSTANCE_CHANGE,
    )
)
class InstanceCancelApi(_InstanceActionApi):
    def act(self, request: Request, instance_id: int, data: dict[str, Any]) -> None:
        services.instance_cancel(actor=request.user, instance_id=instance_id, reason=data["reason"])


@extend_schema_view(
    post=extend_schema(
        summary="Terminate an instance at once", request=ReasonSerializer, responses=INSTANCE_CHANGE
    )
)
class InstanceTerminateApi(_InstanceActionApi):
    def act(self, request: Request, instance_id: int, data: dict[str, Any]) -> None:
        services.instance_terminate(
            actor=request.user, instance_id=instance_id, reason=data["reason"]
        )


class InstanceHistoryApi(ApiView):
    @extend_schema(
        summary="The events of an instance, oldest first",
        parameters=PAGING_PARAMETERS,
        responses={200: paged(EventSerializer), **errors(404)},
    )
    def get(self, request: Request, instance_id: int) -> Response:
        instance = access_instance(user=request.user, instance_id=instance_id)
        events = selectors.instance_history(instance=instance)
        return paged_response(request, self, events, EventSerializer)


class InstanceVisualizeApi(ApiView):
    @extend_schema(
        summary="Element states for drawing the instance on its diagram, with the BPMN",
        responses={200: DiagramSerializer, **errors(404)},
    )
    def get(self, request: Request, instance_id: int) -> Response:
        instance = access_instance(user=request.user, instance_id=instance_id)
        states = selectors.instance_diagram_states(instance=instance)
        return Response({**states, "bpmn_xml": instance.version.bpmn_xml})


class IncidentRetryApi(ApiView):
    @extend_schema(
        summary="Run a failed service task again",
        request=None,
        responses={202: IncidentSerializer, **errors(400, 404, 409)},
    )
    def post(self, request: Request, incident_id: int) -> Response:
        with transaction.atomic():
            access_incident(user=request.user, incident_id=incident_id, for_update=True)
            incident = services.incident_retry(actor=request.user, incident_id=incident_id)
        return Response(IncidentSerializer(incident).data, status=status.HTTP_202_ACCEPTED)


# --- Messages and signals ----------------------------------------------------------------------


class MessageSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    correlation_key = serializers.CharField(max_length=200)
    data = serializers.DictField(required=False, default=dict)  # type: ignore[assignment]


class SignalSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)


class DeliveredSerializer(serializers.Serializer):
    instances = serializers.ListField(child=serializers.IntegerField())


# No transaction around these: each instance is changed in its own, never two locked at once.


class MessageApi(ApiView):
    @extend_schema(
        summary="Deliver a message to the running instances with its correlation key",
        request=MessageSerializer,
        responses={202: DeliveredSerializer, **errors(400, 404, 409)},
    )
    def post(self, request: Request) -> Response:
        payload = MessageSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        reached = services.message_correlate(actor=request.user, **payload.validated_data)
        return Response({"instances": reached}, status=status.HTTP_202_ACCEPTED)


class SignalApi(ApiView):
    @extend_schema(
        summary="Broadcast a signal to every running instance waiting for it",
        request=SignalSerializer,
        responses={202: DeliveredSerializer, **errors(400)},
    )
    def post(self, request: Request) -> Response:
        payload = SignalSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        reached = services.signal_broadcast(actor=request.user, **payload.validated_data)
        return Response({"instances": reached}, status=status.HTTP_202_ACCEPTED)


# --- Simulation --------------------------------------------------------------------------------


@extend_schema_field({"oneOf": [{"type": "integer"}, {"type": "string", "enum": ["draft"]}]})
class VersionReferenceField(serializers.Field):
    """A version number, or ``"draft"``."""

    default_error_messages = {"invalid": 'Give a version number or "draft".'}

    def to_internal_value(self, data: Any) -> int | str:
        if isinstance(data, int) and not isinstance(data, bool) and 0 < data <= MAX_ID:
            return data
        if data == "draft":
            return "draft"
        self.fail("invalid")
        raise AssertionError  # pragma: no cover - fail() raises

    def to_representation(self, value: Any) -> Any:
        return value


class SimulationSerializer(serializers.Serializer):
    journey = JourneyReferenceField()
    version = VersionReferenceField(
        required=False,
        default=None,
        help_text='a number or "draft"; the latest published if left out',
    )
    script = serializers.JSONField(
        help_text='a list of events, or {"data": {...}, "events": [...], "now": ISO datetime}'
    )


class PlayLineSerializer(serializers.Serializer):
    step = serializers.IntegerField()
    event = serializers.JSONField(allow_null=True)
    ok = serializers.BooleanField()
    error = serializers.CharField(allow_null=True)
    state = serializers.CharField()
    open = serializers.DictField(child=serializers.IntegerField())
    started = serializers.DictField(child=serializers.IntegerField())
    log = serializers.DictField(child=serializers.IntegerField())
    waiting = serializers.ListField(child=serializers.CharField())
    data = serializers.DictField()  # type: ignore[assignment]


class PlaySerializer(serializers.Serializer):
    lines = PlayLineSerializer(many=True)


class BpmnInputSerializer(serializers.Serializer):
    bpmn_xml = serializers.CharField(trim_whitespace=False)


class JourneySimulationApi(ApiView):
    @extend_schema(
        summary="Run a script of events against a journey version in memory (itinera play)",
        request=SimulationSerializer,
        responses={200: PlaySerializer, **errors(400, 404)},
    )
    def post(self, request: Request) -> Response:
        payload = SimulationSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        version = access_journey_version_by_reference(
            user=request.user,
            journey=payload.validated_data["journey"],
            version=payload.validated_data["version"],
        )
        lines = selectors.journey_version_play(
            version=version, script=payload.validated_data["script"]
        )
        return Response({"lines": lines})


class ValidateWorkflowApi(ApiView):
    @extend_schema(
        summary="Validate a BPMN document",
        request=BpmnInputSerializer,
        responses={200: FindingsSerializer, **errors(400)},
    )
    def post(self, request: Request) -> Response:
        payload = BpmnInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        return Response(selectors.bpmn_findings(bpmn_xml=payload.validated_data["bpmn_xml"]))
