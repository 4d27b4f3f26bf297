"""A small process for the designer's tests: a parallel split of two tasks, a join, and an
exclusive choice on the case data between two ends."""

from __future__ import annotations

PARALLEL_CHOICE = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI"
    xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
    xmlns:itn="urn:itinera:bpmn:1" id="D" targetNamespace="urn:itinera:test">
  <bpmn:process id="P" name="Parallel choice" isExecutable="true">
    <bpmn:startEvent id="Start" />
    <bpmn:parallelGateway id="Split" />
    <bpmn:userTask id="A" name="Check A" itn:role="clerks" itn:sla="P1D" />
    <bpmn:userTask id="B" name="Check B" itn:role="clerks">
      <bpmn:extensionElements>
        <itn:form>
          <itn:field name="amount" type="number" label="Amount" required="true" />
        </itn:form>
      </bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:parallelGateway id="Join" />
    <bpmn:exclusiveGateway id="Choice" default="Small" />
    <bpmn:endEvent id="EndBig" />
    <bpmn:endEvent id="EndSmall" />
    <bpmn:sequenceFlow id="F1" sourceRef="Start" targetRef="Split" />
    <bpmn:sequenceFlow id="F2" sourceRef="Split" targetRef="A" />
    <bpmn:sequenceFlow id="F3" sourceRef="Split" targetRef="B" />
    <bpmn:sequenceFlow id="F4" sourceRef="A" targetRef="Join" />
    <bpmn:sequenceFlow id="F5" sourceRef="B" targetRef="Join" />
    <bpmn:sequenceFlow id="F6" sourceRef="Join" targetRef="Choice" />
    <bpmn:sequenceFlow id="Big" sourceRef="Choice" targetRef="EndBig">
      <bpmn:conditionExpression>amount &gt; 100</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="Small" sourceRef="Choice" targetRef="EndSmall" />
  </bpmn:process>
  <bpmndi:BPMNDiagram id="Diagram">
    <bpmndi:BPMNPlane id="Plane" bpmnElement="P">
      <bpmndi:BPMNShape id="Start_di" bpmnElement="Start">
        <dc:Bounds x="100" y="100" width="36" height="36" />
      </bpmndi:BPMNShape>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>
"""

TIMER_PROCESS = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    id="D" targetNamespace="urn:itinera:test">
  <bpmn:message id="M" name="approved" />
  <bpmn:process id="P" isExecutable="true">
    <bpmn:startEvent id="Start" />
    <bpmn:eventBasedGateway id="Wait" />
    <bpmn:intermediateCatchEvent id="Timeout">
      <bpmn:timerEventDefinition><bpmn:timeDuration>P2D</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:intermediateCatchEvent id="Approved">
      <bpmn:messageEventDefinition messageRef="M" />
    </bpmn:intermediateCatchEvent>
    <bpmn:endEvent id="EndLate" />
    <bpmn:endEvent id="EndOk" />
    <bpmn:sequenceFlow id="F1" sourceRef="Start" targetRef="Wait" />
    <bpmn:sequenceFlow id="F2" sourceRef="Wait" targetRef="Timeout" />
    <bpmn:sequenceFlow id="F3" sourceRef="Wait" targetRef="Approved" />
    <bpmn:sequenceFlow id="F4" sourceRef="Timeout" targetRef="EndLate" />
    <bpmn:sequenceFlow id="F5" sourceRef="Approved" targetRef="EndOk" />
  </bpmn:process>
</bpmn:definitions>
"""
