// The palette of the designer: bpmn-js's own entries plus one for every element the engine executes
// (task kinds, every gateway, timer/message/signal/conditional events, terminate/error ends,
// call activities, event and ad-hoc sub-processes). Catch events dropped on an activity's border
// become boundary events.
(function () {
  "use strict";
  const ENTRIES = [
    // [key, group, icon, title, type, options]
    ["user-task", "activity", "bpmn-icon-user-task", "User task (a work item for a role)", "bpmn:UserTask"],
    ["manual-task", "activity", "bpmn-icon-manual-task", "Manual task", "bpmn:ManualTask"],
    ["service-task", "activity", "bpmn-icon-service-task", "Service task (runs a registered handler)", "bpmn:ServiceTask"],
    ["script-task", "activity", "bpmn-icon-script-task", "Script task", "bpmn:ScriptTask"],
    ["business-rule-task", "activity", "bpmn-icon-business-rule-task", "Business rule task", "bpmn:BusinessRuleTask"],
    ["send-task", "activity", "bpmn-icon-send-task", "Send task", "bpmn:SendTask"],
    ["receive-task", "activity", "bpmn-icon-receive-task", "Receive task", "bpmn:ReceiveTask"],
    ["call-activity", "activity", "bpmn-icon-call-activity", "Call activity", "bpmn:CallActivity"],
    ["adhoc-subprocess", "activity", "bpmn-icon-ad-hoc-subprocess", "Ad-hoc sub-process (interleaved routing)", "bpmn:AdHocSubProcess", { isExpanded: true }],
    ["event-subprocess", "activity", "bpmn-icon-event-subprocess-expanded", "Event sub-process", "bpmn:SubProcess", { isExpanded: true, triggeredByEvent: true }],
    ["parallel-gateway", "gateway", "bpmn-icon-gateway-parallel", "Parallel gateway (split / join)", "bpmn:ParallelGateway"],
    ["inclusive-gateway", "gateway", "bpmn-icon-gateway-or", "Inclusive gateway (multi-choice / synchronizing merge)", "bpmn:InclusiveGateway"],
    ["complex-gateway", "gateway", "bpmn-icon-gateway-complex", "Complex gateway (discriminator / partial join)", "bpmn:ComplexGateway"],
    ["event-based-gateway", "gateway", "bpmn-icon-gateway-eventbased", "Event-based gateway (deferred choice)", "bpmn:EventBasedGateway"],
    ["timer-start", "event", "bpmn-icon-start-event-timer", "Timer start event", "bpmn:StartEvent", { eventDefinitionType: "bpmn:TimerEventDefinition" }],
    ["message-start", "event", "bpmn-icon-start-event-message", "Message start event", "bpmn:StartEvent", { eventDefinitionType: "bpmn:MessageEventDefinition" }],
    ["signal-start", "event", "bpmn-icon-start-event-signal", "Signal start event", "bpmn:StartEvent", { eventDefinitionType: "bpmn:SignalEventDefinition" }],
    ["timer-catch", "event", "bpmn-icon-intermediate-event-catch-timer", "Timer event (drop on an activity's border for a boundary timer)", "bpmn:IntermediateCatchEvent", { eventDefinitionType: "bpmn:TimerEventDefinition" }],
    ["message-catch", "event", "bpmn-icon-intermediate-event-catch-message", "Message catch event (or boundary)", "bpmn:IntermediateCatchEvent", { eventDefinitionType: "bpmn:MessageEventDefinition" }],
    ["signal-catch", "event", "bpmn-icon-intermediate-event-catch-signal", "Signal catch event (or boundary)", "bpmn:IntermediateCatchEvent", { eventDefinitionType: "bpmn:SignalEventDefinition" }],
    ["conditional-catch", "event", "bpmn-icon-intermediate-event-catch-condition", "Conditional event (or boundary)", "bpmn:IntermediateCatchEvent", { eventDefinitionType: "bpmn:ConditionalEventDefinition" }],
    ["message-throw", "event", "bpmn-icon-intermediate-event-throw-message", "Message throw event", "bpmn:IntermediateThrowEvent", { eventDefinitionType: "bpmn:MessageEventDefinition" }],
    ["signal-throw", "event", "bpmn-icon-intermediate-event-throw-signal", "Signal throw event", "bpmn:IntermediateThrowEvent", { eventDefinitionType: "bpmn:SignalEventDefinition" }],
    ["escalation-throw", "event", "bpmn-icon-intermediate-event-throw-escalation", "Escalation throw event", "bpmn:IntermediateThrowEvent", { eventDefinitionType: "bpmn:EscalationEventDefinition" }],
    ["terminate-end", "event", "bpmn-icon-end-event-terminate", "Terminate end event (explicit termination)", "bpmn:EndEvent", { eventDefinitionType: "bpmn:TerminateEventDefinition" }],
    ["error-end", "event", "bpmn-icon-end-event-error", "Error end event", "bpmn:EndEvent", { eventDefinitionType: "bpmn:ErrorEventDefinition" }],
    ["message-end", "event", "bpmn-icon-end-event-message", "Message end event", "bpmn:EndEvent", { eventDefinitionType: "bpmn:MessageEventDefinition" }],
    ["signal-end", "event", "bpmn-icon-end-event-signal", "Signal end event", "bpmn:EndEvent", { eventDefinitionType: "bpmn:SignalEventDefinition" }],
  ];

  function ItineraPalette(palette, create, elementFactory) {
    this._create = create;
    this._elementFactory = elementFactory;
    palette.registerProvider(this);
  }
  ItineraPalette.$inject = ["palette", "create", "elementFactory"];

  ItineraPalette.prototype.getPaletteEntries = function () {
    const create = this._create;
    const elementFactory = this._elementFactory;
    const entries = {};
    ENTRIES.forEach(function (entry) {
      const key = entry[0], group = entry[1], icon = entry[2], title = entry[3], type = entry[4];
      const options = entry[5] || {};
      function start(event) {
        create.start(event, elementFactory.createShape(Object.assign({ type: type }, options)));
      }
      entries["create." + key] = {
        group: group, className: icon, title: title, action: { dragstart: start, click: start },
      };
    });
    return entries;
  };

  window.Itinera = window.Itinera || {};
  window.Itinera.paletteModule = { __init__: ["itineraPalette"], itineraPalette: ["type", ItineraPalette] };
})();
