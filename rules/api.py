"""REST API of business rules: thin views over ``rules.access``, ``rules.selectors`` and
``rules.services``."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from processes.api import BpmnRenderer
from rules import selectors, services
from rules.access import access_rule
from rules.core import KINDS
from rules.core.dmn import export_dmn
from rules.core.tabular import export_csv
from rules.models import Rule, RuleVersion
from workflow_site.api import (
    PAGING_PARAMETERS,
    ApiView,
    UserSerializer,
    errors,
    paged,
    paged_response,
)
from workflow_site.errors import ApplicationError

MAX_FILE_BYTES = 5 * 1024 * 1024

# Serializer fields called ``data`` carry ``type: ignore[assignment]``: to mypy they shadow
# ``Serializer.data``, but DRF's metaclass takes declared fields out of the class body.


@extend_schema_field(
    {
        "type": "object",
        "description": "A rule definition: a condition rule (kind condition) or a decision "
        "table (kind decision_table); see the rules documentation.",
        "additionalProperties": True,
    }
)
class DefinitionField(serializers.JSONField):
    """A rule definition (an object)."""


class RuleSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    key = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    kind = serializers.CharField()
    always_latest = serializers.BooleanField()
    owner = UserSerializer(allow_null=True)
    latest_version = serializers.SerializerMethodField()
    lock_version = serializers.IntegerField()
    updated_at = serializers.DateTimeField()

    def get_latest_version(self, rule: Rule) -> int | None:
        latest = getattr(rule, "latest_number", None)
        if latest is None and not hasattr(rule, "latest_number"):
            found = rule.versions.order_by("-number").values_list("number", flat=True).first()
            return found
        return latest


class RuleDetailSerializer(RuleSerializer):
    draft = DefinitionField()


class RuleCreateSerializer(serializers.Serializer):
    key = serializers.CharField(max_length=100)
    name = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=KINDS)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    always_latest = serializers.BooleanField(required=False, default=False)
    definition = DefinitionField(required=False, allow_null=True, default=None)


class RuleUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    always_latest = serializers.BooleanField(required=False)


class RuleDraftSaveSerializer(serializers.Serializer):
    definition = DefinitionField()
    lock_version = serializers.IntegerField(min_value=0, max_value=2**31 - 1)


class RuleCheckSerializer(serializers.Serializer):
    definition = DefinitionField()


class ProblemSerializer(serializers.Serializer):
    path = serializers.CharField()
    message = serializers.CharField()
    offset = serializers.IntegerField(allow_null=True)


class RuleCheckResultSerializer(serializers.Serializer):
    valid = serializers.BooleanField()
    problems = ProblemSerializer(many=True)


class PublishSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class RuleVersionSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    note = serializers.CharField()
    changes = serializers.JSONField()
    published_by = UserSerializer(allow_null=True)
    published_at = serializers.DateTimeField()


class RuleVersionDetailSerializer(RuleVersionSerializer):
    definition = DefinitionField()


class EvaluateSerializer(serializers.Serializer):
    data = serializers.DictField(required=False, default=dict)  # type: ignore[assignment]
    version = serializers.IntegerField(
        required=False, allow_null=True, default=None, min_value=1, max_value=2**31 - 1
    )
    definition = DefinitionField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Try an unsaved definition instead of a published version.",
    )


class MatchedRowSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="0-based row")
    description = serializers.CharField()
    selected = serializers.BooleanField()


class EvaluationSerializer(serializers.Serializer):
    version = serializers.IntegerField(
        allow_null=True, help_text="the version evaluated; null for a draft or a definition"
    )
    result = serializers.JSONField()
    matched = serializers.ListField(child=serializers.IntegerField())
    selected = serializers.ListField(child=serializers.IntegerField())
    rows = MatchedRowSerializer(many=True, required=False)


@extend_schema_field({"type": "string", "format": "binary"})
class UploadField(serializers.FileField):
    """A file sent as a part of a multipart body."""


def _read_upload(upload: Any, field: str) -> str:
    if upload.size > MAX_FILE_BYTES:
        raise ApplicationError(
            "too_large", f"The file is larger than {MAX_FILE_BYTES} bytes.", field=field
        )
    raw = upload.read()
    try:
        return str(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise ApplicationError("invalid_file", "The file is not UTF-8 text.", field=field) from None


class DmnImportSerializer(serializers.Serializer):
    """A DMN file (multipart ``file``) or its text (``dmn``)."""

    file = UploadField(required=False)
    dmn = serializers.CharField(required=False, trim_whitespace=False)
    key = serializers.CharField(required=False, allow_blank=True, default="", max_length=100)
    name = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        upload = attrs.pop("file", None)
        if (upload is None) == ("dmn" not in attrs):
            raise serializers.ValidationError(
                {"file": "Send either a DMN file or dmn, not both or neither."}, code="required"
            )
        if upload is not None:
            attrs["dmn"] = _read_upload(upload, "file")
        return attrs


class DraftImportSerializer(serializers.Serializer):
    """A DMN or CSV file (multipart ``file``, its kind from ``format``) or its text."""

    file = UploadField(required=False)
    format = serializers.ChoiceField(choices=["dmn", "csv"])
    text = serializers.CharField(required=False, trim_whitespace=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        upload = attrs.pop("file", None)
        if (upload is None) == ("text" not in attrs):
            raise serializers.ValidationError(
                {"file": "Send either a file or text, not both or neither."}, code="required"
            )
        if upload is not None:
            attrs["text"] = _read_upload(upload, "file")
        return attrs


class PermissionSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=["view", "edit", "publish"])
    user = serializers.CharField(required=False, help_text="a user name")
    group = serializers.CharField(required=False, help_text="a group name")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("user" in attrs) == ("group" in attrs):
            raise serializers.ValidationError(
                {"user": "Name a user or a group, not both or neither."}, code="required"
            )
        if "user" in attrs:
            found = get_user_model().objects.filter(username=attrs["user"]).first()
            if found is None:
                raise serializers.ValidationError({"user": "No such user."}, code="not_found")
            attrs["user"] = found
        else:
            group = Group.objects.filter(name=attrs["group"]).first()
            if group is None:
                raise serializers.ValidationError({"group": "No such group."}, code="not_found")
            attrs["group"] = group
        return attrs


def _detail(rule: Rule) -> dict[str, Any]:
    return dict(RuleDetailSerializer(rule).data)


class RuleListApi(ApiView):
    @extend_schema(
        summary="Rules you may see",
        operation_id="rules_list",
        parameters=[
            *PAGING_PARAMETERS,
            OpenApiParameter("search", str, description="in key, name or description"),
        ],
        responses=paged(RuleSerializer),
    )
    def get(self, request: Request) -> Response:
        rules = selectors.rules_visible_to(
            user=request.user, search=str(request.query_params.get("search", ""))[:200]
        )
        return paged_response(request, self, rules, RuleSerializer)

    @extend_schema(
        summary="Create a rule (its creator owns it)",
        request=RuleCreateSerializer,
        responses={201: RuleDetailSerializer, **errors(400)},
    )
    def post(self, request: Request) -> Response:
        payload = RuleCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        rule = services.rule_create(actor=request.user, **payload.validated_data)
        return Response(_detail(rule), status=status.HTTP_201_CREATED)


class RuleDetailApi(ApiView):
    @extend_schema(
        summary="One rule with its draft", responses={200: RuleDetailSerializer, **errors(404)}
    )
    def get(self, request: Request, rule_id: int) -> Response:
        return Response(_detail(access_rule(user=request.user, rule_id=rule_id)))

    @extend_schema(
        summary="Change a rule's name, description or always-latest flag",
        request=RuleUpdateSerializer,
        responses={200: RuleDetailSerializer, **errors(400, 404)},
    )
    def patch(self, request: Request, rule_id: int) -> Response:
        payload = RuleUpdateSerializer(data=request.data)
        with transaction.atomic():
            rule = access_rule(user=request.user, rule_id=rule_id, for_update=True)
            payload.is_valid(raise_exception=True)
            rule = services.rule_update(actor=request.user, rule=rule, **payload.validated_data)
        return Response(_detail(rule))

    @extend_schema(
        summary="Delete a rule (409 when a published journey version uses it)",
        responses={204: None, **errors(400, 404, 409)},
    )
    def delete(self, request: Request, rule_id: int) -> Response:
        with transaction.atomic():
            rule = access_rule(user=request.user, rule_id=rule_id, for_update=True)
            services.rule_delete(actor=request.user, rule=rule)
        return Response(status=status.HTTP_204_NO_CONTENT)


class RuleDraftApi(ApiView):
    @extend_schema(
        summary="Save the draft (409 when someone else saved it since lock_version)",
        request=RuleDraftSaveSerializer,
        responses={200: RuleDetailSerializer, **errors(400, 404, 409)},
    )
    def put(self, request: Request, rule_id: int) -> Response:
        payload = RuleDraftSaveSerializer(data=request.data)
        with transaction.atomic():
            rule = access_rule(user=request.user, rule_id=rule_id, for_update=True)
            payload.is_valid(raise_exception=True)
            rule = services.rule_draft_save(
                actor=request.user,
                rule=rule,
                definition=payload.validated_data["definition"],
                expected_lock_version=payload.validated_data["lock_version"],
            )
        return Response(_detail(rule))


class RuleCheckApi(ApiView):
    @extend_schema(
        summary="Every problem of a definition, as the editor shows them (nothing is saved)",
        request=RuleCheckSerializer,
        responses={200: RuleCheckResultSerializer, **errors(400, 404)},
    )
    def post(self, request: Request, rule_id: int) -> Response:
        access_rule(user=request.user, rule_id=rule_id)
        payload = RuleCheckSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        problems = selectors.draft_problems(definition=payload.validated_data["definition"])
        return Response({"valid": not problems, "problems": problems})


class RulePublishApi(ApiView):
    @extend_schema(
        summary="Publish the draft as the next version (400 with the problems, 409 unchanged)",
        request=PublishSerializer,
        responses={201: RuleVersionDetailSerializer, **errors(400, 404, 409)},
    )
    def post(self, request: Request, rule_id: int) -> Response:
        payload = PublishSerializer(data=request.data)
        with transaction.atomic():
            rule = access_rule(user=request.user, rule_id=rule_id, for_update=True)
            payload.is_valid(raise_exception=True)
            version = services.rule_publish(
                actor=request.user, rule=rule, note=payload.validated_data["note"]
            )
        return Response(RuleVersionDetailSerializer(version).data, status=status.HTTP_201_CREATED)


class RuleVersionListApi(ApiView):
    @extend_schema(
        summary="The published versions of a rule, newest first",
        operation_id="rules_versions_list",
        parameters=PAGING_PARAMETERS,
        responses={200: paged(RuleVersionSerializer), **errors(404)},
    )
    def get(self, request: Request, rule_id: int) -> Response:
        rule = access_rule(user=request.user, rule_id=rule_id)
        return paged_response(
            request, self, selectors.rule_versions(rule=rule), RuleVersionSerializer
        )


class RuleVersionDetailApi(ApiView):
    @extend_schema(
        summary="One published version", responses={200: RuleVersionDetailSerializer, **errors(404)}
    )
    def get(self, request: Request, rule_id: int, number: int) -> Response:
        rule = access_rule(user=request.user, rule_id=rule_id)
        version: RuleVersion = selectors.rule_version(rule=rule, number=number)
        return Response(RuleVersionDetailSerializer(version).data)


class RuleEvaluateApi(ApiView):
    @extend_schema(
        summary="Evaluate the rule on data: the result and the rows that matched",
        description="Evaluates the given definition, else the given version, else the latest "
        "published version (the draft when none is published). A rule that fails on the data "
        "(a hit-policy violation, an expression error) is a 400 rule_failed naming the rows.",
        request=EvaluateSerializer,
        responses={200: EvaluationSerializer, **errors(400, 404)},
    )
    def post(self, request: Request, rule_id: int) -> Response:
        rule = access_rule(user=request.user, rule_id=rule_id)
        payload = EvaluateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        body = selectors.rule_evaluate(rule=rule, **payload.validated_data)
        return Response(body)


class CsvRenderer(BaseRenderer):
    """``text/csv``: the export as is; an error as its message."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(
        self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None
    ) -> bytes:
        if isinstance(data, bytes):
            return data
        error = (data or {}).get("error", {}) if isinstance(data, dict) else {}
        return str(error.get("message", "")).encode()


def _download(content: bytes | str, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _exported(request: Request, rule: Rule) -> tuple[dict[str, Any], str]:
    raw = request.query_params.get("version")
    if raw in (None, "", "draft"):
        return rule.draft, "draft"
    try:
        number = int(str(raw))
    except ValueError:
        raise ApplicationError(
            "invalid", "The version is a number or draft.", field="version"
        ) from None
    return selectors.rule_version(rule=rule, number=number).definition, f"v{number}"


VERSION_PARAMETER = OpenApiParameter(
    "version", str, description="a version number, or draft (the default)"
)


class RuleDmnApi(ApiView):
    renderer_classes = [JSONRenderer, BpmnRenderer]

    @extend_schema(
        summary="Export a decision table as DMN 1.3 XML",
        parameters=[VERSION_PARAMETER],
        responses={(200, "application/xml"): OpenApiTypes.STR, **errors(400, 404)},
    )
    def get(self, request: Request, rule_id: int) -> HttpResponse:
        rule = access_rule(user=request.user, rule_id=rule_id)
        if rule.kind != "decision_table":
            raise ApplicationError(
                "invalid_rule", "Only decision tables are exported as DMN.", field="id"
            )
        definition, which = _exported(request, rule)
        content = export_dmn(
            key=rule.key, name=rule.name, description=rule.description, definition=definition
        )
        return _download(content, "application/xml", f"{rule.key}-{which}.dmn")


class RuleCsvApi(ApiView):
    renderer_classes = [JSONRenderer, CsvRenderer]

    @extend_schema(
        summary="Export a decision table's columns and rows as CSV",
        parameters=[VERSION_PARAMETER],
        responses={(200, "text/csv"): OpenApiTypes.STR, **errors(400, 404)},
    )
    def get(self, request: Request, rule_id: int) -> HttpResponse:
        rule = access_rule(user=request.user, rule_id=rule_id)
        if rule.kind != "decision_table":
            raise ApplicationError(
                "invalid_rule", "Only decision tables are exported as CSV.", field="id"
            )
        definition, which = _exported(request, rule)
        return _download(
            export_csv(definition), "text/csv; charset=utf-8", f"{rule.key}-{which}.csv"
        )


class RuleImportDmnApi(ApiView):
    parser_classes = [*ApiView.parser_classes, MultiPartParser]

    @extend_schema(
        summary="Create a decision table from a DMN file (DMN 1.1 to 1.5, its first table)",
        request={
            "multipart/form-data": DmnImportSerializer,
            "application/json": DmnImportSerializer,
        },
        responses={201: RuleDetailSerializer, **errors(400, 413)},
    )
    def post(self, request: Request) -> Response:
        payload = DmnImportSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        rule = services.rule_import_dmn(
            actor=request.user, dmn=data["dmn"], key=data["key"], name=data["name"]
        )
        return Response(_detail(rule), status=status.HTTP_201_CREATED)


class RuleDraftImportApi(ApiView):
    parser_classes = [*ApiView.parser_classes, MultiPartParser]

    @extend_schema(
        summary="Replace a decision table's draft with a DMN or CSV file",
        request={
            "multipart/form-data": DraftImportSerializer,
            "application/json": DraftImportSerializer,
        },
        responses={200: RuleDetailSerializer, **errors(400, 404, 413)},
    )
    def post(self, request: Request, rule_id: int) -> Response:
        payload = DraftImportSerializer(data=request.data)
        with transaction.atomic():
            rule = access_rule(user=request.user, rule_id=rule_id, for_update=True)
            payload.is_valid(raise_exception=True)
            data = payload.validated_data
            rule = services.rule_draft_import(
                actor=request.user,
                rule=rule,
                dmn=data["text"] if data["format"] == "dmn" else None,
                csv_text=data["text"] if data["format"] == "csv" else None,
            )
        return Response(_detail(rule))


class RulePermissionApi(ApiView):
    @extend_schema(
        summary="Let a user or group view, edit or publish the rule",
        request=PermissionSerializer,
        responses={204: None, **errors(400, 404)},
    )
    def post(self, request: Request, rule_id: int) -> Response:
        payload = PermissionSerializer(data=request.data)
        with transaction.atomic():
            rule = access_rule(user=request.user, rule_id=rule_id, for_update=True)
            payload.is_valid(raise_exception=True)
            services.rule_permission_grant(actor=request.user, rule=rule, **payload.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Take a permission on the rule away from a user or group",
        request=PermissionSerializer,
        responses={204: None, **errors(400, 404)},
    )
    def delete(self, request: Request, rule_id: int) -> Response:
        payload = PermissionSerializer(data=request.data)
        with transaction.atomic():
            rule = access_rule(user=request.user, rule_id=rule_id, for_update=True)
            payload.is_valid(raise_exception=True)
            services.rule_permission_revoke(actor=request.user, rule=rule, **payload.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)
