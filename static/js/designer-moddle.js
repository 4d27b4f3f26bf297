// The `itn:` extension of BPMN (namespace urn:itinera:bpmn:1) for bpmn-js, so the designer reads and
// writes Itinera's attributes and task forms as typed properties and they survive a save.
(function () {
  "use strict";
  // The attributes of processes/bpmn/importer.py KNOWN_ITINERA_ATTRIBUTES (except `form`, which is
  // an element inside extensionElements).
  // `assignment` is also a property of bpmn:DataAssociation, so it is declared on activities only
  // (one name may not mean two things on one type).
  const ACTIVITY_ATTRIBUTES = ["assignment"];
  const ATTRIBUTES = [
    "role", "sla", "warnAt", "slaPauseOn", "assignmentRule", "rule", "priority",
    "dueIn", "topic", "mutex", "enabledWhile", "cancels", "activationCount", "cancelRemaining",
    "synchronize", "collection", "elementVariable", "continueAfter", "continueCondition",
    "dynamic", "expectedDuration", "retries", "escalation", "assignee", "notSameAs",
    "correlationKey",
  ];
  const FIELD_ATTRIBUTES = [
    "name", "type", "label", "help", "required", "min", "max", "minLength", "maxLength",
    "pattern", "options",
  ];
  function attribute(name) { return { name: name, isAttr: true, type: "String" }; }

  window.Itinera = window.Itinera || {};
  window.Itinera.ATTRIBUTES = ATTRIBUTES;
  window.Itinera.FIELD_ATTRIBUTES = FIELD_ATTRIBUTES;
  window.Itinera.moddle = {
    name: "Itinera",
    uri: "urn:itinera:bpmn:1",
    prefix: "itn",
    xml: { tagAlias: "lowerCase" },
    associations: [],
    types: [
      { name: "Attributes", isAbstract: true, extends: ["bpmn:BaseElement"], properties: ATTRIBUTES.map(attribute) },
      { name: "ActivityAttributes", isAbstract: true, extends: ["bpmn:Activity"], properties: ACTIVITY_ATTRIBUTES.map(attribute) },
      {
        name: "Form",
        superClass: ["Element"],
        properties: [{ name: "fields", type: "Field", isMany: true }],
      },
      { name: "Field", superClass: ["Element"], properties: FIELD_ATTRIBUTES.map(attribute) },
    ],
  };
})();
