"""The designer in a real browser: a process built by drag and drop from an empty canvas is set up
in the properties panel, validated, dry-run, tested, published and started; MIWG models open and
re-export with their diagram; two people saving one draft get a conflict, not a lost update."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from processes.bpmn.xml import BPMN_NS, BPMNDI_NS, parse_definitions
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_inbox import sign_in
from workflow_site.demo import demo_data_install

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ARTIFACTS / "screenshots"
MIWG = ROOT.parent / "shared" / "conformance" / "bpmn-miwg" / "Reference"
MIWG_FILES = sorted(MIWG.glob("*.bpmn")) if MIWG.is_dir() else []

REGISTRY = "Itinera.app.modeler.get('elementRegistry')"


def screenshot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name))


def open_designer(page: Any, base_url: str, journey_id: int) -> None:
    page.goto(f"{base_url}/designer/journeys/{journey_id}/")
    page.locator('#designer[data-ready="true"]').wait_for()


def drop(page: Any, action: str, x: float, y: float) -> str:
    """Drag a palette entry onto the canvas at (x, y) from its top left; the new element's id."""
    before = set(page.evaluate(f"{REGISTRY}.getAll().map(e => e.id)"))
    entry = page.locator(f'.djs-palette [data-action="create.{action}"]')
    box = entry.bounding_box()
    canvas = page.locator("#canvas").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(canvas["x"] + x, canvas["y"] + y, steps=8)
    page.mouse.up()
    # diagram-js swallows the first click after a drag; spend it on an empty spot.
    click_empty(page)
    (created,) = set(page.evaluate(f"{REGISTRY}.getAll().map(e => e.id)")) - before
    return str(created)


def centre(page: Any, element_id: str) -> tuple[float, float]:
    box = page.locator(f'.djs-shape[data-element-id="{element_id}"]').bounding_box()
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def click_empty(page: Any) -> None:
    """Click an empty spot of the canvas (it closes the context pad, which may cover elements)."""
    canvas = page.locator("#canvas").bounding_box()
    page.mouse.click(canvas["x"] + canvas["width"] - 120, canvas["y"] + canvas["height"] - 80)


def select(page: Any, element_id: str) -> None:
    click_empty(page)
    page.mouse.click(*centre(page, element_id))
    page.locator(f'#properties[data-element="{element_id}"]').wait_for()


def connect(page: Any, source: str, target: str) -> str:
    """Draw a sequence flow with the context pad's connect tool; the flow's id."""
    select(page, source)
    # hover() waits until the context pad has settled where it is drawn.
    page.locator('.djs-context-pad.open [data-action="connect"]').hover()
    page.mouse.down()
    x, y = centre(page, target)
    page.mouse.move(x, y, steps=10)
    page.mouse.up()
    click_empty(page)
    flows = page.evaluate(
        f"""([s, t]) => {REGISTRY}.filter(e => e.type === 'bpmn:SequenceFlow'
              && e.source.id === s && e.target.id === t).map(e => e.id)""",
        [source, target],
    )
    assert len(flows) == 1, (source, target, flows)
    return str(flows[0])


def select_flow(page: Any, flow_id: str) -> None:
    """Click the middle of the flow's last segment."""
    x, y = page.evaluate(
        f"""(id) => {{
          const flow = {REGISTRY}.get(id);
          const [a, b] = flow.waypoints.slice(-2);
          const box = Itinera.app.modeler.get('canvas').viewbox();
          const frame = document.getElementById('canvas').getBoundingClientRect();
          return [frame.left + ((a.x + b.x) / 2 - box.x) * box.scale,
                  frame.top + ((a.y + b.y) / 2 - box.y) * box.scale];
        }}""",
        flow_id,
    )
    page.mouse.click(x, y)
    page.locator(f'#properties[data-element="{flow_id}"]').wait_for()


def set_field(page: Any, label: str, value: str) -> None:
    field = page.locator("#properties").get_by_label(label, exact=True)
    field.fill(value)
    field.press("Tab")


def validated(page: Any, errors: int) -> None:
    page.wait_for_function(
        "(n) => { const b = document.getElementById('problems-badge');"
        " return b.dataset.round && b.dataset.errors === String(n); }",
        arg=errors,
    )


def test_a_newcomer_builds_validates_dry_runs_tests_publishes_and_starts_a_process(
    daphne_server: str, page: Any, chromium: Any
) -> None:
    from django.contrib.auth import get_user_model

    demo_data_install()
    admin = get_user_model().objects.get(username="admin")
    sign_in(page, daphne_server, "admin")

    # A new journey is an empty canvas.
    page.goto(f"{daphne_server}/designer/")
    page.get_by_label("Name", exact=True).fill("Purchase approval")
    page.get_by_role("button", name="Create and open the designer").click()
    page.locator('#designer[data-ready="true"]').wait_for()
    journey_id = int(page.url.rstrip("/").rsplit("/", 1)[1])
    assert page.locator("#empty-hint").is_visible()
    validated(page, 1)  # a process without a start event
    assert "no-start-event" in page.locator("#problems-list").get_attribute("data-codes", timeout=0)

    # Start, a parallel split into two tasks, their join, an exclusive choice, two ends.
    start = drop(page, "start-event", 280, 300)
    split = drop(page, "parallel-gateway", 360, 300)
    task_a = drop(page, "user-task", 470, 190)
    task_b = drop(page, "user-task", 470, 410)
    join = drop(page, "parallel-gateway", 580, 300)
    choice = drop(page, "exclusive-gateway", 660, 300)
    big = drop(page, "end-event", 760, 210)
    small = drop(page, "end-event", 760, 390)
    assert page.locator("#empty-hint").is_hidden()
    for source, target in (
        (start, split),
        (split, task_a),
        (split, task_b),
        (task_a, join),
        (task_b, join),
        (join, choice),
    ):
        connect(page, source, target)
    to_big = connect(page, choice, big)
    to_small = connect(page, choice, small)

    # The properties panel: ids, names, a role and an SLA.
    select(page, task_a)
    set_field(page, "Id", "Check_A")
    set_field(page, "Name", "Check the quote")
    set_field(page, "Role", "underwriters")
    set_field(page, "SLA target", "P2D")
    page.get_by_test_id("check-sla").get_by_text("Valid.").wait_for()
    set_field(page, "Warning threshold", "0.75")
    page.locator("#prop-form-add").click()
    page.get_by_label("Label of field 1").fill("Quote amount")
    page.get_by_label("Label of field 1").press("Tab")
    page.locator(".designer-side .tab-content").evaluate("panel => { panel.scrollTop = 0; }")
    validated(page, 0)
    screenshot(page, "designer-properties-panel.png")
    select(page, task_b)
    set_field(page, "Id", "Check_B")
    set_field(page, "Name", "Check the budget")
    set_field(page, "Role", "underwriters")
    attributes = page.evaluate(
        f"""() => {{ const bo = {REGISTRY}.get('Check_A').businessObject;
          return [bo.get('itn:role'), bo.get('itn:sla'), bo.get('itn:warnAt')]; }}"""
    )
    assert attributes == ["underwriters", "P2D", "0.75"]

    # The choice: a default flow, and a condition that is wrong, then right.
    select_flow(page, to_small)
    page.locator("#properties").get_by_label("Default flow (taken when no condition holds)").check()
    validated(page, 0)
    select_flow(page, to_big)
    condition = page.locator("#properties").get_by_label("Condition", exact=True)
    condition.fill("amount >")
    page.locator("#prop-condition-check.text-danger").wait_for()
    condition.press("Tab")
    validated(page, 1)
    marker = page.locator(f'.djs-connection.itn-finding-error[data-element-id="{to_big}"]')
    marker.wait_for()
    assert to_big in page.locator("#problems-list").inner_text()
    screenshot(page, "designer-validation-markers.png")
    # Publishing is refused while there are errors.
    page.get_by_role("button", name="Publish…").click()
    page.get_by_test_id("designer-alert").get_by_text("publishing is refused").wait_for()
    assert page.locator("#publish-modal.show").count() == 0
    # The refusal shows the problems; clicking one selects its element.
    page.locator("#tab-problems.active").wait_for()
    page.locator(f'#problems-list [data-element="{to_big}"]').click()
    page.locator(f'#properties[data-element="{to_big}"]').wait_for()
    condition = page.locator("#properties").get_by_label("Condition", exact=True)
    condition.fill("amount > 100")
    page.get_by_test_id("check-condition").get_by_text("Valid; reads amount.").wait_for()
    condition.press("Tab")
    validated(page, 0)
    assert marker.count() == 0

    # Dry run: both tasks are offered at once; completing them ends the case.
    page.get_by_role("tab", name="Dry run").click()
    page.get_by_label("Initial case data (JSON)").fill('{"amount": 500}')
    page.get_by_role("button", name="Start the dry run").click()
    page.get_by_test_id("sim-status").get_by_text("running").wait_for()
    page.locator('[data-element-id="Check_A"].itn-sim-enabled').wait_for()
    assert page.locator('.itn-sim-token[data-element="Check_A"]').inner_text() == "1"
    assert page.locator('.itn-sim-token[data-element="Check_B"]').inner_text() == "1"
    page.get_by_test_id("sim-complete-Check_A").click()
    page.locator('[data-element-id="Check_A"].itn-sim-done').wait_for()
    # The token that passed Check_A waits at the join.
    assert page.locator(".itn-sim-token").count() == 2
    page.get_by_test_id("sim-complete-Check_B").click()
    page.get_by_test_id("sim-status").get_by_text("completed").wait_for()
    assert json.loads(page.get_by_test_id("sim-data-view").inner_text()) == {"amount": 500}
    screenshot(page, "designer-dry-run.png")
    page.get_by_label("Test name").fill("Both checks complete the case")
    page.get_by_test_id("sim-save-test").click()
    page.get_by_test_id("sim-message").get_by_text("Saved the test").wait_for()

    # The saved test runs in one click.
    page.get_by_role("tab", name="Tests").click()
    page.get_by_test_id("run-tests").click()
    page.get_by_test_id("tests-summary").get_by_text("1 passed, 0 failed").wait_for()

    # Publish: the diff of the first version lists what it adds.
    page.get_by_role("button", name="Publish…").click()
    diff = page.get_by_test_id("publish-diff")
    diff.get_by_text("is the first version").wait_for()
    assert "Check_A" in diff.inner_text()
    page.get_by_role("button", name="Publish this version").click()
    page.get_by_test_id("published-alert").wait_for()
    page.get_by_role("tab", name="Versions").click()
    page.locator('#versions-list [data-version="1"][data-status="published"]').wait_for()
    assert page.get_by_test_id("version-badge").inner_text().startswith("v1 published")
    with page.expect_download() as svg_download:
        page.locator('#versions-list [data-version="1"]').get_by_role("button", name="SVG").click()
    assert svg_download.value.suggested_filename == "purchase-approval-v1.svg"
    svg = Path(svg_download.value.path()).read_text(encoding="utf-8")
    assert "<svg" in svg
    assert ">quote</tspan>" in svg  # the label, wrapped over two lines
    with page.expect_download() as bpmn_download:
        page.get_by_role("button", name="⤓ .bpmn").click()
    exported = Path(bpmn_download.value.path()).read_text(encoding="utf-8")
    assert 'itn:role="underwriters"' in exported

    # A second version: the diff names what changed since version 1.
    page.get_by_role("tab", name="Properties").click()
    select(page, "Check_B")
    set_field(page, "Name", "Check the budget line")
    page.get_by_role("button", name="Publish…").click()
    diff.get_by_text("Version 2 compared with version 1").wait_for()
    changed = diff.locator('[data-diff="changed"] [data-element="Check_B"]')
    assert "name: 'Check the budget' → 'Check the budget line'" in changed.inner_text()
    assert diff.locator('[data-diff="added"] [data-element]').count() == 0
    page.get_by_role("button", name="Publish this version").click()
    page.get_by_test_id("version-badge").get_by_text("v2 published").wait_for()

    from processes.models import Journey

    journey = Journey.objects.get(pk=journey_id)
    assert list(journey.versions.order_by("number").values_list("status", flat=True)) == [
        "published",
        "published",
    ]
    version = journey.versions.get(number=2)
    assert 'itn:role="underwriters"' in version.bpmn_xml
    assert 'itn:sla="P2D"' in version.bpmn_xml
    assert "<itn:field" in version.bpmn_xml

    # Start an instance; its first task reaches a worker's inbox.
    from guardian.shortcuts import assign_perm

    assign_perm("processes.start_journey", admin, journey)
    page.goto(f"{daphne_server}/journeys/{journey_id}/start/")
    page.get_by_label("Business key").fill("PO-7")
    page.get_by_role("button", name="Start").click()
    page.wait_for_url(f"{daphne_server}/processes/*/")

    worker = chromium.new_context()
    carla = worker.new_page()
    try:
        sign_in(carla, daphne_server, "carla")
        carla.goto(f"{daphne_server}/inbox/")
        carla.get_by_text("Check the quote").first.wait_for()
        assert "PO-7" in carla.locator("main").inner_text()
    finally:
        worker.close()


def test_two_people_saving_one_draft_get_a_conflict_not_a_lost_update(
    daphne_server: str, page: Any, chromium: Any
) -> None:
    from django.contrib.auth import get_user_model

    from designer import services

    demo_data_install()
    admin = get_user_model().objects.get(username="admin")
    journey = services.journey_start_blank(actor=admin, name="Shared draft")
    sign_in(page, daphne_server, "admin")
    open_designer(page, daphne_server, journey.pk)

    other_context = chromium.new_context(viewport={"width": 1280, "height": 900})
    other = other_context.new_page()
    try:
        sign_in(other, daphne_server, "admin")
        open_designer(other, daphne_server, journey.pk)

        drop(page, "start-event", 300, 250)
        page.get_by_role("button", name="Save draft").click()
        page.get_by_test_id("save-status").get_by_text("Saved at").wait_for()

        # The other editor opened the draft before that save. (Its browser logs the 409.)
        drop(other, "end-event", 450, 250)
        other.locator("#canvas").click(position={"x": 600, "y": 500})
        with other.expect_response(lambda response: response.request.method == "PUT") as saved:
            other.keyboard.press("Control+s")
        assert saved.value.status == 409
        other.get_by_test_id("conflict-alert").wait_for()
        other.get_by_role("button", name="Load the saved draft (drop my changes)").click()
        other.get_by_test_id("save-status").get_by_text("Loaded the draft").wait_for()
        types = other.evaluate(f"{REGISTRY}.getAll().map(e => e.type)")
        assert "bpmn:StartEvent" in types
        assert "bpmn:EndEvent" not in types
    finally:
        other_context.close()
    assert journey.versions.get().lock_version == 2


def _diagram_elements(xml: str) -> tuple[set[str], set[str]]:
    root = parse_definitions(xml)
    model = {
        element.get("id", "")
        for element in root.iter()
        if isinstance(element.tag, str)
        and element.tag.startswith(f"{{{BPMN_NS}}}")
        and element.get("id")
        and etree.QName(element).localname not in ("definitions",)
    }
    drawn = {
        element.get("bpmnElement", "")
        for element in root.iter(f"{{{BPMNDI_NS}}}BPMNShape", f"{{{BPMNDI_NS}}}BPMNEdge")
    }
    return model, drawn


@pytest.mark.skipif(not MIWG_FILES, reason="the MIWG suite is not beside this checkout")
def test_every_miwg_reference_model_opens_and_reexports_with_its_diagram(
    daphne_server: str, page: Any
) -> None:
    from django.contrib.auth import get_user_model

    from designer import services

    demo_data_install()
    admin = get_user_model().objects.get(username="admin")
    journey = services.journey_start_blank(actor=admin, name="Conformance")
    sign_in(page, daphne_server, "admin")
    open_designer(page, daphne_server, journey.pk)
    page.on("dialog", lambda dialog: dialog.accept())
    for path in MIWG_FILES:
        page.get_by_test_id("import-file").set_input_files(str(path))
        page.get_by_test_id("save-status").get_by_text(f"Opened {path.name}").wait_for()
        exported = page.evaluate("Itinera.app.xml()")
        model, drawn = _diagram_elements(path.read_text(encoding="utf-8"))
        model_after, drawn_after = _diagram_elements(exported)
        assert drawn_after == drawn, path.name
        assert model <= model_after, (path.name, sorted(model - model_after))
    # The last one is saved as the draft, and its SVG can be made.
    page.get_by_role("button", name="Save draft").click()
    page.get_by_test_id("save-status").get_by_text("Saved at").wait_for()
    svg = page.evaluate("Itinera.app.modeler.saveSVG().then(r => r.svg)")
    assert svg.startswith("<?xml") or svg.startswith("<svg")
    assert "djs-" not in svg.split(">", 1)[0]


def test_the_panel_writes_what_the_engine_reads_and_reads_it_back(
    daphne_server: str, page: Any
) -> None:
    from django.contrib.auth import get_user_model

    from designer import services
    from processes.bpmn.importer import import_definitions
    from processes.bpmn.xml import ITINERA_NS
    from processes.engine.model import TimerSpec

    demo_data_install()
    admin = get_user_model().objects.get(username="admin")
    journey = services.journey_start_blank(actor=admin, name="Settings")
    sign_in(page, daphne_server, "admin")
    open_designer(page, daphne_server, journey.pk)
    panel = page.locator("#properties")

    task = drop(page, "user-task", 330, 200)
    timer = drop(page, "timer-catch", 330, 400)
    message = drop(page, "message-catch", 480, 400)
    complex_gateway = drop(page, "complex-gateway", 480, 200)
    service = drop(page, "service-task", 640, 200)

    select(page, task)
    panel.get_by_label("Assignment").select_option("user")
    set_field(page, "Assignee expression", "requester")
    page.get_by_test_id("check-assignee").get_by_text("Valid; reads requester.").wait_for()
    set_field(page, "Priority (0–100)", "70")
    set_field(page, "Critical section (mutex)", "ledger")
    panel.get_by_label("Repeat").select_option("parallel")
    set_field(page, "Collection (one instance per item)", "items")
    set_field(page, "Item variable", "item")
    set_field(page, "Completion condition", "nrOfCompletedInstances >= 2")
    panel.get_by_label("Instances may be added while it runs").check()
    page.locator("#prop-form-add").click()
    page.get_by_label("Type of field 1").select_option("enum")
    page.get_by_label("Options of field 1").fill("low, high")
    page.get_by_label("Options of field 1").press("Tab")
    page.locator("#prop-field-0-required").check()

    select(page, timer)
    set_field(page, "Timer value", "PT4H")
    page.get_by_test_id("check-timer-value").get_by_text("Valid.").wait_for()
    select(page, message)
    set_field(page, "Message name", "approved")
    select(page, complex_gateway)
    set_field(page, "Fire after this many inputs", "1")
    panel.get_by_label("Cancel the remaining branches when it fires").check()
    select(page, service)
    set_field(page, "Topic", "billing")
    click_empty(page)
    page.locator('#properties[data-element="Process_settings"]').wait_for()
    set_field(page, "Journey SLA target", "P5D")

    # Undo takes the last change back, redo makes it again.
    sla = "Itinera.app.modeler.get('canvas').getRootElement().businessObject.get('itn:sla')"
    assert page.evaluate(sla) == "P5D"
    page.get_by_role("button", name="Undo").click()
    assert page.evaluate(sla) is None
    page.get_by_role("button", name="Redo").click()
    assert page.evaluate(sla) == "P5D"

    xml = page.evaluate("Itinera.app.xml()")
    definitions = import_definitions(xml)
    nodes = definitions.executable_process().nodes
    work = nodes[task]
    assert work.extensions == {
        "assignment": "user",
        "assignee": "requester",
        "priority": "70",
        "mutex": "ledger",
    }
    assert work.multi_instance is not None
    assert (
        work.multi_instance.collection,
        work.multi_instance.element_variable,
        work.multi_instance.completion_condition,
        work.multi_instance.dynamic,
        work.multi_instance.sequential,
    ) == ("items", "item", "nrOfCompletedInstances >= 2", True, False)
    assert work.form == [
        {
            "name": "field1",
            "type": "enum",
            "label": "Field 1",
            "options": "low, high",
            "required": "true",
        }
    ]
    assert nodes[timer].event_definitions[0].timer == TimerSpec("duration", "PT4H")
    assert nodes[message].event_definitions[0].ref == "approved"
    assert nodes[complex_gateway].extensions == {"activationCount": "1", "cancelRemaining": "true"}
    assert nodes[service].extensions == {"topic": "billing"}
    process = parse_definitions(xml).find(f"{{{BPMN_NS}}}process")
    assert process is not None
    assert process.get(f"{{{ITINERA_NS}}}sla") == "P5D"

    # Copy and paste with the keyboard: the copy keeps the settings, with an id of its own.
    select(page, service)
    page.keyboard.press("Control+c")
    page.keyboard.press("Control+v")
    canvas = page.locator("#canvas").bounding_box()
    page.mouse.move(canvas["x"] + 640, canvas["y"] + 420, steps=5)
    page.mouse.click(canvas["x"] + 640, canvas["y"] + 420)
    topics = page.evaluate(
        f"{REGISTRY}.filter(e => e.type === 'bpmn:ServiceTask')"
        ".map(e => e.businessObject.get('itn:topic'))"
    )
    assert topics == ["billing", "billing"]

    # Saved, and read back into the panel after a reload.
    page.get_by_role("button", name="Save draft").click()
    page.get_by_test_id("save-status").get_by_text("Saved at").wait_for()
    open_designer(page, daphne_server, journey.pk)
    select(page, task)
    assert panel.get_by_label("Collection (one instance per item)").input_value() == "items"
    assert panel.get_by_label("Repeat").input_value() == "parallel"
    assert page.get_by_label("Options of field 1").input_value() == "low, high"
    select(page, timer)
    assert panel.get_by_label("Timer value").input_value() == "PT4H"
    select(page, message)
    assert panel.get_by_label("Message name").input_value() == "approved"
