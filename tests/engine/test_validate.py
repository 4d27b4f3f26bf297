from __future__ import annotations

import time
from pathlib import Path

import pytest

from processes.bpmn.importer import import_definitions
from processes.engine.model import Definitions, Finding, Flow, Node, Process
from processes.engine.validate import has_errors, validate
from tests.patterns.support import bpmn, chain, flow, tasks

DEMO_FILES = sorted((Path(__file__).resolve().parents[2] / "processes" / "demo").glob("*.bpmn"))
MIWG = Path(__file__).resolve().parents[3] / "shared" / "conformance" / "bpmn-miwg" / "Reference"
MIWG_FILES = sorted(MIWG.glob("*.bpmn")) if MIWG.is_dir() else []
miwg = pytest.mark.skipif(not MIWG_FILES, reason="the MIWG suite is not beside this checkout")

START = '<startEvent id="S"/>'
END = '<endEvent id="E"/>'


def check(body: str, **kwargs: str) -> list[Finding]:
    return validate(import_definitions(bpmn(body, **kwargs)))


def found(body: str, **kwargs: str) -> set[tuple[str, str | None]]:
    """(code, element id) of every finding."""
    return {(finding.code, finding.element_id) for finding in check(body, **kwargs)}


def of_code(findings: list[Finding], code: str) -> list[Finding]:
    return [finding for finding in findings if finding.code == code]


def gateway(kind: str, gateway_id: str, default: str | None = None, extra: str = "") -> str:
    attribute = f' default="{default}"' if default else ""
    return f'<{kind} id="{gateway_id}"{attribute}{extra}/>'


def timer_event(event_id: str, timer: str) -> str:
    return (
        f'<intermediateCatchEvent id="{event_id}"><timerEventDefinition>{timer}'
        "</timerEventDefinition></intermediateCatchEvent>"
    )


def message_catch(event_id: str) -> str:
    return (
        f'<intermediateCatchEvent id="{event_id}"><messageEventDefinition messageRef="M"/>'
        "</intermediateCatchEvent>"
    )


MESSAGE = '<message id="M" name="paid"/>'


# Clean models ----------------------------------------------------------------------------------


def test_structured_choices_and_parallel_blocks_are_clean() -> None:
    body = "\n".join(
        [
            START,
            END,
            tasks("A", "B", "C", "D", "E1"),
            gateway("exclusiveGateway", "X", default="fx2"),
            gateway("exclusiveGateway", "XM"),
            gateway("parallelGateway", "Fork"),
            gateway("parallelGateway", "PJ"),
            gateway("inclusiveGateway", "O", default="fo2"),
            gateway("inclusiveGateway", "OJ"),
            chain("S", "A", "X"),
            flow("X", "B", "amount > 100", flow_id="fx1"),
            flow("X", "C", flow_id="fx2"),
            chain("B", "XM"),
            chain("C", "XM", "Fork"),
            chain("Fork", "D", "PJ"),
            chain("Fork", "E1", "PJ", "O"),
            flow("O", "OJ", "urgent", flow_id="fo1"),
            flow("O", "OJ", flow_id="fo2"),
            chain("OJ", "E"),
        ]
    )
    assert check(body) == []


def test_loop_with_an_exit_is_clean() -> None:
    body = "\n".join(
        [
            START,
            END,
            tasks("Review", "Clarify"),
            gateway("exclusiveGateway", "Ok", default="fok"),
            chain("S", "Review", "Ok"),
            flow("Ok", "Clarify", "not receipts_ok"),
            flow("Ok", "E", flow_id="fok"),
            chain("Clarify", "Review"),
        ]
    )
    assert check(body) == []


def test_sourceless_elements_start_a_process_without_start_event() -> None:
    assert check(tasks("A", "B") + chain("A", "B")) == []


@pytest.mark.parametrize("path", DEMO_FILES, ids=lambda p: p.name)
def test_demo_journeys_have_no_errors(path: Path) -> None:
    findings = validate(import_definitions(path.read_bytes()))
    assert not has_errors(findings), findings


@miwg
@pytest.mark.parametrize("path", MIWG_FILES, ids=lambda p: p.name)
def test_reference_models_validate(path: Path) -> None:
    definitions = import_definitions(path.read_bytes())
    findings = validate(definitions)
    assert set(definitions.findings) <= set(findings)
    severities = [finding.severity for finding in findings]
    assert severities == sorted(severities, key=lambda severity: severity != "error")


# Reachability ------------------------------------------------------------------------------------


def test_element_no_start_reaches_is_unreachable() -> None:
    body = START + END + tasks("A", "Orphan", "After") + chain("S", "A", "E")
    body += chain("Orphan", "After")
    assert {f.element_id for f in of_code(check(body), "unreachable")} == {"Orphan", "After"}


def test_boundary_events_are_reached_through_their_activity() -> None:
    body = (
        START
        + END
        + tasks("A", "Late")
        + '<boundaryEvent id="T" attachedToRef="A"><timerEventDefinition>'
        "<timeDuration>PT1H</timeDuration></timerEventDefinition></boundaryEvent>"
        + chain("S", "A", "E")
        + chain("T", "Late")
    )
    assert check(body) == []


def test_link_catch_is_reached_from_the_link_throw_of_the_same_name() -> None:
    def link(kind: str, event_id: str, name: str) -> str:
        return f'<{kind} id="{event_id}"><linkEventDefinition name="{name}"/></{kind}>'

    body = (
        START
        + END
        + tasks("A", "B")
        + link("intermediateThrowEvent", "Go", "jump")
        + link("intermediateCatchEvent", "Land", "jump")
        + chain("S", "A", "Go")
        + chain("Land", "B", "E")
    )
    assert check(body) == []
    lost = body.replace(
        'name="jump"/></intermediateCatchEvent>', 'name="other"/></intermediateCatchEvent>'
    )
    findings = {f.element_id: f.message for f in of_code(check(lost), "unreachable")}
    assert set(findings) == {"Land", "B", "E"}
    assert "'other'" in findings["Land"]


def test_loop_without_exit_has_no_path_to_end() -> None:
    body = START + tasks("A", "B") + chain("S", "A", "B", "A")
    assert {f.element_id for f in of_code(check(body), "no-path-to-end")} == {"S", "A", "B"}


def test_only_the_elements_caught_in_a_loop_have_no_path_to_end() -> None:
    body = (
        START
        + END
        + tasks("A", "B", "C")
        + gateway("exclusiveGateway", "X", default="fout")
        + chain("S", "A", "X")
        + flow("X", "E", flow_id="fout")
        + flow("X", "B", "retry")
        + chain("B", "C", "B")
    )
    assert {f.element_id for f in of_code(check(body), "no-path-to-end")} == {"B", "C"}


def test_no_start_event_when_every_element_has_an_incoming_flow() -> None:
    findings = check(tasks("A", "B") + chain("A", "B", "A"))
    assert [(f.code, f.element_id) for f in of_code(findings, "no-start-event")] == [
        ("no-start-event", "P")
    ]
    assert not of_code(findings, "unreachable")


def test_sub_process_bodies_are_checked_as_their_own_scope() -> None:
    inner = '<startEvent id="IS"/><endEvent id="IE"/>' + tasks("I1", "Stray")
    inner += chain("IS", "I1", "IE")
    body = START + END + f'<subProcess id="Sub">{inner}</subProcess>' + chain("S", "Sub", "E")
    assert found(body) == {("unreachable", "Stray")}


def test_sub_process_without_a_way_in_has_no_start_event() -> None:
    inner = tasks("I1", "I2") + chain("I1", "I2", "I1")
    body = START + END + f'<subProcess id="Sub">{inner}</subProcess>' + chain("S", "Sub", "E")
    assert ("no-start-event", "Sub") in found(body)


def test_event_sub_process_is_an_entry_of_its_own() -> None:
    inner = (
        '<startEvent id="ES"><messageEventDefinition messageRef="M"/></startEvent>'
        '<endEvent id="EE"/>' + tasks("Handle") + chain("ES", "Handle", "EE")
    )
    body = (
        START
        + END
        + tasks("A")
        + f'<subProcess id="Events" triggeredByEvent="true">{inner}</subProcess>'
        + chain("S", "A", "E")
    )
    assert check(body, extra=MESSAGE) == []


# Ids and flows -----------------------------------------------------------------------------------


def test_duplicate_id_reported_by_import_is_not_repeated() -> None:
    body = START + END + tasks("A", "A") + chain("S", "A", "E")
    duplicates = of_code(check(body), "duplicate-id")
    assert [f.element_id for f in duplicates] == ["A"]


def test_missing_and_duplicate_ids_in_a_model_built_by_hand() -> None:
    process = Process(
        id="P",
        nodes={
            "S": Node(id="S", type="startEvent"),
            "E": Node(id="E", type="endEvent"),
            "x": Node(id="", type="userTask"),
        },
        flows={"S": Flow(id="S", source="S", target="E")},
    )
    findings = validate(Definitions(processes={"P": process}))
    assert ("missing-id", "P") in {(f.code, f.element_id) for f in findings}
    assert ("duplicate-id", "S") in {(f.code, f.element_id) for f in findings}


def test_flow_to_a_missing_element_dangles() -> None:
    body = START + END + chain("S", "E") + flow("S", "Nowhere", flow_id="fx")
    assert ("dangling-flow", "fx") in found(body)


def test_flow_into_a_sub_process_dangles() -> None:
    inner = '<startEvent id="IS"/>' + tasks("I1") + chain("IS", "I1")
    body = (
        START
        + END
        + f'<subProcess id="Sub">{inner}</subProcess>'
        + chain("S", "Sub", "E")
        + flow("S", "I1", flow_id="fx")
    )
    dangling = of_code(check(body), "dangling-flow")
    assert [f.element_id for f in dangling] == ["fx"]
    assert "another (sub-)process" in dangling[0].message


# Gateways and conditions --------------------------------------------------------------------------


def test_gateway_with_one_way_in_and_out_is_useless() -> None:
    body = START + END + gateway("exclusiveGateway", "G") + chain("S", "G", "E")
    findings = check(body)
    assert [(f.severity, f.code, f.element_id) for f in findings] == [
        ("warning", "useless-gateway", "G")
    ]


@pytest.mark.parametrize("kind", ["exclusiveGateway", "inclusiveGateway"])
def test_choice_where_every_flow_has_a_condition_may_fail(kind: str) -> None:
    body = (
        START
        + END
        + tasks("A", "B")
        + gateway(kind, "G")
        + chain("S", "G")
        + flow("G", "A", "x > 1")
        + flow("G", "B", "x < 1")
        + chain("A", "E")
        + chain("B", "E")
    )
    assert found(body) == {("choice-may-fail", "G")}
    with_default = body.replace(f'<{kind} id="G"/>', f'<{kind} id="G" default="fd"/>')
    with_default += flow("G", "E", flow_id="fd")
    assert found(with_default) == set()


def test_activity_with_only_conditional_flows_may_fail() -> None:
    body = (
        START
        + END
        + tasks("A", "B", "C")
        + chain("S", "A")
        + flow("A", "B", "x > 1")
        + flow("A", "C", "x < 1")
        + chain("B", "E")
        + chain("C", "E")
    )
    assert found(body) == {("choice-may-fail", "A")}


def test_condition_on_the_default_flow_is_ignored() -> None:
    body = (
        START
        + END
        + tasks("A", "B")
        + gateway("exclusiveGateway", "G", default="fd")
        + chain("S", "G")
        + flow("G", "A", "x > 1")
        + flow("G", "B", "x < 1", flow_id="fd")
        + chain("A", "E")
        + chain("B", "E")
    )
    findings = check(body)
    assert [(f.code, f.element_id) for f in findings] == [("default-with-condition", "fd")]
    assert "'G'" in findings[0].message


def xor_into_and(split: str = "exclusiveGateway") -> str:
    return (
        START
        + END
        + tasks("A", "B")
        + gateway(split, "X", default="fb" if split == "exclusiveGateway" else None)
        + gateway("parallelGateway", "J")
        + chain("S", "X")
        + flow("X", "A", "x > 1")
        + flow("X", "B", flow_id="fb")
        + chain("A", "J")
        + chain("B", "J", "E")
    )


def test_parallel_join_of_exclusive_branches_deadlocks() -> None:
    findings = check(xor_into_and())
    assert [(f.severity, f.code, f.element_id) for f in findings] == [
        ("error", "parallel-join-after-exclusive", "J")
    ]
    assert "'X'" in findings[0].message


def test_parallel_join_after_a_nested_exclusive_choice_deadlocks() -> None:
    body = (
        START
        + END
        + tasks("A", "B", "C")
        + gateway("exclusiveGateway", "X", default="fo")
        + gateway("exclusiveGateway", "Y", default="fy")
        + gateway("parallelGateway", "J")
        + chain("S", "X")
        + flow("X", "Y", "x > 1")
        + flow("X", "C", flow_id="fo")
        + flow("Y", "A", "y > 1")
        + flow("Y", "B", flow_id="fy")
        + chain("A", "J")
        + chain("C", "J", "E")
        + chain("B", "E")
    )
    joins = of_code(check(body), "parallel-join-after-exclusive")
    assert [f.element_id for f in joins] == ["J"]


def test_parallel_join_after_an_event_based_choice_deadlocks() -> None:
    body = (
        START
        + END
        + message_catch("Paid")
        + timer_event("Late", "<timeDuration>P1D</timeDuration>")
        + gateway("eventBasedGateway", "X")
        + gateway("parallelGateway", "J")
        + chain("S", "X", "Paid", "J", "E")
        + chain("X", "Late", "J")
    )
    assert found(body, extra=MESSAGE) == {("parallel-join-after-exclusive", "J")}


def test_parallel_join_of_a_loop_exit_is_not_a_deadlock() -> None:
    body = (
        START
        + END
        + tasks("A", "B")
        + gateway("parallelGateway", "Fork")
        + gateway("exclusiveGateway", "X", default="fexit")
        + gateway("parallelGateway", "J")
        + chain("S", "Fork", "A", "X")
        + flow("X", "A", "again")
        + flow("X", "J", flow_id="fexit")
        + chain("Fork", "B", "J", "E")
    )
    assert check(body) == []


def test_parallel_join_fed_by_a_loop_that_copies_tokens_is_not_flagged() -> None:
    # Each pass through X may take the other branch, as Fork sends a token back to X.
    body = (
        START
        + END
        + gateway("exclusiveGateway", "M")
        + gateway("exclusiveGateway", "X", default="f2")
        + gateway("parallelGateway", "Fork")
        + gateway("parallelGateway", "J")
        + chain("S", "M", "X")
        + flow("X", "Fork", "more", flow_id="f1")
        + flow("X", "J", flow_id="f2")
        + chain("Fork", "J", "E")
        + chain("Fork", "M")
    )
    assert not of_code(check(body), "parallel-join-after-exclusive")


def test_parallel_join_after_exclusive_fed_twice_from_upstream_is_not_flagged() -> None:
    body = (
        START
        + END
        + tasks("A", "B", "C", "D")
        + gateway("parallelGateway", "Fork")
        + gateway("exclusiveGateway", "M")
        + gateway("exclusiveGateway", "X", default="fd")
        + gateway("parallelGateway", "J")
        + chain("S", "Fork", "A", "M", "X")
        + chain("Fork", "B", "M")
        + flow("X", "C", "x")
        + flow("X", "D", flow_id="fd")
        + chain("C", "J")
        + chain("D", "J", "E")
    )
    assert not of_code(check(body), "parallel-join-after-exclusive")


def test_parallel_split_after_the_choice_is_joined_cleanly() -> None:
    body = (
        START
        + END
        + tasks("A", "B", "C")
        + gateway("exclusiveGateway", "X", default="fc")
        + gateway("parallelGateway", "Fork")
        + gateway("parallelGateway", "J")
        + gateway("exclusiveGateway", "XM")
        + chain("S", "X")
        + flow("X", "Fork", "x")
        + flow("X", "C", flow_id="fc")
        + chain("Fork", "A", "J")
        + chain("Fork", "B", "J", "XM", "E")
        + chain("C", "XM")
    )
    assert check(body) == []


def test_inclusive_join_in_a_loop_no_flow_leaves() -> None:
    body = (
        START
        + tasks("A", "B", "C")
        + gateway("inclusiveGateway", "O")
        + chain("S", "A", "O", "B", "C", "O")
    )
    assert ("or-join-cycle-no-exit", "O") in found(body)
    with_exit = (
        START
        + END
        + tasks("A", "B")
        + gateway("inclusiveGateway", "O")
        + gateway("exclusiveGateway", "X", default="fe")
        + chain("S", "A", "O", "B", "X")
        + flow("X", "O", "again")
        + flow("X", "E", flow_id="fe")
    )
    assert check(with_exit) == []


# Expressions and timers ---------------------------------------------------------------------------


def test_bad_condition_is_reported_on_its_flow() -> None:
    body = (
        START
        + END
        + tasks("A")
        + gateway("exclusiveGateway", "G", default="fd")
        + chain("S", "G")
        + flow("G", "A", "amount >", flow_id="fc")
        + flow("G", "E", flow_id="fd")
        + chain("A", "E")
    )
    findings = of_code(check(body), "bad-expression")
    assert [(f.severity, f.element_id, f.element_type) for f in findings] == [
        ("error", "fc", "sequenceFlow")
    ]
    assert "'amount >'" in findings[0].message


def in_sequence(*elements: str) -> str:
    """A start, the elements (ids N1, N2, ...), an end, in sequence."""
    return (
        START
        + END
        + "".join(elements)
        + chain("S", *[f"N{i}" for i in range(1, len(elements) + 1)], "E")
    )


@pytest.mark.parametrize(
    "element",
    [
        (
            '<task id="N1"><standardLoopCharacteristics><loopCondition>{}</loopCondition>'
            "</standardLoopCharacteristics></task>"
        ),
        (
            '<task id="N1"><multiInstanceLoopCharacteristics><loopCardinality>{}'
            "</loopCardinality></multiInstanceLoopCharacteristics></task>"
        ),
        (
            '<task id="N1"><multiInstanceLoopCharacteristics><loopCardinality>3</loopCardinality>'
            "<completionCondition>{}</completionCondition></multiInstanceLoopCharacteristics>"
            "</task>"
        ),
        (
            '<task id="N1"><multiInstanceLoopCharacteristics itn:dynamic="true" '
            'itn:continueCondition="{}"/></task>'
        ),
        (
            '<adHocSubProcess id="N1"><task id="In"/><completionCondition>{}'
            "</completionCondition></adHocSubProcess>"
        ),
        (
            '<intermediateCatchEvent id="N1"><conditionalEventDefinition><condition>{}'
            "</condition></conditionalEventDefinition></intermediateCatchEvent>"
        ),
    ],
)
def test_every_expression_is_compiled(element: str) -> None:
    assert found(in_sequence(element.format("count &gt;= 3"))) == set()
    findings = of_code(check(in_sequence(element.format("count &gt;="))), "bad-expression")
    assert [f.element_id for f in findings] == ["N1"]
    assert "'count >='" in findings[0].message


def test_constant_cardinality_is_a_valid_expression() -> None:
    element = (
        '<task id="N1"><multiInstanceLoopCharacteristics><loopCardinality>3</loopCardinality>'
        "</multiInstanceLoopCharacteristics></task>"
    )
    assert check(in_sequence(element)) == []


def test_complex_gateway_activation_condition_is_compiled() -> None:
    body = (
        START
        + END
        + tasks("A", "B")
        + gateway("parallelGateway", "Fork")
        + '<complexGateway id="C"><activationCondition>_x</activationCondition></complexGateway>'
        + chain("S", "Fork", "A", "C", "E")
        + chain("Fork", "B", "C")
    )
    assert found(body) == {("bad-expression", "C")}


def test_conditional_event_without_condition() -> None:
    element = (
        '<intermediateCatchEvent id="N1"><conditionalEventDefinition/></intermediateCatchEvent>'
    )
    assert found(in_sequence(element)) == {("bad-expression", "N1")}


@pytest.mark.parametrize(
    ("timer", "valid"),
    [
        ("<timeDuration>PT5M</timeDuration>", True),
        ("<timeDate>2030-01-01T09:00:00Z</timeDate>", True),
        ("<timeCycle>R3/PT1H</timeCycle>", True),
        ("<timeDuration>five minutes</timeDuration>", False),
        ("<timeDate>tomorrow</timeDate>", False),
        ("<timeDuration></timeDuration>", False),
        ("", False),
    ],
)
def test_timers_are_checked(timer: str, valid: bool) -> None:
    findings = of_code(check(in_sequence(timer_event("N1", timer))), "bad-timer")
    assert [(f.severity, f.element_id) for f in findings] == ([] if valid else [("error", "N1")])


# Itinera extensions -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("attributes", "valid"),
    [
        ('itn:sla="P2D" itn:warnAt="0.8" itn:expectedDuration="PT4H"', True),
        ('itn:sla="P2D" itn:warnAt="PT1H"', True),
        ('itn:sla="two days"', False),
        ('itn:expectedDuration=""', False),
        ('itn:warnAt="1.5"', False),
        ('itn:warnAt="0"', False),
        ('itn:mutex="ledger"', True),
        ('itn:mutex=" "', False),
        ('itn:enabledWhile="S"', True),
        ('itn:enabledWhile="Nope"', False),
        ('itn:cancels="S E"', True),
        ('itn:cancels="S Nope"', False),
        ('itn:cancels=""', False),
    ],
)
def test_task_extensions(attributes: str, valid: bool) -> None:
    findings = of_code(check(in_sequence(f'<userTask id="N1" {attributes}/>')), "bad-extension")
    assert [f.element_id for f in findings] == ([] if valid else ["N1"])


def complex_join(attributes: str) -> str:
    return (
        START
        + END
        + tasks("A", "B")
        + gateway("parallelGateway", "Fork")
        + f'<complexGateway id="C" {attributes}/>'
        + chain("S", "Fork", "A", "C", "E")
        + chain("Fork", "B", "C")
    )


@pytest.mark.parametrize(
    ("attributes", "expected"),
    [
        ('itn:activationCount="1" itn:cancelRemaining="true"', []),
        ('itn:activationCount="2" itn:cancelRemaining="false"', []),
        ('itn:activationCount="0"', [("error", "C")]),
        ('itn:activationCount="one"', [("error", "C")]),
        ('itn:activationCount="3"', [("error", "C")]),
        ('itn:activationCount="1" itn:cancelRemaining="yes"', [("error", "C")]),
        ("", [("warning", "C")]),
    ],
)
def test_complex_gateway_extensions(attributes: str, expected: list[tuple[str, str]]) -> None:
    findings = of_code(check(complex_join(attributes)), "bad-extension")
    assert [(f.severity, f.element_id) for f in findings] == expected


@pytest.mark.parametrize(
    ("characteristics", "valid"),
    [
        ("<loopCardinality>n</loopCardinality>", True),
        ('itn:collection="items"', True),
        ('itn:dynamic="true"', True),
        ("", False),
    ],
)
def test_multi_instance_needs_a_number_of_instances(characteristics: str, valid: bool) -> None:
    if characteristics.startswith("itn:"):
        element = f'<task id="N1"><multiInstanceLoopCharacteristics {characteristics}/></task>'
    else:
        element = (
            f'<task id="N1"><multiInstanceLoopCharacteristics>{characteristics}'
            "</multiInstanceLoopCharacteristics></task>"
        )
    findings = of_code(check(in_sequence(element)), "bad-extension")
    assert [(f.severity, f.element_id) for f in findings] == ([] if valid else [("error", "N1")])


# Calls and event-based gateways -----------------------------------------------------------------


def test_call_activity_must_call_a_process_of_the_file() -> None:
    callee = '<process id="Q" isExecutable="true"><task id="QA"/></process>'
    known = in_sequence('<callActivity id="N1" calledElement="Q"/>')
    assert check(known, more_processes=callee) == []
    unknown = in_sequence('<callActivity id="N1" calledElement="Elsewhere"/>')
    findings = of_code(check(unknown), "call-unknown-process")
    assert [(f.severity, f.element_id) for f in findings] == [("error", "N1")]
    assert "'Elsewhere'" in findings[0].message


@pytest.mark.parametrize(
    ("target", "valid"),
    [
        (message_catch("T"), True),
        (timer_event("T", "<timeDuration>P1D</timeDuration>"), True),
        ('<receiveTask id="T" messageRef="M"/>', True),
        ('<userTask id="T"/>', True),
        ('<serviceTask id="T"/>', False),
        ('<intermediateThrowEvent id="T"/>', False),
    ],
)
def test_event_based_gateway_targets(target: str, valid: bool) -> None:
    body = (
        START
        + END
        + message_catch("Paid")
        + target
        + gateway("eventBasedGateway", "G")
        + chain("S", "G", "Paid", "E")
        + chain("G", "T", "E")
    )
    findings = of_code(check(body, extra=MESSAGE), "event-gateway-target")
    assert [(f.element_id, "'T'" in f.message) for f in findings] == (
        [] if valid else [("G", True)]
    )


# Selection, order and speed ---------------------------------------------------------------------


def test_process_id_selects_the_process_and_those_it_calls() -> None:
    looping = tasks("QA", "QB") + chain("QA", "QB", "QA")
    called = f'<process id="Q" isExecutable="true">{looping}</process>'
    dangling = tasks("RA") + flow("RA", "Gone", flow_id="fr")
    other = f'<process id="R" isExecutable="true">{dangling}</process>'
    caller = in_sequence('<callActivity id="N1" calledElement="Q"/>')
    definitions = import_definitions(bpmn(caller, more_processes=called + other))

    def codes(findings: list[Finding]) -> set[tuple[str, str | None]]:
        return {(f.code, f.element_id) for f in findings}

    assert {("no-start-event", "Q"), ("dangling-flow", "fr")} <= codes(validate(definitions))
    selected = codes(validate(definitions, "P"))
    assert ("no-start-event", "Q") in selected
    assert not [code for code, element in selected if element == "fr"]
    with pytest.raises(KeyError):
        validate(definitions, "Missing")


def test_errors_come_first_then_document_order() -> None:
    body = (
        START
        + END
        + gateway("exclusiveGateway", "G1")
        + tasks("A", "Orphan")
        + gateway("exclusiveGateway", "G2")
        + chain("S", "G1", "A", "G2", "E")
    )
    findings = check(body)
    assert [(f.severity, f.code, f.element_id) for f in findings] == [
        ("error", "unreachable", "Orphan"),
        ("warning", "useless-gateway", "G1"),
        ("warning", "useless-gateway", "G2"),
    ]
    assert has_errors(findings)
    assert not has_errors(findings[1:])


def test_a_large_process_validates_quickly() -> None:
    # 60 blocks of five elements: a parallel block and a choice in turn.
    elements = [START, END]
    flows = []
    previous = "S"
    for block in range(60):
        split, a, b, join, after = (f"B{block}_{part}" for part in ("s", "a", "b", "j", "t"))
        kind = "exclusiveGateway" if block % 2 else "parallelGateway"
        elements += [
            gateway(kind, split, default=f"{split}_d" if block % 2 else None),
            tasks(a, b, after),
            gateway(kind, join),
        ]
        if block % 2:
            flows += [flow(split, a, "x > 1"), flow(split, b, flow_id=f"{split}_d")]
        else:
            flows += [chain(split, a), chain(split, b)]
        flows += [chain(previous, split), chain(a, join), chain(b, join, after)]
        previous = after
    flows.append(chain(previous, "E"))
    definitions = import_definitions(bpmn("".join(elements + flows)))
    assert len(definitions.processes["P"].nodes) == 302
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        findings = validate(definitions)
        timings.append(time.perf_counter() - started)
    assert findings == []
    assert min(timings) < 0.1
