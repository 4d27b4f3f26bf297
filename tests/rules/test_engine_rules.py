"""The engine with rules: flow conditions from condition rules, business rule tasks writing a
table's outputs, assignment rules, incidents for missing or failing rules, validation, import."""

from __future__ import annotations

from typing import Any

from processes.bpmn.exporter import export
from processes.bpmn.importer import import_definitions, load
from processes.engine.core import Engine, snapshot
from processes.engine.validate import validate
from rules.core import StaticRules, compile_rule

NS = (
    'xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:itn="urn:itinera:bpmn:1"'
)

THRESHOLD = compile_rule(
    {
        "kind": "condition",
        "conditions": [{"field": "credit_score", "operator": "gte", "value": 620}],
    }
)
DECISION = compile_rule(
    {
        "kind": "decision_table",
        "hit_policy": "unique",
        "inputs": [
            {"expression": "credit_score", "type": "number"},
            {"expression": "amount", "type": "number"},
        ],
        "outputs": [{"name": "decision", "type": "string"}, {"name": "approver"}],
        "rules": [
            {"inputs": ["< 620", "-"], "outputs": ['"decline"', "null"]},
            {"inputs": [">= 620", "< 500000"], "outputs": ['"approve"', '"officer"']},
            {"inputs": [">= 620", "[500000..]"], "outputs": ['"approve"', '"senior"']},
            {"inputs": ["[900..]", "[1000000..]"], "outputs": ['"refer"', '"board"']},
        ],
    }
)
ASSIGN = compile_rule(
    {
        "kind": "decision_table",
        "hit_policy": "first",
        "inputs": [{"expression": "amount", "type": "number"}],
        "outputs": [{"name": "assignee", "type": "string"}, {"name": "role", "type": "string"}],
        "rules": [
            {"inputs": ["[500000..]"], "outputs": ['"carla"', '"underwriters"']},
            {"inputs": ["-"], "outputs": ["null", '"loan-officers"']},
        ],
    }
)
RULES = StaticRules(
    {"credit-score-threshold": THRESHOLD, "loan-decision": DECISION, "loan-assignment": ASSIGN}
)


def routing_process(extra_flow_attributes: str = 'itn:rule="credit-score-threshold"') -> str:
    return f"""<definitions {NS} id="D" targetNamespace="urn:test">
  <process id="P" isExecutable="true">
    <startEvent id="S"/>
    <exclusiveGateway id="G" default="toManual"/>
    <userTask id="Underwrite" itn:assignmentRule="loan-assignment"/>
    <businessRuleTask id="Decide" itn:rule="loan-decision"/>
    <userTask id="Manual"/>
    <endEvent id="E"/>
    <sequenceFlow id="f1" sourceRef="S" targetRef="G"/>
    <sequenceFlow id="toRule" sourceRef="G" targetRef="Decide" {extra_flow_attributes}/>
    <sequenceFlow id="toManual" sourceRef="G" targetRef="Manual"/>
    <sequenceFlow id="f2" sourceRef="Decide" targetRef="Underwrite"/>
    <sequenceFlow id="f3" sourceRef="Underwrite" targetRef="E"/>
    <sequenceFlow id="f4" sourceRef="Manual" targetRef="E"/>
  </process>
</definitions>"""


def start(xml: str, data: dict[str, Any], rules: Any = RULES) -> tuple[Engine, Any]:
    engine = Engine(import_definitions(xml), rules=rules)
    state, _ = engine.start(data)
    return engine, state


def test_flow_rule_routes_and_business_rule_task_writes_outputs() -> None:
    engine, state = start(routing_process(), {"credit_score": 700, "amount": 600_000})
    seen = snapshot(engine, state)
    assert seen["open"] == {"Underwrite": 1}
    assert seen["data"]["decision"] == "approve"
    assert seen["data"]["approver"] == "senior"
    assert engine.assignment("Underwrite", state.data) == {
        "assignee": "carla",
        "role": "underwriters",
    }
    engine, state = start(routing_process(), {"credit_score": 600, "amount": 10})
    assert snapshot(engine, state)["open"] == {"Manual": 1}
    assert "decision" not in state.data


def test_flow_rule_and_condition_must_both_hold() -> None:
    xml = routing_process(
        'itn:rule="credit-score-threshold"><conditionExpression xsi:type="tFormalExpression">'
        'amount &lt; 100</conditionExpression></sequenceFlow><sequenceFlow id="unused" '
        'sourceRef="Manual" targetRef="E"'
    )
    engine, state = start(xml, {"credit_score": 700, "amount": 600_000})
    assert snapshot(engine, state)["open"] == {"Manual": 1}
    engine, state = start(xml, {"credit_score": 700, "amount": 50})
    assert snapshot(engine, state)["open"] == {"Underwrite": 1}


def test_run_time_hit_policy_violation_is_an_incident() -> None:
    engine, state = start(routing_process(), {"credit_score": 950, "amount": 2_000_000})
    assert state.status == "failed"
    assert state.incidents[0]["element"] == "Decide"
    assert "hit policy unique: rows 3, 4 all match" in state.incidents[0]["message"]


def test_missing_rule_or_no_resolver_is_an_incident() -> None:
    engine, state = start(routing_process(), {"credit_score": 700, "amount": 1}, rules=None)
    assert state.status == "failed"
    assert state.incidents[0]["element"] == "toRule"
    assert "'credit-score-threshold' is not available" in state.incidents[0]["message"]
    only_threshold = StaticRules({"credit-score-threshold": THRESHOLD})
    engine, state = start(routing_process(), {"credit_score": 700, "amount": 1}, only_threshold)
    assert state.status == "failed"
    assert state.incidents[0]["element"] == "Decide"


def test_failing_assignment_rule_fails_the_case_as_the_item_opens() -> None:
    broken = StaticRules(
        {
            "credit-score-threshold": THRESHOLD,
            "loan-decision": DECISION,
            "loan-assignment": compile_rule(
                {
                    "kind": "decision_table",
                    "hit_policy": "unique",
                    "inputs": [{"expression": "amount"}],
                    "outputs": [{"name": "assignee"}],
                    "rules": [
                        {"inputs": ["< limit"], "outputs": ['"a"']},
                        {"inputs": ["-"], "outputs": ['"b"']},
                    ],
                }
            ),
        }
    )
    engine, state = start(routing_process(), {"credit_score": 700, "amount": 1, "limit": 5}, broken)
    assert state.status == "failed"
    assert state.incidents[0]["element"] == "Underwrite"


def test_result_variable_and_multi_hit_tables() -> None:
    collect = compile_rule(
        {
            "kind": "decision_table",
            "hit_policy": "collect",
            "aggregation": "sum",
            "inputs": [{"expression": "amount"}],
            "outputs": [{"name": "fee"}],
            "rules": [
                {"inputs": ["-"], "outputs": ["10"]},
                {"inputs": ["> 1000"], "outputs": ["amount * 0.01"]},
            ],
        }
    )
    xml = f"""<definitions {NS} id="D" targetNamespace="urn:test">
  <process id="P" isExecutable="true">
    <startEvent id="S"/>
    <businessRuleTask id="Fees" itn:rule="fees"/>
    <businessRuleTask id="Decide" itn:rule="loan-decision" itn:resultVariable="verdict"/>
    <businessRuleTask id="Plain"/>
    <endEvent id="E"/>
    <sequenceFlow id="f1" sourceRef="S" targetRef="Fees"/>
    <sequenceFlow id="f2" sourceRef="Fees" targetRef="Decide"/>
    <sequenceFlow id="f3" sourceRef="Decide" targetRef="Plain"/>
    <sequenceFlow id="f4" sourceRef="Plain" targetRef="E"/>
  </process>
</definitions>"""
    rules = StaticRules({"fees": collect, "loan-decision": DECISION})
    engine, state = start(xml, {"amount": 2000, "credit_score": 500}, rules)
    assert state.status == "completed"
    assert state.data["fee"] == 30.0
    assert state.data["verdict"] == {"decision": "decline", "approver": None}


CAMUNDA = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
  xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="D" targetNamespace="urn:test">
  <bpmn:process id="P" isExecutable="true">
    <bpmn:startEvent id="S"/>
    <bpmn:businessRuleTask id="C7" camunda:decisionRef="loan-decision"
        camunda:resultVariable="c7result"/>
    <bpmn:businessRuleTask id="C8">
      <bpmn:extensionElements>
        <zeebe:calledDecision decisionId="loan-decision" resultVariable="c8result"/>
      </bpmn:extensionElements>
    </bpmn:businessRuleTask>
    <bpmn:endEvent id="E"/>
    <bpmn:sequenceFlow id="f1" sourceRef="S" targetRef="C7"/>
    <bpmn:sequenceFlow id="f2" sourceRef="C7" targetRef="C8"/>
    <bpmn:sequenceFlow id="f3" sourceRef="C8" targetRef="E"/>
  </bpmn:process>
</bpmn:definitions>"""


def test_camunda_decision_references_are_read_as_rules() -> None:
    definitions = import_definitions(CAMUNDA)
    nodes = definitions.processes["P"].nodes
    assert nodes["C7"].extensions == {"rule": "loan-decision", "resultVariable": "c7result"}
    assert nodes["C8"].extensions == {"rule": "loan-decision", "resultVariable": "c8result"}
    engine = Engine(definitions, rules=RULES)
    state, _ = engine.start({"credit_score": 700, "amount": 1})
    assert state.data["c7result"] == {"decision": "approve", "approver": "officer"}
    assert state.data["c8result"] == state.data["c7result"]


def test_rule_attributes_survive_the_round_trip() -> None:
    exported = export(load(routing_process())).decode()
    assert 'itn:rule="credit-score-threshold"' in exported
    assert 'itn:assignmentRule="loan-assignment"' in exported
    flow = import_definitions(exported).processes["P"].flows["toRule"]
    assert flow.rule == "credit-score-threshold"


def findings(xml: str, rules: Any) -> list[tuple[str, str | None, str]]:
    return [
        (finding.code, finding.element_id, finding.severity)
        for finding in validate(import_definitions(xml), rules=rules)
        if finding.code.startswith("rule-")
    ]


def test_validation_finds_missing_rules_wrong_kinds_and_unknown_inputs() -> None:
    assert findings(routing_process(), None) == []
    assert findings(routing_process(), StaticRules()) == [
        ("rule-missing", "Underwrite", "error"),
        ("rule-missing", "Decide", "error"),
        ("rule-missing", "toRule", "error"),
    ]
    # credit_score and amount come with no form: warnings on every rule that reads them.
    assert findings(routing_process(), RULES) == [
        ("rule-input-unknown", "Underwrite", "warning"),
        ("rule-input-unknown", "Decide", "warning"),
        ("rule-input-unknown", "toRule", "warning"),
    ]
    with_form = routing_process().replace(
        '<startEvent id="S"/>',
        '<startEvent id="S"><extensionElements><itn:form>'
        '<itn:field name="credit_score" type="number"/><itn:field name="amount" type="number"/>'
        "</itn:form></extensionElements></startEvent>",
    )
    assert findings(with_form, RULES) == []
    swapped = StaticRules(
        {
            "credit-score-threshold": DECISION,
            "loan-decision": DECISION,
            "loan-assignment": THRESHOLD,
        }
    )
    assert ("rule-kind", "Underwrite", "error") in findings(with_form, swapped)
    assert ("rule-missing", "toRule", "error") in findings(routing_process('itn:rule=" "'), None)
