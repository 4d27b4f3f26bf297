"""Journeys for the simulation and analytics tests, as BPMN text."""

from __future__ import annotations

from monitoring.simulation.graph import SimGraph, build_graph
from processes.bpmn.importer import import_definitions
from processes.engine.compiled import compile_process

HEADER = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"'
    ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
    ' xmlns:itn="urn:itinera:bpmn:1" id="Defs" targetNamespace="urn:itinera:test">'
)


def process(body: str, *, attributes: str = "") -> str:
    opening = f'<bpmn:process id="P" name="Simulated" isExecutable="true"{attributes}>'
    return f"{HEADER}{opening}{body}</bpmn:process></bpmn:definitions>"


def flow(flow_id: str, source: str, target: str, condition: str = "") -> str:
    if not condition:
        return f'<bpmn:sequenceFlow id="{flow_id}" sourceRef="{source}" targetRef="{target}"/>'
    return (
        f'<bpmn:sequenceFlow id="{flow_id}" sourceRef="{source}" targetRef="{target}">'
        f'<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{condition}'
        "</bpmn:conditionExpression></bpmn:sequenceFlow>"
    )


def sequence(steps: int, *, roles: int = 1, expected: str = "") -> str:
    """Start, ``steps`` user tasks T0.. (role r0, r1, ... in turn), end."""
    duration = f' itn:expectedDuration="{expected}"' if expected else ""
    body = ['<bpmn:startEvent id="S"/>']
    previous = "S"
    for i in range(steps):
        body.append(f'<bpmn:userTask id="T{i}" name="Step {i}" itn:role="r{i % roles}"{duration}/>')
        body.append(flow(f"F{i}", previous, f"T{i}"))
        previous = f"T{i}"
    body.append('<bpmn:endEvent id="E"/>')
    body.append(flow("FE", previous, "E"))
    return process("".join(body))


def choice_and_parallel() -> str:
    """S -> A -> X (B with 'big', else C) -> M -> split (D, F) -> join -> E."""
    return process(
        '<bpmn:startEvent id="S"/>'
        '<bpmn:userTask id="A" name="Capture" itn:role="clerks" itn:expectedDuration="PT10M"/>'
        '<bpmn:exclusiveGateway id="X" default="FC"/>'
        '<bpmn:userTask id="B" name="Big case" itn:role="experts" itn:expectedDuration="PT1H"/>'
        '<bpmn:userTask id="C" name="Small case" itn:role="clerks" itn:expectedDuration="PT5M"/>'
        '<bpmn:exclusiveGateway id="M"/>'
        '<bpmn:parallelGateway id="Split"/>'
        '<bpmn:userTask id="D" name="Check one" itn:role="clerks" itn:expectedDuration="PT20M"/>'
        '<bpmn:serviceTask id="F" name="Check two" itn:expectedDuration="PT30M"/>'
        '<bpmn:parallelGateway id="Join"/>'
        '<bpmn:endEvent id="E"/>'
        + flow("F1", "S", "A")
        + flow("F2", "A", "X")
        + flow("FB", "X", "B", "big")
        + flow("FC", "X", "C")
        + flow("F3", "B", "M")
        + flow("F4", "C", "M")
        + flow("F5", "M", "Split")
        + flow("F6", "Split", "D")
        + flow("F7", "Split", "F")
        + flow("F8", "D", "Join")
        + flow("F9", "F", "Join")
        + flow("F10", "Join", "E"),
        attributes=' itn:sla="PT2H"',
    )


def graph_of(bpmn: str) -> SimGraph:
    definitions = import_definitions(bpmn)
    return build_graph(compile_process(definitions, definitions.executable_process()))
