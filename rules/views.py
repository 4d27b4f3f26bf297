"""Pages of the rules app: the rules you may see (with search), a new rule, the editor of condition
rules and decision tables with its "try it" box, the history of versions and changes, imports."""

from __future__ import annotations

import json

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from rules import permissions, selectors, services
from rules.access import access_rule
from rules.core import KINDS
from rules.models import RuleKind
from workflow_site.errors import ApplicationError

MAX_UPLOAD_BYTES = 5 * 1024 * 1024


@login_required
def rule_list(request: HttpRequest) -> HttpResponse:
    """The rules the signed-in user may see; ``q`` searches key, name and description."""
    search = request.GET.get("q", "")[:200]
    rules = selectors.rules_visible_to(user=request.user, search=search)
    page = Paginator(rules, 25).get_page(request.GET.get("page") or 1)
    context = {
        "page": page,
        "search": search,
        "can_create": request.user.has_perm(permissions.CREATE),
        "kinds": RuleKind.choices,
    }
    if request.headers.get("HX-Request"):
        return render(request, "rules/_rule_table.html", context)
    return render(request, "rules/list.html", context)


class NewRuleForm(forms.Form):
    key = forms.CharField(
        max_length=100, help_text="What processes name, e.g. credit-score-threshold."
    )
    name = forms.CharField(max_length=200)
    kind = forms.ChoiceField(choices=[(kind, RuleKind(kind).label) for kind in KINDS])
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


@login_required
def rule_new(request: HttpRequest) -> HttpResponse:
    form = NewRuleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            rule = services.rule_create(actor=request.user, **form.cleaned_data)
        except ApplicationError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(request, f"{rule.name} created: edit its draft, then publish it.")
            return redirect("rule-editor", rule_id=rule.pk)
    return render(request, "rules/new.html", {"form": form})


def _upload_text(request: HttpRequest) -> str:
    upload = request.FILES.get("file")
    if upload is None:
        raise ApplicationError("required", "Choose a file.", field="file")
    if upload.size is not None and upload.size > MAX_UPLOAD_BYTES:
        raise ApplicationError("too_large", "The file is too large.", field="file")
    try:
        return upload.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ApplicationError(
            "invalid_file", "The file is not UTF-8 text.", field="file"
        ) from None


@login_required
@require_POST
def rule_import(request: HttpRequest) -> HttpResponse:
    """Create a decision table from an uploaded DMN file."""
    try:
        rule = services.rule_import_dmn(
            actor=request.user,
            dmn=_upload_text(request),
            key=request.POST.get("key", "").strip(),
            name=request.POST.get("name", "").strip(),
        )
    except ApplicationError as error:
        messages.error(request, f"The DMN file was not imported: {error.message}")
        return redirect("rules")
    messages.success(request, f"{rule.name} imported from DMN.")
    return redirect("rule-editor", rule_id=rule.pk)


@login_required
def rule_editor(request: HttpRequest, rule_id: int) -> HttpResponse:
    rule = access_rule(user=request.user, rule_id=rule_id)
    versions = list(selectors.rule_versions(rule=rule)[:1])
    context = {
        "rule": rule,
        "latest": versions[0] if versions else None,
        "can_edit": permissions.can(request.user, permissions.EDIT, rule),
        "can_publish": permissions.can(request.user, permissions.PUBLISH, rule),
        "editor": {
            "id": rule.pk,
            "kind": rule.kind,
            "definition": rule.draft,
            "lock_version": rule.lock_version,
            "can_edit": permissions.can(request.user, permissions.EDIT, rule),
            "can_publish": permissions.can(request.user, permissions.PUBLISH, rule),
            "inputs": sorted(_rule_inputs(rule.draft)),
        },
    }
    return render(request, "rules/editor.html", context)


def _rule_inputs(definition: object) -> set[str]:
    from rules.core import RuleDefinitionError, compile_rule

    try:
        return set(compile_rule(definition).inputs)
    except RuleDefinitionError:
        return set()


@login_required
@require_POST
def rule_try(request: HttpRequest, rule_id: int) -> HttpResponse:
    """The editor's "try it": evaluate the definition being edited on sample data.

    A rule that fails on the data, or a definition with problems, is an outcome the page shows
    (200 with ``error``); only a request that is not JSON is a 400.
    """
    rule = access_rule(user=request.user, rule_id=rule_id)
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        return JsonResponse(
            {"error": {"code": "invalid", "message": "Send JSON.", "field": None, "details": {}}},
            status=400,
        )
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, dict):
        outcome = ApplicationError("invalid", "The sample data must be an object.", field="data")
        return JsonResponse({"error": outcome.as_dict()})
    try:
        result = selectors.rule_evaluate(rule=rule, data=data, definition=body.get("definition"))
    except ApplicationError as error:
        return JsonResponse({"error": error.as_dict()})
    return JsonResponse(result)


@login_required
def rule_history(request: HttpRequest, rule_id: int) -> HttpResponse:
    rule = access_rule(user=request.user, rule_id=rule_id)
    context = {
        "rule": rule,
        "versions": selectors.rule_versions(rule=rule),
        "events": selectors.rule_history(rule=rule),
        "pins": selectors.rule_pins(rule=rule),
    }
    return render(request, "rules/history.html", context)


@login_required
@require_POST
def rule_draft_import(request: HttpRequest, rule_id: int) -> HttpResponse:
    """Replace a decision table's draft with an uploaded DMN or CSV file."""
    file_format = request.POST.get("format", "")
    try:
        with transaction.atomic():
            rule = access_rule(user=request.user, rule_id=rule_id, for_update=True)
            text = _upload_text(request)
            if file_format not in ("dmn", "csv"):
                raise ApplicationError("invalid_choice", "Choose DMN or CSV.", field="format")
            services.rule_draft_import(
                actor=request.user,
                rule=rule,
                dmn=text if file_format == "dmn" else None,
                csv_text=text if file_format == "csv" else None,
            )
    except ApplicationError as error:
        messages.error(request, f"The file was not imported: {error.message}")
    else:
        messages.success(request, "The draft now holds the imported table.")
    return redirect("rule-editor", rule_id=rule_id)
