"""The audit trail's pages for staff: search and filter, one event with its diff, the chain's
verification, and exports (CSV, JSON lines, XES)."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone

from monitoring import chain, exports, selectors
from monitoring.models import AuditEvent
from monitoring.services import audit_record
from processes.models import Journey

PAGE_SIZE = 50
VIEW_PERMISSION = "monitoring.view_auditevent"
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"]


def audit_staff_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Staff with the permission to view audit events; anyone else is sent to sign in (when
    signed out) or refused (403)."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not (user.is_active and user.is_staff and user.has_perm(VIEW_PERMISSION)):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


class AuditFilterForm(forms.Form):
    actor = forms.CharField(required=False, max_length=150)
    type = forms.CharField(required=False, max_length=64)
    object_type = forms.CharField(required=False, max_length=32)
    object_id = forms.CharField(required=False, max_length=200)
    instance = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    journey = forms.ModelChoiceField(
        queryset=Journey.objects.order_by("name"), to_field_name="key", required=False
    )
    since = forms.DateTimeField(required=False, input_formats=DATETIME_FORMATS)
    until = forms.DateTimeField(required=False, input_formats=DATETIME_FORMATS)

    def filters(self) -> dict[str, Any]:
        """The selector's filters (none for a form that was never filled in)."""
        data = getattr(self, "cleaned_data", {})
        journey = data.get("journey")
        return {
            "actor": data.get("actor") or "",
            "type": data.get("type") or "",
            "object_type": data.get("object_type") or "",
            "object_id": data.get("object_id") or "",
            "instance_id": data.get("instance"),
            "journey_id": journey.pk if journey is not None else None,
            "since": data.get("since"),
            "until": data.get("until"),
        }


def _type_choices(types: list[str]) -> list[str]:
    families = sorted({f"{name.split('.', 1)[0]}.*" for name in types})
    return families + types


def _export(
    request: HttpRequest, form: AuditFilterForm, format: str
) -> HttpResponse | StreamingHttpResponse:
    filters = form.filters()
    audit_record(
        type="audit.exported",
        actor=request.user,
        after={
            "format": format,
            "filters": {key: value for key, value in filters.items() if value not in ("", None)},
        },
    )
    events = selectors.audit_events(**filters)
    if format == "xes":
        rows = exports.as_xes(
            events.filter(instance_id__isnull=False)
            .order_by("instance_id", "seq")
            .iterator(chunk_size=2000)
        )
    else:
        ordered = events.order_by("seq").iterator(chunk_size=2000)
        rows = exports.as_csv(ordered) if format == "csv" else exports.as_jsonl(ordered)
    content_type, extension = exports.FORMATS[format]
    response = StreamingHttpResponse(rows, content_type=content_type)
    stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
    response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.{extension}"'
    return response


@audit_staff_required
def audit_list(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    """Events newest first, filtered by actor, type, object, instance, journey and time; with
    ``?format=csv|jsonl|xes`` the filtered set as a download."""
    form = AuditFilterForm(request.GET or None)
    valid = form.is_valid() if form.is_bound else True
    format = request.GET.get("format", "")
    if format:
        if format not in exports.FORMATS:
            raise Http404("No such export format.")
        if not valid:
            return render(
                request, "monitoring/audit_list.html", _list_context(form, None), status=400
            )
        return _export(request, form, format)
    page = None
    if valid:
        paginator = Paginator(selectors.audit_events(**form.filters()), PAGE_SIZE)
        page = paginator.get_page(request.GET.get("page"))
    return render(request, "monitoring/audit_list.html", _list_context(form, page))


def _list_context(form: AuditFilterForm, page: Any) -> dict[str, Any]:
    query = QueryDict(mutable=True)
    if form.is_bound:
        query.update(form.data)
    query.pop("page", None)
    query.pop("format", None)
    return {
        "form": form,
        "page": page,
        "types": _type_choices(selectors.audit_event_types()),
        "query": query.urlencode(),
        "formats": list(exports.FORMATS),
    }


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict) and value:
        flat: dict[str, Any] = {}
        for key, item in value.items():
            flat.update(_flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    return {prefix: value} if prefix else {}


def _shown(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def diff_rows(before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per changed field (nested fields as ``a.b``): its value before and after."""
    old, new = _flatten(before), _flatten(after)
    return [
        {
            "field": name,
            "before": _shown(old[name]) if name in old else None,
            "after": _shown(new[name]) if name in new else None,
        }
        for name in sorted(old.keys() | new.keys())
    ]


@audit_staff_required
def audit_detail(request: HttpRequest, seq: int) -> HttpResponse:
    """One event: every column, the before/after diff, and whether its own link holds."""
    event = AuditEvent.objects.filter(seq=seq).select_related("actor").first()
    if event is None:
        raise Http404("No such audit event.")
    previous = selectors.audit_event_neighbour(event=event)
    if previous is not None:
        expected_prev_hash: str | None = previous.hash
    else:
        expected_prev_hash = chain.GENESIS_HASH if event.seq == 1 else None
    return render(
        request,
        "monitoring/audit_detail.html",
        {
            "event": event,
            "diff": diff_rows(event.before or {}, event.after or {}),
            "hash_ok": event.computed_hash() == event.hash,
            "link_ok": expected_prev_hash == event.prev_hash,
        },
    )


@audit_staff_required
def audit_verify(request: HttpRequest) -> HttpResponse:
    """The whole chain and every checkpoint checked now."""
    return render(request, "monitoring/audit_verify.html", {"result": selectors.audit_verify()})
