"""The one error contract: domain errors with a stable code, and their mapping to HTTP responses."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.db import OperationalError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from workflow_site.telemetry import current_trace_id

logger = logging.getLogger("itinera.errors")


class ApplicationError(Exception):
    """A refused request: ``code`` is stable for clients, ``field`` names the input at fault."""

    http_status: int = status.HTTP_400_BAD_REQUEST

    def __init__(
        self,
        code: str,
        message: str,
        *,
        field: str | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        self.details = dict(details or {})

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "field": self.field,
            "details": self.details,
        }


class NotFoundError(ApplicationError):
    http_status: int = status.HTTP_404_NOT_FOUND


class ConflictError(ApplicationError):
    """The request is valid but the object changed under it (stale version, illegal transition)."""

    http_status: int = status.HTTP_409_CONFLICT


class RequestTooLarge(exceptions.APIException):
    """The request body is over ``DATA_UPLOAD_MAX_MEMORY_SIZE``; it was not read."""

    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "request_too_large"


def _first_field(detail: Any, prefix: str = "") -> str | None:
    if isinstance(detail, Mapping):
        for key, value in detail.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            if key == "non_field_errors":
                return prefix or None
            return _first_field(value, path) or path
    if isinstance(detail, list):
        for index, value in enumerate(detail):
            if isinstance(value, Mapping | list):
                return _first_field(value, f"{prefix}[{index}]")
    return None


def _first_code(detail: Any) -> str:
    if isinstance(detail, exceptions.ErrorDetail):
        return str(detail.code)
    if isinstance(detail, Mapping):
        for value in detail.values():
            return _first_code(value)
    if isinstance(detail, list) and detail:
        return _first_code(detail[0])
    return "invalid"


def _error_response(payload: dict[str, Any], http_status: int) -> Response:
    return Response({"error": payload}, status=http_status)


def api_exception_handler(exc: Exception, context: Mapping[str, Any]) -> Response:
    """Map any exception raised by an API view to ``{"error": {code, message, field, details}}``."""
    if isinstance(exc, ApplicationError):
        return _error_response(exc.as_dict(), exc.http_status)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):
        exc = RequestTooLarge()
    elif isinstance(exc, SuspiciousOperation):
        # Too many form fields or files, a malformed multipart body: the client's fault.
        logger.warning("Refused a suspicious API request: %s", exc)
        exc = exceptions.ParseError("The request body could not be read.")
    if isinstance(exc, exceptions.ValidationError):
        field = _first_field(exc.detail)
        code = _first_code(exc.detail)
        return _error_response(
            {
                "code": "invalid" if code == "invalid" else f"invalid.{code}",
                "message": "The request has invalid fields." if field else _flatten(exc.detail),
                "field": field,
                "details": exc.detail if isinstance(exc.detail, dict) else {"errors": exc.detail},
            },
            status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, exceptions.APIException):
        response = exception_handler(exc, dict(context))
        http_status = response.status_code if response is not None else exc.status_code
        codes = exc.get_codes()
        return _error_response(
            {
                "code": codes if isinstance(codes, str) else "error",
                "message": _flatten(exc.detail),
                "field": None,
                "details": {},
            },
            http_status,
        )
    trace_id = current_trace_id()
    if isinstance(exc, OperationalError):
        # The database is out of reach, its connections are all taken, or it gave up a
        # transaction (deadlock, lock timeout): nothing was written, and the same request may
        # well succeed in a moment.
        logger.warning("Database unavailable in an API view (trace %s): %s", trace_id, exc)
        response = _error_response(
            {
                "code": "database_unavailable",
                "message": "The database could not serve the request; nothing was changed. "
                f"Try again in a moment (trace id {trace_id}).",
                "field": None,
                "details": {"trace_id": trace_id},
            },
            status.HTTP_503_SERVICE_UNAVAILABLE,
        )
        response["Retry-After"] = "1"
        return response
    logger.exception("Unexpected error in an API view (trace %s)", trace_id)
    return _error_response(
        {
            "code": "server_error",
            "message": f"Something went wrong on our side. Quote trace id {trace_id}.",
            "field": None,
            "details": {"trace_id": trace_id},
        },
        status.HTTP_500_INTERNAL_SERVER_ERROR,
    )


def _flatten(detail: Any) -> str:
    if isinstance(detail, Mapping):
        return "; ".join(f"{key}: {_flatten(value)}" for key, value in detail.items())
    if isinstance(detail, list):
        return "; ".join(_flatten(value) for value in detail)
    return str(detail)
