// The designer's properties panel: Itinera's settings of the selected element (or of the process
// when nothing is selected), written through bpmn-js `modeling` so every change can be undone and
// is saved with the diagram. Conditions and timer values are checked as they are typed.
(function () {
  "use strict";
  const I = (window.Itinera = window.Itinera || {});

  const FIELD_TYPES = ["text", "textarea", "number", "integer", "boolean", "enum", "date", "email"];
  const ASSIGNMENTS = [
    ["", "Least-loaded member (default)"],
    ["round-robin", "Round robin"],
    ["offer", "Offer to the whole role"],
    ["user", "A user computed from the case data"],
  ];
  const WORK_ITEM_TYPES = ["bpmn:Task", "bpmn:UserTask", "bpmn:ManualTask"];
  const TIMER_KINDS = [["duration", "timeDuration", "Duration (e.g. PT4H, P2D)"], ["date", "timeDate", "Date (e.g. 2030-01-31T09:00:00Z)"], ["cycle", "timeCycle", "Cycle (e.g. R3/PT1H)"]];

  function h(tag, attrs, children) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([key, value]) => {
      if (value === undefined || value === null || value === false) return;
      if (key === "text") node.textContent = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else if (value === true) node.setAttribute(key, "");
      else node.setAttribute(key, value);
    });
    (children || []).forEach((child) => { if (child) node.append(child); });
    return node;
  }

  function typeLabel(type) {
    return type.replace(/^bpmn:/, "").replace(/([a-z])([A-Z])/g, "$1 $2");
  }

  I.panel = function (app) {
    const modeler = app.modeler;
    const modeling = modeler.get("modeling");
    const bpmnFactory = modeler.get("bpmnFactory");
    const moddle = modeler.get("moddle");
    const canvas = modeler.get("canvas");
    const registry = modeler.get("elementRegistry");
    const eventBus = modeler.get("eventBus");
    const form = document.getElementById("properties");
    let current = null;
    let quiet = false;
    const checkTimers = {};
    // A change made in the panel already shows there: redrawing would take the focus away.
    function quietly(apply) {
      quiet = true;
      try { apply(); } finally { quiet = false; }
    }

    // --- values ----------------------------------------------------------------------------
    function itn(bo, name) { const value = bo && bo.get("itn:" + name); return value === undefined || value === null ? "" : String(value); }
    function blank(value) { return value === "" || value === undefined || value === null ? undefined : value; }
    function formal(text) { return text ? bpmnFactory.create("bpmn:FormalExpression", { body: text }) : undefined; }
    function body(expression) { return expression && expression.body !== undefined ? String(expression.body) : ""; }
    function set(element, properties) { modeling.updateProperties(element, properties); }
    function setOn(element, target, properties) {
      if (target === element.businessObject) modeling.updateProperties(element, properties);
      else modeling.updateModdleProperties(element, target, properties);
    }
    function setItn(element, target, name, value) {
      const properties = {};
      properties["itn:" + name] = blank(value);
      setOn(element, target, properties);
    }
    function rootElementNamed(element, type, name, extra) {
      const definitions = modeler.getDefinitions();
      const roots = definitions.rootElements || [];
      let found = roots.find((root) => root.$type === type && root.name === name);
      if (!found) {
        found = bpmnFactory.create(type, Object.assign({ name: name }, extra || {}));
        found.$parent = definitions;
        modeling.updateModdleProperties(element, definitions, { rootElements: roots.concat([found]) });
      }
      return found;
    }

    // --- inputs ----------------------------------------------------------------------------
    function group(key, label, control, help, feedback) {
      return h("div", { class: "mb-2" }, [
        h("label", { class: "form-label", for: "prop-" + key, text: label }),
        control,
        help ? h("div", { class: "form-text", id: "prop-" + key + "-help", text: help }) : null,
        feedback || null,
      ]);
    }

    function text(key, label, value, apply, options) {
      options = options || {};
      const attrs = {
        id: "prop-" + key, name: key, class: "form-control form-control-sm" + (options.code ? " code" : ""),
        value: value, placeholder: options.placeholder, list: options.list,
        "aria-describedby": options.help ? "prop-" + key + "-help" : undefined,
        readonly: options.readonly,
      };
      const input = options.multiline ? h("textarea", Object.assign({ rows: options.rows || 2 }, attrs)) : h("input", Object.assign({ type: options.type || "text" }, attrs));
      if (options.multiline) input.value = value;
      let feedback = null;
      if (options.check) {
        feedback = h("div", { class: "small mt-1", id: "prop-" + key + "-check", "data-testid": "check-" + key, "aria-live": "polite" });
        const run = () => {
          window.clearTimeout(checkTimers[key]);
          checkTimers[key] = window.setTimeout(() => check(options.check, input, feedback), 250);
        };
        input.addEventListener("input", run);
        if (value) run();
      }
      input.addEventListener("change", () => quietly(() => apply(input.value.trim())));
      if (!options.multiline) input.addEventListener("keydown", (event) => { if (event.key === "Enter") { event.preventDefault(); input.blur(); } });
      return group(key, label, input, options.help, feedback);
    }

    async function check(kind, input, feedback) {
      const value = input.value.trim();
      if (!value) { input.classList.remove("is-invalid", "is-valid"); feedback.textContent = ""; return; }
      const response = await app.api("POST", app.config.urls.check, { kind: kind, text: value });
      if (input.value.trim() !== value || !response.ok) return;
      const result = response.data;
      input.classList.toggle("is-invalid", !result.valid);
      input.classList.toggle("is-valid", result.valid);
      feedback.className = "small mt-1 " + (result.valid ? "text-success" : "text-danger");
      if (result.valid) {
        feedback.textContent = result.names && result.names.length ? "Valid; reads " + result.names.join(", ") + "." : "Valid.";
      } else {
        feedback.textContent = result.message + (result.offset !== null && result.offset !== undefined ? " (at character " + (result.offset + 1) + ")" : "");
      }
    }

    function select(key, label, value, choices, apply, help) {
      const control = h("select", { id: "prop-" + key, name: key, class: "form-select form-select-sm" },
        choices.map(([choice, caption]) => h("option", { value: choice, selected: choice === value, text: caption })));
      control.addEventListener("change", () => quietly(() => apply(control.value)));
      return group(key, label, control, help);
    }

    function checkbox(key, label, checked, apply, help) {
      const input = h("input", { type: "checkbox", class: "form-check-input", id: "prop-" + key, name: key, checked: checked });
      input.addEventListener("change", () => quietly(() => apply(input.checked)));
      return h("div", { class: "form-check mb-2" }, [
        input, h("label", { class: "form-check-label small", for: "prop-" + key, text: label }),
        help ? h("div", { class: "form-text", text: help }) : null,
      ]);
    }

    function section(title, children) {
      return h("fieldset", {}, [h("legend", { text: title })].concat(children));
    }

    // --- sections --------------------------------------------------------------------------
    function general(element, bo) {
      const children = [
        text("id", "Id", bo.id || "", (value) => {
          if (!value || value === bo.id) return;
          if (!/^[A-Za-z_][\w.-]*$/.test(value) || registry.get(value)) { app.alert("warning", "“" + value + "” cannot be used as an id (it must be unique and start with a letter)."); render(); return; }
          set(element, { id: value });
        }, { code: true }),
      ];
      if (!bo.$instanceOf("bpmn:Definitions")) children.push(text("name", "Name", bo.name || "", (value) => set(element, { name: blank(value) })));
      return section(typeLabel(bo.$type), children);
    }

    function processSection(element, process) {
      return section("Journey", [
        checkbox("executable", "Executable (the engine runs this process)", process.isExecutable !== false, (value) => setOn(element, process, { isExecutable: value })),
        text("journey-sla", "Journey SLA target", itn(process, "sla"), (value) => setItn(element, process, "sla", value), { check: "duration", code: true, placeholder: "P5D", help: "How long a whole case may take (ISO 8601 duration)." }),
        text("journey-warn", "Journey warning threshold", itn(process, "warnAt"), (value) => setItn(element, process, "warnAt", value), { code: true, placeholder: "0.8", help: "A fraction of the SLA (0.8) or a duration (P4D)." }),
      ]);
    }

    function workItemSection(element, bo) {
      const tasks = registry.filter((other) => other !== element && WORK_ITEM_TYPES.includes(other.type));
      const nodes = registry.filter((other) => other !== element && other.businessObject.$instanceOf("bpmn:FlowNode") && other.type !== "label");
      const assignment = itn(bo, "assignment");
      return section("Work item", [
        text("role", "Role", itn(bo, "role"), (value) => setItn(element, bo, "role", value), { list: "role-choices", code: true, help: "The role whose members get the task." }),
        select("assignment", "Assignment", assignment, ASSIGNMENTS, (value) => { setItn(element, bo, "assignment", value); render(); }),
        assignment === "user" || itn(bo, "assignee") ? text("assignee", "Assignee expression", itn(bo, "assignee"), (value) => setItn(element, bo, "assignee", value), { check: "expression", code: true, placeholder: "requester", help: "An expression giving a username." }) : null,
        text("priority", "Priority (0–100)", itn(bo, "priority"), (value) => setItn(element, bo, "priority", value), { type: "number", code: true }),
        text("sla", "SLA target", itn(bo, "sla"), (value) => setItn(element, bo, "sla", value), { check: "duration", code: true, placeholder: "P2D", help: "ISO 8601 duration, such as PT4H or P2D." }),
        text("warnAt", "Warning threshold", itn(bo, "warnAt"), (value) => setItn(element, bo, "warnAt", value), { code: true, placeholder: "0.8", help: "A fraction of the SLA (0.8) or a duration (PT1H)." }),
        text("dueIn", "Due in", itn(bo, "dueIn"), (value) => setItn(element, bo, "dueIn", value), { check: "duration", code: true, placeholder: "P1D" }),
        select("notSameAs", "Not the same person as", itn(bo, "notSameAs"), [["", "(anyone)"]].concat(tasks.map((task) => [task.id, (task.businessObject.name || task.id) + " (" + task.id + ")"])), (value) => setItn(element, bo, "notSameAs", value), "Separation of duties."),
        select("enabledWhile", "Milestone: enabled only while", itn(bo, "enabledWhile"), [["", "(always)"]].concat(nodes.map((node) => [node.id, (node.businessObject.name || node.id) + " (" + node.id + ")"])), (value) => setItn(element, bo, "enabledWhile", value), "The task can be done only while that element has a token or open work item."),
        formBuilder(element, bo),
      ]);
    }

    function formBuilder(element, bo) {
      // Read afresh for every change: the panel is not redrawn after a change made in it.
      function readRows() {
        const formElement = ((bo.extensionElements && bo.extensionElements.values) || []).find((value) => value.$instanceOf("itn:Form"));
        return formElement ? (formElement.fields || []).map((field) => {
          const row = {};
          (I.FIELD_ATTRIBUTES || []).forEach((name) => { const value = field.get(name); if (value !== undefined && value !== null && value !== "") row[name] = String(value); });
          return row;
        }) : [];
      }
      const rows = readRows();
      function write(next) {
        const fields = next.filter((row) => row.name).map((row) => {
          const attrs = {};
          Object.entries(row).forEach(([name, value]) => { if (value !== "" && value !== undefined) attrs[name] = value; });
          return moddle.create("itn:Field", attrs);
        });
        const others = bo.extensionElements ? (bo.extensionElements.values || []).filter((value) => !value.$instanceOf("itn:Form")) : [];
        const values = others.slice();
        if (fields.length) {
          const created = moddle.create("itn:Form", { fields: fields });
          fields.forEach((field) => { field.$parent = created; });
          values.push(created);
        }
        let extensions;
        if (values.length) {
          extensions = bpmnFactory.create("bpmn:ExtensionElements", { values: values });
          values.forEach((value) => { value.$parent = extensions; });
        }
        set(element, { extensionElements: extensions });
      }
      const list = h("div", { "data-testid": "form-fields" });
      rows.forEach((row, index) => {
        const prefix = "field-" + index + "-";
        function change(name, value) { const next = readRows(); next[index][name] = value; quietly(() => write(next)); }
        const typeSelect = h("select", { class: "form-select form-select-sm", id: "prop-" + prefix + "type", "aria-label": "Type of field " + (index + 1) },
          FIELD_TYPES.map((type) => h("option", { value: type, selected: (row.type || "text") === type, text: type })));
        typeSelect.addEventListener("change", () => { change("type", typeSelect.value); render(); });
        function small(name, placeholder, label) {
          const input = h("input", { class: "form-control form-control-sm", id: "prop-" + prefix + name, value: row[name] || "", placeholder: placeholder, "aria-label": label + " of field " + (index + 1) });
          input.addEventListener("change", () => change(name, input.value.trim()));
          return input;
        }
        const required = h("input", { type: "checkbox", class: "form-check-input", id: "prop-" + prefix + "required", checked: row.required === "true" });
        required.addEventListener("change", () => change("required", required.checked ? "true" : ""));
        function move(offset) { const next = readRows(); const [moved] = next.splice(index, 1); next.splice(index + offset, 0, moved); write(next); render(); }
        const kind = row.type || "text";
        list.append(h("div", { class: "form-field-row" }, [
          h("div", { class: "d-flex gap-1 mb-1" }, [small("name", "name", "Name"), typeSelect]),
          h("div", { class: "d-flex gap-1 mb-1" }, [small("label", "label", "Label")]),
          kind === "enum" ? h("div", { class: "mb-1" }, [small("options", "option a, option b", "Options")]) : null,
          ["number", "integer", "date"].includes(kind) ? h("div", { class: "d-flex gap-1 mb-1" }, [small("min", "min", "Minimum"), small("max", "max", "Maximum")]) : null,
          ["text", "textarea", "email"].includes(kind) ? h("div", { class: "d-flex gap-1 mb-1" }, [small("pattern", "pattern (regular expression)", "Pattern")]) : null,
          h("div", { class: "d-flex align-items-center gap-1" }, [
            h("div", { class: "form-check me-auto" }, [required, h("label", { class: "form-check-label small", for: "prop-" + prefix + "required", text: "required" })]),
            h("button", { type: "button", class: "btn btn-sm btn-outline-secondary py-0", title: "Move up", disabled: index === 0, onclick: () => move(-1), text: "↑" }),
            h("button", { type: "button", class: "btn btn-sm btn-outline-secondary py-0", title: "Move down", disabled: index === rows.length - 1, onclick: () => move(1), text: "↓" }),
            h("button", { type: "button", class: "btn btn-sm btn-outline-danger py-0", title: "Remove the field", onclick: () => { write(readRows().filter((_, i) => i !== index)); render(); }, text: "✕" }),
          ]),
        ]));
      });
      const add = h("button", { type: "button", class: "btn btn-sm btn-outline-primary", id: "prop-form-add", text: "Add a form field" });
      add.addEventListener("click", () => {
        const now = readRows();
        let number = now.length + 1;
        while (now.some((row) => row.name === "field" + number)) number += 1;
        write(now.concat([{ name: "field" + number, type: "text", label: "Field " + number }]));
        render();
      });
      return h("div", { class: "mt-2" }, [h("div", { class: "form-label", text: "Form (what the task asks for)" }), list, add]);
    }

    function activitySection(element, bo) {
      const children = [
        text("mutex", "Critical section (mutex)", itn(bo, "mutex"), (value) => setItn(element, bo, "mutex", value), { code: true, help: "Within a case, one holder of this name is active at a time." }),
        text("cancels", "Cancels when it completes", itn(bo, "cancels"), (value) => setItn(element, bo, "cancels", value), { code: true, help: "Ids of the elements to withdraw (cancellation set), separated by spaces." }),
        text("expectedDuration", "Expected duration", itn(bo, "expectedDuration"), (value) => setItn(element, bo, "expectedDuration", value), { check: "duration", code: true, placeholder: "PT30M" }),
        text("startQuantity", "Start after this many tokens", bo.startQuantity && bo.startQuantity !== 1 ? String(bo.startQuantity) : "", (value) => set(element, { startQuantity: value ? Number(value) : undefined }), { type: "number", code: true, help: "Thread merge (leave empty for 1)." }),
        text("completionQuantity", "Tokens out on completion", bo.completionQuantity && bo.completionQuantity !== 1 ? String(bo.completionQuantity) : "", (value) => set(element, { completionQuantity: value ? Number(value) : undefined }), { type: "number", code: true, help: "Thread split (leave empty for 1)." }),
      ];
      return section("Behaviour", children);
    }

    function loopSection(element, bo) {
      const loop = bo.loopCharacteristics;
      let mode = "";
      if (loop && loop.$type === "bpmn:MultiInstanceLoopCharacteristics") mode = loop.isSequential ? "sequential" : "parallel";
      else if (loop && loop.$type === "bpmn:StandardLoopCharacteristics") mode = "loop";
      const children = [select("repeat", "Repeat", mode, [["", "Once"], ["parallel", "Multiple instances, in parallel"], ["sequential", "Multiple instances, one after another"], ["loop", "Loop while a condition holds"]], (value) => {
        let created;
        if (value === "parallel" || value === "sequential") {
          if (loop && loop.$type === "bpmn:MultiInstanceLoopCharacteristics") { setOn(element, loop, { isSequential: value === "sequential" }); render(); return; }
          created = bpmnFactory.create("bpmn:MultiInstanceLoopCharacteristics", { isSequential: value === "sequential" });
        } else if (value === "loop") {
          created = bpmnFactory.create("bpmn:StandardLoopCharacteristics");
        }
        set(element, { loopCharacteristics: created });
        render();
      })];
      if (mode === "parallel" || mode === "sequential") {
        children.push(
          text("mi-cardinality", "Number of instances", body(loop.loopCardinality), (value) => setOn(element, loop, { loopCardinality: formal(value) }), { check: "expression", code: true, placeholder: "3 or reviewers_needed" }),
          text("mi-collection", "Collection (one instance per item)", itn(loop, "collection"), (value) => setItn(element, loop, "collection", value), { code: true, placeholder: "items" }),
          text("mi-element", "Item variable", itn(loop, "elementVariable"), (value) => setItn(element, loop, "elementVariable", value), { code: true, placeholder: "item" }),
          text("mi-completion", "Completion condition", body(loop.completionCondition), (value) => setOn(element, loop, { completionCondition: formal(value) }), { check: "expression", code: true, placeholder: "nrOfCompletedInstances >= 2", help: "When true, the remaining instances are withdrawn." }),
          checkbox("mi-synchronize", "Wait for the instances before going on", itn(loop, "synchronize") !== "false", (value) => setItn(element, loop, "synchronize", value ? "" : "false")),
          text("mi-continue-after", "Go on after this many have completed", itn(loop, "continueAfter"), (value) => setItn(element, loop, "continueAfter", value), { type: "number", code: true, help: "The others keep running (static partial join)." }),
          text("mi-continue-condition", "Go on when", itn(loop, "continueCondition"), (value) => setItn(element, loop, "continueCondition", value), { check: "expression", code: true, help: "Dynamic partial join: creation closes, active instances go on." }),
          checkbox("mi-dynamic", "Instances may be added while it runs", itn(loop, "dynamic") === "true", (value) => setItn(element, loop, "dynamic", value ? "true" : "")),
        );
      } else if (mode === "loop") {
        children.push(
          text("loop-condition", "Loop condition", body(loop.loopCondition), (value) => setOn(element, loop, { loopCondition: formal(value) }), { check: "expression", code: true }),
          checkbox("loop-test-before", "Test before each iteration (while)", !!loop.testBefore, (value) => setOn(element, loop, { testBefore: value })),
          text("loop-maximum", "At most this many iterations", loop.loopMaximum !== undefined ? String(loop.loopMaximum) : "", (value) => setOn(element, loop, { loopMaximum: value ? Number(value) : undefined }), { type: "number", code: true }),
        );
      }
      return section("Repetition", children);
    }

    function messageField(element, owner, key, label, current, type, refName, extra) {
      return text(key, label, current, (value) => {
        const properties = {};
        properties[refName] = value ? rootElementNamed(element, type, value, extra ? extra(value) : null) : undefined;
        setOn(element, owner, properties);
      }, { code: true });
    }

    function eventSection(element, bo) {
      const definition = (bo.eventDefinitions || [])[0];
      const children = [];
      if (bo.$type === "bpmn:BoundaryEvent") children.push(checkbox("cancelActivity", "Interrupting (cancels the activity)", bo.cancelActivity !== false, (value) => set(element, { cancelActivity: value })));
      if (bo.$type === "bpmn:StartEvent" && bo.$parent && bo.$parent.triggeredByEvent) children.push(checkbox("isInterrupting", "Interrupting", bo.isInterrupting !== false, (value) => set(element, { isInterrupting: value })));
      if (definition) {
        const type = definition.$type;
        if (type === "bpmn:TimerEventDefinition") {
          const kind = TIMER_KINDS.find(([, property]) => definition[property]) || TIMER_KINDS[0];
          const value = body(definition[kind[1]]);
          children.push(
            select("timer-kind", "Timer", kind[0], TIMER_KINDS.map(([name, , caption]) => [name, caption]), (next) => {
              const chosen = TIMER_KINDS.find(([name]) => name === next);
              setOn(element, definition, { timeDuration: undefined, timeDate: undefined, timeCycle: undefined, [chosen[1]]: formal(value || (next === "duration" ? "PT1H" : "")) });
              render();
            }),
            text("timer-value", "Timer value", value, (next) => setOn(element, definition, { [kind[1]]: formal(next) }), { check: kind[0], code: true }),
          );
        } else if (type === "bpmn:MessageEventDefinition") {
          children.push(messageField(element, definition, "message", "Message name", definition.messageRef ? definition.messageRef.name || definition.messageRef.id : "", "bpmn:Message", "messageRef"));
          children.push(text("correlationKey", "Correlation key", itn(bo, "correlationKey"), (value) => setItn(element, bo, "correlationKey", value), { code: true }));
        } else if (type === "bpmn:SignalEventDefinition") {
          children.push(messageField(element, definition, "signal", "Signal name", definition.signalRef ? definition.signalRef.name || definition.signalRef.id : "", "bpmn:Signal", "signalRef"));
        } else if (type === "bpmn:ConditionalEventDefinition") {
          children.push(text("event-condition", "Condition", body(definition.condition), (value) => setOn(element, definition, { condition: formal(value) }), { check: "expression", code: true, multiline: true }));
        } else if (type === "bpmn:ErrorEventDefinition") {
          children.push(messageField(element, definition, "error", "Error code", definition.errorRef ? definition.errorRef.errorCode || definition.errorRef.name || "" : "", "bpmn:Error", "errorRef", (value) => ({ errorCode: value })));
        } else if (type === "bpmn:EscalationEventDefinition") {
          children.push(messageField(element, definition, "escalation", "Escalation code", definition.escalationRef ? definition.escalationRef.escalationCode || definition.escalationRef.name || "" : "", "bpmn:Escalation", "escalationRef", (value) => ({ escalationCode: value })));
        }
      }
      if (bo.$type === "bpmn:IntermediateThrowEvent" || bo.$type === "bpmn:EndEvent") {
        children.push(text("cancels", "Cancels when reached", itn(bo, "cancels"), (value) => setItn(element, bo, "cancels", value), { code: true, help: "Ids of the elements to withdraw, separated by spaces." }));
      }
      return children.length ? section("Event", children) : null;
    }

    function flowSection(element, bo) {
      const source = element.source;
      const children = [];
      const sourceBo = source && source.businessObject;
      const canDefault = sourceBo && (sourceBo.$instanceOf("bpmn:ExclusiveGateway") || sourceBo.$instanceOf("bpmn:InclusiveGateway") || sourceBo.$instanceOf("bpmn:ComplexGateway") || sourceBo.$instanceOf("bpmn:Activity"));
      const isDefault = canDefault && sourceBo.default === bo;
      if (!isDefault) {
        children.push(text("condition", "Condition", body(bo.conditionExpression), (value) => set(element, { conditionExpression: formal(value) }), { check: "expression", code: true, multiline: true, placeholder: "amount > 1000 and approved", help: "Case variables, comparisons, and/or/not, in, arithmetic." }));
      }
      if (canDefault) children.push(checkbox("default-flow", "Default flow (taken when no condition holds)", isDefault, (value) => { modeling.updateProperties(source, { default: value ? bo : undefined }); if (value && bo.conditionExpression) set(element, { conditionExpression: undefined }); render(); }));
      return section("Flow", children);
    }

    function gatewaySection(element, bo) {
      if (bo.$type !== "bpmn:ComplexGateway") return null;
      return section("Complex gateway", [
        text("activationCount", "Fire after this many inputs", itn(bo, "activationCount"), (value) => setItn(element, bo, "activationCount", value), { type: "number", code: true, help: "1 is a discriminator, n a partial join." }),
        checkbox("cancelRemaining", "Cancel the remaining branches when it fires", itn(bo, "cancelRemaining") === "true", (value) => setItn(element, bo, "cancelRemaining", value ? "true" : "")),
      ]);
    }

    function specificSection(element, bo) {
      const type = bo.$type;
      if (type === "bpmn:ServiceTask") return section("Service task", [
        text("topic", "Topic", itn(bo, "topic"), (value) => setItn(element, bo, "topic", value), { code: true, help: "The registered handler that runs it." }),
        text("retries", "Retries", itn(bo, "retries"), (value) => setItn(element, bo, "retries", value), { type: "number", code: true }),
      ]);
      if (type === "bpmn:ScriptTask") return section("Script", [
        text("scriptFormat", "Format", bo.scriptFormat || "", (value) => set(element, { scriptFormat: blank(value) }), { code: true, placeholder: "python" }),
        text("script", "Script", bo.script || "", (value) => set(element, { script: blank(value) }), { code: true, multiline: true, rows: 4 }),
      ]);
      if (type === "bpmn:CallActivity") return section("Call", [
        text("calledElement", "Called process id", bo.calledElement || "", (value) => set(element, { calledElement: blank(value) }), { code: true }),
      ]);
      if (type === "bpmn:SendTask" || type === "bpmn:ReceiveTask") return section("Message", [
        messageField(element, bo, "task-message", "Message name", bo.messageRef ? bo.messageRef.name || bo.messageRef.id : "", "bpmn:Message", "messageRef"),
      ]);
      if (type === "bpmn:AdHocSubProcess") return section("Ad-hoc sub-process", [
        select("ordering", "Ordering", bo.ordering || "Parallel", [["Parallel", "Parallel"], ["Sequential", "Sequential (one at a time)"]], (value) => set(element, { ordering: value })),
        text("adhoc-completion", "Completion condition", body(bo.completionCondition), (value) => set(element, { completionCondition: formal(value) }), { check: "expression", code: true }),
      ]);
      return null;
    }

    // --- rendering -------------------------------------------------------------------------
    function render() {
      const focused = document.activeElement && form.contains(document.activeElement) ? document.activeElement.id : null;
      if (current && !registry.get(current.id)) current = null;
      const root = canvas.getRootElement();
      const element = current || root;
      const bo = element.businessObject;
      const parts = [];
      if (!bo) { form.replaceChildren(); return; }
      parts.push(general(element, bo));
      if (element === root) {
        const process = bo.$instanceOf("bpmn:Process") ? bo : (bo.participants && bo.participants[0] && bo.participants[0].processRef);
        if (process) parts.push(processSection(element, process));
        parts.push(h("p", { class: "small text-body-secondary mt-2", text: "Select an element to see its settings." }));
      } else if (bo.$instanceOf("bpmn:SequenceFlow")) {
        parts.push(flowSection(element, bo));
      } else {
        if (WORK_ITEM_TYPES.includes(bo.$type)) parts.push(workItemSection(element, bo));
        parts.push(specificSection(element, bo));
        if (bo.$instanceOf("bpmn:Activity")) { parts.push(activitySection(element, bo)); parts.push(loopSection(element, bo)); }
        if (bo.$instanceOf("bpmn:Event")) parts.push(eventSection(element, bo));
        if (bo.$instanceOf("bpmn:Gateway")) parts.push(gatewaySection(element, bo));
      }
      const datalist = h("datalist", { id: "role-choices" }, (app.config.roles || []).map((role) => h("option", { value: role.key, text: role.name })));
      parts.push(datalist);
      form.replaceChildren(...parts.filter(Boolean));
      form.dataset.element = element.id;
      if (focused) { const again = document.getElementById(focused); if (again) again.focus(); }
    }

    eventBus.on("selection.changed", (event) => {
      const selected = event.newSelection || [];
      current = selected.length === 1 ? selected[0] : null;
      if (current && current.type === "label") current = current.labelTarget;
      render();
    });
    eventBus.on("commandStack.changed", () => { if (!quiet) render(); });
    eventBus.on("import.done", () => { current = null; render(); });
    return { render: render };
  };
})();
