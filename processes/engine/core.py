"""The engine: starts cases and fires events on them, deterministically.

``Engine(definitions).start(data)`` returns a new ``CaseState``; ``engine.fire(state, event)``
applies one event to it and returns the effects (work items opened or withdrawn, timers, messages,
incidents). An event the state does not allow raises ``Rejected`` and changes nothing: every check
runs before the first change. The semantics of each construct are those of PATTERNS.md.
"""

from __future__ import annotations

import copy
from collections import deque
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from functools import partial
from typing import Any

import accelerators
from processes.engine import compiled as K
from processes.engine.compiled import CompiledProcess, compile_process
from processes.engine.expressions import Expression, ExpressionError, is_truthy
from processes.engine.model import Definitions
from processes.engine.state import (
    A_CALL,
    A_JOB,
    A_MI,
    A_RECEIVE,
    A_SUB,
    A_WORK,
    ACTIVE,
    CANCELLED,
    COMPLETED,
    FAILED,
    MILESTONE_REACHED,
    OPEN,
    RUNNING,
    STARTED,
    WITHHELD,
    Activity,
    CaseState,
    Scope,
    Subscription,
)
from processes.engine.timers import TimerError, first_due, next_due, parse_duration
from rules.core import CompiledRule, RuleError, RuleResolver, case_outputs

Effect = tuple[Any, ...]
DEFAULT_CALL_DEPTH = 100
#: Bound on settle rounds in one event, so a model whose conditions flip forever fails cleanly.
MAX_ROUNDS = 10_000


class Rejected(Exception):
    """The event is not allowed in the case's current state; nothing was changed."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class Incident(Exception):
    """Raised inside a step when the case cannot go on (the case becomes failed)."""

    def __init__(self, message: str, element_id: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.element_id = element_id


class Engine:
    """Runs cases of one process of a definitions file (and the processes it calls)."""

    def __init__(
        self,
        definitions: Definitions,
        process_id: str | None = None,
        *,
        max_call_depth: int = DEFAULT_CALL_DEPTH,
        jobs: bool = False,
        rules: RuleResolver | None = None,
    ) -> None:
        self.definitions = definitions
        self.max_call_depth = max_call_depth
        #: Resolves the rules the processes name (flow conditions, business rule tasks,
        #: assignment rules); without it, reaching one is an incident.
        self.rules = rules
        #: Service tasks with an ``itn:topic`` wait for ``job_done`` instead of running inline.
        self.jobs = jobs
        self._compiled: dict[str, CompiledProcess] = {}
        #: Whether any compiled process has mutexes, interleaving or milestones; inclusive or
        #: complex joins; conditional events. Rules for what is absent are never evaluated.
        self.constrained = False
        self.has_joins = False
        self.has_conditionals = False
        self.main = self.compiled(definitions.executable_process(process_id).id)

    def compiled(self, process_id: str) -> CompiledProcess:
        found = self._compiled.get(process_id)
        if found is None:
            process = self.definitions.processes.get(process_id)
            if process is None:
                raise Incident(f"there is no process {process_id!r} to call", process_id)
            found = self._compiled[process_id] = compile_process(
                self.definitions, process, self.rules
            )
            self.constrained = self.constrained or found.has_constraints or found.has_milestones
            self.has_joins = self.has_joins or found.has_or_joins
            self.has_conditionals = self.has_conditionals or found.has_conditionals
        return found

    def rule(self, key: str, element_id: str) -> CompiledRule:
        """The rule ``key`` names, or an incident on ``element_id`` when there is none."""
        found = self.rules.resolve(key) if self.rules is not None else None
        if found is None:
            raise Incident(f"{element_id}: the rule {key!r} is not available", element_id)
        return found

    def decide(
        self, key: str, element_id: str, variables: Mapping[str, Any]
    ) -> tuple[CompiledRule, Any]:
        """Evaluate the rule ``key`` for ``element_id``; a failure (a hit-policy violation, an
        expression error) is an incident on the element."""
        rule = self.rule(key, element_id)
        try:
            return rule, rule.evaluate(variables)
        except RuleError as error:
            raise Incident(f"{element_id}: rule {key!r}: {error.message}", element_id) from None

    def assignment(self, element_id: str, variables: Mapping[str, Any]) -> dict[str, Any]:
        """What the ``itn:assignmentRule`` of a work-item task gives for ``variables``: its
        outputs (such as ``assignee`` and ``role``) when a row matched, else nothing. Raises
        ``Incident`` when the rule is missing or fails."""
        for process in self.definitions.processes.values():
            node = process.nodes.get(element_id)
            if node is None:
                continue
            key = (node.extensions.get("assignmentRule") or "").strip()
            if not key:
                return {}
            _, evaluation = self.decide(key, element_id, variables)
            result = evaluation.result
            return dict(result) if isinstance(result, dict) else {}
        return {}

    def start(
        self, data: Mapping[str, Any] | None = None, *, now: datetime | None = None
    ) -> tuple[CaseState, list[Effect]]:
        """A new case of the main process, run until it waits."""
        state = CaseState(status=RUNNING, clock=now or datetime.now(UTC))
        run = _Run(self, state)
        root = Scope(state.new_id(), self.main.process.id, -1, -1, -1, dict(data or {}), 0, None)
        root.owner = root.id
        state.root = root.id
        state.scopes[root.id] = root
        run.guarded(lambda: run.start_scope(root, -1, None))
        return state, run.effects

    def fire(self, state: CaseState, event: Mapping[str, Any]) -> list[Effect]:
        """Apply ``event`` to ``state`` (in place) and run the case until it waits again."""
        run = _Run(self, state)
        action = run.check(event)
        run.guarded(action)
        return run.effects


class _Run:
    """One event's worth of work on one case."""

    __slots__ = ("dirty", "effects", "engine", "queue", "ready", "signals", "state")

    def __init__(self, engine: Engine, state: CaseState) -> None:
        self.engine = engine
        self.state = state
        self.queue: deque[tuple[int, int]] = deque()
        self.ready: deque[tuple[int, dict[str, Any] | None]] = deque()
        self.signals: deque[str] = deque()
        self.effects: list[Effect] = []
        self.dirty: set[int] = set()

    # ------------------------------------------------------------------ running
    def guarded(self, action: Any) -> None:
        state = self.state
        try:
            action()
            self.run()
        except Incident as incident:
            state.status = FAILED
            state.incidents.append({"message": incident.message, "element": incident.element_id})
            self.effects.append(("incident", incident.element_id, incident.message))
        except ExpressionError as error:
            state.status = FAILED
            state.incidents.append({"message": str(error), "element": None})
            self.effects.append(("incident", None, str(error)))

    def run(self) -> None:
        state = self.state
        queue, ready, signals = self.queue, self.ready, self.signals
        scopes = state.scopes
        for _ in range(MAX_ROUNDS):
            while queue or ready or signals:
                if state.status != RUNNING:
                    return
                if ready:
                    sub_id, data = ready.popleft()
                    sub = state.subscriptions.get(sub_id)
                    if sub is not None:
                        self.trigger(sub, data)
                elif queue:
                    scope_id, node = queue.popleft()
                    scope = scopes.get(scope_id)
                    if scope is not None:
                        self.try_node(scope, node)
                else:
                    self.broadcast(signals.popleft())
            if state.status != RUNNING:
                return
            if not self.settle():
                self.check_deadlock()
                return
        raise Incident("the case did not come to rest (a loop of conditions or events)")

    def settle(self) -> bool:
        """Apply the rules that depend on the whole state; True if anything changed."""
        state = self.state
        dirty = self.dirty
        if dirty:
            for scope_id in sorted(dirty, reverse=True) if len(dirty) > 1 else tuple(dirty):
                scope = state.scopes.get(scope_id)
                if scope is not None and scope.busy == 0 and not scope.tokens:
                    self.dirty.discard(scope_id)
                    self.complete_scope(scope)
                    return True
            self.dirty.clear()
        engine = self.engine
        if engine.has_joins:
            for scope in list(state.scopes.values()):
                process = self.process_of(scope)
                if process.has_or_joins and scope.tokens and self.settle_joins(scope, process):
                    return True
        if engine.constrained and self.settle_locks_and_milestones():
            return True
        if engine.has_conditionals:
            for sub in list(state.subscriptions.values()):
                if sub.kind == "conditional" and sub.id in state.subscriptions:
                    scope = state.scopes[sub.scope]
                    process = self.process_of(scope)
                    expression = process.conditional[sub.node]
                    if expression is not None and is_truthy(
                        self.evaluate(expression, scope, process.ids[sub.node])
                    ):
                        self.trigger(sub, None)
                        return True
        return False

    def check_deadlock(self) -> None:
        state = self.state
        if state.status != RUNNING or state.activities:
            return
        if any(sub.alive for sub in state.subscriptions.values()):
            return
        stuck = [
            (scope, flow)
            for scope in state.scopes.values()
            for flow in scope.tokens
            if scope.tokens[flow]
        ]
        if stuck:
            scope, flow = stuck[0]
            process = self.engine.compiled(scope.process)
            target = process.ids[process.flow_target[flow]]
            raise Incident(f"deadlock: a token waits at {target} and nothing can move it", target)

    # ------------------------------------------------------------------ helpers
    def process_of(self, scope: Scope) -> CompiledProcess:
        found: CompiledProcess | None = scope.compiled
        if found is None:
            found = scope.compiled = self.engine.compiled(scope.process)
        return found

    def data_of(self, scope: Scope) -> dict[str, Any]:
        owner = self.state.scopes[scope.owner]
        assert owner.data is not None
        return owner.data

    def variables(self, scope: Scope, extra: Mapping[str, Any] | None = None) -> Mapping[str, Any]:
        data = self.data_of(scope)
        if scope.local is None and extra is None:
            return data
        merged = dict(data)
        if scope.local is not None:
            merged.update(scope.local)
        if extra is not None:
            merged.update(extra)
        return merged

    def evaluate(
        self, expression: Expression, scope: Scope, element: str, extra: Any = None
    ) -> Any:
        try:
            return expression.evaluate(self.variables(scope, extra))
        except ExpressionError as error:
            raise Incident(f"{element}: {error}", element) from None

    def put(self, scope: Scope, flow: int, count: int = 1) -> None:
        tokens = scope.tokens
        tokens[flow] = tokens.get(flow, 0) + count
        self.queue.append((scope.id, self.process_of(scope).flow_target[flow]))

    def take(self, scope: Scope, flow: int) -> None:
        tokens = scope.tokens
        left = tokens[flow] - 1
        if left:
            tokens[flow] = left
        else:
            del tokens[flow]
        self.dirty.add(scope.id)

    def new_activity(self, node: int, scope: Scope, kind: str, status: str) -> Activity:
        state = self.state
        activity_id = state.new_id()
        activity = Activity(activity_id, node, scope.id, kind, status, activity_id)
        state.activities[activity_id] = activity
        scope.busy += 1
        return activity

    def drop_activity(self, activity: Activity) -> None:
        state = self.state
        del state.activities[activity.id]
        scope = state.scopes.get(activity.scope)
        if scope is not None:
            scope.busy -= 1
            self.dirty.add(scope.id)
        if state.locks:
            for key in [k for k, holder in state.locks.items() if holder == activity.id]:
                del state.locks[key]
        if state.subscriptions:
            for sub in [s for s in state.subscriptions.values() if s.activity == activity.id]:
                self.drop_subscription(sub)

    def subscribe(
        self, kind: str, key: str, node: int, scope: Scope, activity: int, group: int = -1
    ) -> Subscription:
        state = self.state
        sub_id = state.new_id()
        sub = Subscription(sub_id, kind, key, node, scope.id, activity, sub_id)
        sub.group = group
        process = self.process_of(scope)
        start_of_event_subprocess = (
            process.kind[node] == K.START
            and process.parent[node] >= 0
            and process.nodes[process.parent[node]].triggered_by_event
        )
        sub.alive = not start_of_event_subprocess
        state.subscriptions[sub_id] = sub
        if sub.alive:
            scope.busy += 1
        if kind == "message":
            for position, (name, data) in enumerate(state.messages):
                if name == key:
                    del state.messages[position]
                    self.ready.append((sub_id, data))
                    break
        elif kind == "timer":
            definition = process.event[node]
            assert definition is not None and definition.timer is not None
            sub.armed_at = state.clock
            try:
                sub.due = first_due(definition.timer.kind, definition.timer.text, state.clock)
            except TimerError as error:
                raise Incident(f"{process.ids[node]}: {error}", process.ids[node]) from None
            self.effects.append(("timer", sub_id, process.ids[node], sub.due))
            if sub.due <= state.clock:
                self.ready.append((sub_id, None))
        return sub

    def drop_subscription(self, sub: Subscription) -> None:
        state = self.state
        if state.subscriptions.pop(sub.id, None) is None:
            return
        if sub.alive:
            scope = state.scopes.get(sub.scope)
            if scope is not None:
                scope.busy -= 1
                self.dirty.add(scope.id)

    def merge_data(self, scope: Scope, data: Mapping[str, Any] | None) -> None:
        if data:
            self.data_of(scope).update(copy.deepcopy(dict(data)))

    # ------------------------------------------------------------------ scopes
    def start_scope(self, scope: Scope, scope_node: int, trigger: int | None) -> None:
        process = self.process_of(scope)
        for esp in process.event_subprocesses.get(scope_node, ()):
            for start in process.nodes_by_parent.get(esp, ()):
                if process.kind[start] == K.START:
                    self.arm_event(start, scope, -1)
        if trigger is not None:
            self.leave(scope, trigger)
            return
        node = process.nodes[scope_node] if scope_node >= 0 else None
        if node is not None and node.type == "adHocSubProcess":
            for inner in process.sourceless.get(scope_node, ()):
                self.enter(scope, inner)
            self.dirty.add(scope.id)
            return
        starts = process.none_starts.get(scope_node, ())
        if starts:
            for start in starts[:1] if scope_node < 0 else starts:
                self.leave(scope, start)
        elif scope_node < 0 and process.triggered_starts.get(-1):
            for start in process.triggered_starts[-1]:
                self.arm_event(start, scope, -1)
        else:
            for inner in process.sourceless.get(scope_node, ()):
                self.enter(scope, inner)
        self.dirty.add(scope.id)

    def enter(self, scope: Scope, node: int) -> None:
        """Start a node that has no incoming flow, as if a token had arrived."""
        process = self.process_of(scope)
        if process.kind[node] in K.ACTIVITY_KINDS:
            self.start_activity(scope, node)
        else:
            self.place_virtual(scope, node)

    def place_virtual(self, scope: Scope, node: int) -> None:
        process = self.process_of(scope)
        kind = process.kind[node]
        if kind == K.CATCH:
            self.arm_event(node, scope, -1)
        elif kind == K.EVENT_GATEWAY:
            self.arm_event_gateway(scope, node)
        else:
            self.leave(scope, node)

    def complete_scope(self, scope: Scope) -> None:
        state = self.state
        for sub in [s for s in state.subscriptions.values() if s.scope == scope.id]:
            self.drop_subscription(sub)
        if scope.id == state.root:
            state.status = COMPLETED
            self.effects.append(("case", COMPLETED))
            return
        del state.scopes[scope.id]
        owner = state.activities.get(scope.activity)
        if owner is None:
            return
        if owner.kind == A_CALL:
            caller = state.scopes[owner.scope]
            assert scope.data is not None
            self.data_of(caller).update(scope.data)
        owner.child = -1
        self.complete_activity(owner, None)

    def clear_scope(self, scope: Scope, *, keep: int = -1) -> None:
        """Withdraw every token, activity and subscription in ``scope`` (but activity ``keep``)."""
        state = self.state
        if scope.tokens:
            scope.tokens.clear()
        for activity in [
            a for a in state.activities.values() if a.scope == scope.id and a.id != keep
        ]:
            if activity.id in state.activities:
                self.withdraw(activity)
        for sub in [s for s in state.subscriptions.values() if s.scope == scope.id]:
            if sub.activity != keep:
                self.drop_subscription(sub)
        for key in [k for k in state.rounds if k.startswith(f"{scope.id}:")]:
            del state.rounds[key]
        self.dirty.add(scope.id)

    def destroy_scope(self, scope_id: int) -> None:
        scope = self.state.scopes.get(scope_id)
        if scope is None:
            return
        self.clear_scope(scope)
        del self.state.scopes[scope_id]
        self.dirty.discard(scope_id)

    # ------------------------------------------------------------------ nodes
    def try_node(self, scope: Scope, node: int) -> None:
        process = self.process_of(scope)
        kind = process.kind[node]
        tokens = scope.tokens
        incoming = process.incoming[node]
        if kind in K.ACTIVITY_KINDS:
            if len(incoming) == 1 and process.single_start[node]:
                flow = incoming[0]
                while tokens.get(flow, 0):
                    self.take(scope, flow)
                    self.start_activity(scope, node)
                return
            need = process.nodes[node].start_quantity
            while sum(tokens.get(f, 0) for f in incoming) >= need:
                left = need
                for flow in incoming:
                    while left and tokens.get(flow, 0):
                        self.take(scope, flow)
                        left -= 1
                self.start_activity(scope, node)
            return
        if kind == K.AND:
            while incoming and all(tokens.get(f, 0) for f in incoming):
                for flow in incoming:
                    self.take(scope, flow)
                self.route(scope, node, "all")
            return
        if kind == K.OR and len(incoming) > 1:
            return  # the inclusive join fires in settle(), once nothing upstream can reach it
        if kind == K.COMPLEX:
            return  # likewise: rounds are evaluated in settle()
        for flow in incoming:
            while tokens.get(flow, 0):
                self.take(scope, flow)
                self.pass_node(scope, node, kind)

    def pass_node(self, scope: Scope, node: int, kind: int) -> None:
        """A token has been taken from an incoming flow of a gateway or event: act on it."""
        if kind == K.XOR:
            self.route(scope, node, "first")
        elif kind == K.OR:
            self.route(scope, node, "inclusive")
        elif kind == K.EVENT_GATEWAY:
            self.arm_event_gateway(scope, node)
        elif kind == K.CATCH:
            self.arm_event(node, scope, -1)
        elif kind == K.THROW:
            self.throw_event(scope, node)
        elif kind == K.END:
            self.end_event(scope, node)
        elif kind in (K.START, K.BOUNDARY):
            self.leave(scope, node)
        else:
            process = self.process_of(scope)
            element = process.nodes[node]
            raise Incident(f"{element.id}: a {element.type} cannot be executed", element.id)

    def route(self, scope: Scope, node: int, mode: str, count: int = 1) -> None:
        """Send tokens out of ``node``: all flows, the first true one, every true one, or an
        activity's rule (unconditional flows always, conditional ones when true, else default)."""
        process = self.process_of(scope)
        outgoing = process.outgoing[node]
        if not outgoing:
            return
        if mode == "all":
            for flow in outgoing:
                self.put(scope, flow, count)
            return
        default = process.default_flow[node]
        conditions = process.flow_condition
        if (
            mode == "activity"
            and default < 0
            and len(outgoing) == 1
            and conditions[outgoing[0]] is None
        ):
            self.put(scope, outgoing[0], count)
            return
        taken: list[int] = []
        any_true = False
        for flow in outgoing:
            if flow == default:
                continue
            expression = conditions[flow]
            if expression is None:
                if mode == "first":
                    taken.append(flow)
                    break
                taken.append(flow)
                if mode == "inclusive":
                    any_true = True
                continue
            if is_truthy(self.evaluate(expression, scope, process.flow_ids[flow])):
                taken.append(flow)
                any_true = True
                if mode == "first":
                    break
        if default >= 0 and (not taken if mode != "activity" else not any_true):
            taken.append(default)
        if not taken:
            element = process.ids[node]
            raise Incident(
                f"{element}: no outgoing flow can be taken (no condition is true and there is "
                "no default flow)",
                element,
            )
        for flow in taken:
            self.put(scope, flow, count)

    def leave(self, scope: Scope, node: int, count: int = 1) -> None:
        self.route(scope, node, "activity", count)

    # ------------------------------------------------------------------ activities
    def start_activity(self, scope: Scope, node: int, group: int = -1) -> None:
        process = self.process_of(scope)
        if process.plain_work[node] and not self.engine.constrained:
            activity = self.new_activity(node, scope, A_WORK, OPEN)
            activity.group = group
            self.effects.append(("open", activity.id, process.ids[node]))
            return
        element = process.nodes[node]
        if element.multi_instance is not None:
            self.start_multi_instance(scope, node, group)
            return
        loop = element.loop
        if loop is not None and loop.test_before:
            condition = process.loop_condition[node]
            if (loop.maximum is not None and loop.maximum <= 0) or (
                condition is not None
                and not is_truthy(self.evaluate(condition, scope, element.id, {"loopCounter": 0}))
            ):
                self.finish_activity(scope, node)
                return
        self.start_body(scope, node, None, group, -1, 0)

    def start_body(
        self,
        scope: Scope,
        node: int,
        local: dict[str, Any] | None,
        group: int,
        parent: int,
        loop_count: int,
    ) -> Activity | None:
        process = self.process_of(scope)
        kind = process.kind[node]
        if loop_count or process.nodes[node].loop is not None:
            local = {**(local or {}), "loopCounter": loop_count}
        if kind == K.WORK:
            key = process.assignment_rule[node]
            if key is not None:
                # Checked as the item opens: a rule that fails stops the case here, not later
                # where the task row is made.
                self.engine.decide(key, process.ids[node], self.variables(scope, local))
            activity = self.new_activity(node, scope, A_WORK, OPEN)
            activity.local, activity.group, activity.parent = local, group, parent
            activity.loop_count = loop_count
            if process.enabled_while[node] >= 0 or process.has_constraints:
                activity.status = WITHHELD
                self.refresh_item(activity)
            self.effects.append(("open", activity.id, process.ids[node]))
            if parent < 0:
                self.arm_boundaries(activity, scope, process)
            return activity
        if kind == K.AUTO:
            element = process.nodes[node]
            topic = element.extensions.get("topic")
            if topic and self.engine.jobs and element.type == "serviceTask":
                # Run elsewhere (a Celery job); ``job_done`` completes it.
                activity = self.new_activity(node, scope, A_JOB, ACTIVE)
                activity.local, activity.parent, activity.loop_count = local, parent, loop_count
                activity.group = group
                if parent < 0:
                    self.arm_boundaries(activity, scope, process)
                self.effects.append(("job", activity.id, process.ids[node], topic))
                return activity
            decided = None
            key = process.node_rule[node]
            if key is not None:
                rule, evaluation = self.engine.decide(key, element.id, self.variables(scope, local))
                decided = case_outputs(
                    rule, evaluation, element.extensions.get("resultVariable"), key
                )
            activity = self.new_activity(node, scope, A_WORK, ACTIVE)
            activity.local, activity.parent, activity.loop_count = local, parent, loop_count
            if element.type == "sendTask" and element.message_ref:
                self.send_message(element.message_ref, {})
            self.effects.append(("ran", activity.id, process.ids[node]))
            self.complete_activity(activity, decided)
            return None
        if kind == K.RECEIVE:
            activity = self.new_activity(node, scope, A_RECEIVE, ACTIVE)
            activity.local, activity.group, activity.parent = local, group, parent
            activity.loop_count = loop_count
            if parent < 0:
                self.arm_boundaries(activity, scope, process)
            name = process.nodes[node].message_ref or process.ids[node]
            self.subscribe("message", name, node, scope, activity.id, group)
            return activity
        if kind in (K.SUB, K.CALL):
            activity = self.new_activity(node, scope, A_SUB if kind == K.SUB else A_CALL, ACTIVE)
            activity.local, activity.group, activity.parent = local, group, parent
            activity.loop_count = loop_count
            if parent < 0:
                self.arm_boundaries(activity, scope, process)
            merged_local = {**(scope.local or {}), **(local or {})} or None
            if kind == K.SUB:
                child = Scope(
                    self.state.new_id(),
                    scope.process,
                    node,
                    scope.id,
                    activity.id,
                    None,
                    scope.owner,
                    merged_local,
                )
                self.state.scopes[child.id] = child
                activity.child = child.id
                self.start_scope(child, node, None)
            else:
                self.start_call(scope, node, activity, merged_local)
            return activity
        element = process.nodes[node]
        raise Incident(f"{element.id}: a {element.type} cannot be executed", element.id)

    def start_call(
        self, scope: Scope, node: int, activity: Activity, local: dict[str, Any] | None
    ) -> None:
        process = self.process_of(scope)
        element = process.nodes[node]
        called = element.called_element
        if not called:
            raise Incident(f"{element.id}: the call activity names no process", element.id)
        depth = 1
        cursor = scope
        while cursor.activity >= 0:
            owner = self.state.activities.get(cursor.activity)
            if owner is None:
                break
            if owner.kind == A_CALL:
                depth += 1
            cursor = self.state.scopes[owner.scope]
        if depth > self.engine.max_call_depth:
            raise Incident(
                f"{element.id}: calls nest deeper than {self.engine.max_call_depth} levels",
                element.id,
            )
        target = self.engine.compiled(called)
        data = copy.deepcopy(self.data_of(scope))
        if local:
            data.update(local)
        child = Scope(
            self.state.new_id(), target.process.id, -1, scope.id, activity.id, data, 0, None
        )
        child.owner = child.id
        self.state.scopes[child.id] = child
        activity.child = child.id
        self.start_scope(child, -1, None)

    def arm_boundaries(self, activity: Activity, scope: Scope, process: CompiledProcess) -> None:
        for boundary in process.boundaries[activity.node]:
            self.arm_event(boundary, scope, activity.id)

    def arm_event(self, node: int, scope: Scope, activity: int, group: int = -1) -> None:
        """Arm the trigger of a catching event (intermediate, boundary or start)."""
        process = self.process_of(scope)
        definition = process.event[node]
        if definition is None:
            if process.kind[node] == K.CATCH:
                self.leave(scope, node)  # a none intermediate event passes straight through
            return
        kind = definition.kind
        if kind in ("message", "signal"):
            self.subscribe(kind, definition.ref or process.ids[node], node, scope, activity, group)
        elif kind == "timer":
            self.subscribe("timer", process.ids[node], node, scope, activity, group)
        elif kind == "conditional":
            self.subscribe("conditional", process.ids[node], node, scope, activity, group)
        elif kind in ("error", "escalation", "compensate", "cancel"):
            return  # caught when thrown, not armed
        else:
            element = process.nodes[node]
            raise Incident(f"{element.id}: a {kind} event cannot be caught here", element.id)

    def complete_activity(self, activity: Activity, data: Mapping[str, Any] | None) -> None:
        """The activity finished normally: log it, then continue after it."""
        state = self.state
        scope = state.scopes[activity.scope]
        process = self.process_of(scope)
        node = activity.node
        if (
            process.plain_work[node]
            and activity.group < 0
            and activity.parent < 0
            and activity.status != ACTIVE
            and (scope.node < 0 or process.adhoc_completion[scope.node] is None)
        ):
            self.drop_activity(activity)
            element_id = process.ids[node]
            state.log[element_id] = state.log.get(element_id, 0) + 1
            self.effects.append(("completed", activity.id, element_id))
            if data:
                self.merge_data(scope, data)
            self.route(scope, node, "activity")
            return
        self.drop_activity(activity)
        if activity.kind == A_WORK and activity.status != ACTIVE:
            element_id = process.ids[node]
            state.log[element_id] = state.log.get(element_id, 0) + 1
            self.effects.append(("completed", activity.id, element_id))
        self.merge_data(scope, data)
        if activity.group >= 0:
            self.withdraw_group(activity.group, keep_activity=activity.id)
        if activity.parent >= 0:
            self.instance_done(activity, withdrawn=False)
            return
        if scope.node >= 0 and process.adhoc_completion[scope.node] is not None:
            self.check_adhoc_completion(scope, process)
        element = process.nodes[node]
        if element.loop is not None:
            count = activity.loop_count + 1
            condition = process.loop_condition[node]
            maximum = element.loop.maximum
            again = condition is not None and is_truthy(
                self.evaluate(condition, scope, element.id, {"loopCounter": count})
            )
            if again and (maximum is None or count < maximum):
                self.start_body(scope, node, None, -1, -1, count)
                return
        self.finish_activity(scope, node)

    def finish_activity(self, scope: Scope, node: int) -> None:
        process = self.process_of(scope)
        if process.cancels[node]:
            self.cancel_elements(scope, process.cancels[node])
        self.leave(scope, node, process.nodes[node].completion_quantity)

    def check_adhoc_completion(self, scope: Scope, process: CompiledProcess) -> None:
        expression = process.adhoc_completion[scope.node]
        assert expression is not None
        if is_truthy(self.evaluate(expression, scope, process.ids[scope.node])):
            self.clear_scope(scope)

    def withdraw(self, activity: Activity) -> None:
        """Take the activity away without completing it (cancelled, interrupted, not chosen)."""
        state = self.state
        if activity.id not in state.activities:
            return
        if activity.kind == A_MI:
            for instance in [a for a in state.activities.values() if a.parent == activity.id]:
                self.withdraw(instance)
        if activity.child >= 0:
            self.destroy_scope(activity.child)
        self.drop_activity(activity)
        if activity.kind == A_WORK and activity.status != ACTIVE:
            scope = state.scopes.get(activity.scope)
            element = self.process_of(scope).ids[activity.node] if scope else None
            self.effects.append(("withdrawn", activity.id, element))

    def withdraw_group(self, group: int, *, keep_activity: int = -1, keep_sub: int = -1) -> None:
        state = self.state
        for activity in [a for a in state.activities.values() if a.group == group]:
            if activity.id != keep_activity:
                self.withdraw(activity)
            else:
                activity.group = -1
        for sub in [s for s in state.subscriptions.values() if s.group == group]:
            if sub.id != keep_sub:
                self.drop_subscription(sub)

    def cancel_elements(self, origin: Scope, targets: Iterable[int]) -> None:
        """Withdraw every token, work item and wait in the elements ``targets`` (itn:cancels)."""
        state = self.state
        target_set = set(targets)
        for scope in list(state.scopes.values()):
            if scope.process != origin.process or scope.id not in state.scopes:
                continue
            process = self.process_of(scope)
            for flow in [f for f in scope.tokens if process.flow_target[f] in target_set]:
                del scope.tokens[flow]
                self.dirty.add(scope.id)
            for activity in [
                a
                for a in state.activities.values()
                if a.scope == scope.id and a.node in target_set and a.parent < 0
            ]:
                self.withdraw(activity)
            for sub in [
                s
                for s in state.subscriptions.values()
                if s.scope == scope.id and s.node in target_set and s.activity < 0
            ]:
                self.drop_subscription(sub)

    # ------------------------------------------------------------------ multiple instances
    def start_multi_instance(self, scope: Scope, node: int, group: int) -> None:
        process = self.process_of(scope)
        element = process.nodes[node]
        spec = element.multi_instance
        assert spec is not None
        items: list[Any] | None = None
        if spec.collection:
            value = self.variables(scope).get(spec.collection)
            if value is None and "." in spec.collection:
                value = self.evaluate_text(spec.collection, scope, element.id)
            if not isinstance(value, list | tuple):
                raise Incident(
                    f"{element.id}: the collection {spec.collection!r} is not a list", element.id
                )
            items = list(value)
            total = len(items)
        elif process.mi_cardinality[node] is not None:
            expression = process.mi_cardinality[node]
            assert expression is not None
            value = self.evaluate(expression, scope, element.id)
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise Incident(
                    f"{element.id}: the cardinality must be a whole number, not {value!r}",
                    element.id,
                )
            total = int(value)
        elif spec.dynamic:
            total = 0
        else:
            raise Incident(
                f"{element.id}: multi-instance needs a cardinality or a collection", element.id
            )
        body = self.new_activity(node, scope, A_MI, ACTIVE)
        body.group = group
        body.mi = {
            "total": total,
            "completed": 0,
            "active": 0,
            "next": 0,
            "items": items,
            "closed": not spec.dynamic,
            "passed": False,
            "sequential": spec.sequential,
        }
        self.arm_boundaries(body, scope, process)
        if not spec.synchronize:
            body.mi["passed"] = True
        if total == 0 and not spec.dynamic:
            self.end_multi_instance(body)
            return
        if spec.sequential:
            if total:
                self.spawn_instance(body, scope, None)
        else:
            for _ in range(total):
                self.spawn_instance(body, scope, None)
        if not spec.synchronize and body.id in self.state.activities:
            self.finish_activity(scope, node)

    def evaluate_text(self, text: str, scope: Scope, element: str) -> Any:
        from processes.engine.expressions import compile_expression

        try:
            return self.evaluate(compile_expression(text), scope, element)
        except ExpressionError as error:
            raise Incident(f"{element}: {error}", element) from None

    def spawn_instance(self, body: Activity, scope: Scope, added: Any) -> None:
        mi = body.mi
        assert mi is not None
        process = self.process_of(scope)
        spec = process.nodes[body.node].multi_instance
        assert spec is not None
        index = mi["next"]
        mi["next"] = index + 1
        mi["active"] += 1
        local: dict[str, Any] = {"loopCounter": index}
        variable = spec.element_variable or "item"
        if mi["items"] is not None and index < len(mi["items"]):
            local[variable] = copy.deepcopy(mi["items"][index])
        elif added is not None:
            local[variable] = copy.deepcopy(added)
        self.start_body(scope, body.node, local, -1, body.id, 0)

    def instance_done(self, instance: Activity, *, withdrawn: bool) -> None:
        state = self.state
        body = state.activities.get(instance.parent)
        if body is None or body.mi is None:
            return
        mi = body.mi
        mi["active"] -= 1
        if not withdrawn:
            mi["completed"] += 1
        scope = state.scopes[body.scope]
        process = self.process_of(scope)
        element = process.nodes[body.node]
        counters = {
            "nrOfInstances": mi["total"],
            "nrOfCompletedInstances": mi["completed"],
            "nrOfActiveInstances": mi["active"],
        }
        completion = process.mi_completion[body.node]
        if completion is not None and is_truthy(
            self.evaluate(completion, scope, element.id, counters)
        ):
            self.end_multi_instance(body)
            return
        spec = element.multi_instance
        assert spec is not None
        if not mi["passed"]:
            if spec.continue_after is not None and mi["completed"] >= spec.continue_after:
                mi["passed"] = True
                self.finish_activity(scope, body.node)
            else:
                condition = process.mi_continue[body.node]
                if condition is not None and is_truthy(
                    self.evaluate(condition, scope, element.id, counters)
                ):
                    mi["passed"] = True
                    mi["closed"] = True
                    self.finish_activity(scope, body.node)
        if body.id not in state.activities:
            return
        if mi["sequential"] and mi["active"] == 0 and mi["next"] < mi["total"]:
            self.spawn_instance(
                body, scope, mi.get("pending", [None]).pop(0) if mi.get("pending") else None
            )
            return
        if mi["active"] == 0 and mi["closed"] and mi["next"] >= mi["total"]:
            self.end_multi_instance(body)

    def end_multi_instance(self, body: Activity) -> None:
        """The MI activity is over: withdraw what still runs, continue if not done already."""
        state = self.state
        for instance in [a for a in state.activities.values() if a.parent == body.id]:
            self.withdraw(instance)
        scope = state.scopes[body.scope]
        self.drop_activity(body)
        if body.group >= 0:
            self.withdraw_group(body.group, keep_activity=body.id)
        assert body.mi is not None
        if not body.mi["passed"]:
            body.mi["passed"] = True
            self.finish_activity(scope, body.node)

    # ------------------------------------------------------------------ events
    def arm_event_gateway(self, scope: Scope, node: int) -> None:
        process = self.process_of(scope)
        group = self.state.new_id()
        for flow in process.outgoing[node]:
            target = process.flow_target[flow]
            kind = process.kind[target]
            if kind == K.CATCH:
                self.arm_event(target, scope, -1, group)
            elif kind in (K.RECEIVE, K.WORK):
                self.start_activity(scope, target, group)
            else:
                element = process.nodes[target]
                raise Incident(
                    f"{element.id}: an event-based gateway may lead only to catch events, "
                    "receive tasks or tasks",
                    element.id,
                )

    def trigger(self, sub: Subscription, data: dict[str, Any] | None) -> None:
        """An armed trigger fired (message arrived, signal broadcast, timer due, condition true)."""
        state = self.state
        scope = state.scopes[sub.scope]
        process = self.process_of(scope)
        node = sub.node
        kind = process.kind[node]
        if sub.group >= 0:
            self.withdraw_group(sub.group, keep_sub=sub.id)
        self.merge_data(scope, data)
        if kind == K.BOUNDARY:
            attached = state.activities.get(sub.activity)
            if process.nodes[node].cancel_activity:
                self.drop_subscription(sub)
                if attached is not None:
                    self.withdraw(attached)
            else:
                self.rearm_or_drop(sub, process)
            self.leave(scope, node)
        elif kind == K.CATCH:
            self.drop_subscription(sub)
            self.leave(scope, node)
        elif kind == K.RECEIVE:
            self.drop_subscription(sub)
            activity = state.activities.get(sub.activity)
            if activity is not None:
                self.complete_activity(activity, None)
        elif kind == K.START:
            esp = process.parent[node]
            if esp >= 0 and process.nodes[esp].triggered_by_event:
                self.start_event_subprocess(scope, esp, node, sub)
            else:
                for other in [
                    s
                    for s in state.subscriptions.values()
                    if s.scope == scope.id
                    and s.activity < 0
                    and s.alive
                    and process.kind[s.node] == K.START
                ]:
                    self.drop_subscription(other)
                self.leave(scope, node)

    def rearm_or_drop(self, sub: Subscription, process: CompiledProcess) -> None:
        if sub.kind != "timer":
            return  # non-interrupting message/signal/condition catches stay armed
        definition = process.event[sub.node]
        assert definition is not None and definition.timer is not None and sub.due is not None
        sub.fired += 1
        assert sub.armed_at is not None
        due = next_due(
            definition.timer.kind, definition.timer.text, sub.armed_at, sub.fired, sub.due
        )
        if due is None:
            self.drop_subscription(sub)
        else:
            sub.due = due
            self.effects.append(("timer", sub.id, process.ids[sub.node], due))

    def start_event_subprocess(
        self, scope: Scope, esp: int, start: int, sub: Subscription | None
    ) -> None:
        process = self.process_of(scope)
        interrupting = process.nodes[start].is_interrupting
        if interrupting:
            if sub is not None:
                self.drop_subscription(sub)
            self.clear_scope(scope)
        elif sub is not None:
            self.rearm_or_drop(sub, process)
        activity = self.new_activity(esp, scope, A_SUB, ACTIVE)
        child = Scope(
            self.state.new_id(),
            scope.process,
            esp,
            scope.id,
            activity.id,
            None,
            scope.owner,
            scope.local,
        )
        self.state.scopes[child.id] = child
        activity.child = child.id
        self.start_scope(child, esp, start)

    def throw_event(self, scope: Scope, node: int) -> None:
        process = self.process_of(scope)
        definition = process.event[node]
        if definition is not None:
            kind = definition.kind
            if kind == "link":
                target = process.link_targets.get((scope.node, definition.ref or ""))
                if target is None:
                    element = process.ids[node]
                    raise Incident(
                        f"{element}: no link catch event named {definition.ref!r}", element
                    )
                self.leave(scope, target)
                return
            if kind == "message":
                self.send_message(definition.ref or process.ids[node], {})
            elif kind == "signal":
                self.signals.append(definition.ref or process.ids[node])
            elif kind == "escalation":
                self.throw(scope, "escalation", definition.ref, process.ids[node])
            elif kind == "error":
                self.throw(scope, "error", definition.ref, process.ids[node])
                return
            elif kind != "none":
                element = process.ids[node]
                raise Incident(f"{element}: a {kind} event cannot be thrown", element)
        self.finish_activity(scope, node)

    def end_event(self, scope: Scope, node: int) -> None:
        process = self.process_of(scope)
        definition = process.event[node]
        if process.cancels[node]:
            self.cancel_elements(scope, process.cancels[node])
        if definition is None:
            return
        kind = definition.kind
        if kind == "terminate":
            if scope.id == self.state.root:
                self.terminate_case(COMPLETED)
            else:
                self.clear_scope(scope)
        elif kind == "message":
            self.send_message(definition.ref or process.ids[node], {})
        elif kind == "signal":
            self.signals.append(definition.ref or process.ids[node])
        elif kind in ("error", "escalation"):
            self.throw(scope, kind, definition.ref, process.ids[node])
        else:
            element = process.ids[node]
            raise Incident(f"{element}: a {kind} end event cannot be executed", element)

    def throw(self, scope: Scope, kind: str, code: str | None, element: str) -> None:
        """Propagate an error or escalation outwards to the nearest handler."""
        state = self.state
        cursor: Scope | None = scope
        while cursor is not None:
            process = self.process_of(cursor)
            handler = self.find_event_subprocess(process, cursor.node, kind, code)
            if handler is not None:
                esp, start = handler
                self.start_event_subprocess(cursor, esp, start, None)
                return
            owner = state.activities.get(cursor.activity)
            if owner is None:
                break
            if owner.parent >= 0:
                owner = state.activities.get(owner.parent, owner)
            owner_scope = state.scopes[owner.scope]
            owner_process = self.process_of(owner_scope)
            boundary = self.find_boundary(owner_process, owner.node, kind, code)
            if boundary is not None:
                interrupting = owner_process.nodes[boundary].cancel_activity
                if interrupting or kind == "error":
                    self.withdraw(owner)
                self.leave(owner_scope, boundary)
                return
            if kind == "escalation":
                cursor = owner_scope
                continue
            self.withdraw(owner)
            cursor = owner_scope
        if kind == "error":
            raise Incident(f"{element}: error {code or '(no code)'} was not caught", element)

    @staticmethod
    def find_event_subprocess(
        process: CompiledProcess, scope_node: int, kind: str, code: str | None
    ) -> tuple[int, int] | None:
        fallback = None
        for esp in process.event_subprocesses.get(scope_node, ()):
            for start in process.nodes_by_parent.get(esp, ()):
                definition = process.event[start]
                if process.kind[start] != K.START or definition is None or definition.kind != kind:
                    continue
                if definition.ref == code and code is not None:
                    return esp, start
                if definition.ref is None and fallback is None:
                    fallback = (esp, start)
        return fallback

    @staticmethod
    def find_boundary(
        process: CompiledProcess, activity_node: int, kind: str, code: str | None
    ) -> int | None:
        fallback = None
        for boundary in process.boundaries[activity_node]:
            definition = process.event[boundary]
            if definition is None or definition.kind != kind:
                continue
            if definition.ref == code and code is not None:
                return boundary
            if definition.ref is None and fallback is None:
                fallback = boundary
        return fallback

    def send_message(self, name: str, data: dict[str, Any]) -> None:
        """A message to this case: the oldest waiting catch takes it, else it is kept."""
        state = self.state
        for sub in state.subscriptions.values():
            if sub.kind == "message" and sub.key == name:
                waiting = [s for s in self.ready if s[0] == sub.id]
                if waiting:
                    continue
                self.ready.append((sub.id, data))
                return
        state.messages.append((name, copy.deepcopy(data)))

    def broadcast(self, name: str) -> None:
        """A signal: every catch waiting for it now fires; nobody waiting means it is lost."""
        state = self.state
        for sub in [
            s for s in state.subscriptions.values() if s.kind == "signal" and s.key == name
        ]:
            if sub.id in state.subscriptions:
                self.trigger(sub, None)

    def terminate_case(self, status: str) -> None:
        state = self.state
        for activity in list(state.activities.values()):
            if activity.id in state.activities:
                self.withdraw(activity)
        for scope in state.scopes.values():
            scope.tokens.clear()
        for sub in list(state.subscriptions.values()):
            self.drop_subscription(sub)
        state.locks.clear()
        state.rounds.clear()
        state.status = status
        self.effects.append(("case", status))

    # ------------------------------------------------------------------ joins
    def live_positions(self, scope: Scope, exclude: tuple[int, ...]) -> list[int]:
        """Nodes where something in ``scope`` is (tokens, activities, waits), for reachability."""
        process = self.process_of(scope)
        positions = [
            process.flow_target[f] for f, n in scope.tokens.items() if n and f not in exclude
        ]
        state = self.state
        for activity in state.activities.values():
            if activity.scope == scope.id and activity.parent < 0:
                positions.append(activity.node)
        for sub in state.subscriptions.values():
            if sub.scope == scope.id and sub.alive and sub.activity < 0:
                positions.append(sub.node)
        return positions

    def settle_joins(self, scope: Scope, process: CompiledProcess) -> bool:
        kinds = process.kind
        waiting = {process.flow_target[f] for f in scope.tokens}
        for key in self.state.rounds:
            scope_part, node_part = key.split(":")
            if int(scope_part) == scope.id:
                waiting.add(int(node_part))
        for node in sorted(waiting):
            if kinds[node] == K.OR and len(process.incoming[node]) > 1:
                if self.settle_or_join(scope, process, node):
                    return True
            elif kinds[node] == K.COMPLEX and self.settle_complex(scope, process, node):
                return True
        return False

    def could_arrive(
        self, scope: Scope, process: CompiledProcess, node: int, flows: list[int]
    ) -> bool:
        """Could a token in ``scope`` still reach one of ``flows`` into ``node``, not through it?"""
        positions = self.live_positions(scope, process.incoming[node])
        if not positions or not flows:
            return False
        return bool(
            accelerators.upstream_reaches(
                process.indptr,
                process.indices,
                positions,
                node,
                [process.flow_source[f] for f in flows],
            )
        )

    def settle_or_join(self, scope: Scope, process: CompiledProcess, node: int) -> bool:
        tokens = scope.tokens
        incoming = process.incoming[node]
        marked = [f for f in incoming if tokens.get(f, 0)]
        if not marked:
            return False
        empty = [f for f in incoming if not tokens.get(f, 0)]
        if empty and self.could_arrive(scope, process, node, empty):
            return False
        for flow in marked:
            self.take(scope, flow)
        self.route(scope, node, "inclusive")
        return True

    def settle_complex(self, scope: Scope, process: CompiledProcess, node: int) -> bool:
        state = self.state
        key = f"{scope.id}:{node}"
        round_ = state.rounds.setdefault(key, {"arrived": [], "fired": False})
        arrived: list[int] = round_["arrived"]
        tokens = scope.tokens
        incoming = process.incoming[node]
        changed = False
        for flow in incoming:
            if tokens.get(flow, 0) and flow not in arrived:
                self.take(scope, flow)
                arrived.append(flow)
                changed = True
        need = process.activation_count[node]
        element = process.ids[node]
        if not round_["fired"] and len(arrived) >= need:
            round_["fired"] = True
            if process.cancel_remaining[node]:
                # Before routing on: the continuation's own tokens are not "remaining branches",
                # even where a loop leads them back to this gateway's inputs.
                self.cancel_upstream(
                    scope, process, node, [f for f in incoming if f not in arrived]
                )
                del state.rounds[key]  # the remaining branches are gone: the join resets now
            self.route(scope, node, "inclusive")
            return True
        missing = [f for f in incoming if f not in arrived]
        if not self.could_arrive(scope, process, node, missing):
            if round_["fired"]:
                del state.rounds[key]
                if any(tokens.get(f, 0) for f in incoming):
                    self.queue.append((scope.id, node))  # held tokens open the next round
                return True
            if arrived:
                raise Incident(
                    f"{element}: only {len(arrived)} of the {need} inputs it waits for can arrive",
                    element,
                )
            del state.rounds[key]
            return changed
        return changed

    def cancel_upstream(
        self, scope: Scope, process: CompiledProcess, node: int, inputs: list[int]
    ) -> None:
        """Withdraw what in ``scope`` could still reach ``inputs`` of ``node`` (cancelling join)."""
        sources = {process.flow_source[f] for f in inputs}
        state = self.state

        def feeds(position: int) -> bool:
            seen = process.can_reach([position], node)
            return any(seen[s] for s in sources)

        for flow in [f for f in scope.tokens if f not in process.incoming[node]]:
            if feeds(process.flow_target[flow]):
                del scope.tokens[flow]
        for flow in inputs:
            scope.tokens.pop(flow, None)
        for activity in [
            a for a in state.activities.values() if a.scope == scope.id and a.parent < 0
        ]:
            if activity.id in state.activities and feeds(activity.node):
                self.withdraw(activity)
        for sub in [
            s
            for s in state.subscriptions.values()
            if s.scope == scope.id and s.activity < 0 and s.alive
        ]:
            if feeds(sub.node):
                self.drop_subscription(sub)
        self.dirty.add(scope.id)

    # ---------------------------------------------------- mutex, interleaving, milestones
    def lock_chain(self, activity: Activity) -> list[tuple[str, int]]:
        """The locks starting ``activity`` would take: (lock key, holder activity id)."""
        state = self.state
        chain: list[tuple[str, int]] = []
        scope = state.scopes[activity.scope]
        process = self.process_of(scope)
        mutex = process.mutex[activity.node]
        if mutex:
            chain.append((f"mutex:{mutex}", activity.id))
        path = activity if activity.parent < 0 else state.activities.get(activity.parent, activity)
        while scope.activity >= 0:
            owner = state.activities.get(scope.activity)
            if owner is None:
                break
            owner_scope = state.scopes[owner.scope]
            owner_process = self.process_of(owner_scope)
            element = owner_process.nodes[owner.node]
            if (
                element.type == "adHocSubProcess"
                and (element.ordering or "").lower() == "sequential"
            ):
                chain.append((f"adhoc:{owner.id}", path.id))
            if owner.parent >= 0:
                owner = state.activities.get(owner.parent, owner)
            owner_mutex = owner_process.mutex[owner.node]
            if owner_mutex:
                chain.append((f"mutex:{owner_mutex}", owner.id))
            path = owner
            scope = owner_scope
        return chain

    def locks_free(self, chain: list[tuple[str, int]]) -> bool:
        locks = self.state.locks
        return all(locks.get(key, holder) == holder for key, holder in chain)

    def milestone_holds(self, process: CompiledProcess, node: int) -> bool:
        target = process.enabled_while[node]
        return any(
            a.node == target
            and a.kind == A_WORK
            and a.status in (OPEN, STARTED)
            and self.process_of(self.state.scopes[a.scope]) is process
            for a in self.state.activities.values()
        )

    def refresh_item(self, activity: Activity) -> bool:
        """Recompute whether a not-yet-started work item is open or withheld; True if changed."""
        if activity.status == STARTED:
            return False
        scope = self.state.scopes[activity.scope]
        process = self.process_of(scope)
        allowed = True
        if process.enabled_while[activity.node] >= 0:
            allowed = self.milestone_holds(process, activity.node)
            if allowed:
                activity.flags |= MILESTONE_REACHED
        if allowed and process.has_constraints:
            allowed = self.locks_free(self.lock_chain(activity))
        status = OPEN if allowed else WITHHELD
        if status != activity.status:
            activity.status = status
            return True
        return False

    def settle_locks_and_milestones(self) -> bool:
        if not self.engine.constrained:
            return False
        state = self.state
        changed = False
        for activity in [a for a in state.activities.values() if a.kind == A_WORK]:
            if activity.id not in state.activities or activity.status == ACTIVE:
                continue
            scope = state.scopes[activity.scope]
            process = self.process_of(scope)
            if process.enabled_while[activity.node] >= 0:
                holds = self.milestone_holds(process, activity.node)
                if not holds and (
                    activity.flags & MILESTONE_REACHED
                    or not self.milestone_reachable(scope, process, activity)
                ):
                    self.skip(activity)  # the milestone has passed: the task is skipped
                    return True
            if (process.has_constraints or process.enabled_while[activity.node] >= 0) and (
                self.refresh_item(activity)
            ):
                changed = True
        return changed

    def milestone_reachable(
        self, scope: Scope, process: CompiledProcess, activity: Activity
    ) -> bool:
        target = process.enabled_while[activity.node]
        positions = [p for p in self.live_positions(scope, ()) if p != activity.node]
        if not positions:
            return False
        return bool(process.can_reach(positions, -1)[target])

    def skip(self, activity: Activity) -> None:
        state = self.state
        scope = state.scopes[activity.scope]
        self.withdraw(activity)
        if activity.parent >= 0:
            self.instance_done(activity, withdrawn=True)
        else:
            self.finish_activity(scope, activity.node)

    # ------------------------------------------------------------------ events from outside
    def check(self, event: Mapping[str, Any]) -> Any:
        """Validate ``event`` against the state; return the action that applies it."""
        state = self.state
        if not isinstance(event, Mapping) or not event:
            raise Rejected("invalid_event", 'an event is a JSON object such as {"complete": "B"}')
        element = event.get("complete")
        if isinstance(element, str) and element and state.status == RUNNING and "item" not in event:
            data = event.get("data")
            if data is None or isinstance(data, dict):
                # The common event first: the oldest open item of the element (insertion order).
                scopes = state.scopes
                for activity in state.activities.values():
                    if (
                        activity.kind == A_WORK
                        and (activity.status == OPEN or activity.status == STARTED)
                        and self.process_of(scopes[activity.scope]).ids[activity.node] == element
                    ):
                        return partial(self.complete_item, activity, dict(data or {}))
                return self.check_element_event("complete", element, dict(data or {}))
        if "advance" in event:
            text = event["advance"]
            if not isinstance(text, str):
                raise Rejected("invalid_event", "advance takes an ISO-8601 duration such as P2D")
            try:
                duration = parse_duration(text)
            except TimerError as error:
                raise Rejected("invalid_event", str(error)) from None
            self.require_running()
            return lambda: self.advance(duration.add_to(state.clock))
        if event.get("cancel_case"):
            self.require_running()
            return lambda: self.terminate_case(CANCELLED)
        data = event.get("data")
        if data is not None and not isinstance(data, dict):
            raise Rejected("invalid_event", "data must be a JSON object")
        if "message" in event:
            name = event["message"]
            if not isinstance(name, str) or not name:
                raise Rejected("invalid_event", "message takes the message name")
            self.require_running()
            return lambda: self.send_message(name, dict(data or {}))
        if "signal" in event:
            name = event["signal"]
            if not isinstance(name, str) or not name:
                raise Rejected("invalid_event", "signal takes the signal name")
            self.require_running()
            return lambda: self.signals.append(name)
        if "timer" in event:
            element = event["timer"]
            self.require_running()
            timer = self.find_timer(element, event.get("subscription"))
            return lambda: self.fire_timer(timer)
        if "job_done" in event:
            self.require_running()
            job = (
                state.activities.get(event["job_done"])
                if isinstance(event["job_done"], int)
                else None
            )
            if job is None or job.kind != A_JOB:
                raise Rejected("no_job", f"no service task job {event['job_done']!r} is waiting")
            return lambda: self.complete_activity(job, dict(data or {}))
        for verb in (
            "complete",
            "start",
            "cancel",
            "add_instance",
            "close_instances",
            "force_complete",
        ):
            if verb in event:
                element = event[verb]
                if not isinstance(element, str) or not element:
                    raise Rejected("invalid_event", f"{verb} takes an element id")
                self.require_running()
                item = event.get("item")
                if item is not None and (isinstance(item, bool) or not isinstance(item, int)):
                    raise Rejected("invalid_event", "item takes a work item id")
                return self.check_element_event(verb, element, dict(data or {}), item)
        raise Rejected("invalid_event", f"unknown event {sorted(event)!r}")

    def require_running(self) -> None:
        if self.state.status != RUNNING:
            raise Rejected("not_running", f"the case is {self.state.status}")

    def items_of(self, element: str, statuses: tuple[str, ...]) -> list[Activity]:
        """Work items of ``element`` in these statuses, oldest first."""
        state = self.state
        found = []
        for activity in state.activities.values():
            if activity.kind != A_WORK or activity.status not in statuses:
                continue
            if self.process_of(state.scopes[activity.scope]).ids[activity.node] == element:
                found.append(activity)
        return found  # dicts keep insertion order, and ids grow: oldest first

    def bodies_of(self, element: str) -> list[Activity]:
        state = self.state
        found = [
            a
            for a in state.activities.values()
            if a.kind == A_MI and self.process_of(state.scopes[a.scope]).ids[a.node] == element
        ]
        return sorted(found, key=lambda a: a.seq)

    def check_element_event(
        self, verb: str, element: str, data: dict[str, Any], item_id: int | None = None
    ) -> Any:
        if verb in ("complete", "start", "cancel"):
            wanted = (OPEN,) if verb == "start" else (OPEN, STARTED)
            items = self.items_of(element, wanted)
            if item_id is not None:
                items = [item for item in items if item.id == item_id]
            if not items:
                withheld = self.items_of(element, (WITHHELD,))
                reason = "it is withheld" if withheld else "there is none"
                what = "not started " if verb == "start" else ""
                raise Rejected("no_open_item", f"no open {what}work item of {element} ({reason})")
            item = items[0]
            if verb == "complete":
                return lambda: self.complete_item(item, data)
            if verb == "start":
                return lambda: self.start_item(item)
            return lambda: self.cancel_item(item)
        bodies = self.bodies_of(element)
        if not bodies:
            raise Rejected("not_multi_instance", f"{element} has no running multiple instances")
        body = bodies[0]
        assert body.mi is not None
        if verb == "force_complete":
            return lambda: self.end_multi_instance(body)
        process = self.process_of(self.state.scopes[body.scope])
        spec = process.nodes[body.node].multi_instance
        assert spec is not None
        if not spec.dynamic:
            raise Rejected("not_dynamic", f"{element} does not take instances at run time")
        if body.mi["closed"]:
            raise Rejected("closed", f"{element} takes no more instances")
        if verb == "add_instance":
            return lambda: self.add_instance(body, data)
        return lambda: self.close_instances(body)

    def start_item(self, item: Activity) -> None:
        state = self.state
        item.status = STARTED
        if self.engine.constrained:
            for key, holder in self.lock_chain(item):
                state.locks[key] = holder
        if item.group >= 0:
            self.withdraw_group(item.group, keep_activity=item.id)
        self.effects.append(("started", item.id))

    def complete_item(self, item: Activity, data: dict[str, Any]) -> None:
        if item.status == OPEN:
            self.start_item(item)
        self.complete_activity(item, data)

    def cancel_item(self, item: Activity) -> None:
        self.withdraw(item)
        if item.parent >= 0:
            self.instance_done(item, withdrawn=True)

    def add_instance(self, body: Activity, data: dict[str, Any]) -> None:
        mi = body.mi
        assert mi is not None
        mi["total"] += 1
        scope = self.state.scopes[body.scope]
        if mi["sequential"] and mi["active"] > 0:
            mi.setdefault("pending", []).append(data or None)
            return
        self.spawn_instance(body, scope, data or None)

    def close_instances(self, body: Activity) -> None:
        mi = body.mi
        assert mi is not None
        mi["closed"] = True
        if mi["active"] == 0 and mi["next"] >= mi["total"]:
            self.end_multi_instance(body)

    def find_timer(self, element: Any, subscription: Any = None) -> Subscription:
        if not isinstance(element, str):
            raise Rejected("invalid_event", "timer takes an element id")
        timers = [
            s
            for s in self.state.subscriptions.values()
            if s.kind == "timer"
            and s.key == element
            and (subscription is None or s.id == subscription)
        ]
        if not timers:
            raise Rejected("timer_not_armed", f"no timer of {element} is armed")
        return min(timers, key=lambda s: s.seq)

    def fire_timer(self, sub: Subscription) -> None:
        self.effects.append(("timer_fired", sub.id, sub.key))
        self.trigger(sub, None)

    def advance(self, until: datetime) -> None:
        state = self.state
        while state.status == RUNNING:
            due = [
                s
                for s in state.subscriptions.values()
                if s.kind == "timer" and s.due is not None and s.due <= until
            ]
            if not due:
                break
            timer = min(due, key=lambda s: (s.due, s.seq))
            assert timer.due is not None
            if timer.due > state.clock:
                state.clock = timer.due
            self.fire_timer(timer)
            self.run()
        if until > state.clock:
            state.clock = until


def work_items(engine: Engine, state: CaseState) -> list[tuple[int, str, str]]:
    """Every work item of the case that is not finished: (item id, element id, status)."""
    items = []
    for activity in state.activities.values():
        if activity.kind == A_WORK and activity.status in (OPEN, STARTED, WITHHELD):
            element = engine.compiled(state.scopes[activity.scope].process).ids[activity.node]
            items.append((activity.id, element, activity.status))
    return items


def armed_timers(state: CaseState) -> list[tuple[int, str, datetime]]:
    """Every armed timer: (subscription id, element id, due time)."""
    return [
        (sub.id, sub.key, sub.due)
        for sub in state.subscriptions.values()
        if sub.kind == "timer" and sub.due is not None
    ]


def waiting_jobs(engine: Engine, state: CaseState) -> list[tuple[int, str]]:
    """Service-task jobs the case waits for: (activity id, element id)."""
    return [
        (a.id, engine.compiled(state.scopes[a.scope].process).ids[a.node])
        for a in state.activities.values()
        if a.kind == A_JOB
    ]


def snapshot(engine: Engine, state: CaseState) -> dict[str, Any]:
    """The externally visible summary of a case (the fields of an ``itinera play`` line)."""
    open_items: dict[str, int] = {}
    started: dict[str, int] = {}
    for activity in state.activities.values():
        if activity.kind != A_WORK or activity.status not in (OPEN, STARTED):
            continue
        element = engine.compiled(state.scopes[activity.scope].process).ids[activity.node]
        open_items[element] = open_items.get(element, 0) + 1
        if activity.status == STARTED:
            started[element] = started.get(element, 0) + 1
    waiting = sorted(
        {
            f"{sub.kind}:{sub.key}"
            for sub in state.subscriptions.values()
            if sub.kind != "conditional"
        }
    )
    return {
        "state": state.status,
        "open": dict(sorted(open_items.items())),
        "started": dict(sorted(started.items())),
        "log": dict(sorted(state.log.items())),
        "waiting": waiting,
        "data": copy.deepcopy(state.data),
    }


__all__ = [
    "Effect",
    "Engine",
    "Incident",
    "Rejected",
    "armed_timers",
    "snapshot",
    "waiting_jobs",
    "work_items",
]
