"""The engine is deterministic: the same process, state and event give the same result.

Random event scripts run twice, and from copies of intermediate states, must agree line for line;
the compiled and pure-Python kernels must agree as well.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from accelerators import _graph_py
from processes.bpmn.importer import import_definitions
from processes.engine import core
from processes.engine.core import Engine, Rejected, snapshot
from processes.engine.state import state_from_json, state_to_json
from tests.patterns.support import bpmn, chain, flow, tasks

NOW = "2026-01-05T09:00:00Z"
RICH = bpmn(
    '<startEvent id="S"/><parallelGateway id="Split"/><inclusiveGateway id="Or"/>'
    '<inclusiveGateway id="OrJoin"/><complexGateway id="Cx" itn:activationCount="1"/>'
    '<eventBasedGateway id="Ev"/>'
    '<intermediateCatchEvent id="Msg"><messageEventDefinition messageRef="m"/>'
    "</intermediateCatchEvent>"
    '<intermediateCatchEvent id="Tm"><timerEventDefinition><timeDuration>PT1H</timeDuration>'
    "</timerEventDefinition></intermediateCatchEvent>"
    '<userTask id="Many"><multiInstanceLoopCharacteristics itn:dynamic="true"/></userTask>'
    '<boundaryEvent id="Sig" attachedToRef="B" cancelActivity="false"><signalEventDefinition '
    'signalRef="s"/></boundaryEvent>'
    + tasks("A", "B", "C", "D", "F", "G")
    + '<endEvent id="E1"/><endEvent id="E2"/><endEvent id="E3"/><endEvent id="E4"/>'
    + chain("S", "Split")
    + chain("Split", "A", "Or")
    + flow("Or", "B", "x > 1")
    + flow("Or", "C", "x > 2")
    + flow("Or", "D", flow_id="OrDefault")
    + chain("B", "OrJoin")
    + chain("C", "OrJoin")
    + chain("D", "OrJoin")
    + chain("OrJoin", "Cx", "E1")
    + chain("Split", "Ev")
    + chain("Ev", "Msg", "F", "E2")
    + chain("Ev", "Tm", "G", "E3")
    + chain("Split", "Many", "E4")
    + chain("Sig", "Cx"),
    extra='<message id="m" name="go"/><signal id="s" name="ping"/>',
).replace('<inclusiveGateway id="Or"/>', '<inclusiveGateway id="Or" default="OrDefault"/>')

DEMO = Path(__file__).resolve().parents[2] / "processes" / "demo" / "expense-claim.bpmn"
ELEMENTS = ["A", "B", "C", "D", "F", "G", "Many", "Task_Review", "Task_Clarify", "Task_Approve"]
events = st.one_of(
    st.builds(
        lambda e, x: {"complete": e, "data": {"x": x, "total": x * 700, "receipts_ok": x != 2}},
        st.sampled_from(ELEMENTS),
        st.integers(0, 3),
    ),
    st.builds(lambda e: {"start": e}, st.sampled_from(ELEMENTS)),
    st.builds(lambda e: {"cancel": e}, st.sampled_from(ELEMENTS)),
    st.builds(lambda e: {"add_instance": e, "data": {"n": 1}}, st.sampled_from(["Many", "A"])),
    st.builds(lambda e: {"close_instances": e}, st.sampled_from(["Many", "B"])),
    st.builds(lambda e: {"force_complete": e}, st.sampled_from(["Many", "C"])),
    st.just({"message": "go", "data": {"y": 1}}),
    st.just({"signal": "ping"}),
    st.builds(lambda e: {"timer": e}, st.sampled_from(["Tm", "A"])),
    st.builds(lambda d: {"advance": d}, st.sampled_from(["PT30M", "PT1H", "P1D"])),
    st.just({"cancel_case": True}),
)


def play_all(xml: str, script: list[dict[str, Any]]) -> list[tuple[bool, dict[str, Any]]]:
    from datetime import datetime

    engine = Engine(import_definitions(xml))
    state, _ = engine.start({"x": 0}, now=datetime.fromisoformat(NOW))
    lines = [(True, snapshot(engine, state))]
    for event in script:
        before = state.copy()
        try:
            engine.fire(state, event)
            ok = True
        except Rejected:
            ok = False
        replay = before.copy()
        with contextlib.suppress(Rejected):
            engine.fire(replay, event)
        assert snapshot(engine, replay) == snapshot(engine, state), event
        if not ok:
            assert snapshot(engine, before) == snapshot(engine, state), event
        lines.append((ok, snapshot(engine, state)))
    return lines


@settings(max_examples=120, deadline=None)
@given(script=st.lists(events, max_size=25), demo=st.booleans())
def test_same_process_state_and_event_give_the_same_result(
    script: list[dict[str, Any]], demo: bool
) -> None:
    xml = DEMO.read_text() if demo else RICH
    assert play_all(xml, script) == play_all(xml, script)


@settings(max_examples=60, deadline=None)
@given(script=st.lists(events, max_size=25))
def test_compiled_and_pure_python_kernels_agree(script: list[dict[str, Any]]) -> None:
    import accelerators

    compiled = play_all(RICH, script)
    saved = accelerators.upstream_reaches
    try:
        core.accelerators.upstream_reaches = _graph_py.upstream_reaches
        pure = play_all(RICH, script)
    finally:
        core.accelerators.upstream_reaches = saved
    assert compiled == pure


@settings(max_examples=80, deadline=None)
@given(script=st.lists(events, max_size=20), demo=st.booleans())
def test_a_state_stored_as_json_and_loaded_again_behaves_the_same(
    script: list[dict[str, Any]], demo: bool
) -> None:
    import json
    from datetime import datetime

    xml = DEMO.read_text() if demo else RICH
    engine = Engine(import_definitions(xml))
    state, _ = engine.start({"x": 0}, now=datetime.fromisoformat(NOW))
    for event in script:
        stored = json.loads(json.dumps(state_to_json(state)))
        loaded = state_from_json(stored)
        assert snapshot(engine, loaded) == snapshot(engine, state)
        assert state_to_json(loaded) == stored
        outcomes = []
        for target in (state, loaded):
            try:
                engine.fire(target, event)
                outcomes.append(True)
            except Rejected:
                outcomes.append(False)
        assert outcomes[0] == outcomes[1]
        assert snapshot(engine, loaded) == snapshot(engine, state), event
        state = loaded
