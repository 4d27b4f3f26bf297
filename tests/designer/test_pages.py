"""The designer's pages: the journeys you may design, creating and importing one, the designer."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from guardian.shortcuts import assign_perm

from designer import services
from processes.models import Journey, VersionStatus
from tests.designer.support import PARALLEL_CHOICE
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

MIWG = Path(__file__).resolve().parents[3] / "shared" / "conformance" / "bpmn-miwg" / "Reference"


def signed_in(client: Any, user: Any) -> Any:
    client.force_login(user)
    return client


def test_a_new_journey_starts_as_an_empty_canvas(client: Any, designer: Any) -> None:
    signed_in(client, designer)
    page = client.get("/designer/")
    assert page.status_code == 200
    assert b"New journey" in page.content
    response = client.post("/designer/new/", {"name": "Vendor onboarding", "key": ""})
    journey = Journey.objects.get(key="vendor-onboarding")
    assert response.status_code == 302
    assert response["Location"] == f"/designer/journeys/{journey.pk}/"
    draft = journey.versions.get()
    assert draft.status == VersionStatus.DRAFT
    assert 'isExecutable="true"' in draft.bpmn_xml
    assert "<bpmn:startEvent" not in draft.bpmn_xml
    assert "BPMNPlane" in draft.bpmn_xml
    listed = client.get("/designer/")
    assert b"Vendor onboarding" in listed.content


def test_bad_input_on_the_new_journey_form_is_shown_not_a_500(client: Any, designer: Any) -> None:
    signed_in(client, designer)
    services.journey_start_blank(actor=designer, name="Taken")
    duplicate = client.post("/designer/new/", {"name": "Taken"})
    assert duplicate.status_code == 400
    assert b"already exists" in duplicate.content
    bad_key = client.post("/designer/new/", {"name": "X", "key": "not a slug!"})
    assert bad_key.status_code == 400
    assert Journey.objects.count() == 1


def test_quotes_in_a_name_do_not_break_the_document(designer: Any) -> None:
    from processes.bpmn.xml import parse_definitions, process_summaries

    name = "The \"odd\" <one> & 'more'"
    journey = services.journey_start_blank(actor=designer, name=name, key="odd")
    (process,) = process_summaries(parse_definitions(journey.versions.get().bpmn_xml))
    assert (process.id, process.name, process.is_executable) == ("Process_odd", name, True)


@pytest.mark.skipif(not MIWG.is_dir(), reason="the MIWG suite is not beside this checkout")
def test_a_bpmn_file_from_another_modeler_is_imported(client: Any, designer: Any) -> None:
    signed_in(client, designer)
    upload = SimpleUploadedFile("A.2.0.bpmn", (MIWG / "A.2.0.bpmn").read_bytes())
    response = client.post("/designer/import/", {"file": upload, "name": "", "key": "a-two"})
    assert response.status_code == 302, response.content.decode()[:2000]
    journey = Journey.objects.get(key="a-two")
    assert journey.versions.get().bpmn_xml.count("BPMNShape") > 3


def test_an_upload_that_is_not_bpmn_is_refused_on_the_page(client: Any, designer: Any) -> None:
    signed_in(client, designer)
    upload = SimpleUploadedFile("notes.bpmn", b"<notes>hello</notes>")
    response = client.post("/designer/import/", {"file": upload})
    assert response.status_code == 400
    assert b"bpmn:definitions" in response.content
    assert not Journey.objects.exists()


def test_the_designer_page_opens_the_draft_with_its_settings(client: Any, designer: Any) -> None:
    from processes import services as journey_services

    journey = journey_services.journey_create(
        actor=designer, key="parallel", name="Parallel", bpmn_xml=PARALLEL_CHOICE
    )
    signed_in(client, designer)
    page = client.get(f"/designer/journeys/{journey.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "bpmn-modeler.production.min.js" in html
    config = json.loads(
        html.split('id="designer-config" type="application/json">')[1].split("</script>")[0]
    )
    assert config["lock_version"] == 1
    assert config["number"] == 1
    assert config["urls"]["dry_run_fire"] == f"/api/designer/journeys/{journey.pk}/dry-run/fire"
    assert config["urls"]["version_bpmn"] == f"/api/journeys/{journey.pk}/versions/{{number}}/bpmn"
    assert "Check A" in html  # the draft's XML is in the page

    journey_services.journey_version_publish(actor=designer, version=journey.versions.get())
    after = client.get(f"/designer/journeys/{journey.pk}/").content.decode()
    config = json.loads(
        after.split('id="designer-config" type="application/json">')[1].split("</script>")[0]
    )
    # No draft: the published version is opened, and saving starts a new draft.
    assert (config["lock_version"], config["number"], config["status"]) == (None, 1, "published")


def test_the_designer_of_a_journey_you_may_only_view_is_a_404(client: Any, designer: Any) -> None:
    journey = services.journey_start_blank(actor=designer, name="Private")
    viewer = UserFactory(username="viewer")
    assign_perm("processes.view_journey", viewer, journey)
    signed_in(client, viewer)
    assert client.get(f"/designer/journeys/{journey.pk}/").status_code == 404
    assert b"Private" not in client.get("/designer/").content
    assert b"New journey" not in client.get("/designer/").content
    assert client.post("/designer/new/", {"name": "Nope"}).status_code == 400
