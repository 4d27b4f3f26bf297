"""Shared helpers of the rules tests: rule definitions, a journey that uses them."""

from __future__ import annotations

from typing import Any

from guardian.shortcuts import assign_perm

from tests.factories import UserFactory

THRESHOLD: dict[str, Any] = {
    "kind": "condition",
    "combine": "all",
    "conditions": [{"field": "credit_score", "operator": "gte", "value": 620}],
}

ASSIGNMENT: dict[str, Any] = {
    "kind": "decision_table",
    "hit_policy": "first",
    "inputs": [{"label": "Amount", "expression": "amount", "type": "number"}],
    "outputs": [{"name": "assignee", "type": "string"}, {"name": "role", "type": "string"}],
    "rules": [
        {"inputs": ["[500000..]"], "outputs": ['"carla"', '"seniors"'], "description": "big"},
        {"inputs": ["-"], "outputs": ["null", '"officers"'], "description": "the rest"},
    ],
}

JOURNEY = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:itn="urn:itinera:bpmn:1" id="D" targetNamespace="urn:test">
  <process id="Loan" isExecutable="true">
    <startEvent id="S"/>
    <userTask id="Capture" itn:role="officers">
      <extensionElements><itn:form>
        <itn:field name="credit_score" type="number"/>
        <itn:field name="amount" type="number"/>
      </itn:form></extensionElements>
    </userTask>
    <exclusiveGateway id="G" default="toDecline"/>
    <userTask id="Underwrite" itn:assignmentRule="loan-assignment"/>
    <userTask id="Decline" itn:role="officers"/>
    <endEvent id="E"/>
    <sequenceFlow id="f1" sourceRef="S" targetRef="Capture"/>
    <sequenceFlow id="f2" sourceRef="Capture" targetRef="G"/>
    <sequenceFlow id="toUnderwrite" sourceRef="G" targetRef="Underwrite"
        itn:rule="credit-score-threshold"/>
    <sequenceFlow id="toDecline" sourceRef="G" targetRef="Decline"/>
    <sequenceFlow id="f3" sourceRef="Underwrite" targetRef="E"/>
    <sequenceFlow id="f4" sourceRef="Decline" targetRef="E"/>
  </process>
</definitions>
"""


def rule_author(username: str = "author") -> Any:
    """A user who may create rules (and so owns the ones they create)."""
    user = UserFactory(username=username)
    assign_perm("rules.add_rule", user)
    return user
