"""Pages of the designer: the journeys you may design (create one, import a .bpmn file), and the
designer itself (bpmn-js Modeler with the Itinera properties panel, validation, dry run, tests)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from designer import selectors, services
from designer.access import access_journey_for_design
from processes import selectors as journey_selectors
from processes import services as journey_services
from processes.bpmn.xml import MAX_DOCUMENT_BYTES, BpmnSyntaxError, document_text
from workflow_site.errors import ApplicationError


class NewJourneyForm(forms.Form):
    name = forms.CharField(max_length=200, label="Name")
    key = forms.SlugField(
        max_length=100,
        required=False,
        label="Key",
        help_text="A stable identifier such as loan-application; made from the name if empty.",
    )
    description = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), label="Description"
    )


class ImportForm(forms.Form):
    file = forms.FileField(label="BPMN file", help_text="A .bpmn file from any BPMN 2.0 modeler.")
    name = forms.CharField(
        max_length=200, required=False, label="Name", help_text="The process's name if empty."
    )
    key = forms.SlugField(max_length=100, required=False, label="Key")

    def clean_file(self) -> str:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_DOCUMENT_BYTES:
            raise forms.ValidationError(f"The file is larger than {MAX_DOCUMENT_BYTES} bytes.")
        try:
            return document_text(upload.read())
        except BpmnSyntaxError as error:
            raise forms.ValidationError(str(error)) from None


def _may_create(user: Any) -> bool:
    return bool(user.has_perm("processes.add_journey"))


def _list_page(
    request: HttpRequest,
    new_form: NewJourneyForm | None = None,
    import_form: ImportForm | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {
        "journeys": selectors.journeys_designable_by(user=request.user),
        "may_create": _may_create(request.user),
        "new_form": new_form or NewJourneyForm(),
        "import_form": import_form or ImportForm(),
    }
    return render(request, "designer/journeys.html", context, status=status)


@login_required
def journey_list(request: HttpRequest) -> HttpResponse:
    """The journeys the signed-in user may design."""
    return _list_page(request)


def _add_error(form: forms.Form, error: ApplicationError) -> None:
    field = error.field if error.field in form.fields else None
    form.add_error(field, error.message)


@login_required
@require_POST
def journey_new(request: HttpRequest) -> HttpResponse:
    """Create a journey with an empty canvas as its first draft, and open it."""
    form = NewJourneyForm(request.POST)
    if form.is_valid():
        try:
            journey = services.journey_start_blank(actor=request.user, **form.cleaned_data)
        except ApplicationError as error:
            _add_error(form, error)
        else:
            return redirect("designer-journey", journey_id=journey.pk)
    return _list_page(request, new_form=form, status=400)


@login_required
@require_POST
def journey_upload(request: HttpRequest) -> HttpResponse:
    """Create a journey from an uploaded .bpmn file, and open it."""
    form = ImportForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            journey = journey_services.journey_import(
                actor=request.user,
                bpmn_xml=form.cleaned_data["file"],
                name=form.cleaned_data["name"],
                key=form.cleaned_data["key"],
            )
        except ApplicationError as error:
            _add_error(form, error)
        else:
            messages.success(request, f"Imported {journey.name}.")
            return redirect("designer-journey", journey_id=journey.pk)
    return _list_page(request, import_form=form, status=400)


@login_required
def designer_page(request: HttpRequest, journey_id: int) -> HttpResponse:
    """The designer of one journey: its draft (or newest version) in the bpmn-js Modeler."""
    journey = access_journey_for_design(user=request.user, journey_id=journey_id)
    source = selectors.editor_source(journey=journey)
    versions = list(journey_selectors.journey_versions(journey=journey))
    config = {
        "journey": {"id": journey.pk, "key": journey.key, "name": journey.name},
        "lock_version": source.lock_version if source else None,
        "number": source.number if source else None,
        "status": source.status if source else None,
        "roles": selectors.role_choices(),
        "urls": {
            "draft": reverse("api-journey-draft", args=[journey.pk]),
            "publish": reverse("api-journey-draft-publish", args=[journey.pk]),
            "versions": reverse("api-journey-versions", args=[journey.pk]),
            "version_bpmn": reverse("api-journey-version-bpmn", args=[journey.pk, 0]).replace(
                "/0/", "/{number}/"
            ),
            "validate": reverse("api-designer-validate", args=[journey.pk]),
            "check": reverse("api-designer-check"),
            "dry_run_start": reverse("api-designer-dry-run-start", args=[journey.pk]),
            "dry_run_fire": reverse("api-designer-dry-run-fire", args=[journey.pk]),
            "diff": reverse("api-designer-diff", args=[journey.pk]),
            "scenarios": reverse("api-designer-scenarios", args=[journey.pk]),
            "scenarios_run": reverse("api-designer-scenarios-run", args=[journey.pk]),
            "start": reverse("journey-start", args=[journey.pk]),
        },
    }
    context = {
        "journey": journey,
        "source_xml": source.bpmn_xml if source else "",
        "config": config,
        "versions": versions,
    }
    return render(request, "designer/designer.html", context)
