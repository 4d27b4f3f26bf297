"""Pages of the task inbox and of one task: server-rendered, with htmx partials."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from tasks import selectors, services
from tasks.access import access_task
from workflow_site.errors import ApplicationError

PAGE_SIZE = 25
SCOPES = (("mine", "My tasks"), ("offered", "Offered to my roles"), ("done", "Done"))
SORTS = (
    ("priority", "Priority"),
    ("due", "Due date"),
    ("risk", "Risk of missing the SLA"),
    ("created", "Oldest first"),
    ("-created", "Newest first"),
)


class InboxFilter(forms.Form):
    scope = forms.ChoiceField(choices=SCOPES, required=False)
    journey = forms.SlugField(max_length=100, required=False)
    priority_min = forms.IntegerField(min_value=0, max_value=100, required=False)
    due = forms.ChoiceField(choices=selectors.DUE_FILTERS, required=False)
    q = forms.CharField(max_length=200, required=False, label="Search")
    sort = forms.ChoiceField(choices=SORTS, required=False)
    page = forms.IntegerField(min_value=1, required=False)


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    """The inbox: my tasks, tasks offered to my roles, and what I did; filtered, sorted, paged."""
    query = InboxFilter(request.GET)
    filters: dict[str, Any] = query.cleaned_data if query.is_valid() else {}
    scope = filters.get("scope") or "mine"
    tasks = selectors.inbox(
        user=request.user,
        scope=scope,
        journey=filters.get("journey") or None,
        priority_min=filters.get("priority_min"),
        text=filters.get("q") or None,
        due=filters.get("due") or None,
        sort=filters.get("sort") or "priority",
    )
    page = Paginator(tasks, PAGE_SIZE).get_page(filters.get("page") or 1)
    context = {
        "filter": query,
        "scope": scope,
        "scopes": SCOPES,
        "page": page,
        "stats": selectors.task_stats(user=request.user),
        "filter_query": services.saved_filter_query(request.GET.urlencode()),
        "saved_filters": selectors.saved_filters(user=request.user),
        "now": timezone.now(),
    }
    template = (
        "tasks/_inbox_table.html" if request.headers.get("HX-Request") else "tasks/inbox.html"
    )
    return render(request, template, context, status=200 if query.is_valid() else 400)


@login_required
@require_POST
def inbox_claim(request: HttpRequest) -> HttpResponse:
    """Claim the selected offered tasks; each one in its own transaction."""
    claimed, refused = 0, 0
    for raw in request.POST.getlist("task")[:PAGE_SIZE]:
        if not raw.isdigit():
            refused += 1
            continue
        try:
            with transaction.atomic():
                task = access_task(user=request.user, task_id=int(raw), for_update=True)
                services.task_claim(actor=request.user, task=task)
            claimed += 1
        except ApplicationError as error:
            refused += 1
            messages.warning(request, error.message)
        except Http404:
            refused += 1
    if claimed:
        messages.success(request, f"Claimed {claimed} task{'s' if claimed != 1 else ''}.")
    if refused and not claimed:
        messages.error(request, "None of the selected tasks could be claimed.")
    return redirect(f"{reverse('inbox')}?scope=mine")


@login_required
@require_POST
def saved_filter_save(request: HttpRequest) -> HttpResponse:
    """Keep the current inbox filter under a name; back to the inbox showing it."""
    try:
        saved = services.saved_filter_save(
            user=request.user, name=request.POST.get("name"), query=request.POST.get("query", "")
        )
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect(f"{reverse('inbox')}?{request.POST.get('query', '')[:1000]}")
    messages.success(request, f"Saved the filter “{saved.name}”.")
    return redirect(f"{reverse('inbox')}?{saved.query}")


@login_required
@require_POST
def saved_filter_delete(request: HttpRequest, filter_id: int) -> HttpResponse:
    try:
        services.saved_filter_delete(user=request.user, saved_filter_id=filter_id)
    except ApplicationError as error:
        raise Http404(error.message) from error
    messages.success(request, "Deleted the saved filter.")
    return redirect("inbox")


@login_required
def task_page(request: HttpRequest, task_id: int) -> HttpResponse:
    task = access_task(user=request.user, task_id=task_id)
    return _render_task(request, task)


def _render_task(
    request: HttpRequest,
    task: Any,
    *,
    errors: dict[str, list[str]] | None = None,
    values: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    actions = selectors.task_actions(task=task, user=request.user)
    context = {
        "task": task,
        "actions": actions,
        "fields": _form_fields(task.form_schema, values or dict(task.instance.data), errors or {}),
        "errors": errors or {},
        "comments": selectors.task_comments(task=task),
        "candidates": selectors.candidates_for(task=task, exclude=task.assignee_id)
        if {"reassign", "delegate"} & set(actions)
        else [],
        "history": task.instance.events.select_related("actor").order_by("-at", "-id")[:50],
        "case_data": sorted(task.instance.data.items()),
    }
    return render(request, "tasks/task.html", context, status=status)


def _form_fields(
    schema: dict[str, Any], values: dict[str, Any], errors: dict[str, list[str]]
) -> list[dict[str, Any]]:
    """What the template needs to draw each field of a form schema."""
    properties = schema.get("properties", {}) if schema else {}
    order = schema.get("x-order") or list(properties)
    required = set(schema.get("required", [])) if schema else set()
    fields = []
    for name in order:
        prop = properties.get(name, {})
        fields.append(
            {
                "name": name,
                "label": prop.get("title") or name,
                "help": prop.get("description", ""),
                "widget": prop.get("x-widget", "text"),
                "options": prop.get("enum", []),
                "required": name in required,
                "value": values.get(name, ""),
                "errors": errors.get(name, []),
                "min": prop.get("minimum"),
                "max": prop.get("maximum"),
                "pattern": prop.get("pattern"),
            }
        )
    return fields


def _as_id(raw: str) -> int | str:
    """A form's user id as the services expect it; anything else is refused there."""
    return int(raw) if raw.isdigit() and len(raw) < 19 else raw


ACTIONS = {
    "claim": services.task_claim,
    "unclaim": services.task_unclaim,
    "start": services.task_start,
}


@login_required
@require_POST
def task_action(request: HttpRequest, task_id: int, action: str) -> HttpResponse:
    """Claim, unclaim, start, complete, escalate or comment, from the task page."""
    submitted = {k: v for k, v in request.POST.items() if k != "csrfmiddlewaretoken"}
    try:
        with transaction.atomic():
            task = access_task(user=request.user, task_id=task_id, for_update=True)
            if action in ACTIONS:
                ACTIONS[action](actor=request.user, task=task)
            elif action == "complete":
                services.task_complete(actor=request.user, task=task, data=submitted)
            elif action in ("reassign", "delegate"):
                handover = (
                    services.task_reassign if action == "reassign" else services.task_delegate
                )
                handover(
                    actor=request.user,
                    task=task,
                    user_id=_as_id(request.POST.get("user", "")),
                    reason=submitted.get("reason"),
                )
            elif action == "escalate":
                services.task_escalate(
                    actor=request.user, task=task, reason=submitted.get("reason")
                )
            elif action == "comment":
                services.task_comment(actor=request.user, task=task, text=submitted.get("text"))
            else:
                messages.error(request, f"Unknown action {action!r}.")
                return redirect("task-page", task_id=task_id)
    except ApplicationError as error:
        task = access_task(user=request.user, task_id=task_id)
        if error.code == "invalid_data":
            return _render_task(
                request,
                task,
                errors=error.details.get("errors", {}),
                values=submitted,
            )
        messages.error(request, error.message)
        return redirect("task-page", task_id=task_id)
    if action == "complete":
        messages.success(request, f"{task.name} is done.")
        return redirect("inbox")
    if action in ("reassign", "delegate"):
        task.refresh_from_db(fields=["assignee"])
        messages.success(request, f"{task.name} is now with {task.assignee}.")
        if not selectors.tasks_visible_to(user=request.user).filter(pk=task.pk).exists():
            return redirect("inbox")
    return redirect("task-page", task_id=task_id)
