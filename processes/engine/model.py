"""The process model the engine runs: what BPMN import produces, as plain dataclasses.

Element ids are the BPMN ids. Messages and signals are referred to by *name* (the name of the BPMN
``message``/``signal`` element, or its id when it has none): that is what events carry at run time.
Errors and escalations are referred to by their code (``errorCode``/``escalationCode``, else name,
else id). Expressions are kept as source text; the engine compiles them with ``expressions``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Severity = Literal["error", "warning"]

#: Element types whose instances are work items for people.
WORK_ITEM_TYPES = frozenset({"task", "userTask", "manualTask"})
#: Tasks that run by themselves when reached.
AUTOMATIC_TASK_TYPES = frozenset({"scriptTask", "serviceTask", "businessRuleTask", "sendTask"})
SUBPROCESS_TYPES = frozenset({"subProcess", "adHocSubProcess", "transaction"})
ACTIVITY_TYPES = (
    WORK_ITEM_TYPES
    | AUTOMATIC_TASK_TYPES
    | SUBPROCESS_TYPES
    | frozenset({"receiveTask", "callActivity"})
)
GATEWAY_TYPES = frozenset(
    {
        "exclusiveGateway",
        "inclusiveGateway",
        "parallelGateway",
        "complexGateway",
        "eventBasedGateway",
    }
)
EVENT_TYPES = frozenset(
    {
        "startEvent",
        "endEvent",
        "intermediateCatchEvent",
        "intermediateThrowEvent",
        "boundaryEvent",
    }
)
FLOW_NODE_TYPES = ACTIVITY_TYPES | GATEWAY_TYPES | EVENT_TYPES


@dataclass(frozen=True)
class Finding:
    """One validation or import finding, addressed to a BPMN element."""

    severity: Severity
    element_id: str | None
    code: str
    message: str
    element_type: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {
            "severity": self.severity,
            "element_id": self.element_id,
            "element_type": self.element_type,
            "code": self.code,
            "message": self.message,
        }


@dataclass(frozen=True)
class TimerSpec:
    """A timer definition: ``kind`` is duration, date or cycle; ``text`` its ISO-8601 value."""

    kind: Literal["duration", "date", "cycle"]
    text: str


@dataclass(frozen=True)
class EventDefinition:
    """One event definition of an event.

    ``kind`` is message, timer, signal, error, escalation, terminate, conditional, link, cancel or
    compensate. ``ref`` is the message/signal name, error/escalation code or link name (``None`` for
    a catch-all error or escalation). ``timer`` and ``condition`` are set for their kinds.
    """

    kind: str
    ref: str | None = None
    timer: TimerSpec | None = None
    condition: str | None = None
    id: str | None = None


@dataclass(frozen=True)
class StandardLoop:
    """``standardLoopCharacteristics``: repeat while ``condition`` holds (tested before/after)."""

    test_before: bool = False
    condition: str | None = None
    maximum: int | None = None


@dataclass(frozen=True)
class MultiInstance:
    """``multiInstanceLoopCharacteristics`` with the Itinera extensions of PATTERNS.md."""

    sequential: bool = False
    cardinality: str | None = None
    collection: str | None = None
    element_variable: str | None = None
    completion_condition: str | None = None
    synchronize: bool = True
    continue_after: int | None = None
    continue_condition: str | None = None
    dynamic: bool = False


@dataclass
class Node:
    """A flow node: activity, gateway or event. ``type`` is the BPMN element's local name."""

    id: str
    type: str
    name: str = ""
    #: The id of the sub-process that contains this node, ``None`` at process level.
    parent: str | None = None
    incoming: list[str] = field(default_factory=list)
    outgoing: list[str] = field(default_factory=list)
    #: The id of the default outgoing flow (gateways and activities).
    default: str | None = None
    event_definitions: list[EventDefinition] = field(default_factory=list)
    #: Boundary events: the activity they are attached to, and whether they interrupt it.
    attached_to: str | None = None
    cancel_activity: bool = True
    #: Start events of event sub-processes: whether they interrupt the enclosing scope.
    is_interrupting: bool = True
    loop: StandardLoop | None = None
    multi_instance: MultiInstance | None = None
    start_quantity: int = 1
    completion_quantity: int = 1
    #: callActivity: the id of the process it calls.
    called_element: str | None = None
    #: subProcess with triggeredByEvent="true" (an event sub-process).
    triggered_by_event: bool = False
    #: adHocSubProcess: "Sequential" or "Parallel", and its completionCondition.
    ordering: str | None = None
    completion_condition: str | None = None
    #: complexGateway: activationCondition (standard BPMN) as source text.
    activation_condition: str | None = None
    #: receiveTask / sendTask: the message name.
    message_ref: str | None = None
    #: scriptTask: the script text and its format.
    script: str | None = None
    script_format: str | None = None
    #: Itinera extension attributes (``itn:NAME``) by local name: role, mutex, enabledWhile, ...
    extensions: dict[str, str] = field(default_factory=dict)
    #: Itinera form fields (``itn:form``), each a dict of its attributes.
    form: list[dict[str, str]] = field(default_factory=list)
    lane: str | None = None

    @property
    def is_work_item(self) -> bool:
        return self.type in WORK_ITEM_TYPES

    @property
    def is_activity(self) -> bool:
        return self.type in ACTIVITY_TYPES


@dataclass
class Flow:
    """A sequence flow; ``condition`` is the source text of its conditionExpression, if any."""

    id: str
    source: str
    target: str
    name: str = ""
    condition: str | None = None
    #: The sub-process containing the flow, ``None`` at process level.
    parent: str | None = None
    #: ``itn:rule``: the key of a condition rule that must hold for the flow to be taken.
    rule: str | None = None


@dataclass
class Lane:
    id: str
    name: str
    nodes: list[str] = field(default_factory=list)


@dataclass
class Process:
    """One executable process: nodes and flows in document order."""

    id: str
    name: str = ""
    is_executable: bool = True
    nodes: dict[str, Node] = field(default_factory=dict)
    flows: dict[str, Flow] = field(default_factory=dict)
    lanes: list[Lane] = field(default_factory=list)
    #: Names of case variables the process declares (dataObjects, properties).
    data_objects: list[str] = field(default_factory=list)
    #: Itinera extension attributes of the process element (journey SLA: sla, warnAt, ...).
    extensions: dict[str, str] = field(default_factory=dict)


@dataclass
class Definitions:
    """Everything one BPMN file defines that the engine needs."""

    id: str = ""
    target_namespace: str = ""
    processes: dict[str, Process] = field(default_factory=dict)
    #: message id -> message name; signal id -> signal name.
    messages: dict[str, str] = field(default_factory=dict)
    signals: dict[str, str] = field(default_factory=dict)
    #: error id -> error code; escalation id -> escalation code.
    errors: dict[str, str] = field(default_factory=dict)
    escalations: dict[str, str] = field(default_factory=dict)
    #: What import found that the engine cannot execute, or had to guess.
    findings: list[Finding] = field(default_factory=list)

    def executable_process(self, process_id: str | None = None) -> Process:
        """The process to run: the one named, else the first executable one, else the first."""
        if process_id is not None:
            try:
                return self.processes[process_id]
            except KeyError:
                raise KeyError(f"there is no process {process_id!r} in this file") from None
        if not self.processes:
            raise KeyError("the file declares no process")
        for process in self.processes.values():
            if process.is_executable:
                return process
        return next(iter(self.processes.values()))
