"""Site-wide pages: the API reference, drawn on the server from the same OpenAPI schema as
``/api/schema/`` (no script, nothing fetched from elsewhere)."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from drf_spectacular.generators import SchemaGenerator

HTTP_METHODS = ("get", "post", "put", "patch", "delete")


def _component_name(reference: str) -> str:
    return reference.rsplit("/", 1)[-1]


def _type_label(schema: Mapping[str, Any]) -> str:
    """A short reading of a schema: ``Journey``, ``list of Finding``, ``integer or string``."""
    if "$ref" in schema:
        return _component_name(schema["$ref"])
    for combinator in ("oneOf", "anyOf", "allOf"):
        if combinator in schema:
            return " or ".join(_type_label(option) for option in schema[combinator])
    kind = schema.get("type", "any")
    if kind == "array":
        return f"list of {_type_label(schema.get('items', {}))}"
    if kind == "object" and isinstance(schema.get("additionalProperties"), Mapping):
        return f"object of {_type_label(schema['additionalProperties'])}"
    if "enum" in schema:
        return " | ".join(str(value) for value in schema["enum"] if value not in ("", None))
    if "format" in schema:
        kind = f"{kind} ({schema['format']})"
    return f"{kind}, nullable" if schema.get("nullable") else str(kind)


def _references(schema: Mapping[str, Any]) -> list[str]:
    """The components a schema names, directly or in its items and alternatives."""
    if "$ref" in schema:
        return [_component_name(schema["$ref"])]
    found: list[str] = []
    for combinator in ("oneOf", "anyOf", "allOf"):
        for option in schema.get(combinator, []):
            found += _references(option)
    if isinstance(schema.get("items"), Mapping):
        found += _references(schema["items"])
    return found


def _fields(schema: Mapping[str, Any]) -> list[dict[str, Any]]:
    required = set(schema.get("required", []))
    return [
        {
            "name": name,
            "type": _type_label(field),
            "links": _references(field),
            "required": name in required,
            "read_only": field.get("readOnly", False),
            "description": field.get("description", ""),
        }
        for name, field in schema.get("properties", {}).items()
    ]


def _operation(method: str, path: str, operation: Mapping[str, Any]) -> dict[str, Any]:
    body = operation.get("requestBody", {}).get("content", {})
    return {
        "id": operation["operationId"],
        "method": method.upper(),
        "path": path,
        "summary": operation.get("summary", ""),
        "description": operation.get("description", ""),
        "parameters": [
            {
                "name": parameter["name"],
                "where": parameter["in"],
                "type": _type_label(parameter.get("schema", {})),
                "required": parameter.get("required", False),
                "description": parameter.get("description", ""),
            }
            for parameter in operation.get("parameters", [])
        ],
        "request": [
            {"media_type": media_type, "type": _type_label(content.get("schema", {}))}
            for media_type, content in body.items()
        ],
        "request_links": sorted(
            {name for content in body.values() for name in _references(content.get("schema", {}))}
        ),
        "responses": [
            {
                "status": code,
                "description": response.get("description", ""),
                "types": [
                    {
                        "media_type": media_type,
                        "type": _type_label(content.get("schema", {})),
                        "links": _references(content.get("schema", {})),
                    }
                    for media_type, content in response.get("content", {}).items()
                ],
            }
            for code, response in operation.get("responses", {}).items()
        ],
    }


@functools.cache
def api_reference() -> dict[str, Any]:
    """Every endpoint of the schema by tag, and every component with its fields."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    groups: dict[str, list[dict[str, Any]]] = {}
    for path, item in schema.get("paths", {}).items():
        for method in HTTP_METHODS:
            if method in item:
                operation = item[method]
                tag = (operation.get("tags") or ["other"])[0]
                groups.setdefault(tag, []).append(_operation(method, path, operation))
    components = schema.get("components", {}).get("schemas", {})
    return {
        "title": schema["info"]["title"],
        "version": schema["info"]["version"],
        "description": schema["info"].get("description", ""),
        "groups": sorted(groups.items()),
        "operation_count": sum(len(operations) for operations in groups.values()),
        "components": [
            {
                "name": name,
                "description": component.get("description", ""),
                "type": _type_label(component),
                "fields": _fields(component),
            }
            for name, component in sorted(components.items())
        ],
    }


@login_required
def api_docs(request: HttpRequest) -> HttpResponse:
    """The REST API reference."""
    return render(request, "api_docs.html", {"api": api_reference()})
