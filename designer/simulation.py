"""The designer's dry run: the engine's ``play`` semantics one event at a time, no server state.

The browser holds the case's serialized state; each step sends the BPMN it started with, that
state and one event, and gets back the new state and what to draw: the work items that may be
completed, armed timers, messages and signals waited for, and where the tokens are.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final

from processes.bpmn.importer import import_definitions
from processes.bpmn.xml import BpmnSyntaxError
from processes.engine.compiled import CompileError
from processes.engine.core import Engine, Rejected, armed_timers, snapshot, work_items
from processes.engine.core import Incident as EngineIncident
from processes.engine.state import A_MI, CaseState, state_from_json, state_to_json
from processes.engine.timers import TimerError, parse_datetime
from workflow_site.errors import ApplicationError

#: Engines of recently dry-run documents, by the SHA-256 of their text: a step recompiles nothing.
_CACHE_SIZE: Final = 32
_engines: OrderedDict[str, Engine] = OrderedDict()
_lock = threading.Lock()

#: What a state sent back by the browser may fail with when it does not fit the process.
_BAD_STATE_ERRORS: Final = (KeyError, IndexError, TypeError, ValueError, AttributeError)


def _fingerprint(bpmn_xml: str) -> str:
    return hashlib.sha256(bpmn_xml.encode("utf-8", "surrogatepass")).hexdigest()


def engine_for_document(bpmn_xml: str) -> Engine:
    """The engine of a BPMN document (service tasks run inline, as in ``itinera play``).

    A document that is not BPMN is a 400 ``invalid_bpmn``; one the engine cannot compile a 400
    ``invalid_process`` naming the element at fault. Both name ``bpmn_xml``.
    """
    key = _fingerprint(bpmn_xml)
    with _lock:
        engine = _engines.get(key)
        if engine is not None:
            _engines.move_to_end(key)
            return engine
    try:
        engine = Engine(import_definitions(bpmn_xml))
    except BpmnSyntaxError as error:
        raise ApplicationError("invalid_bpmn", str(error), field="bpmn_xml") from None
    except CompileError as error:
        raise ApplicationError(
            "invalid_process",
            f"{error.element_id}: {error.message}",
            field="bpmn_xml",
            details={"element_id": error.element_id},
        ) from None
    except (KeyError, EngineIncident) as error:
        message = error.message if isinstance(error, EngineIncident) else str(error.args[0])
        raise ApplicationError("invalid_process", message, field="bpmn_xml") from None
    with _lock:
        _engines[key] = engine
        while len(_engines) > _CACHE_SIZE:
            _engines.popitem(last=False)
    return engine


def dry_run_start(
    *, bpmn_xml: str, data: Mapping[str, Any] | None = None, now: str | None = None
) -> dict[str, Any]:
    """Start a case of the document's executable process with ``data``; the view of step 0."""
    engine = engine_for_document(bpmn_xml)
    start = datetime.now(UTC)
    if now:
        try:
            start = parse_datetime(now)
        except TimerError as error:
            raise ApplicationError("invalid", f"now: {error}", field="now") from None
    state, effects = engine.start(dict(data or {}), now=start)
    return case_view(engine, state, effects=effects, document=_fingerprint(bpmn_xml))


def dry_run_fire(*, bpmn_xml: str, state: Any, event: Any) -> dict[str, Any]:
    """Apply one ``itinera play`` event to a state the browser sent back.

    A rejected event is ``ok: false`` with the state unchanged, as in ``play``; a state that
    does not belong to this process is a 400 ``invalid_state`` naming ``state``.
    """
    engine = engine_for_document(bpmn_xml)
    if not isinstance(event, Mapping):
        raise ApplicationError("invalid_event", "An event is a JSON object.", field="event")
    document = _fingerprint(bpmn_xml)
    # A state records the diagram it was started on: another diagram's node numbers mean nothing.
    if not isinstance(state, dict) or state.get("document") != document:
        raise _invalid_state()
    case = _case_state(engine, state)
    try:
        effects = engine.fire(case, event)
    except Rejected as rejection:
        view = case_view(engine, _case_state(engine, state), ok=False, error=rejection.message)
        view["state"]["document"] = document
        return view
    except EngineIncident as incident:
        raise ApplicationError(
            "engine_incident", incident.message, details={"element_id": incident.element_id}
        ) from None
    except _BAD_STATE_ERRORS:
        raise _invalid_state() from None
    return case_view(engine, case, effects=effects, document=document)


def _invalid_state() -> ApplicationError:
    return ApplicationError(
        "invalid_state",
        "The dry-run state does not belong to this process; start the dry run again.",
        field="state",
    )


def _case_state(engine: Engine, document: Any) -> CaseState:
    """The state the browser sent, checked against the engine's process before it is used."""
    if not isinstance(document, dict):
        raise _invalid_state()
    try:
        state = state_from_json(document)
        for scope in state.scopes.values():
            process = engine.compiled(scope.process)
            if not all(0 <= flow < len(process.flow_ids) for flow in scope.tokens):
                raise _invalid_state()
        for activity in state.activities.values():
            process = engine.compiled(state.scopes[activity.scope].process)
            if not 0 <= activity.node < len(process.ids):
                raise _invalid_state()
        for sub in state.subscriptions.values():
            process = engine.compiled(state.scopes[sub.scope].process)
            if not 0 <= sub.node < len(process.ids):
                raise _invalid_state()
        if state.root not in state.scopes:
            raise _invalid_state()
    except (*_BAD_STATE_ERRORS, EngineIncident):
        raise _invalid_state() from None
    return state


def case_view(
    engine: Engine,
    state: CaseState,
    *,
    ok: bool = True,
    error: str | None = None,
    effects: list[Any] | tuple[Any, ...] = (),
    document: str = "",
) -> dict[str, Any]:
    """What the designer shows of a dry-run case, and its state to send back with the next event
    (marked with ``document``, the fingerprint of the diagram it runs on)."""
    summary = snapshot(engine, state)
    names = {
        node.id: node.name
        for process in engine.definitions.processes.values()
        for node in process.nodes.values()
    }
    items = [
        {"id": item_id, "element": element, "name": names.get(element, ""), "status": status}
        for item_id, element, status in work_items(engine, state)
    ]
    timers = [
        {"subscription": sub_id, "element": element, "due": due.isoformat()}
        for sub_id, element, due in sorted(armed_timers(state), key=lambda timer: timer[2])
    ]
    tokens: dict[str, int] = {}
    multi_instances = []
    for scope in state.scopes.values():
        process = engine.compiled(scope.process)
        for flow, count in scope.tokens.items():
            if count:
                flow_id = process.flow_ids[flow]
                tokens[flow_id] = tokens.get(flow_id, 0) + count
    for activity in state.activities.values():
        process = engine.compiled(state.scopes[activity.scope].process)
        element = process.ids[activity.node]
        tokens[element] = tokens.get(element, 0) + 1
        if activity.kind == A_MI and activity.mi is not None:
            spec = process.nodes[activity.node].multi_instance
            multi_instances.append(
                {
                    "element": element,
                    "name": names.get(element, ""),
                    "dynamic": bool(spec is not None and spec.dynamic),
                    "closed": bool(activity.mi.get("closed")),
                }
            )
    return {
        "ok": ok,
        "error": error,
        "status": state.status,
        "clock": state.clock.isoformat(),
        "work_items": items,
        "timers": timers,
        "waiting": summary["waiting"],
        "multi_instances": multi_instances,
        "tokens": tokens,
        "open": summary["open"],
        "started": summary["started"],
        "log": summary["log"],
        "data": summary["data"],
        "incidents": list(state.incidents),
        "effects": [str(effect[0]) for effect in effects],
        "state": {**state_to_json(state), "document": document},
    }
