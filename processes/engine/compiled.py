"""A process compiled for execution: dense integer ids, per-node facts and the reachability graph.

Compiling is done once per process version; everything the engine asks on its hot path is a list
index here, never a search through the model.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

import accelerators
from processes.engine.expressions import (
    Expression,
    ExpressionError,
    Variables,
    compile_expression,
)
from processes.engine.model import (
    AUTOMATIC_TASK_TYPES,
    SUBPROCESS_TYPES,
    WORK_ITEM_TYPES,
    Definitions,
    EventDefinition,
    Node,
    Process,
)
from rules.core import RuleError, RuleResolver

# Node kinds: what the engine does when a token reaches the node.
WORK = 1  # a work item for a person
AUTO = 2  # runs by itself (script, service, business rule, send)
RECEIVE = 3  # waits for a message
SUB = 4  # embedded or ad-hoc sub-process
CALL = 5  # call activity
XOR = 10
OR = 11
AND = 12
COMPLEX = 13
EVENT_GATEWAY = 14
START = 20
END = 21
CATCH = 22
THROW = 23
BOUNDARY = 24
OTHER = 99

ACTIVITY_KINDS = frozenset({WORK, AUTO, RECEIVE, SUB, CALL})
GATEWAY_KINDS = frozenset({XOR, OR, AND, COMPLEX, EVENT_GATEWAY})

_KIND_BY_TYPE = {
    "exclusiveGateway": XOR,
    "inclusiveGateway": OR,
    "parallelGateway": AND,
    "complexGateway": COMPLEX,
    "eventBasedGateway": EVENT_GATEWAY,
    "startEvent": START,
    "endEvent": END,
    "intermediateCatchEvent": CATCH,
    "intermediateThrowEvent": THROW,
    "boundaryEvent": BOUNDARY,
    "receiveTask": RECEIVE,
    "callActivity": CALL,
}


def node_kind(node: Node) -> int:
    if node.type in WORK_ITEM_TYPES:
        return WORK
    if node.type in AUTOMATIC_TASK_TYPES:
        return AUTO
    if node.type in SUBPROCESS_TYPES:
        return SUB
    return _KIND_BY_TYPE.get(node.type, OTHER)


class CompileError(ValueError):
    """The process cannot be compiled; ``element_id`` names the element at fault."""

    def __init__(self, element_id: str, message: str) -> None:
        super().__init__(f"{element_id}: {message}")
        self.element_id = element_id
        self.message = message


def _maybe_expression(source: str | None, element_id: str) -> Expression | None:
    if source is None or not source.strip():
        return None
    try:
        return compile_expression(source)
    except ExpressionError as error:
        raise CompileError(element_id, f"bad expression {source!r}: {error}") from None


def _no_evaluator(variables: Variables, budget: object) -> None:
    return None


class RuleCondition(Expression):
    """A flow's ``itn:rule``: the named condition rule, and the flow's own condition if it has
    one (both must hold). The rule is looked up when evaluated, so a rule that follows its
    latest version is read as it is then."""

    __slots__ = ("condition", "key", "rules")

    def __init__(self, key: str, rules: RuleResolver | None, condition: Expression | None) -> None:
        super().__init__(
            f"rule {key}", condition.names if condition else frozenset(), _no_evaluator
        )
        self.key = key
        self.rules = rules
        self.condition = condition

    def __repr__(self) -> str:
        return f"RuleCondition({self.key!r})"

    def evaluate(self, variables: Variables) -> object:
        rule = self.rules.resolve(self.key) if self.rules is not None else None
        if rule is None:
            raise ExpressionError(f"the rule {self.key!r} is not available")
        if rule.kind != "condition":
            raise ExpressionError(f"the rule {self.key!r} is not a condition rule")
        try:
            held = rule.evaluate(variables).result
        except RuleError as error:
            raise ExpressionError(f"rule {self.key!r}: {error.message}") from None
        if held and self.condition is not None:
            return self.condition.evaluate(variables)
        return held


@dataclass
class CompiledProcess:
    """The execution form of one process of a definitions file."""

    process: Process
    definitions: Definitions
    ids: list[str]
    index: dict[str, int]
    nodes: list[Node]
    kind: list[int]
    #: The sub-process node containing each node (-1 at process level).
    parent: list[int]
    flow_ids: list[str]
    flow_index: dict[str, int]
    flow_source: list[int]
    flow_target: list[int]
    flow_condition: list[Expression | None]
    incoming: list[tuple[int, ...]]
    outgoing: list[tuple[int, ...]]
    default_flow: list[int]
    #: Boundary events attached to each activity.
    boundaries: list[tuple[int, ...]]
    #: For each scope node (-1 for the process), its none start events, its other start events,
    #: its event sub-processes and the nodes that start when the scope starts without a start event.
    none_starts: dict[int, tuple[int, ...]]
    triggered_starts: dict[int, tuple[int, ...]]
    event_subprocesses: dict[int, tuple[int, ...]]
    sourceless: dict[int, tuple[int, ...]]
    #: link catch events by (scope node, link name).
    link_targets: dict[tuple[int, str], int]
    #: The first event definition of each event node (None for none events).
    event: list[EventDefinition | None]
    #: Node-level compiled expressions.
    loop_condition: list[Expression | None]
    mi_cardinality: list[Expression | None]
    mi_completion: list[Expression | None]
    mi_continue: list[Expression | None]
    adhoc_completion: list[Expression | None]
    conditional: list[Expression | None]
    #: itn:cancels resolved to node indices; itn:mutex names; itn:enabledWhile node index.
    cancels: list[tuple[int, ...]]
    mutex: list[str | None]
    enabled_while: list[int]
    activation_count: list[int]
    cancel_remaining: list[bool]
    #: Rule keys: a business rule task's decision (``itn:rule``), a work item's
    #: ``itn:assignmentRule``.
    node_rule: list[str | None]
    assignment_rule: list[str | None]
    #: Reachability graph over nodes: sequence flows, plus activity -> its boundary events.
    indptr: npt.NDArray[np.int32]
    indices: npt.NDArray[np.int32]
    #: Work-item tasks with nothing special (no loop, MI, boundary, milestone, mutex, cancel set,
    #: quantities): the engine opens and completes them on a short path.
    plain_work: list[bool] = field(default_factory=list)
    #: Activities that start on a single token (startQuantity 1).
    single_start: list[bool] = field(default_factory=list)
    has_milestones: bool = False
    has_or_joins: bool = False
    has_conditionals: bool = False
    has_constraints: bool = False
    nodes_by_parent: dict[int, tuple[int, ...]] = field(default_factory=dict)

    def can_reach(self, sources: list[int], blocked: int) -> npt.NDArray[np.uint8]:
        """Nodes reachable from ``sources`` without passing through ``blocked``."""
        mask = np.zeros(len(self.ids), dtype=np.uint8)
        if blocked >= 0:
            mask[blocked] = 1
        seen: npt.NDArray[np.uint8] = accelerators.reachable(
            self.indptr, self.indices, sources, mask
        )[0]
        return seen


def compile_process(
    definitions: Definitions, process: Process, rules: RuleResolver | None = None
) -> CompiledProcess:
    """Compile ``process``; raises CompileError naming the element of a malformed expression.

    ``rules`` resolves the rules the process names (``itn:rule``, ``itn:assignmentRule``)."""
    nodes = list(process.nodes.values())
    ids = [node.id for node in nodes]
    index = {node_id: i for i, node_id in enumerate(ids)}
    count = len(nodes)
    flows = list(process.flows.values())
    flow_ids = [flow.id for flow in flows]
    flow_index = {flow_id: i for i, flow_id in enumerate(flow_ids)}
    flow_source = [index[flow.source] for flow in flows]
    flow_target = [index[flow.target] for flow in flows]
    incoming: list[list[int]] = [[] for _ in range(count)]
    outgoing: list[list[int]] = [[] for _ in range(count)]
    for position, flow in enumerate(flows):
        outgoing[index[flow.source]].append(position)
        incoming[index[flow.target]].append(position)
    parent = [index[node.parent] if node.parent is not None else -1 for node in nodes]
    kind = [node_kind(node) for node in nodes]

    boundaries: list[list[int]] = [[] for _ in range(count)]
    for i, node in enumerate(nodes):
        if node.type == "boundaryEvent" and node.attached_to in index:
            boundaries[index[node.attached_to]].append(i)

    none_starts: dict[int, list[int]] = {}
    triggered_starts: dict[int, list[int]] = {}
    event_subprocesses: dict[int, list[int]] = {}
    sourceless: dict[int, list[int]] = {}
    nodes_by_parent: dict[int, list[int]] = {}
    link_targets: dict[tuple[int, str], int] = {}
    event: list[EventDefinition | None] = []
    for i, node in enumerate(nodes):
        scope = parent[i]
        nodes_by_parent.setdefault(scope, []).append(i)
        definition = node.event_definitions[0] if node.event_definitions else None
        event.append(definition)
        if node.triggered_by_event:
            event_subprocesses.setdefault(scope, []).append(i)
            continue
        if kind[i] == START:
            parent_node = nodes[scope] if scope >= 0 else None
            if parent_node is not None and parent_node.triggered_by_event:
                continue  # started by its trigger, not by the scope
            if definition is None:
                none_starts.setdefault(scope, []).append(i)
            else:
                triggered_starts.setdefault(scope, []).append(i)
        elif kind[i] == CATCH and definition is not None and definition.kind == "link":
            link_targets[(scope, definition.ref or "")] = i
        elif (
            not incoming[i]
            and kind[i] not in (BOUNDARY, START)
            and not (kind[i] == CATCH and definition is not None and definition.kind == "link")
            and nodes[i].extensions.get("forCompensation") != "true"
        ):
            sourceless.setdefault(scope, []).append(i)

    default_flow = [flow_index.get(node.default or "", -1) for node in nodes]
    flow_condition: list[Expression | None] = [
        _maybe_expression(flow.condition, flow.id) for flow in flows
    ]
    for position, flow in enumerate(flows):
        if flow.rule:
            flow_condition[position] = RuleCondition(flow.rule, rules, flow_condition[position])
    node_rule = [
        (node.extensions.get("rule") or "").strip() or None
        if node.type == "businessRuleTask"
        else None
        for node in nodes
    ]
    assignment_rule = [
        (node.extensions.get("assignmentRule") or "").strip() or None
        if node.type in WORK_ITEM_TYPES
        else None
        for node in nodes
    ]
    loop_condition = [
        _maybe_expression(node.loop.condition, node.id) if node.loop is not None else None
        for node in nodes
    ]
    mi_cardinality: list[Expression | None] = []
    mi_completion: list[Expression | None] = []
    mi_continue: list[Expression | None] = []
    for node in nodes:
        mi = node.multi_instance
        mi_cardinality.append(_maybe_expression(mi.cardinality, node.id) if mi else None)
        mi_completion.append(_maybe_expression(mi.completion_condition, node.id) if mi else None)
        mi_continue.append(_maybe_expression(mi.continue_condition, node.id) if mi else None)
    adhoc_completion = [_maybe_expression(node.completion_condition, node.id) for node in nodes]
    conditional = [
        _maybe_expression(definition.condition, node.id)
        if definition is not None and definition.kind == "conditional"
        else None
        for node, definition in zip(nodes, event, strict=True)
    ]
    cancels = [
        tuple(index[ref] for ref in node.extensions.get("cancels", "").split() if ref in index)
        for node in nodes
    ]
    mutex = [node.extensions.get("mutex") or None for node in nodes]
    enabled_while = [index.get(node.extensions.get("enabledWhile", ""), -1) for node in nodes]
    activation_count = []
    for node in nodes:
        try:
            activation_count.append(int(node.extensions.get("activationCount", "1")))
        except ValueError:
            activation_count.append(1)
    cancel_remaining = [
        node.extensions.get("cancelRemaining", "false").lower() == "true" for node in nodes
    ]

    edges = [(flow_source[f], flow_target[f]) for f in range(len(flows))]
    for activity, attached in enumerate(boundaries):
        edges.extend((activity, boundary) for boundary in attached)
    indptr, indices = accelerators.build_csr(count, edges)

    plain_work = [
        kind[i] == WORK
        and node.multi_instance is None
        and node.loop is None
        and not boundaries[i]
        and enabled_while[i] < 0
        and mutex[i] is None
        and not cancels[i]
        and node.completion_quantity == 1
        and assignment_rule[i] is None
        for i, node in enumerate(nodes)
    ]
    adhoc_sequential = {
        i
        for i, node in enumerate(nodes)
        if node.type == "adHocSubProcess" and (node.ordering or "Parallel").lower() == "sequential"
    }
    has_constraints = bool(adhoc_sequential) or any(name is not None for name in mutex)
    return CompiledProcess(
        process=process,
        definitions=definitions,
        ids=ids,
        index=index,
        nodes=nodes,
        kind=kind,
        parent=parent,
        flow_ids=flow_ids,
        flow_index=flow_index,
        flow_source=flow_source,
        flow_target=flow_target,
        flow_condition=flow_condition,
        incoming=[tuple(x) for x in incoming],
        outgoing=[tuple(x) for x in outgoing],
        default_flow=default_flow,
        boundaries=[tuple(x) for x in boundaries],
        none_starts={k: tuple(v) for k, v in none_starts.items()},
        triggered_starts={k: tuple(v) for k, v in triggered_starts.items()},
        event_subprocesses={k: tuple(v) for k, v in event_subprocesses.items()},
        sourceless={k: tuple(v) for k, v in sourceless.items()},
        link_targets=link_targets,
        event=event,
        loop_condition=loop_condition,
        mi_cardinality=mi_cardinality,
        mi_completion=mi_completion,
        mi_continue=mi_continue,
        adhoc_completion=adhoc_completion,
        conditional=conditional,
        cancels=cancels,
        mutex=mutex,
        enabled_while=enabled_while,
        activation_count=activation_count,
        cancel_remaining=cancel_remaining,
        node_rule=node_rule,
        assignment_rule=assignment_rule,
        indptr=indptr,
        indices=indices,
        has_milestones=any(target >= 0 for target in enabled_while),
        has_or_joins=any(
            (kind[i] == OR and len(incoming[i]) > 1) or kind[i] == COMPLEX for i in range(count)
        ),
        has_conditionals=any(expr is not None for expr in conditional),
        has_constraints=has_constraints,
        nodes_by_parent={k: tuple(v) for k, v in nodes_by_parent.items()},
        plain_work=plain_work,
        single_start=[node.start_quantity == 1 for node in nodes],
    )
