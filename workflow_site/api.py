"""What every REST API view shares: the body size limit, a JSON parser that cannot be made to fail
with a 500, paging, the error body in the schema, and a JSON 404 for unknown API paths."""

from __future__ import annotations

import codecs
import functools
import json
import math
from collections.abc import Mapping
from typing import Any, cast

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers
from rest_framework.exceptions import ParseError
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.parsers import BaseParser, JSONParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from workflow_site import representation
from workflow_site.errors import RequestTooLarge

#: Deeper JSON is refused: case data this deep is a mistake, and copying it would recurse.
MAX_JSON_DEPTH = 64


def _finite_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"the number {text[:40]} is out of range")
    return value


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _unstorable(value: Any) -> str | None:
    """Why a parsed JSON value could not be stored as case data (None when it can)."""
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, Mapping):
            pending.extend((key, depth) for key in item)
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            # PostgreSQL's jsonb and text columns cannot hold the NUL character.
            if isinstance(item, str) and "\x00" in item:
                return "a string holds the NUL character"
            continue
        if depth > MAX_JSON_DEPTH:
            return f"nested deeper than {MAX_JSON_DEPTH} levels"
        pending.extend((child, depth + 1) for child in children)
    return None


class BoundedJSONParser(JSONParser):
    """DRF's JSON parser, also refusing out-of-range numbers, the NUL character and nesting
    deeper than ``MAX_JSON_DEPTH`` (each would otherwise fail later, as a server error)."""

    def parse(
        self,
        stream: Any,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            data = json.load(
                codecs.getreader(encoding)(stream),
                parse_constant=_refuse_constant,
                parse_float=_finite_float,
            )
        except (ValueError, RecursionError) as error:
            raise ParseError(f"JSON parse error - {str(error)[:200]}") from None
        problem = _unstorable(data)
        if problem is not None:
            raise ParseError(f"JSON parse error - {problem}")
        return data


# The base of every API view: bodies are JSON (a view that takes uploads adds its parser), and a
# body over DATA_UPLOAD_MAX_MEMORY_SIZE is refused unread, since DRF reads JSON straight from the
# request stream, where Django's own limit never applies. (A comment, not a docstring: the schema
# would describe every endpoint with the docstring of its view's base class.)
class ApiView(APIView):
    parser_classes: list[type[BaseParser]] = [BoundedJSONParser]

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0  # DRF then reads no body at all
        if limit is not None and length > limit:
            raise RequestTooLarge(f"The request body is larger than {limit} bytes.")
        super().initial(request, *args, **kwargs)


class Paging(LimitOffsetPagination):
    """``?limit=&offset=`` paging of every list: ``{count, next, previous, results}``."""

    default_limit = api_settings.PAGE_SIZE
    max_limit = 200


def paged_response(
    request: Any, view: Any, rows: Any, serializer: type[serializers.Serializer[Any]]
) -> Response:
    """One page of ``rows`` (a queryset), serialized: ``{count, next, previous, results}``."""
    paginator = Paging()
    page: list[Any] | None = paginator.paginate_queryset(rows, request, view=view)
    return paginator.get_paginated_response(representation.represent_many(serializer, page or []))


PAGING_PARAMETERS = [
    OpenApiParameter("limit", int, description=f"rows per page (at most {Paging.max_limit})"),
    OpenApiParameter("offset", int, description="rows to skip"),
]


@functools.cache
def paged(item: type[serializers.Serializer]) -> type[serializers.Serializer]:
    """The schema of one page of ``item`` rows (documentation only)."""
    name = item.__name__.removesuffix("Serializer")
    return cast(
        type[serializers.Serializer],
        type(
            f"Paged{name}Serializer",
            (serializers.Serializer,),
            {
                "count": serializers.IntegerField(),
                "next": serializers.URLField(allow_null=True),
                "previous": serializers.URLField(allow_null=True),
                "results": item(many=True),
            },
        ),
    )


class ErrorBodySerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    field = serializers.CharField(allow_null=True)
    details = serializers.DictField()


class ErrorSerializer(serializers.Serializer):
    """The one error body: ``{"error": {code, message, field, details}}``."""

    error = ErrorBodySerializer()


def errors(*statuses: int) -> dict[int, type[serializers.Serializer]]:
    """Schema responses for the error statuses an endpoint may return."""
    return dict.fromkeys(statuses, ErrorSerializer)


@csrf_exempt
def api_not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """Any path under ``/api/`` that names no endpoint: the same body as an unknown id."""
    return JsonResponse(
        {"error": {"code": "not_found", "message": "Not found.", "field": None, "details": {}}},
        status=404,
    )


class UserSerializer(serializers.Serializer):
    """A person as the API shows them."""

    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField(source="get_full_name")


class ReasonSerializer(serializers.Serializer):
    """Why: the services say where a reason is required."""

    reason = serializers.CharField(
        max_length=2000, required=False, allow_blank=True, default="", trim_whitespace=False
    )
