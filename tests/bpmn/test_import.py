from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from processes.bpmn.importer import KNOWN_ITINERA_ATTRIBUTES, import_definitions, load
from processes.bpmn.xml import BPMN_NS, BpmnSyntaxError
from processes.engine.model import (
    FLOW_NODE_TYPES,
    Definitions,
    EventDefinition,
    MultiInstance,
    Process,
    StandardLoop,
    TimerSpec,
)

DEMO = Path(__file__).resolve().parents[2] / "processes" / "demo"
MIWG = Path(__file__).resolve().parents[3] / "shared" / "conformance" / "bpmn-miwg" / "Reference"
MIWG_FILES = sorted(MIWG.glob("*.bpmn")) if MIWG.is_dir() else []
miwg = pytest.mark.skipif(not MIWG_FILES, reason="the MIWG suite is not beside this checkout")


def definitions(body: str, *, root: str = "") -> Definitions:
    """Import a document with one process ``P`` holding ``body``; ``root`` goes before it."""
    return import_definitions(
        f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="{BPMN_NS}" xmlns:itn="urn:itinera:bpmn:1"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:tns="urn:test"
    id="Defs" targetNamespace="urn:test">
  {root}
  <bpmn:process id="P" name="Test" isExecutable="true">{body}</bpmn:process>
</bpmn:definitions>"""
    )


def process(body: str, *, root: str = "") -> Process:
    return definitions(body, root=root).processes["P"]


def codes(imported: Definitions) -> set[tuple[str, str, str | None]]:
    return {(f.severity, f.code, f.element_id) for f in imported.findings}


# The reference models and the demo journeys ------------------------------------------------------


@miwg
@pytest.mark.parametrize("path", MIWG_FILES, ids=lambda p: p.name)
def test_reference_models_import_with_a_node_for_every_flow_node(path: Path) -> None:
    imported = load(path.read_bytes())
    flow_nodes = [
        element
        for process in imported.tree.iterchildren(f"{{{BPMN_NS}}}process")
        for element in process.iter(etree.Element)
        if etree.QName(element).namespace == BPMN_NS
        and etree.QName(element).localname in FLOW_NODE_TYPES
    ]
    nodes = [node for p in imported.definitions.processes.values() for node in p.nodes.values()]
    assert flow_nodes
    assert len(nodes) == len(flow_nodes)
    assert {node.id for node in nodes} == {element.get("id") for element in flow_nodes}
    for finding in imported.definitions.findings:
        assert finding.element_id
        assert finding.element_type
        assert finding.message


@miwg
def test_reference_model_details_survive_import() -> None:
    imported = load((MIWG / "C.9.1.bpmn").read_bytes()).definitions
    document = imported.processes["requestDocument_en"]
    wait = document.nodes["ReceiveTask_WaitForDocument"]
    assert wait.message_ref == "MESSAGE_documentReceived"
    timers = {
        node.name: node.event_definitions[0].timer
        for node in document.nodes.values()
        if node.attached_to == wait.id
    }
    assert timers == {
        "daily": TimerSpec("cycle", "R6/P1D"),
        "1 week": TimerSpec("duration", "P7D"),
    }


@miwg
def test_reference_model_findings() -> None:
    compensation = load((MIWG / "C.6.0.bpmn").read_bytes()).definitions
    assert ("error", "compensation-not-supported", "_3a2f133c-3ae1-4e21-94b5-6e8cf51acd74") in (
        codes(compensation)
    )
    camunda8 = load((MIWG / "C.9.0.bpmn").read_bytes()).definitions
    flows = camunda8.processes["customer_onboarding_en"].flows
    assert flows["SequenceFlow_ApplicationAccepted"].condition == "approved"
    assert ("warning", "expression-language", "SequenceFlow_ApplicationAccepted") in codes(camunda8)


@pytest.mark.parametrize("path", sorted(DEMO.glob("*.bpmn")), ids=lambda p: p.name)
def test_demo_journeys_import_without_errors(path: Path) -> None:
    imported = import_definitions(path.read_bytes())
    assert [f for f in imported.findings if f.severity == "error"] == []
    journey = imported.executable_process()
    assert journey.is_executable
    assert any(node.form for node in journey.nodes.values())


def test_demo_expense_claim_is_read_in_full() -> None:
    imported = import_definitions((DEMO / "expense-claim.bpmn").read_bytes())
    claim = imported.processes["ExpenseClaim"]
    review = claim.nodes["Task_Review"]
    assert review.extensions == {"role": "loan-officers", "sla": "P1D"}
    assert review.form[0] == {
        "name": "total",
        "type": "number",
        "label": "Total amount",
        "required": "true",
    }
    assert review.incoming == ["Flow_1", "Flow_Retry"]
    assert claim.nodes["Gateway_Size"].default == "Flow_Small"
    assert claim.flows["Flow_Large"].condition == "total > 1000"
    assert claim.flows["Flow_Small"].condition is None


# Parsing -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["", "not xml at all", "<a><b></a>", '<definitions xmlns="urn:other"/>'],
)
def test_text_that_is_not_bpmn_is_a_syntax_error(text: str) -> None:
    with pytest.raises(BpmnSyntaxError):
        import_definitions(text)


@pytest.mark.parametrize(
    ("open_root", "close_root", "tag"),
    [
        (f'<definitions xmlns="{BPMN_NS}"', "</definitions>", ""),
        (
            f'<semantic:definitions xmlns:semantic="{BPMN_NS}"',
            "</semantic:definitions>",
            "semantic:",
        ),
    ],
)
def test_any_namespace_prefix_is_read(open_root: str, close_root: str, tag: str) -> None:
    imported = import_definitions(
        f"""{open_root} id="D" targetNamespace="urn:x">
          <{tag}process id="P" isExecutable="true">
            <{tag}startEvent id="S"/>
            <{tag}sequenceFlow id="F" sourceRef="S" targetRef="E"/>
            <{tag}endEvent id="E"/>
          </{tag}process>
        {close_root}"""
    )
    assert imported.id == "D"
    assert imported.target_namespace == "urn:x"
    flow_process = imported.processes["P"]
    assert list(flow_process.nodes) == ["S", "E"]
    assert flow_process.nodes["S"].outgoing == ["F"]
    assert flow_process.nodes["E"].incoming == ["F"]


def test_text_declared_in_another_encoding_is_read_as_text() -> None:
    imported = import_definitions(
        f"""<?xml version="1.0" encoding="ISO-8859-1"?>
        <definitions xmlns="{BPMN_NS}"><process id="P"><task id="T" name="Prüfen"/></process>
        </definitions>"""
    )
    assert imported.processes["P"].nodes["T"].name == "Prüfen"
    assert not imported.processes["P"].is_executable


def test_incoming_and_outgoing_come_from_the_flows_not_the_children() -> None:
    flow_process = process(
        """
        <bpmn:startEvent id="S"><bpmn:outgoing>Bogus</bpmn:outgoing></bpmn:startEvent>
        <bpmn:task id="T"><bpmn:incoming>Other</bpmn:incoming></bpmn:task>
        <bpmn:endEvent id="E"/>
        <bpmn:sequenceFlow id="F1" sourceRef="S" targetRef="T" name="go"/>
        <bpmn:sequenceFlow id="F2" sourceRef="T" targetRef="E"/>
        """
    )
    assert flow_process.nodes["S"].outgoing == ["F1"]
    assert flow_process.nodes["T"].incoming == ["F1"]
    assert flow_process.nodes["T"].outgoing == ["F2"]
    assert flow_process.flows["F1"].name == "go"
    assert (flow_process.flows["F1"].source, flow_process.flows["F1"].target) == ("S", "T")


def test_a_flow_to_a_missing_node_is_a_finding() -> None:
    imported = definitions(
        '<bpmn:startEvent id="S"/><bpmn:sequenceFlow id="F" sourceRef="S" targetRef="Nowhere"/>'
    )
    assert ("error", "dangling-reference", "F") in codes(imported)
    assert imported.processes["P"].nodes["S"].outgoing == ["F"]


# Events ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("child", "expected"),
    [
        ("timeDuration", TimerSpec("duration", "PT1H")),
        ("timeDate", TimerSpec("date", "2030-01-01T09:00:00Z")),
        ("timeCycle", TimerSpec("cycle", "R3/PT10M")),
    ],
)
def test_timers(child: str, expected: TimerSpec) -> None:
    imported = definitions(
        f"""<bpmn:intermediateCatchEvent id="Wait">
              <bpmn:timerEventDefinition id="TD">
                <bpmn:{child} xsi:type="bpmn:tFormalExpression">
                  {expected.text}
                </bpmn:{child}>
              </bpmn:timerEventDefinition>
            </bpmn:intermediateCatchEvent>"""
    )
    (definition,) = imported.processes["P"].nodes["Wait"].event_definitions
    assert definition == EventDefinition(kind="timer", timer=expected, id="TD")
    assert imported.findings == []


def test_a_timer_without_a_value_is_reported() -> None:
    imported = definitions(
        '<bpmn:intermediateCatchEvent id="W"><bpmn:timerEventDefinition/>'
        "</bpmn:intermediateCatchEvent>"
    )
    assert imported.processes["P"].nodes["W"].event_definitions[0].timer is None
    assert codes(imported) == {("warning", "timer-without-value", "W")}


ROOT_ELEMENTS = """
  <bpmn:message id="Msg_Order" name="order received"/>
  <bpmn:message id="Msg_Anonymous"/>
  <bpmn:signal id="Sig_Alarm" name="fire alarm"/>
  <bpmn:signal id="Sig_Anonymous"/>
  <bpmn:error id="Err_Code" name="Payment failed" errorCode="PAYMENT"/>
  <bpmn:error id="Err_Name" name="Timeout"/>
  <bpmn:error id="Err_Bare"/>
  <bpmn:escalation id="Esc_Code" name="Late" escalationCode="LATE"/>
  <bpmn:escalation id="Esc_Name" name="Overdue"/>
"""


def test_root_level_messages_signals_errors_and_escalations() -> None:
    imported = definitions("", root=ROOT_ELEMENTS)
    assert imported.messages == {"Msg_Order": "order received", "Msg_Anonymous": "Msg_Anonymous"}
    assert imported.signals == {"Sig_Alarm": "fire alarm", "Sig_Anonymous": "Sig_Anonymous"}
    assert imported.errors == {"Err_Code": "PAYMENT", "Err_Name": "Timeout", "Err_Bare": "Err_Bare"}
    assert imported.escalations == {"Esc_Code": "LATE", "Esc_Name": "Overdue"}


@pytest.mark.parametrize(
    ("definition", "expected"),
    [
        ('<bpmn:messageEventDefinition messageRef="Msg_Order"/>', ("message", "order received")),
        (
            '<bpmn:messageEventDefinition messageRef="tns:Msg_Order"/>',
            ("message", "order received"),
        ),
        ('<bpmn:messageEventDefinition messageRef="Msg_Anonymous"/>', ("message", "Msg_Anonymous")),
        ('<bpmn:signalEventDefinition signalRef="Sig_Alarm"/>', ("signal", "fire alarm")),
        ('<bpmn:signalEventDefinition signalRef="Sig_Anonymous"/>', ("signal", "Sig_Anonymous")),
        ('<bpmn:errorEventDefinition errorRef="Err_Code"/>', ("error", "PAYMENT")),
        ('<bpmn:errorEventDefinition errorRef="Err_Name"/>', ("error", "Timeout")),
        ('<bpmn:errorEventDefinition errorRef="Err_Bare"/>', ("error", "Err_Bare")),
        ("<bpmn:errorEventDefinition/>", ("error", None)),
        ('<bpmn:escalationEventDefinition escalationRef="Esc_Code"/>', ("escalation", "LATE")),
        ('<bpmn:escalationEventDefinition escalationRef="Esc_Name"/>', ("escalation", "Overdue")),
        ("<bpmn:escalationEventDefinition/>", ("escalation", None)),
        ('<bpmn:linkEventDefinition name="to-review"/>', ("link", "to-review")),
        ("<bpmn:terminateEventDefinition/>", ("terminate", None)),
    ],
)
def test_event_references_resolve_to_names_and_codes(
    definition: str, expected: tuple[str, str | None]
) -> None:
    imported = definitions(
        f'<bpmn:endEvent id="E">{definition}</bpmn:endEvent>', root=ROOT_ELEMENTS
    )
    (event_definition,) = imported.processes["P"].nodes["E"].event_definitions
    assert (event_definition.kind, event_definition.ref) == expected
    assert imported.findings == []


def test_an_unknown_message_is_named_by_its_id_with_a_warning() -> None:
    imported = definitions(
        '<bpmn:startEvent id="S"><bpmn:messageEventDefinition messageRef="Missing"/>'
        "</bpmn:startEvent>"
    )
    assert imported.processes["P"].nodes["S"].event_definitions[0].ref == "Missing"
    assert codes(imported) == {("warning", "unresolved-reference", "S")}


def test_conditional_event() -> None:
    (definition,) = (
        process(
            """<bpmn:intermediateCatchEvent id="C"><bpmn:conditionalEventDefinition>
                 <bpmn:condition xsi:type="bpmn:tFormalExpression">${stock &lt; 10}</bpmn:condition>
               </bpmn:conditionalEventDefinition></bpmn:intermediateCatchEvent>"""
        )
        .nodes["C"]
        .event_definitions
    )
    assert definition == EventDefinition(kind="conditional", condition="stock < 10")


def test_event_definition_refs_are_followed() -> None:
    imported = definitions(
        '<bpmn:endEvent id="E"><bpmn:eventDefinitionRef>Term</bpmn:eventDefinitionRef>'
        "</bpmn:endEvent>",
        root='<bpmn:terminateEventDefinition id="Term"/>',
    )
    assert imported.processes["P"].nodes["E"].event_definitions == [
        EventDefinition(kind="terminate", id="Term")
    ]


def test_boundary_events() -> None:
    flow_process = process(
        """
        <bpmn:userTask id="Work"/>
        <bpmn:boundaryEvent id="Timeout" attachedToRef="Work">
          <bpmn:timerEventDefinition><bpmn:timeDuration>P2D</bpmn:timeDuration>
          </bpmn:timerEventDefinition>
        </bpmn:boundaryEvent>
        <bpmn:boundaryEvent id="Reminder" attachedToRef="Work" cancelActivity="false">
          <bpmn:timerEventDefinition><bpmn:timeCycle>R/P1D</bpmn:timeCycle>
          </bpmn:timerEventDefinition>
        </bpmn:boundaryEvent>
        """
    )
    timeout, reminder = flow_process.nodes["Timeout"], flow_process.nodes["Reminder"]
    assert (timeout.attached_to, timeout.cancel_activity) == ("Work", True)
    assert (reminder.attached_to, reminder.cancel_activity) == ("Work", False)


def test_a_boundary_event_on_a_missing_activity_is_a_finding() -> None:
    imported = definitions('<bpmn:boundaryEvent id="B" attachedToRef="Ghost"/>')
    assert codes(imported) == {("error", "dangling-reference", "B")}


def test_event_sub_process() -> None:
    flow_process = process(
        """
        <bpmn:startEvent id="Start"/>
        <bpmn:subProcess id="OnCancel" triggeredByEvent="true">
          <bpmn:startEvent id="CancelStart" isInterrupting="false">
            <bpmn:signalEventDefinition signalRef="Sig"/>
          </bpmn:startEvent>
          <bpmn:sequenceFlow id="Inner" sourceRef="CancelStart" targetRef="CancelEnd"/>
          <bpmn:endEvent id="CancelEnd"/>
        </bpmn:subProcess>
        <bpmn:endEvent id="End"/>
        """,
        root='<bpmn:signal id="Sig" name="cancel requested"/>',
    )
    assert list(flow_process.nodes) == ["Start", "OnCancel", "CancelStart", "CancelEnd", "End"]
    sub_process = flow_process.nodes["OnCancel"]
    assert sub_process.triggered_by_event
    assert sub_process.parent is None
    start = flow_process.nodes["CancelStart"]
    assert (start.parent, start.is_interrupting) == ("OnCancel", False)
    assert start.event_definitions[0].ref == "cancel requested"
    assert flow_process.nodes["Start"].is_interrupting
    assert flow_process.flows["Inner"].parent == "OnCancel"
    assert start.outgoing == ["Inner"]


def test_multiple_event_definitions_are_a_finding() -> None:
    imported = definitions(
        """<bpmn:startEvent id="Either" parallelMultiple="true">
             <bpmn:messageEventDefinition messageRef="M"/>
             <bpmn:signalEventDefinition signalRef="S"/>
           </bpmn:startEvent>""",
        root='<bpmn:message id="M"/><bpmn:signal id="S"/>',
    )
    assert codes(imported) == {("error", "multiple-event-definitions", "Either")}
    assert "parallel" in imported.findings[0].message
    assert [d.kind for d in imported.processes["P"].nodes["Either"].event_definitions] == [
        "message",
        "signal",
    ]


# Activities --------------------------------------------------------------------------------------


def test_multi_instance_with_itinera_attributes() -> None:
    (node,) = process(
        """<bpmn:userTask id="Review">
             <bpmn:multiInstanceLoopCharacteristics isSequential="true"
                 itn:collection="reviewers" itn:elementVariable="reviewer"
                 itn:synchronize="false" itn:continueAfter="2"
                 itn:continueCondition="${approvals >= 2}" itn:dynamic="true">
               <bpmn:loopCardinality>3</bpmn:loopCardinality>
               <bpmn:completionCondition>${nrOfCompletedInstances >= 2}</bpmn:completionCondition>
             </bpmn:multiInstanceLoopCharacteristics>
           </bpmn:userTask>"""
    ).nodes.values()
    assert node.multi_instance == MultiInstance(
        sequential=True,
        cardinality="3",
        collection="reviewers",
        element_variable="reviewer",
        completion_condition="nrOfCompletedInstances >= 2",
        synchronize=False,
        continue_after=2,
        continue_condition="approvals >= 2",
        dynamic=True,
    )
    assert node.loop is None


def test_multi_instance_over_a_standard_data_input() -> None:
    node = process(
        """<bpmn:task id="Ship">
             <bpmn:ioSpecification>
               <bpmn:dataInput id="OrdersInput" name="orders"/>
               <bpmn:inputSet><bpmn:dataInputRefs>OrdersInput</bpmn:dataInputRefs></bpmn:inputSet>
               <bpmn:outputSet/>
             </bpmn:ioSpecification>
             <bpmn:multiInstanceLoopCharacteristics>
               <bpmn:loopDataInputRef>OrdersInput</bpmn:loopDataInputRef>
               <bpmn:inputDataItem id="OrderItem" name="order"/>
             </bpmn:multiInstanceLoopCharacteristics>
           </bpmn:task>"""
    ).nodes["Ship"]
    assert node.multi_instance == MultiInstance(collection="orders", element_variable="order")


def test_standard_loop() -> None:
    nodes = process(
        """<bpmn:task id="Retry">
             <bpmn:standardLoopCharacteristics testBefore="true" loopMaximum="5">
               <bpmn:loopCondition>#{not done}</bpmn:loopCondition>
             </bpmn:standardLoopCharacteristics>
           </bpmn:task>
           <bpmn:task id="Plain"><bpmn:standardLoopCharacteristics/></bpmn:task>"""
    ).nodes
    assert nodes["Retry"].loop == StandardLoop(test_before=True, condition="not done", maximum=5)
    assert nodes["Plain"].loop == StandardLoop()


def test_invalid_numbers_are_findings_not_exceptions() -> None:
    imported = definitions(
        """<bpmn:task id="T" startQuantity="many" completionQuantity="0">
             <bpmn:standardLoopCharacteristics loopMaximum="x" testBefore="maybe"/>
           </bpmn:task>"""
    )
    node = imported.processes["P"].nodes["T"]
    assert (node.start_quantity, node.completion_quantity) == (1, 1)
    assert node.loop == StandardLoop()
    assert [f.code for f in imported.findings] == ["invalid-value"] * 4
    assert {f.element_id for f in imported.findings} == {"T"}


def test_thread_split_and_merge_quantities() -> None:
    node = process('<bpmn:task id="T" startQuantity="2" completionQuantity="3"/>').nodes["T"]
    assert (node.start_quantity, node.completion_quantity) == (2, 3)


def test_call_activity() -> None:
    node = process('<bpmn:callActivity id="Call" calledElement="tns:Child"/>').nodes["Call"]
    assert node.called_element == "Child"


def test_a_call_of_a_global_task_is_a_finding() -> None:
    imported = definitions(
        '<bpmn:callActivity id="Call" calledElement="G"/>', root='<bpmn:globalTask id="G"/>'
    )
    assert codes(imported) == {("error", "call-global-task", "Call")}


@pytest.mark.parametrize(
    ("attributes", "ordering"), [("", "Parallel"), (' ordering="Sequential"', "Sequential")]
)
def test_ad_hoc_sub_process(attributes: str, ordering: str) -> None:
    flow_process = process(
        f"""<bpmn:adHocSubProcess id="Adhoc"{attributes}>
              <bpmn:task id="A"/><bpmn:task id="B"/>
              <bpmn:completionCondition>${{allDone}}</bpmn:completionCondition>
            </bpmn:adHocSubProcess>"""
    )
    adhoc = flow_process.nodes["Adhoc"]
    assert (adhoc.ordering, adhoc.completion_condition) == (ordering, "allDone")
    assert [flow_process.nodes[n].parent for n in ("A", "B")] == ["Adhoc", "Adhoc"]


def test_complex_gateway_script_task_and_message_tasks() -> None:
    nodes = process(
        """<bpmn:complexGateway id="G" default="F" itn:activationCount="1">
             <bpmn:activationCondition>${arrived >= 1}</bpmn:activationCondition>
           </bpmn:complexGateway>
           <bpmn:scriptTask id="S" scriptFormat="python">
             <bpmn:script>
               if amount &gt; 10:
                   total = 1
             </bpmn:script>
           </bpmn:scriptTask>
           <bpmn:sequenceFlow id="F" sourceRef="G" targetRef="S"/>
           <bpmn:receiveTask id="R" messageRef="Msg_Order"/>
           <bpmn:sendTask id="Out" messageRef="Msg_Anonymous"/>""",
        root=ROOT_ELEMENTS,
    ).nodes
    gateway = nodes["G"]
    assert gateway.activation_condition == "arrived >= 1"
    assert gateway.default == "F"
    assert gateway.extensions == {"activationCount": "1"}
    assert nodes["S"].script == "if amount > 10:\n    total = 1"
    assert nodes["S"].script_format == "python"
    assert nodes["R"].message_ref == "order received"
    assert nodes["Out"].message_ref == "Msg_Anonymous"


def test_itinera_attributes_and_form() -> None:
    node = process(
        """<bpmn:userTask id="Approve" itn:role="managers" itn:sla="P2D" itn:warnAt="0.8"
              itn:mutex="ledger" itn:enabledWhile="Other" itn:cancels="A B">
             <bpmn:extensionElements>
               <itn:form>
                 <itn:field name="approved" type="boolean" label="Approve"/>
                 <itn:field name="reason" type="textarea" required="true"/>
               </itn:form>
             </bpmn:extensionElements>
           </bpmn:userTask>"""
    ).nodes["Approve"]
    assert node.extensions == {
        "role": "managers",
        "sla": "P2D",
        "warnAt": "0.8",
        "mutex": "ledger",
        "enabledWhile": "Other",
        "cancels": "A B",
    }
    assert node.form == [
        {"name": "approved", "type": "boolean", "label": "Approve"},
        {"name": "reason", "type": "textarea", "required": "true"},
    ]
    assert node.is_work_item


def test_lanes_including_nested_lanes() -> None:
    flow_process = process(
        """<bpmn:laneSet id="LS">
             <bpmn:lane id="Office" name="Office">
               <bpmn:flowNodeRef>A</bpmn:flowNodeRef>
               <bpmn:flowNodeRef>B</bpmn:flowNodeRef>
               <bpmn:childLaneSet id="CLS">
                 <bpmn:lane id="Desk" name="Front desk"><bpmn:flowNodeRef>B</bpmn:flowNodeRef>
                 </bpmn:lane>
               </bpmn:childLaneSet>
             </bpmn:lane>
             <bpmn:lane id="Field" name="Field"><bpmn:flowNodeRef> C </bpmn:flowNodeRef></bpmn:lane>
           </bpmn:laneSet>
           <bpmn:task id="A"/><bpmn:task id="B"/><bpmn:task id="C"/><bpmn:task id="D"/>"""
    )
    assert [(lane.id, lane.name, lane.nodes) for lane in flow_process.lanes] == [
        ("Office", "Office", ["A", "B"]),
        ("Desk", "Front desk", ["B"]),
        ("Field", "Field", ["C"]),
    ]
    assert {n.id: n.lane for n in flow_process.nodes.values()} == {
        "A": "Office",
        "B": "Desk",
        "C": "Field",
        "D": None,
    }


def test_data_objects_are_case_variables_and_artifacts_are_fine() -> None:
    imported = definitions(
        """<bpmn:property id="Prop" name="customer"/>
           <bpmn:dataObject id="DO1" name="invoice"/>
           <bpmn:dataObject id="DO2"/>
           <bpmn:dataObjectReference id="DOR" dataObjectRef="DO1"/>
           <bpmn:textAnnotation id="Note"><bpmn:text>hello</bpmn:text></bpmn:textAnnotation>
           <bpmn:association id="Assoc" sourceRef="Note" targetRef="T"/>
           <bpmn:group id="Grp"/>
           <bpmn:task id="T"/>"""
    )
    assert imported.processes["P"].data_objects == ["customer", "invoice", "DO2"]
    assert imported.findings == []


# Expressions -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("amount > 100", "amount > 100"),
        ("  ${amount > 100}  ", "amount > 100"),
        ("#{approved}", "approved"),
        ("${ {'a': 1}['a'] == 1 }", "{'a': 1}['a'] == 1"),
        ("${a} and ${b}", "${a} and ${b}"),
        ("", None),
        ("   ", None),
    ],
)
def test_condition_expressions(text: str, expected: str | None) -> None:
    imported = definitions(
        f"""<bpmn:exclusiveGateway id="G"/><bpmn:task id="T"/>
            <bpmn:sequenceFlow id="F" sourceRef="G" targetRef="T">
              <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{text}
              </bpmn:conditionExpression>
            </bpmn:sequenceFlow>"""
    )
    assert imported.processes["P"].flows["F"].condition == expected
    assert imported.findings == []


@pytest.mark.parametrize(
    ("language", "warned"),
    [
        ("http://www.omg.org/spec/FEEL/20140401", True),
        ("juel", True),
        ("javascript", True),
        ("python", False),
        ("urn:itinera:expression", False),
    ],
)
def test_expression_languages(language: str, warned: bool) -> None:
    imported = definitions(
        f"""<bpmn:exclusiveGateway id="G"/><bpmn:task id="T"/>
            <bpmn:sequenceFlow id="F" sourceRef="G" targetRef="T">
              <bpmn:conditionExpression language="{language}">x == 1</bpmn:conditionExpression>
            </bpmn:sequenceFlow>"""
    )
    assert imported.processes["P"].flows["F"].condition == "x == 1"
    assert codes(imported) == ({("warning", "expression-language", "F")} if warned else set())
    if warned:
        assert "Itinera expression" in imported.findings[0].message


# Findings ----------------------------------------------------------------------------------------


def test_compensation_is_reported() -> None:
    imported = definitions(
        """<bpmn:task id="Book"/>
           <bpmn:boundaryEvent id="Undo" attachedToRef="Book">
             <bpmn:compensateEventDefinition/>
           </bpmn:boundaryEvent>
           <bpmn:task id="CancelBooking" isForCompensation="true"/>
           <bpmn:intermediateThrowEvent id="Compensate">
             <bpmn:compensateEventDefinition activityRef="Book"/>
           </bpmn:intermediateThrowEvent>
           <bpmn:association id="A" sourceRef="Undo" targetRef="CancelBooking"/>"""
    )
    assert codes(imported) == {
        ("error", "compensation-not-supported", "Undo"),
        ("error", "compensation-not-supported", "CancelBooking"),
        ("error", "compensation-not-supported", "Compensate"),
    }
    types = {f.element_id: f.element_type for f in imported.findings}
    assert types == {
        "Undo": "boundaryEvent",
        "CancelBooking": "task",
        "Compensate": "intermediateThrowEvent",
    }


def test_transactions_and_cancel_events_are_reported() -> None:
    imported = definitions(
        """<bpmn:transaction id="Tx">
             <bpmn:endEvent id="Abort"><bpmn:cancelEventDefinition/></bpmn:endEvent>
           </bpmn:transaction>
           <bpmn:boundaryEvent id="Cancelled" attachedToRef="Tx">
             <bpmn:cancelEventDefinition/>
           </bpmn:boundaryEvent>"""
    )
    assert codes(imported) == {
        ("warning", "transaction-semantics-not-supported", "Tx"),
        ("error", "cancel-event-not-supported", "Abort"),
        ("error", "cancel-event-not-supported", "Cancelled"),
    }
    assert imported.processes["P"].nodes["Abort"].parent == "Tx"


def test_unknown_itinera_attributes_are_reported() -> None:
    assert "role" in KNOWN_ITINERA_ATTRIBUTES
    imported = definitions(
        """<bpmn:userTask id="T" itn:role="clerks" itn:colour="red">
             <bpmn:multiInstanceLoopCharacteristics itn:colection="items"/>
           </bpmn:userTask>"""
    )
    assert [(f.severity, f.code, f.element_id) for f in imported.findings] == [
        ("warning", "unknown-itinera-attribute", "T"),
        ("warning", "unknown-itinera-attribute", "T"),
    ]
    assert "itn:colour" in imported.findings[0].message
    assert "itn:colection" in imported.findings[1].message
    assert "multiInstanceLoopCharacteristics" in imported.findings[1].message
    assert imported.processes["P"].nodes["T"].extensions == {"role": "clerks", "colour": "red"}


def test_unknown_elements_are_reported() -> None:
    imported = definitions(
        """<bpmn:task id="T"/>
           <bpmn:choreographyTask id="Chor"/>
           <bpmn:inventedTask id="Invented"/>
           <bpmn:dataStoreReference id="Store"/>
           <bpmn:task id="U"><bpmn:extensionElements><itn:fom/></bpmn:extensionElements></bpmn:task>
        """,
        root="""<bpmn:collaboration id="C">
                  <bpmn:participant id="Part" processRef="P"/>
                  <bpmn:conversation id="Talk"/>
                </bpmn:collaboration>
                <bpmn:choreography id="Dance"/>""",
    )
    assert codes(imported) == {
        ("error", "unknown-element", "Chor"),
        ("error", "unknown-element", "Invented"),
        ("warning", "data-store-ignored", "Store"),
        ("warning", "unknown-itinera-element", "U"),
        ("warning", "conversation-ignored", "Talk"),
        ("warning", "choreography-ignored", "Dance"),
    }
    assert list(imported.processes["P"].nodes) == ["T", "U"]


def test_flow_elements_without_an_id_are_reported() -> None:
    imported = definitions(
        '<bpmn:subProcess id="Sub"><bpmn:task name="anonymous"/></bpmn:subProcess>'
    )
    assert codes(imported) == {("error", "missing-id", "Sub")}
    assert list(imported.processes["P"].nodes) == ["Sub"]


def test_duplicate_ids_are_reported() -> None:
    imported = definitions('<bpmn:task id="T"/><bpmn:task id="T" name="again"/>')
    assert codes(imported) == {("error", "duplicate-id", "T")}
    assert imported.processes["P"].nodes["T"].name == ""
