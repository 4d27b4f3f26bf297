"""Design-time checks of a process model: the findings a process designer sees next to elements,
computed when a journey is published and while it is being edited."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Final

import networkx as nx

from processes.engine.expressions import ExpressionError, compile_expression
from processes.engine.model import (
    WORK_ITEM_TYPES,
    Definitions,
    Finding,
    Flow,
    Node,
    Process,
    Severity,
    TimerSpec,
)
from processes.engine.timers import TimerError, check_timer
from rules.core import CompiledRule, RuleResolver

#: Gateways that pass a token on along exactly one of their outgoing flows.
_EXCLUSIVE_SPLITS: Final = frozenset({"exclusiveGateway", "eventBasedGateway"})
#: Joins that wait for several tokens before passing one on.
_SYNCHRONIZING_JOINS: Final = frozenset({"parallelGateway", "inclusiveGateway", "complexGateway"})
_ROUTING_GATEWAYS: Final = frozenset(
    {"exclusiveGateway", "inclusiveGateway", "parallelGateway", "complexGateway"}
)
_CHOICE_GATEWAYS: Final = frozenset({"exclusiveGateway", "inclusiveGateway"})
_EVENT_GATEWAY_EVENT_KINDS: Final = frozenset({"message", "timer", "signal", "conditional"})
_EVENT_GATEWAY_TASKS: Final = WORK_ITEM_TYPES | frozenset({"receiveTask"})
_BOOLEAN_EXTENSIONS: Final = ("cancelRemaining", "synchronize", "dynamic")
_COUNT_EXTENSIONS: Final = ("activationCount", "continueAfter")
_DURATION_EXTENSIONS: Final = ("sla", "expectedDuration")

# Sentinel vertices of the scope graphs; BPMN ids are strings, so they cannot collide.
_ENTRY: Final = ("entry", "")
_EXIT: Final = ("exit", "")

Vertex = tuple[str, str]


def validate(
    definitions: Definitions, process_id: str | None = None, *, rules: RuleResolver | None = None
) -> list[Finding]:
    """The import findings plus the design-time checks of every process in ``definitions``, or
    of ``process_id`` and the processes it calls; errors first, then in document order.

    With ``rules``, the rules the processes name are checked too: that each exists and is of the
    right kind, and that what it reads is set somewhere in the processes.

    Raises ``KeyError`` when ``process_id`` is not a process of the file.
    """
    processes = _selected_processes(definitions, process_id)
    imported = _import_findings(definitions, processes)
    already_reported = {(finding.code, finding.element_id) for finding in definitions.findings}
    checker = _Checker(definitions)
    checker.duplicate_ids(processes)
    for process in processes:
        checker.process(process)
    checker.rule_references(processes, rules)
    findings = imported + [
        finding
        for finding in checker.findings
        if (finding.code, finding.element_id) not in already_reported
    ]
    order = _document_order(definitions)

    def sort_key(finding: Finding) -> tuple[bool, int]:
        position = -1 if finding.element_id is None else order.get(finding.element_id, -1)
        return finding.severity != "error", position

    findings.sort(key=sort_key)
    return findings


def has_errors(findings: Iterable[Finding]) -> bool:
    """Whether any finding is an error (a process with errors cannot be published)."""
    return any(finding.severity == "error" for finding in findings)


# Which processes, which import findings, in which order ---------------------------------------


def _selected_processes(definitions: Definitions, process_id: str | None) -> list[Process]:
    if process_id is None:
        return list(definitions.processes.values())
    if process_id not in definitions.processes:
        raise KeyError(f"there is no process {process_id!r} in this file")
    selected = {process_id}
    pending = [process_id]
    while pending:
        for node in definitions.processes[pending.pop()].nodes.values():
            called = node.called_element
            if (
                node.type == "callActivity"
                and called in definitions.processes
                and called not in selected
            ):
                selected.add(called)
                pending.append(called)
    return [process for key, process in definitions.processes.items() if key in selected]


def _element_ids(process: Process) -> set[str]:
    ids = {process.id, *process.nodes, *process.flows}
    ids.update(lane.id for lane in process.lanes)
    return ids


def _import_findings(definitions: Definitions, processes: list[Process]) -> list[Finding]:
    """The import findings, without those on elements of processes that are not validated."""
    if len(processes) == len(definitions.processes):
        return list(definitions.findings)
    kept: set[str] = set()
    for process in processes:
        kept |= _element_ids(process)
    left_out: set[str] = set()
    for process in definitions.processes.values():
        left_out |= _element_ids(process)
    left_out -= kept
    return [finding for finding in definitions.findings if finding.element_id not in left_out]


def _document_order(definitions: Definitions) -> dict[str, int]:
    """Element id -> position. Import keeps nodes and flows in document order but apart, so
    within each (sub-)process its nodes come first, then its flows, as most modelers write them."""
    order: dict[str, int] = {}

    def add(element_id: str) -> None:
        order.setdefault(element_id, len(order))

    for process in definitions.processes.values():
        add(process.id)
        for lane in process.lanes:
            add(lane.id)
        nodes_in: dict[str | None, list[str]] = {}
        flows_in: dict[str | None, list[str]] = {}
        for node in process.nodes.values():
            nodes_in.setdefault(node.parent, []).append(node.id)
        for flow in process.flows.values():
            flows_in.setdefault(flow.parent, []).append(flow.id)
        # Depth-first over the scopes: a sub-process's content follows the sub-process.
        stack: list[tuple[str | None, bool]] = [(None, False)]
        visited: set[str | None] = set()
        while stack:
            scope, content_done = stack.pop()
            if content_done:
                for flow_id in flows_in.get(scope, ()):
                    add(flow_id)
                continue
            if scope in visited:
                continue
            visited.add(scope)
            stack.append((scope, True))
            for node_id in reversed(nodes_in.get(scope, ())):
                stack.append((node_id, False))
            if scope is not None:
                add(scope)
        for node_id in process.nodes:
            add(node_id)
        for flow_id in process.flows:
            add(flow_id)
    return order


# Checks -------------------------------------------------------------------------------------


def _label(node: Node) -> str:
    return f"{node.name!r} ({node.id})" if node.name else repr(node.id)


def _shown(text: str) -> str:
    return repr(text if len(text) <= 80 else text[:77] + "...")


def _is_link(node: Node, event_type: str) -> bool:
    return node.type == event_type and any(d.kind == "link" for d in node.event_definitions)


def _link_name(node: Node) -> str:
    return next((d.ref or "" for d in node.event_definitions if d.kind == "link"), "")


@dataclass
class _ProcessIndex:
    """The flows of one process that connect two nodes of the same scope, by node."""

    process: Process
    outgoing: dict[str, list[Flow]] = field(default_factory=dict)
    incoming: dict[str, list[Flow]] = field(default_factory=dict)
    #: Scope (sub-process id, ``None`` for the process) -> its nodes in document order.
    scopes: dict[str | None, list[Node]] = field(default_factory=dict)
    #: Activity id -> the boundary events attached to it.
    boundaries: dict[str, list[Node]] = field(default_factory=dict)


class _Checker:
    def __init__(self, definitions: Definitions) -> None:
        self.definitions = definitions
        self.findings: list[Finding] = []
        # Import already reports compensation handlers as never running; no flow reaches them.
        self.compensation_handlers = {
            finding.element_id
            for finding in definitions.findings
            if finding.code == "compensation-not-supported"
        }

    def report(
        self,
        severity: Severity,
        element_id: str | None,
        code: str,
        message: str,
        element_type: str | None,
    ) -> None:
        self.findings.append(Finding(severity, element_id, code, message, element_type))

    # Whole file -----------------------------------------------------------------------------

    def duplicate_ids(self, processes: list[Process]) -> None:
        occurrences: Counter[str] = Counter()
        types: dict[str, str] = {}
        for process in self.definitions.processes.values():
            elements = [(process.id, "process")]
            elements += [(node.id, node.type) for node in process.nodes.values()]
            elements += [(flow.id, "sequenceFlow") for flow in process.flows.values()]
            for element_id, element_type in elements:
                if element_id:
                    occurrences[element_id] += 1
                    types.setdefault(element_id, element_type)
        validated: set[str] = set()
        for process in processes:
            validated |= _element_ids(process)
        for element_id, count in occurrences.items():
            if count > 1 and element_id in validated:
                self.report(
                    "error",
                    element_id,
                    "duplicate-id",
                    f"The id {element_id!r} is used by {count} elements; ids must be unique.",
                    types[element_id],
                )

    # One process ----------------------------------------------------------------------------

    def process(self, process: Process) -> None:
        index = self.index(process)
        for node in process.nodes.values():
            self.node(index, node)
        for flow in process.flows.values():
            if flow.condition is not None:
                self.expression(flow.id, "sequenceFlow", "condition", flow.condition)
        for scope, nodes in index.scopes.items():
            self.scope(index, scope, nodes)
        if not process.nodes and process.is_executable:
            self.report(
                "error",
                process.id or None,
                "no-start-event",
                "The process has no start event and no elements, so it has nothing to do.",
                "process",
            )

    def index(self, process: Process) -> _ProcessIndex:
        index = _ProcessIndex(process)
        if not process.id:
            self.report("error", None, "missing-id", "A process has no id.", "process")

        def missing_id(what: str, parent: str | None) -> None:
            container = process.nodes.get(parent) if parent is not None else None
            self.report(
                "error",
                parent or process.id or None,
                "missing-id",
                f"A {what} in it has no id.",
                container.type if container is not None else "process",
            )

        for node in process.nodes.values():
            if not node.id:
                missing_id(node.type, node.parent)
                continue
            index.scopes.setdefault(node.parent, []).append(node)
            if node.type == "boundaryEvent" and node.attached_to:
                index.boundaries.setdefault(node.attached_to, []).append(node)
        for flow in process.flows.values():
            if not flow.id:
                missing_id("sequence flow", flow.parent)
                continue
            problems = []
            for end, node_id in (("source", flow.source), ("target", flow.target)):
                end_node = process.nodes.get(node_id) if node_id else None
                if end_node is None:
                    problems.append(
                        f"its {end} {node_id!r} is not an element of the process"
                        if node_id
                        else f"it has no {end}"
                    )
                elif end_node.parent != flow.parent:
                    problems.append(f"its {end} {node_id!r} is in another (sub-)process")
            if problems:
                self.report(
                    "error",
                    flow.id,
                    "dangling-flow",
                    f"The sequence flow is broken: {' and '.join(problems)}.",
                    "sequenceFlow",
                )
            else:
                index.outgoing.setdefault(flow.source, []).append(flow)
                index.incoming.setdefault(flow.target, []).append(flow)
        return index

    # One node -------------------------------------------------------------------------------

    def node(self, index: _ProcessIndex, node: Node) -> None:
        if not node.id:
            return
        outgoing = index.outgoing.get(node.id, [])
        incoming = index.incoming.get(node.id, [])
        self.routing(index, node, incoming, outgoing)
        for what, text in _expressions(node):
            self.expression(node.id, node.type, what, text)
        for definition in node.event_definitions:
            if definition.kind == "conditional" and not definition.condition:
                self.report(
                    "error",
                    node.id,
                    "bad-expression",
                    "The conditional event has no condition, so it never fires.",
                    node.type,
                )
            if definition.kind == "timer":
                self.timer(node, definition.timer)
        self.extensions(index, node, incoming)
        if node.type == "callActivity":
            called = node.called_element
            if not called:
                message = "The call activity does not name the process it calls."
            elif called not in self.definitions.processes:
                message = (
                    f"The call activity calls {called!r}, which is not a process in this file."
                )
            else:
                message = ""
            if message:
                self.report("error", node.id, "call-unknown-process", message, node.type)
        if node.type == "eventBasedGateway":
            for flow in outgoing:
                target = index.process.nodes[flow.target]
                if not _may_follow_event_gateway(target):
                    self.report(
                        "error",
                        node.id,
                        "event-gateway-target",
                        f"The event-based gateway leads to the {target.type} {_label(target)}; "
                        "it may only lead to message, timer, signal or conditional catch events, "
                        "receive tasks and tasks.",
                        node.type,
                    )

    def routing(
        self, index: _ProcessIndex, node: Node, incoming: list[Flow], outgoing: list[Flow]
    ) -> None:
        if (
            node.type in _ROUTING_GATEWAYS
            and len(incoming) == 1
            and len(outgoing) == 1
            and outgoing[0].condition is None
            and outgoing[0].rule is None
        ):
            self.report(
                "warning",
                node.id,
                "useless-gateway",
                "The gateway has one incoming and one outgoing flow, so it does nothing; "
                "it can be removed.",
                node.type,
            )
        has_default = node.default is not None and any(f.id == node.default for f in outgoing)
        if (
            (node.type in _CHOICE_GATEWAYS or node.is_activity)
            and outgoing
            and not has_default
            and all(flow.condition or flow.rule for flow in outgoing)
        ):
            element = "gateway" if node.type in _CHOICE_GATEWAYS else "activity"
            self.report(
                "warning",
                node.id,
                "choice-may-fail",
                f"Every outgoing flow of this {element} has a condition and none is the default "
                "flow: when no condition holds, the case fails.",
                node.type,
            )
        default = index.process.flows.get(node.default) if node.default else None
        if default is not None and default.condition:
            self.report(
                "warning",
                default.id,
                "default-with-condition",
                f"This is the default flow of {_label(node)}, so its condition "
                f"{_shown(default.condition)} is ignored.",
                "sequenceFlow",
            )

    # Rules --------------------------------------------------------------------------------

    def rule_references(self, processes: list[Process], rules: RuleResolver | None) -> None:
        references = list(_rule_references(processes))
        for element_id, element_type, what, key in references:
            if not key.strip():
                self.report(
                    "error",
                    element_id,
                    "rule-missing",
                    f"{what} is empty: it must name a rule.",
                    element_type,
                )
        if rules is None:
            return
        resolved: dict[str, CompiledRule | None] = {}
        for _, _, _, key in references:
            if key.strip() and key not in resolved:
                resolved[key] = rules.resolve(key)
        provided = _provided_variables(processes, resolved)
        for element_id, element_type, what, key in references:
            if not key.strip():
                continue
            rule = resolved[key]
            if rule is None:
                self.report(
                    "error",
                    element_id,
                    "rule-missing",
                    f"{what} names the rule {key!r}, which does not exist or has no published "
                    "version.",
                    element_type,
                )
                continue
            problem = _rule_kind_problem(what, rule)
            if problem:
                self.report("error", element_id, "rule-kind", problem, element_type)
                continue
            unknown = sorted(rule.inputs - provided)
            if unknown:
                names = ", ".join(unknown)
                self.report(
                    "warning",
                    element_id,
                    "rule-input-unknown",
                    f"The rule {key!r} reads {names}, which no form, data object or business "
                    "rule task of the process sets: it must come with the start data or a "
                    "message.",
                    element_type,
                )

    def expression(self, element_id: str, element_type: str, what: str, text: str) -> None:
        try:
            compile_expression(text)
        except ExpressionError as error:
            where = "" if error.offset is None else f" (at character {error.offset + 1})"
            self.report(
                "error",
                element_id,
                "bad-expression",
                f"The {what} {_shown(text)} is not a valid expression: {error.message}{where}.",
                element_type,
            )

    def timer(self, node: Node, timer: TimerSpec | None) -> None:
        if timer is None or not timer.text.strip():
            message = (
                "The timer has no date, duration or cycle, so it never fires."
                if timer is None
                else f"The timer's {timer.kind} is empty, so it never fires."
            )
            self.report("error", node.id, "bad-timer", message, node.type)
            return
        try:
            check_timer(timer.kind, timer.text)
        except TimerError as error:
            self.report(
                "error",
                node.id,
                "bad-timer",
                f"The timer cannot be scheduled: {error}.",
                node.type,
            )

    def extensions(self, index: _ProcessIndex, node: Node, incoming: list[Flow]) -> None:
        def bad(message: str, severity: Severity = "error") -> None:
            self.report(severity, node.id, "bad-extension", message, node.type)

        extensions = node.extensions
        for name in _COUNT_EXTENSIONS:
            value = extensions.get(name)
            if value is not None and _positive_integer(value) is None:
                bad(f"itn:{name} must be a whole number of at least 1, not {value!r}.")
        for name in _BOOLEAN_EXTENSIONS:
            value = extensions.get(name)
            if value is not None and value.strip().lower() not in ("true", "false"):
                bad(f"itn:{name} must be true or false, not {value!r}.")
        enabled_while = extensions.get("enabledWhile")
        if enabled_while is not None and enabled_while.strip() not in index.process.nodes:
            bad(
                f"itn:enabledWhile names {enabled_while!r}, which is not an element of the process."
            )
        cancels = extensions.get("cancels")
        if cancels is not None:
            unknown = [ref for ref in cancels.split() if ref not in index.process.nodes]
            if not cancels.split():
                bad("itn:cancels is empty: it must name the elements to cancel.")
            elif unknown:
                bad(
                    "itn:cancels names "
                    + ", ".join(repr(ref) for ref in unknown)
                    + (", which are" if len(unknown) > 1 else ", which is")
                    + " not an element of the process."
                )
        mutex = extensions.get("mutex")
        if mutex is not None and not mutex.strip():
            bad("itn:mutex is empty: it must name the critical section.")
        for name in _DURATION_EXTENSIONS:
            value = extensions.get(name)
            if value is not None and not _is_duration(value):
                bad(f"itn:{name} must be an ISO-8601 duration such as P2D or PT4H, not {value!r}.")
        warn_at = extensions.get("warnAt")
        if warn_at is not None and not (_is_fraction(warn_at) or _is_duration(warn_at)):
            bad(
                "itn:warnAt must be a fraction of the SLA between 0 and 1 (such as 0.8) or an "
                f"ISO-8601 duration, not {warn_at!r}."
            )
        if node.type == "complexGateway":
            count = _positive_integer(extensions.get("activationCount", ""))
            if "activationCount" not in extensions and not node.activation_condition:
                bad(
                    "The complex gateway has neither itn:activationCount nor an activation "
                    "condition; it fires on the first incoming token (activation count 1).",
                    "warning",
                )
            elif count is not None and len(incoming) > 0 and count > len(incoming):
                bad(
                    f"itn:activationCount is {count} but the gateway has only {len(incoming)} "
                    "incoming flows, so it never fires."
                )
        mi = node.multi_instance
        if mi is not None and not mi.cardinality and not mi.collection and not mi.dynamic:
            bad(
                "The multi-instance activity has no loop cardinality, no collection "
                '(itn:collection) and is not dynamic (itn:dynamic="true"), so the number of '
                "instances is unknown."
            )

    # One scope: the process level or a sub-process body --------------------------------------

    def scope(self, index: _ProcessIndex, scope: str | None, nodes: list[Node]) -> None:
        analysis = _ScopeGraph(index, scope, nodes)
        container = index.process.nodes.get(scope) if scope is not None else None
        if container is None:
            scope_name, scope_id, scope_type = "process", index.process.id or None, "process"
        else:
            scope_name = "event sub-process" if container.triggered_by_event else "sub-process"
            scope_id, scope_type = container.id, container.type

        if not analysis.starts:
            reason = (
                "has no start event"
                if container is not None and container.triggered_by_event
                else "has no start event and every element in it has an incoming flow"
            )
            self.report(
                "error",
                scope_id,
                "no-start-event",
                f"The {scope_name} {reason}, so it can never start.",
                scope_type,
            )
        else:
            reached = analysis.reached()
            for node in nodes:
                if node.id in reached or node.id in self.compensation_handlers:
                    continue
                if _is_link(node, "intermediateCatchEvent") and not analysis.link_throws.get(
                    _link_name(node)
                ):
                    message = (
                        f"No link throw event in the {scope_name} is named "
                        f"{_link_name(node)!r}, so this link catch event is never reached."
                    )
                else:
                    message = (
                        f"No path from the start of the {scope_name} leads to this element, "
                        "so it never runs."
                    )
                self.report("error", node.id, "unreachable", message, node.type)

        finishing = analysis.finishing()
        for node in nodes:
            if node.id not in finishing:
                self.report(
                    "error",
                    node.id,
                    "no-path-to-end",
                    f"No path leads from this element to an end of the {scope_name}, so a case "
                    "that gets here can never finish.",
                    node.type,
                )

        for component in analysis.closed_cycles():
            for node in nodes:
                if node.id in component and _is_join(index, node, "inclusiveGateway"):
                    self.report(
                        "error",
                        node.id,
                        "or-join-cycle-no-exit",
                        "The inclusive gateway joins flows inside a loop that no flow leaves, "
                        "so the case can never finish.",
                        node.type,
                    )

        if analysis.starts:
            for join, split in analysis.exclusive_branches_joined():
                kind = (
                    "event-based gateway"
                    if split.type == "eventBasedGateway"
                    else "exclusive gateway"
                )
                self.report(
                    "error",
                    join.id,
                    "parallel-join-after-exclusive",
                    "The parallel gateway waits for a token on every incoming flow, but two of "
                    f"them can only be reached through different branches of the {kind} "
                    f"{_label(split)}, which takes just one: the case would deadlock here.",
                    join.type,
                )


def _expressions(node: Node) -> Iterator[tuple[str, str]]:
    """(what it is, source text) of every expression of a node, sequence flows aside."""
    if node.loop is not None and node.loop.condition is not None:
        yield "loop condition", node.loop.condition
    mi = node.multi_instance
    if mi is not None:
        if mi.cardinality is not None:
            yield "loop cardinality", mi.cardinality
        if mi.completion_condition is not None:
            yield "completion condition", mi.completion_condition
        if mi.continue_condition is not None:
            yield "itn:continueCondition", mi.continue_condition
    if node.completion_condition is not None:
        yield "completion condition", node.completion_condition
    if node.activation_condition is not None:
        yield "activation condition", node.activation_condition
    for definition in node.event_definitions:
        if definition.kind == "conditional" and definition.condition:
            yield "event condition", definition.condition


def _rule_references(processes: list[Process]) -> Iterator[tuple[str, str, str, str]]:
    """(element id, element type, what refers, rule key) of every rule the processes name."""
    for process in processes:
        for node in process.nodes.values():
            if node.type == "businessRuleTask" and "rule" in node.extensions:
                yield node.id, node.type, "itn:rule", node.extensions["rule"].strip()
            if "assignmentRule" in node.extensions:
                key = node.extensions["assignmentRule"].strip()
                yield node.id, node.type, "itn:assignmentRule", key
        for flow in process.flows.values():
            if flow.rule is not None:
                yield flow.id, "sequenceFlow", "itn:rule", flow.rule


def _rule_kind_problem(what: str, rule: CompiledRule) -> str:
    if what == "itn:assignmentRule":
        if rule.kind != "decision_table" or not {"assignee", "role"} & set(rule.outputs):
            return (
                "itn:assignmentRule must name a decision table with an output called assignee "
                "or role."
            )
        if getattr(rule, "hit_policy", "") not in ("unique", "first", "priority", "any"):
            return "itn:assignmentRule needs a single-hit table (unique, first, priority, any)."
    return ""


def _provided_variables(
    processes: list[Process], rules: dict[str, CompiledRule | None]
) -> set[str]:
    """Case variables the processes set: data objects, form fields, multi-instance and loop
    variables, and what business rule tasks write."""
    provided = {"loopCounter", "nrOfInstances", "nrOfCompletedInstances", "nrOfActiveInstances"}
    for process in processes:
        provided.update(process.data_objects)
        for node in process.nodes.values():
            provided.update(field["name"] for field in node.form if field.get("name"))
            mi = node.multi_instance
            if mi is not None:
                provided.add(mi.element_variable or "item")
                if mi.collection:
                    provided.add(mi.collection)
            if node.type == "businessRuleTask" and node.extensions.get("rule"):
                key = node.extensions["rule"].strip()
                result = node.extensions.get("resultVariable")
                rule = rules.get(key)
                if result:
                    provided.add(result)
                elif rule is not None and rule.outputs:
                    provided.update(rule.outputs)
                else:
                    provided.add(key.replace("-", "_"))
    return provided


def _may_follow_event_gateway(node: Node) -> bool:
    if node.type in _EVENT_GATEWAY_TASKS:
        return True
    return node.type == "intermediateCatchEvent" and any(
        definition.kind in _EVENT_GATEWAY_EVENT_KINDS for definition in node.event_definitions
    )


def _positive_integer(text: str) -> int | None:
    try:
        value = int(text.strip())
    except ValueError:
        return None
    return value if value >= 1 else None


def _is_duration(text: str) -> bool:
    if not text.strip():
        return False
    try:
        check_timer("duration", text.strip())
    except TimerError:
        return False
    return True


def _is_fraction(text: str) -> bool:
    try:
        value = float(text.strip())
    except ValueError:
        return False
    return 0 < value < 1


def _is_join(index: _ProcessIndex, node: Node, node_type: str) -> bool:
    return node.type == node_type and len(index.incoming.get(node.id, ())) >= 2


class _ScopeGraph:
    """The control-flow graph of one scope: sequence flows, activity -> attached boundary event,
    link throw -> link catch of the same name."""

    def __init__(self, index: _ProcessIndex, scope: str | None, nodes: list[Node]) -> None:
        self.index = index
        self.nodes = nodes
        self.ids = {node.id for node in nodes}
        container = index.process.nodes.get(scope) if scope is not None else None
        self.graph = nx.DiGraph()
        self.graph.add_nodes_from(self.ids)
        for node in nodes:
            for flow in index.outgoing.get(node.id, ()):
                self.graph.add_edge(flow.source, flow.target)
        # Boundary events are reached through their activity; one attached elsewhere (an import
        # error) is taken as reached, so it is not reported twice.
        self.boundary_edges: list[tuple[str, str]] = []
        orphans: list[str] = []
        for node in nodes:
            if node.type != "boundaryEvent":
                continue
            if node.attached_to in self.ids:
                self.boundary_edges.append((node.attached_to, node.id))
            else:
                orphans.append(node.id)
        self.graph.add_edges_from(self.boundary_edges)
        self.link_catches: dict[str, list[str]] = {}
        self.link_throws: dict[str, list[str]] = {}
        for node in nodes:
            if _is_link(node, "intermediateCatchEvent"):
                self.link_catches.setdefault(_link_name(node), []).append(node.id)
            elif _is_link(node, "intermediateThrowEvent"):
                self.link_throws.setdefault(_link_name(node), []).append(node.id)
        self.link_edges = [
            (throw, catch)
            for name, throws in self.link_throws.items()
            for throw in throws
            for catch in self.link_catches.get(name, ())
        ]
        self.graph.add_edges_from(self.link_edges)

        event_body = container is not None and container.triggered_by_event
        ad_hoc = container is not None and container.type == "adHocSubProcess"
        starts = [] if ad_hoc else [node.id for node in nodes if node.type == "startEvent"]
        #: Whether the scope begins at its sourceless elements, all at once.
        self.starts_sourceless = not starts and not event_body
        if self.starts_sourceless:
            starts = [node.id for node in nodes if self._sourceless(node)]
        self.starts = starts
        self.entries = starts + orphans
        self.entries += [node.id for node in nodes if node.triggered_by_event]
        self._components: list[set[str]] | None = None
        self._fires_again: dict[str, bool] = {}

    def _sourceless(self, node: Node) -> bool:
        return (
            not self.index.incoming.get(node.id)
            and node.type not in ("boundaryEvent", "startEvent")
            and not node.triggered_by_event
            and not _is_link(node, "intermediateCatchEvent")
            and node.extensions.get("forCompensation") != "true"
        )

    def _finishes(self, node: Node) -> bool:
        """Whether a token completing ``node`` leaves the scope (an explicit or implicit end)."""
        if node.type == "endEvent":
            return True
        if self.index.outgoing.get(node.id):
            return False
        return not (
            _is_link(node, "intermediateThrowEvent") and self.link_catches.get(_link_name(node))
        )

    def reached(self) -> set[str]:
        graph = self.graph.copy()
        graph.add_edges_from((_ENTRY, entry) for entry in self.entries)
        reached: set[str] = set(nx.descendants(graph, _ENTRY))
        return reached

    def finishing(self) -> set[str]:
        """The nodes from which an end of the scope can be reached."""
        ends = [node.id for node in self.nodes if self._finishes(node)]
        if not ends:
            return set()
        graph = self.graph.copy()
        graph.add_edges_from((end, _EXIT) for end in ends)
        finishing: set[str] = set(nx.ancestors(graph, _EXIT))
        return finishing

    def components(self) -> list[set[str]]:
        """The strongly connected components that contain a cycle."""
        if self._components is None:
            self._components = [
                set(component)
                for component in nx.strongly_connected_components(self.graph)
                if len(component) > 1 or any(self.graph.has_edge(node, node) for node in component)
            ]
        return self._components

    def closed_cycles(self) -> Iterator[set[str]]:
        """Cycles that no flow leaves, and in which no element ends the scope."""
        finishing = {node.id for node in self.nodes if self._finishes(node)}
        for component in self.components():
            if component & finishing:
                continue
            if all(
                successor in component
                for node_id in component
                for successor in self.graph.successors(node_id)
            ):
                yield component

    # Parallel joins after exclusive choices ---------------------------------------------------

    def _multiplies(self, node: Node) -> bool:
        """Whether completing ``node`` can put more than one token into the scope."""
        if node.type in _EXCLUSIVE_SPLITS:
            return False
        if node.completion_quantity > 1 and self.index.outgoing.get(node.id):
            return True
        if len(self.index.outgoing.get(node.id, ())) >= 2:
            return True
        return any(
            not boundary.cancel_activity for boundary in self.index.boundaries.get(node.id, ())
        )

    def exclusive_branches_joined(self) -> Iterator[tuple[Node, Node]]:
        """(parallel join, exclusive split) pairs where the join needs tokens from two different
        outgoing flows of the split. An input counts when every path from the start to it passes
        the split's outgoing flow (a dominator on the graph with flows as vertices)."""
        joins = [node for node in self.nodes if _is_join(self.index, node, "parallelGateway")]
        splits = [
            node
            for node in self.nodes
            if node.type in _EXCLUSIVE_SPLITS and len(self.index.outgoing.get(node.id, ())) >= 2
        ]
        if not joins or not splits:
            return
        dominators = self._flow_dominators()
        for join in joins:
            if ("n", join.id) not in dominators:
                continue  # unreachable, reported as such
            branches: dict[str, set[str]] = {}
            for flow in self.index.incoming[join.id]:
                for split_id, branch in self._dominating_branches(dominators, flow.id).items():
                    branches.setdefault(split_id, set()).add(branch)
            for split in splits:
                if len(branches.get(split.id, ())) >= 2 and not self._may_fire_again(split):
                    yield join, split
                    break

    def _flow_dominators(self) -> dict[Vertex, Vertex]:
        graph = nx.DiGraph()
        for node in self.nodes:
            for flow in self.index.outgoing.get(node.id, ()):
                graph.add_edge(("n", flow.source), ("f", flow.id))
                graph.add_edge(("f", flow.id), ("n", flow.target))
        for source, target in self.boundary_edges + self.link_edges:
            graph.add_edge(("n", source), ("n", target))
        graph.add_edges_from((_ENTRY, ("n", entry)) for entry in self.entries)
        dominators: dict[Vertex, Vertex] = dict(nx.immediate_dominators(graph, _ENTRY))
        return dominators

    def _dominating_branches(
        self, dominators: dict[Vertex, Vertex], flow_id: str
    ) -> dict[str, str]:
        """Exclusive split id -> its outgoing flow that every path to ``flow_id`` passes."""
        branches: dict[str, str] = {}
        flows = self.index.process.flows
        nodes = self.index.process.nodes
        vertex: Vertex | None = ("f", flow_id)
        while vertex is not None and vertex != _ENTRY:
            if vertex[0] == "f":
                source = nodes[flows[vertex[1]].source]
                if source.type in _EXCLUSIVE_SPLITS:
                    branches.setdefault(source.id, vertex[1])
            parent = dominators.get(vertex)
            vertex = None if parent == vertex else parent
        return branches

    def _may_fire_again(self, split: Node) -> bool:
        if split.id not in self._fires_again:
            self._fires_again[split.id] = self._split_may_fire_again(split)
        return self._fires_again[split.id]

    def _split_may_fire_again(self, split: Node) -> bool:
        """Whether the split can pass several tokens while the join waits, so that different
        branches may all be taken: a loop through it that can copy tokens, or several tokens that
        can reach it from one split upstream without a join in between."""
        nodes = self.index.process.nodes
        for component in self.components():
            if split.id in component and any(
                self._multiplies(nodes[node_id]) for node_id in component
            ):
                return True
        # Elements that can pass a token to the split without synchronizing on the way.
        upstream = {split.id}
        pending = [split.id]
        while pending:
            for predecessor in self.graph.predecessors(pending.pop()):
                node = nodes[predecessor]
                if predecessor in upstream or (
                    node.type in _SYNCHRONIZING_JOINS and _is_join(self.index, node, node.type)
                ):
                    continue
                upstream.add(predecessor)
                pending.append(predecessor)
        if self.starts_sourceless and len(upstream.intersection(self.starts)) >= 2:
            return True
        for node_id in upstream - {split.id}:
            node = nodes[node_id]
            if not self._multiplies(node):
                continue
            tokens = sum(
                node.completion_quantity
                for flow in self.index.outgoing.get(node_id, ())
                if flow.target in upstream
            )
            tokens += sum(
                1
                for boundary in self.index.boundaries.get(node_id, ())
                if not boundary.cancel_activity and boundary.id in upstream
            )
            if tokens >= 2:
                return True
        return False
