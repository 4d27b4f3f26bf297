"""BPMN 2.0 import: reads a BPMN file into the engine's process model (``Definitions``), and
reports as findings whatever in it the engine cannot execute."""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from lxml import etree

from processes.bpmn.xml import BPMN_NS, ITINERA_NS, parse_definitions
from processes.engine.model import (
    EVENT_TYPES,
    FLOW_NODE_TYPES,
    SUBPROCESS_TYPES,
    Definitions,
    EventDefinition,
    Finding,
    Flow,
    Lane,
    MultiInstance,
    Node,
    Process,
    Severity,
    StandardLoop,
    TimerSpec,
)

#: The ``itn:`` attributes Itinera understands (PATTERNS.md); any other one is reported.
KNOWN_ITINERA_ATTRIBUTES = frozenset(
    {
        "role",
        "sla",
        "warnAt",
        "slaPauseOn",
        "form",
        "assignment",
        "assignmentRule",
        "rule",
        "resultVariable",
        "priority",
        "dueIn",
        "topic",
        "mutex",
        "enabledWhile",
        "cancels",
        "activationCount",
        "cancelRemaining",
        "synchronize",
        "collection",
        "elementVariable",
        "continueAfter",
        "continueCondition",
        "dynamic",
        "expectedDuration",
        "retries",
        "escalation",
        "assignee",
        "notSameAs",
        "correlationKey",
    }
)
#: The ``itn:`` elements Itinera understands inside ``extensionElements``.
KNOWN_ITINERA_ELEMENTS = frozenset({"form", "field"})

EVENT_DEFINITION_KINDS = {
    "messageEventDefinition": "message",
    "timerEventDefinition": "timer",
    "signalEventDefinition": "signal",
    "errorEventDefinition": "error",
    "escalationEventDefinition": "escalation",
    "terminateEventDefinition": "terminate",
    "conditionalEventDefinition": "conditional",
    "linkEventDefinition": "link",
    "cancelEventDefinition": "cancel",
    "compensateEventDefinition": "compensate",
}
_TIMER_KINDS: dict[str, Literal["date", "duration", "cycle"]] = {
    "timeDate": "date",
    "timeDuration": "duration",
    "timeCycle": "cycle",
}

# Children of a process or sub-process that carry no behaviour the engine runs (documentation,
# artifacts, data wiring, resources) or that the node reader handles itself.
_INERT_SCOPE_CHILDREN = frozenset(
    {
        "documentation",
        "extensionElements",
        "auditing",
        "monitoring",
        "ioSpecification",
        "ioBinding",
        "dataObjectReference",
        "dataInputAssociation",
        "dataOutputAssociation",
        "association",
        "textAnnotation",
        "group",
        "resourceRole",
        "performer",
        "humanPerformer",
        "potentialOwner",
        "correlationSubscription",
        "supports",
        "incoming",
        "outgoing",
        "standardLoopCharacteristics",
        "multiInstanceLoopCharacteristics",
        "completionCondition",
    }
)
# Root-level choreographies, and the conversation nodes of collaborations (or the root).
_CHOREOGRAPHY_TYPES = frozenset({"choreography", "globalChoreographyTask"})
_CONVERSATION_TYPES = frozenset(
    {"conversation", "subConversation", "callConversation", "globalConversation"}
)

# A whole expression wrapped as ``${...}`` or ``#{...}`` (Camunda 7, Activiti, Flowable).
_WRAPPED_EXPRESSION = re.compile(r"^[$#]\{(?P<inner>.*)\}$", re.DOTALL)


@dataclass(frozen=True)
class BpmnFile:
    """An imported BPMN file: the engine model, and the parsed document it came from.

    ``tree`` is the ``definitions`` element; ``exporter.export`` writes it back unchanged.
    """

    definitions: Definitions
    tree: etree._Element


def load(text: str | bytes) -> BpmnFile:
    """Parse and import a BPMN document; raises ``BpmnSyntaxError`` when it is not BPMN 2.0."""
    root = parse_definitions(text)
    return BpmnFile(definitions=definitions_from_xml(root), tree=root)


def import_definitions(text: str | bytes) -> Definitions:
    """The engine model of a BPMN document; raises ``BpmnSyntaxError`` when it is not BPMN 2.0."""
    return load(text).definitions


def definitions_from_xml(root: etree._Element) -> Definitions:
    """The engine model of a parsed ``definitions`` element (see ``xml.parse_definitions``)."""
    return _Importer(root).run()


def _bpmn(local: str) -> str:
    return f"{{{BPMN_NS}}}{local}"


def _itn(local: str) -> str:
    return f"{{{ITINERA_NS}}}{local}"


def _split(tag: object) -> tuple[str, str]:
    """(namespace, local name) of an element tag; comments and processing instructions give ''."""
    if not isinstance(tag, str):
        return "", ""
    if tag.startswith("{"):
        namespace, _, local = tag[1:].partition("}")
        return namespace, local
    return "", tag


def _bpmn_local(element: etree._Element) -> str | None:
    namespace, local = _split(element.tag)
    return local if namespace == BPMN_NS else None


def _id_ref(value: str | None) -> str | None:
    """An id reference; references are xsd:QNames, so a prefix may precede the (colon-free) id."""
    if value is None:
        return None
    value = value.strip()
    return value.rpartition(":")[2] or None


def _text(element: etree._Element | None) -> str:
    if element is None:
        return ""
    return "".join(element.itertext()).strip()


def _model_elements(element: etree._Element) -> Iterator[etree._Element]:
    """BPMN elements below ``element`` (itself included), not looking into extension content."""
    stack = [element]
    while stack:
        current = stack.pop()
        local = _bpmn_local(current)
        if local is None:
            continue
        yield current
        if local != "extensionElements":
            stack.extend(reversed(list(current)))


class _Importer:
    def __init__(self, root: etree._Element) -> None:
        self.root = root
        self.findings: list[Finding] = []
        self.definitions = Definitions(
            id=root.get("id", ""),
            target_namespace=root.get("targetNamespace", ""),
        )
        self.by_id: dict[str, etree._Element] = {}
        for element in _model_elements(root):
            element_id = element.get("id")
            if element_id is None:
                continue
            if element_id in self.by_id:
                self.finding(
                    "error",
                    element,
                    "duplicate-id",
                    f"The id {element_id!r} is used by more than one element.",
                )
            else:
                self.by_id[element_id] = element

    # Findings ---------------------------------------------------------------------------------

    def finding(
        self,
        severity: Severity,
        element: etree._Element,
        code: str,
        message: str,
    ) -> None:
        """Report on ``element``, or on its nearest ancestor with an id when it has none."""
        owner = _addressable(element)
        if owner is not element:
            message = f"{message} (on its {_split(element.tag)[1]})"
        self.findings.append(
            Finding(
                severity=severity,
                element_id=owner.get("id"),
                code=code,
                message=message,
                element_type=_split(owner.tag)[1] or None,
            )
        )

    # Whole document ---------------------------------------------------------------------------

    def run(self) -> Definitions:
        root = self.root
        definitions = self.definitions
        for element in root:
            local = _bpmn_local(element)
            element_id = element.get("id")
            if element_id is None:
                continue
            if local in ("message", "signal"):
                table = definitions.messages if local == "message" else definitions.signals
                table[element_id] = element.get("name") or element_id
            elif local == "error":
                definitions.errors[element_id] = (
                    element.get("errorCode") or element.get("name") or element_id
                )
            elif local == "escalation":
                definitions.escalations[element_id] = (
                    element.get("escalationCode") or element.get("name") or element_id
                )
        for element in root:
            local = _bpmn_local(element)
            if local == "process":
                process = self.process(element)
                definitions.processes[process.id] = process
            elif local in _CHOREOGRAPHY_TYPES:
                self.finding(
                    "warning",
                    element,
                    "choreography-ignored",
                    "Choreographies are not executed: Itinera runs processes only.",
                )
            elif local == "collaboration":
                for child in element:
                    if _bpmn_local(child) in _CONVERSATION_TYPES:
                        self.finding(
                            "warning",
                            child,
                            "conversation-ignored",
                            "Conversations are not executed: Itinera runs processes only.",
                        )
            elif local in _CONVERSATION_TYPES:
                self.finding(
                    "warning",
                    element,
                    "conversation-ignored",
                    "Conversations are not executed: Itinera runs processes only.",
                )
        self.check_itinera_names()
        definitions.findings = self.findings
        return definitions

    def check_itinera_names(self) -> None:
        for element in self.root.iter():
            namespace, local = _split(element.tag)
            if namespace == ITINERA_NS and local not in KNOWN_ITINERA_ELEMENTS:
                self.finding(
                    "warning",
                    element,
                    "unknown-itinera-element",
                    f"itn:{local} is not an Itinera extension element; it is ignored.",
                )
            for key in element.attrib:
                attribute_namespace, name = _split(key)
                if attribute_namespace == ITINERA_NS and name not in KNOWN_ITINERA_ATTRIBUTES:
                    self.finding(
                        "warning",
                        element,
                        "unknown-itinera-attribute",
                        f"itn:{name} is not an Itinera extension attribute; it is ignored.",
                    )

    # Processes --------------------------------------------------------------------------------

    def process(self, element: etree._Element) -> Process:
        process_id = element.get("id", "")
        process = Process(
            id=process_id,
            name=element.get("name", ""),
            is_executable=element.get("isExecutable", "false").strip().lower() == "true",
        )
        for key, value in element.attrib.items():
            namespace, name = _split(key)
            if namespace == ITINERA_NS:
                process.extensions[name] = value
        self.scope(element, process, parent=None)
        self.connect(process)
        # Pre-order over nested lanes, so a node ends up in the innermost lane that lists it.
        for lane in process.lanes:
            for node_id in lane.nodes:
                node = process.nodes.get(node_id)
                if node is not None:
                    node.lane = lane.id
        return process

    def scope(self, container: etree._Element, process: Process, parent: str | None) -> None:
        """Read the flow elements of a process or sub-process (``parent`` is the sub-process)."""
        for child in container:
            namespace, local = _split(child.tag)
            if namespace != BPMN_NS:
                continue
            if (local in FLOW_NODE_TYPES or local == "sequenceFlow") and not child.get("id"):
                self.finding(
                    "error", container, "missing-id", f"A {local} in it has no id: it is left out."
                )
            elif local in FLOW_NODE_TYPES:
                node = self.node(child, parent)
                process.nodes.setdefault(node.id, node)
                if local in SUBPROCESS_TYPES:
                    self.scope(child, process, parent=node.id)
            elif local == "sequenceFlow":
                flow = self.flow(child, parent)
                process.flows.setdefault(flow.id, flow)
            elif local == "laneSet":
                self.lane_set(child, process)
            elif local in ("dataObject", "property"):
                name = child.get("name") or child.get("id")
                if name and name not in process.data_objects:
                    process.data_objects.append(name)
            elif local == "dataStoreReference":
                self.finding(
                    "warning",
                    child,
                    "data-store-ignored",
                    "Data store access is not executed: a case keeps its data in case variables.",
                )
            elif local not in _INERT_SCOPE_CHILDREN:
                self.finding(
                    "error",
                    child,
                    "unknown-element",
                    f"{local} is not a flow element Itinera can execute.",
                )

    def lane_set(self, lane_set: etree._Element, process: Process) -> None:
        for lane_element in lane_set.iterchildren(_bpmn("lane")):
            lane_id = lane_element.get("id", "")
            nodes = [
                node_id
                for ref in lane_element.iterchildren(_bpmn("flowNodeRef"))
                if (node_id := _id_ref(ref.text)) is not None
            ]
            process.lanes.append(Lane(id=lane_id, name=lane_element.get("name", ""), nodes=nodes))
            for child_set in lane_element.iterchildren(_bpmn("childLaneSet")):
                self.lane_set(child_set, process)

    def flow(self, element: etree._Element, parent: str | None) -> Flow:
        condition_element = element.find(_bpmn("conditionExpression"))
        return Flow(
            id=element.get("id", ""),
            source=_id_ref(element.get("sourceRef")) or "",
            target=_id_ref(element.get("targetRef")) or "",
            name=element.get("name", ""),
            condition=self.expression(condition_element, element),
            parent=parent,
            rule=_stripped(element.get(_itn("rule"))),
        )

    def connect(self, process: Process) -> None:
        """Derive each node's incoming and outgoing flows from the flows' source and target."""
        for flow in process.flows.values():
            element = self.by_id.get(flow.id)
            ends = (("sourceRef", flow.source), ("targetRef", flow.target))
            for attribute, node_id in ends:
                node = process.nodes.get(node_id)
                if node is None:
                    if element is not None:
                        self.finding(
                            "error",
                            element,
                            "dangling-reference",
                            f"The {attribute} {node_id!r} is not a flow node of this process.",
                        )
                    continue
                if node.parent != flow.parent and element is not None:
                    self.finding(
                        "error",
                        element,
                        "flow-crosses-scope",
                        f"The flow connects {node_id!r}, which is in another (sub-)process.",
                    )
                (node.outgoing if attribute == "sourceRef" else node.incoming).append(flow.id)
        for node in process.nodes.values():
            element = self.by_id.get(node.id)
            if element is None:
                continue
            if node.default is not None and node.default not in node.outgoing:
                self.finding(
                    "error",
                    element,
                    "dangling-reference",
                    f"The default flow {node.default!r} is not an outgoing flow of {node.id!r}.",
                )
            if node.attached_to is not None:
                host = process.nodes.get(node.attached_to)
                if host is None or not host.is_activity:
                    self.finding(
                        "error",
                        element,
                        "dangling-reference",
                        f"The boundary event is attached to {node.attached_to!r}, "
                        "which is not an activity of this process.",
                    )

    # Nodes ------------------------------------------------------------------------------------

    def node(self, element: etree._Element, parent: str | None) -> Node:
        local = _split(element.tag)[1]
        node = Node(
            id=element.get("id", ""),
            type=local,
            name=element.get("name", ""),
            parent=parent,
            default=_id_ref(element.get("default")),
            start_quantity=self.integer(element, "startQuantity", 1, minimum=1),
            completion_quantity=self.integer(element, "completionQuantity", 1, minimum=1),
        )
        for key, value in element.attrib.items():
            namespace, name = _split(key)
            if namespace == ITINERA_NS:
                node.extensions[name] = value
        node.form = self.form(element)
        if local == "businessRuleTask":
            _decision_reference(element, node)

        if local in EVENT_TYPES:
            self.events(element, node)
        if local == "boundaryEvent":
            node.attached_to = _id_ref(element.get("attachedToRef"))
            node.cancel_activity = self.boolean(element, "cancelActivity", True)
        elif local == "startEvent":
            node.is_interrupting = self.boolean(element, "isInterrupting", True)

        if node.is_activity:
            self.activity(element, node)
        if local == "complexGateway":
            node.activation_condition = self.expression(
                element.find(_bpmn("activationCondition")), element
            )
        return node

    def activity(self, element: etree._Element, node: Node) -> None:
        local = node.type
        if self.boolean(element, "isForCompensation", False):
            self.finding(
                "error",
                element,
                "compensation-not-supported",
                "Compensation handlers are not supported: the activity would never run.",
            )
        node.loop = self.standard_loop(element)
        node.multi_instance = self.multi_instance(element)
        if local == "callActivity":
            node.called_element = _id_ref(element.get("calledElement"))
            called = self.by_id.get(node.called_element or "")
            if called is not None and (_bpmn_local(called) or "").startswith("global"):
                self.finding(
                    "error",
                    element,
                    "call-global-task",
                    f"The call activity calls the global task {node.called_element!r}; "
                    "Itinera calls processes only.",
                )
        elif local in SUBPROCESS_TYPES:
            node.triggered_by_event = self.boolean(element, "triggeredByEvent", False)
            if local == "adHocSubProcess":
                node.ordering = (element.get("ordering") or "Parallel").strip()
                node.completion_condition = self.expression(
                    element.find(_bpmn("completionCondition")), element
                )
            elif local == "transaction":
                self.finding(
                    "warning",
                    element,
                    "transaction-semantics-not-supported",
                    "The transaction runs as an ordinary sub-process: its cancel and "
                    "compensation semantics are not supported.",
                )
        elif local in ("receiveTask", "sendTask"):
            node.message_ref = self.message_name(element, element.get("messageRef"))
        elif local == "scriptTask":
            script = element.find(_bpmn("script"))
            # Python scripts are indentation-sensitive: keep the lines' relative indentation.
            node.script = (
                textwrap.dedent("".join(script.itertext())).strip() if script is not None else None
            )
            node.script_format = element.get("scriptFormat")

    def form(self, element: etree._Element) -> list[dict[str, str]]:
        fields: list[dict[str, str]] = []
        for extensions in element.iterchildren(_bpmn("extensionElements")):
            for form in extensions.iterchildren(_itn("form")):
                for field in form.iterchildren(_itn("field")):
                    fields.append({_split(key)[1]: value for key, value in field.attrib.items()})
        return fields

    def standard_loop(self, element: etree._Element) -> StandardLoop | None:
        loop = element.find(_bpmn("standardLoopCharacteristics"))
        if loop is None:
            return None
        return StandardLoop(
            test_before=self.boolean(loop, "testBefore", False, owner=element),
            condition=self.expression(loop.find(_bpmn("loopCondition")), element),
            maximum=self.optional_integer(loop, "loopMaximum", minimum=0, owner=element),
        )

    def multi_instance(self, element: etree._Element) -> MultiInstance | None:
        loop = element.find(_bpmn("multiInstanceLoopCharacteristics"))
        if loop is None:
            return None
        collection = None
        input_ref = _id_ref(_text(loop.find(_bpmn("loopDataInputRef"))) or None)
        if input_ref is not None:
            referenced = self.by_id.get(input_ref)
            collection = (referenced.get("name") if referenced is not None else None) or input_ref
        element_variable = None
        input_item = loop.find(_bpmn("inputDataItem"))
        if input_item is not None:
            element_variable = input_item.get("name") or input_item.get("id")
        continue_condition = loop.get(_itn("continueCondition"))
        return MultiInstance(
            sequential=self.boolean(loop, "isSequential", False, owner=element),
            cardinality=self.expression(loop.find(_bpmn("loopCardinality")), element),
            collection=loop.get(_itn("collection")) or collection,
            element_variable=loop.get(_itn("elementVariable")) or element_variable,
            completion_condition=self.expression(loop.find(_bpmn("completionCondition")), element),
            synchronize=self.boolean(loop, _itn("synchronize"), True, owner=element),
            continue_after=self.optional_integer(
                loop, _itn("continueAfter"), minimum=1, owner=element
            ),
            continue_condition=None
            if continue_condition is None
            else _unwrap(continue_condition.strip()) or None,
            dynamic=self.boolean(loop, _itn("dynamic"), False, owner=element),
        )

    # Events -----------------------------------------------------------------------------------

    def events(self, element: etree._Element, node: Node) -> None:
        definitions: list[etree._Element] = []
        for child in element:
            local = _bpmn_local(child)
            if local in EVENT_DEFINITION_KINDS:
                definitions.append(child)
            elif local == "eventDefinitionRef":
                referenced = self.by_id.get(_id_ref(child.text) or "")
                if referenced is not None and _bpmn_local(referenced) in EVENT_DEFINITION_KINDS:
                    definitions.append(referenced)
                else:
                    self.finding(
                        "error",
                        element,
                        "dangling-reference",
                        f"The eventDefinitionRef {_text(child)!r} is not an event definition.",
                    )
        node.event_definitions = [self.event_definition(d, element) for d in definitions]
        if len(definitions) > 1:
            parallel = self.boolean(element, "parallelMultiple", False)
            self.finding(
                "error",
                element,
                "multiple-event-definitions",
                f"The event has {len(definitions)} event definitions"
                f"{' (parallel multiple)' if parallel else ''}; Itinera supports one per event.",
            )

    def event_definition(
        self, definition: etree._Element, event: etree._Element
    ) -> EventDefinition:
        kind = EVENT_DEFINITION_KINDS[_split(definition.tag)[1]]
        definition_id = definition.get("id")
        tables = {
            "message": self.definitions.messages,
            "signal": self.definitions.signals,
            "error": self.definitions.errors,
            "escalation": self.definitions.escalations,
        }
        if kind in tables:
            ref = self.resolve(event, definition.get(f"{kind}Ref"), tables[kind], kind)
            return EventDefinition(kind=kind, ref=ref, id=definition_id)
        if kind == "timer":
            return EventDefinition(kind=kind, timer=self.timer(definition, event), id=definition_id)
        if kind == "conditional":
            condition = self.expression(definition.find(_bpmn("condition")), event)
            return EventDefinition(kind=kind, condition=condition, id=definition_id)
        if kind == "link":
            return EventDefinition(kind=kind, ref=definition.get("name"), id=definition_id)
        if kind == "compensate":
            self.finding(
                "error",
                event,
                "compensation-not-supported",
                "Compensation events are not supported.",
            )
        elif kind == "cancel":
            self.finding(
                "error",
                event,
                "cancel-event-not-supported",
                "Cancel events (transaction cancellation) are not supported.",
            )
        return EventDefinition(kind=kind, id=definition_id)

    def timer(self, definition: etree._Element, event: etree._Element) -> TimerSpec | None:
        for child in definition:
            local = _bpmn_local(child)
            if local in _TIMER_KINDS:
                spec = TimerSpec(kind=_TIMER_KINDS[local], text=_text(child))
                if not spec.text:
                    self.finding(
                        "warning",
                        event,
                        "timer-without-value",
                        f"The timer's {local} is empty, so the timer never fires.",
                    )
                return spec
        self.finding(
            "warning",
            event,
            "timer-without-value",
            "The timer has no timeDate, timeDuration or timeCycle, so it never fires.",
        )
        return None

    def message_name(self, owner: etree._Element, ref: str | None) -> str | None:
        return self.resolve(owner, ref, self.definitions.messages, "message")

    def resolve(
        self, owner: etree._Element, ref: str | None, table: dict[str, str], kind: str
    ) -> str | None:
        """The name or code a reference to a root-level message, signal, error... stands for."""
        element_id = _id_ref(ref)
        if element_id is None:
            return None
        if element_id in table:
            return table[element_id]
        self.finding(
            "warning",
            owner,
            "unresolved-reference",
            f"There is no {kind} with the id {element_id!r}; the id is used as its name.",
        )
        return element_id

    # Values -----------------------------------------------------------------------------------

    def expression(self, element: etree._Element | None, owner: etree._Element) -> str | None:
        """The source text of a (formal) expression element, unwrapped; ``None`` when empty."""
        text = _text(element)
        if element is None or not text:
            return None
        language = (element.get("language") or "").strip()
        if language and not _is_itinera_language(language):
            self.finding(
                "warning",
                owner,
                "expression-language",
                f"The expression language {language!r} is not supported; the expression is read "
                "as an Itinera expression.",
            )
        elif text.startswith("="):
            # Camunda 8 marks FEEL expressions with a leading "=".
            text = text[1:].strip()
            self.finding(
                "warning",
                owner,
                "expression-language",
                "The expression is FEEL (it starts with '='); it is read as an Itinera expression.",
            )
        return _unwrap(text) or None

    def boolean(
        self,
        element: etree._Element,
        attribute: str,
        default: bool,
        owner: etree._Element | None = None,
    ) -> bool:
        raw = element.get(attribute)
        if raw is None:
            return default
        value = raw.strip().lower()
        if value in ("true", "1"):
            return True
        if value in ("false", "0"):
            return False
        self.finding(
            "error",
            owner if owner is not None else element,
            "invalid-value",
            f"{_attribute_label(attribute)} must be true or false, not {raw!r}.",
        )
        return default

    def integer(
        self,
        element: etree._Element,
        attribute: str,
        default: int,
        *,
        minimum: int,
        owner: etree._Element | None = None,
    ) -> int:
        value = self.optional_integer(element, attribute, minimum=minimum, owner=owner)
        return default if value is None else value

    def optional_integer(
        self,
        element: etree._Element,
        attribute: str,
        *,
        minimum: int,
        owner: etree._Element | None = None,
    ) -> int | None:
        """The attribute's value; ``None`` when it is absent or (with a finding) invalid."""
        raw = element.get(attribute)
        if raw is None:
            return None
        try:
            value = int(raw.strip())
        except ValueError:
            value = minimum - 1
        if value < minimum:
            self.finding(
                "error",
                owner if owner is not None else element,
                "invalid-value",
                f"{_attribute_label(attribute)} must be a whole number of at least {minimum}, "
                f"not {raw!r}.",
            )
            return None
        return value


#: Where other modelers name the decision a business rule task evaluates.
_CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
_ZEEBE_NS = "http://camunda.org/schema/zeebe/1.0"
_FLOWABLE_NS = "http://flowable.org/bpmn"


def _decision_reference(element: etree._Element, node: Node) -> None:
    """Read the decision of a business rule task modelled elsewhere as ``itn:rule`` (its key)
    and ``itn:resultVariable``: Camunda 7 ``camunda:decisionRef``/``camunda:resultVariable``,
    Camunda 8 ``zeebe:calledDecision``, Flowable's ``decisionTableReferenceKey`` field."""
    rule = element.get(f"{{{_CAMUNDA_NS}}}decisionRef")
    result = element.get(f"{{{_CAMUNDA_NS}}}resultVariable")
    for extensions in element.iterchildren(_bpmn("extensionElements")):
        for called in extensions.iterchildren(f"{{{_ZEEBE_NS}}}calledDecision"):
            rule = rule or called.get("decisionId")
            result = result or called.get("resultVariable")
        for field in extensions.iterchildren(f"{{{_FLOWABLE_NS}}}field"):
            if field.get("name") == "decisionTableReferenceKey":
                rule = rule or field.get("stringValue") or _text(field) or None
    if rule and rule.strip() and "rule" not in node.extensions:
        node.extensions["rule"] = rule.strip()
    if result and result.strip() and "resultVariable" not in node.extensions:
        node.extensions["resultVariable"] = result.strip()


def _stripped(value: str | None) -> str | None:
    return value.strip() if value is not None else None


def _addressable(element: etree._Element) -> etree._Element:
    """The element if it has an id, else its nearest ancestor that has one (else the root)."""
    current = element
    while not current.get("id"):
        parent = current.getparent()
        if parent is None:
            break
        current = parent
    return current


def _attribute_label(attribute: str) -> str:
    namespace, name = _split(attribute)
    return f"itn:{name}" if namespace == ITINERA_NS else name


def _is_itinera_language(language: str) -> bool:
    lowered = language.lower()
    return "python" in lowered or "itinera" in lowered


def _unwrap(text: str) -> str:
    """Strip a ``${...}``/``#{...}`` wrapper around a whole expression, as Camunda 7 writes them."""
    match = _WRAPPED_EXPRESSION.match(text)
    if match is None:
        return text
    inner = match.group("inner")
    # "${a} && ${b}" also starts with "${" and ends with "}", but is two wrapped expressions.
    depth = 0
    for character in inner:
        depth += {"{": 1, "}": -1}.get(character, 0)
        if depth < 0:
            return text
    return inner.strip() if depth == 0 else text
