// The designer's dry run and tests. The dry run keeps the case's state in the page: each step sends
// the diagram it started with, that state and one `itinera play` event, and draws what comes back
// (enabled work items, completed elements, tokens). Tests are saved scenarios (a play script with
// expectations) run in one click against the diagram being edited.
(function () {
  "use strict";
  const I = (window.Itinera = window.Itinera || {});

  function h(tag, attrs, children) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([key, value]) => {
      if (value === undefined || value === null || value === false) return;
      if (key === "text") node.textContent = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else if (value === true) node.setAttribute(key, "");
      else node.setAttribute(key, value);
    });
    (children || []).forEach((child) => { if (child !== null && child !== undefined && child !== false) node.append(child); });
    return node;
  }

  function parseJson(text, what) {
    if (!text.trim()) return {};
    try { return JSON.parse(text); } catch (error) { throw new Error(what + " is not valid JSON: " + error.message); }
  }

  I.simulation = function (app) {
    const modeler = app.modeler;
    const canvas = modeler.get("canvas");
    const overlays = modeler.get("overlays");
    const registry = modeler.get("elementRegistry");
    const eventBus = modeler.get("eventBus");
    const urls = app.config.urls;
    const root = document.getElementById("dryrun");
    const testsRoot = document.getElementById("tests");
    let run = null;
    let marks = [];
    let tokenOverlays = [];
    let message = null;

    // --- drawing on the diagram ------------------------------------------------------------
    function clearPaint() {
      marks.forEach(([id, css]) => { if (registry.get(id)) canvas.removeMarker(id, css); });
      tokenOverlays.forEach((id) => overlays.remove(id));
      marks = [];
      tokenOverlays = [];
    }

    function paint() {
      clearPaint();
      if (!run) return;
      const view = run.view;
      function mark(id, css) { if (registry.get(id)) { canvas.addMarker(id, css); marks.push([id, css]); } }
      Object.keys(view.log || {}).forEach((id) => mark(id, "itn-sim-done"));
      (view.work_items || []).forEach((item) => { if (item.status !== "withheld") mark(item.element, "itn-sim-enabled"); });
      Object.entries(view.tokens || {}).forEach(([id, count]) => {
        const element = registry.get(id);
        if (!element) return;
        const token = h("span", { class: "itn-sim-token", title: count + " token(s)", "data-element": id, text: String(count) });
        const position = element.waypoints ? { top: -10, left: -10 } : { bottom: 4, left: -8 };
        tokenOverlays.push(overlays.add(id, "itn-sim", { position: position, html: token }));
      });
    }

    // --- the dry run -----------------------------------------------------------------------
    function idle() {
      clearPaint();
      root.replaceChildren(
        h("p", { class: "small text-body-secondary", text: "Run the diagram as it is now, in memory: nothing is saved and no one gets a task." }),
        h("label", { class: "form-label small", for: "sim-data", text: "Initial case data (JSON)" }),
        h("textarea", { class: "form-control form-control-sm code mb-2", id: "sim-data", rows: 3, placeholder: '{"amount": 500}' }),
        h("button", { type: "button", class: "btn btn-sm btn-primary", id: "sim-start", text: "Start the dry run", onclick: start }),
        message,
      );
    }

    function note(kind, text) {
      message = h("div", { class: "alert alert-" + kind + " py-1 px-2 small mt-2 mb-2", role: kind === "danger" ? "alert" : "status", "data-testid": "sim-message", text: text });
    }

    async function start() {
      message = null;
      let data;
      try { data = parseJson(document.getElementById("sim-data").value, "The case data"); } catch (error) { note("danger", error.message); idle(); return; }
      const xml = await app.xml();
      const response = await app.api("POST", urls.dry_run_start, { bpmn_xml: xml, data: data });
      if (!response.ok) { note("danger", app.errorMessage(response)); idle(); return; }
      run = { xml: xml, view: response.data, data: data, events: [], steps: [{ event: null, ok: true, error: null, status: response.data.status }], stale: false };
      render();
      paint();
    }

    async function fire(event) {
      message = null;
      const response = await app.api("POST", urls.dry_run_fire, { bpmn_xml: run.xml, state: run.view.state, event: event });
      if (!response.ok) { note("danger", app.errorMessage(response)); render(); return; }
      const view = response.data;
      run.steps.push({ event: event, ok: view.ok, error: view.error, status: view.status });
      if (view.ok) {
        const recorded = Object.assign({}, event);
        // Item ids are only needed where several items of one element are open.
        if (recorded.item !== undefined && run.view.work_items.filter((item) => item.element === (recorded.complete || recorded.start || recorded.cancel)).length < 2) delete recorded.item;
        if (recorded.data && !Object.keys(recorded.data).length) delete recorded.data;
        run.events.push(recorded);
      } else {
        note("warning", "Rejected: " + view.error);
      }
      run.view = view;
      render();
      paint();
    }

    function stop() { run = null; message = null; idle(); }

    function dataInput(id, placeholder) {
      return h("input", { class: "form-control form-control-sm code", id: id, placeholder: placeholder || "{} data", "aria-label": "Data (JSON)" });
    }

    function withData(inputId, build) {
      return () => {
        let data;
        try { data = parseJson(document.getElementById(inputId).value, "The data"); } catch (error) { note("danger", error.message); render(); return; }
        fire(build(data));
      };
    }

    function render() {
      const view = run.view;
      const statusClass = view.status === "completed" ? "text-bg-success" : view.status === "running" ? "text-bg-primary" : "text-bg-danger";
      const parts = [
        h("div", { class: "d-flex align-items-center gap-2 mb-2" }, [
          h("span", { class: "badge " + statusClass, "data-testid": "sim-status", text: view.status }),
          h("span", { class: "small text-body-secondary", text: "clock " + new Date(view.clock).toLocaleString() }),
          h("span", { class: "ms-auto" }),
          h("button", { type: "button", class: "btn btn-sm btn-outline-secondary py-0", onclick: start, text: "Restart" }),
          h("button", { type: "button", class: "btn btn-sm btn-outline-secondary py-0", onclick: stop, text: "Stop" }),
        ]),
      ];
      if (run.stale) parts.push(h("div", { class: "alert alert-info py-1 px-2 small", text: "The diagram changed after the dry run started; it goes on with the diagram it started with. Restart to use the new one." }));
      if (message) parts.push(message);
      (view.incidents || []).forEach((incident) => parts.push(h("div", { class: "alert alert-danger py-1 px-2 small", role: "alert", text: "Incident" + (incident.element ? " at " + incident.element : "") + ": " + incident.message })));

      const items = h("ul", { class: "list-group list-group-flush small mb-2", "data-testid": "sim-work-items" });
      view.work_items.forEach((item) => {
        const inputId = "sim-item-data-" + item.id;
        const verb = item.status === "withheld" ? [] : [
          h("button", { type: "button", class: "btn btn-sm btn-success py-0", "data-testid": "sim-complete-" + item.element, onclick: withData(inputId, (data) => ({ complete: item.element, item: item.id, data: data })), text: "Complete" }),
          item.status === "open" ? h("button", { type: "button", class: "btn btn-sm btn-outline-secondary py-0", onclick: () => fire({ start: item.element, item: item.id }), text: "Start" }) : null,
          h("button", { type: "button", class: "btn btn-sm btn-outline-danger py-0", onclick: () => fire({ cancel: item.element, item: item.id }), text: "Cancel" }),
        ];
        items.append(h("li", { class: "list-group-item px-0", "data-element": item.element }, [
          h("div", {}, [h("strong", { text: item.name || item.element }), " ", h("code", { text: item.element }), " ", h("span", { class: "badge text-bg-light border", text: item.status })]),
          item.status === "withheld" ? null : h("div", { class: "d-flex gap-1 mt-1" }, [dataInput(inputId)].concat(verb)),
        ]));
      });
      if (!view.work_items.length) items.append(h("li", { class: "list-group-item px-0 text-body-secondary", text: "No work items." }));
      parts.push(h("h3", { class: "h6", text: "Work items" }), items);

      if (view.multi_instances.length) {
        const list = h("ul", { class: "list-unstyled small" });
        view.multi_instances.forEach((mi) => {
          const inputId = "sim-mi-" + mi.element;
          list.append(h("li", { class: "mb-1" }, [
            h("code", { text: mi.element }), " ",
            mi.dynamic && !mi.closed ? h("span", { class: "d-inline-flex gap-1" }, [
              dataInput(inputId),
              h("button", { type: "button", class: "btn btn-sm btn-outline-primary py-0", onclick: withData(inputId, (data) => ({ add_instance: mi.element, data: data })), text: "Add instance" }),
              h("button", { type: "button", class: "btn btn-sm btn-outline-secondary py-0", onclick: () => fire({ close_instances: mi.element }), text: "Close" }),
            ]) : null,
            h("button", { type: "button", class: "btn btn-sm btn-outline-warning py-0 ms-1", onclick: () => fire({ force_complete: mi.element }), text: "Force complete" }),
          ]));
        });
        parts.push(h("h3", { class: "h6", text: "Multiple instances" }), list);
      }

      const waits = h("ul", { class: "list-unstyled small mb-2", "data-testid": "sim-waiting" });
      view.timers.forEach((timer) => {
        waits.append(h("li", { class: "mb-1" }, ["⏱ ", h("code", { text: timer.element }), " due " + new Date(timer.due).toLocaleString() + " ",
          h("button", { type: "button", class: "btn btn-sm btn-outline-primary py-0", "data-testid": "sim-fire-" + timer.element, onclick: () => fire({ timer: timer.element, subscription: timer.subscription }), text: "Fire now" })]));
      });
      view.waiting.filter((entry) => !entry.startsWith("timer:")).forEach((entry) => {
        const [kind, name] = [entry.slice(0, entry.indexOf(":")), entry.slice(entry.indexOf(":") + 1)];
        const inputId = "sim-wait-" + kind + "-" + name.replace(/\W/g, "_");
        waits.append(h("li", { class: "d-flex gap-1 mb-1 align-items-center" }, [
          h("span", { text: kind === "message" ? "✉" : "⚑" }), h("code", { text: name }),
          kind === "message" ? dataInput(inputId) : null,
          h("button", { type: "button", class: "btn btn-sm btn-outline-primary py-0", onclick: kind === "message" ? withData(inputId, (data) => ({ message: name, data: data })) : () => fire({ signal: name }), text: kind === "message" ? "Send" : "Signal" }),
        ]));
      });
      if (!waits.children.length) waits.append(h("li", { class: "text-body-secondary", text: "Waiting for no timer, message or signal." }));
      parts.push(h("h3", { class: "h6", text: "Waiting for" }), waits);

      const other = h("div", { class: "d-flex flex-wrap gap-1 mb-2" }, [
        h("input", { class: "form-control form-control-sm code", id: "sim-advance", placeholder: "P1D", "aria-label": "Advance the clock by", style: "max-width:6rem" }),
        h("button", { type: "button", class: "btn btn-sm btn-outline-secondary", onclick: () => fire({ advance: document.getElementById("sim-advance").value.trim() || "PT1H" }), text: "Advance the clock" }),
        h("input", { class: "form-control form-control-sm code", id: "sim-message-name", placeholder: "name", "aria-label": "Message or signal name", style: "max-width:8rem" }),
        h("button", { type: "button", class: "btn btn-sm btn-outline-secondary", onclick: () => fire({ message: document.getElementById("sim-message-name").value.trim() }), text: "Message" }),
        h("button", { type: "button", class: "btn btn-sm btn-outline-secondary", onclick: () => fire({ signal: document.getElementById("sim-message-name").value.trim() }), text: "Signal" }),
        h("button", { type: "button", class: "btn btn-sm btn-outline-danger", onclick: () => fire({ cancel_case: true }), text: "Cancel the case" }),
      ]);
      parts.push(h("h3", { class: "h6", text: "Other events" }), other);

      parts.push(h("h3", { class: "h6", text: "Case data" }), h("pre", { class: "small bg-body-tertiary p-2 mb-2", "data-testid": "sim-data-view", text: JSON.stringify(view.data, null, 1) }));
      const steps = h("ol", { class: "sim-steps ps-3", start: "0", "data-testid": "sim-steps" });
      run.steps.forEach((step) => steps.append(h("li", { class: step.ok ? "" : "text-danger" }, [
        step.event ? JSON.stringify(step.event) : "started", " → " + step.status + (step.ok ? "" : " (rejected: " + step.error + ")"),
      ])));
      parts.push(h("h3", { class: "h6", text: "Steps" }), steps);
      parts.push(h("div", { class: "d-flex gap-1 mt-2" }, [
        h("input", { class: "form-control form-control-sm", id: "sim-scenario-name", placeholder: "Test name", "aria-label": "Test name" }),
        h("button", { type: "button", class: "btn btn-sm btn-outline-primary text-nowrap", "data-testid": "sim-save-test", onclick: saveAsTest, text: "Save as a test" }),
      ]));
      root.replaceChildren(...parts);
    }

    async function saveAsTest() {
      const name = document.getElementById("sim-scenario-name").value.trim() || "Dry run " + new Date().toLocaleString();
      const view = run.view;
      const expectation = { state: view.status, open: view.open, log: view.log };
      if (view.waiting.length) expectation.waiting = view.waiting;
      const body = { name: name, description: "Recorded in a dry run.", script: { data: run.data, events: run.events }, expect: [expectation] };
      const response = await app.api("POST", urls.scenarios, body);
      if (!response.ok) { note("danger", app.errorMessage(response)); render(); return; }
      note("success", "Saved the test “" + response.data.name + "”.");
      render();
      loadScenarios();
    }

    eventBus.on("commandStack.changed", (event) => {
      if (run && event.trigger !== "clear" && !run.stale) { run.stale = true; render(); }
    });
    eventBus.on("import.done", () => { if (run) { run.stale = true; render(); paint(); } });

    // --- tests -----------------------------------------------------------------------------
    let scenarios = [];
    let results = {};
    let editing = null;

    async function loadScenarios() {
      const response = await app.api("GET", urls.scenarios);
      if (response.ok) scenarios = response.data;
      renderTests();
    }

    async function runTests() {
      const button = document.getElementById("tests-run");
      if (button) button.disabled = true;
      const response = await app.api("POST", urls.scenarios_run, { bpmn_xml: await app.xml() });
      if (!response.ok) {
        results = {};
        renderTests(app.errorMessage(response));
        return;
      }
      results = {};
      response.data.results.forEach((result) => { results[result.id] = result; });
      renderTests(null, response.data);
    }

    function renderTests(error, summary) {
      const parts = [
        h("div", { class: "d-flex gap-2 align-items-center mb-2" }, [
          h("button", { type: "button", class: "btn btn-sm btn-primary", id: "tests-run", "data-testid": "run-tests", disabled: !scenarios.length, onclick: runTests, text: "Run all tests" }),
          h("button", { type: "button", class: "btn btn-sm btn-outline-secondary", onclick: () => edit(null), text: "New test" }),
          summary ? h("span", { class: "small fw-semibold " + (summary.failed ? "text-danger" : "text-success"), "data-testid": "tests-summary", text: summary.passed + " passed, " + summary.failed + " failed" }) : null,
        ]),
      ];
      if (error) parts.push(h("div", { class: "alert alert-danger py-1 small", role: "alert", text: error }));
      if (editing) parts.push(editor());
      if (!scenarios.length && !editing) parts.push(h("p", { class: "small text-body-secondary", text: "No tests yet. Record one in the dry run, or write one: an itinera play script with expectations." }));
      scenarios.forEach((scenario) => {
        const result = results[scenario.id];
        const item = h("div", { class: "card card-body p-2 mb-2 small scenario-result" + (result ? (result.passed ? " passed" : " failed") : ""), "data-scenario": scenario.name }, [
          h("div", { class: "d-flex align-items-center gap-1" }, [
            h("strong", { class: "me-auto", text: scenario.name }),
            result ? h("span", { class: "badge " + (result.passed ? "text-bg-success" : "text-bg-danger"), "data-testid": "test-result", text: result.passed ? "pass" : "fail" }) : null,
            h("button", { type: "button", class: "btn btn-sm btn-outline-secondary py-0", onclick: () => edit(scenario), text: "Edit" }),
            h("button", { type: "button", class: "btn btn-sm btn-outline-danger py-0", onclick: () => remove(scenario), text: "Delete" }),
          ]),
          scenario.description ? h("div", { class: "text-body-secondary", text: scenario.description }) : null,
        ]);
        if (result && !result.passed) {
          const list = h("ul", { class: "mb-0 mt-1 text-danger" });
          if (result.error) list.append(h("li", { text: result.error }));
          result.failures.forEach((failure) => list.append(h("li", { text: failure.message })));
          item.append(list);
        }
        parts.push(item);
      });
      testsRoot.replaceChildren(...parts);
    }

    function edit(scenario) {
      editing = scenario ? Object.assign({}, scenario) : { id: null, name: "", description: "", script: { data: {}, events: [] }, expect: [{ state: "completed" }] };
      renderTests();
    }

    function editor() {
      const documentText = JSON.stringify(Object.assign({}, editing.script && !Array.isArray(editing.script) ? editing.script : { events: editing.script }, { expect: editing.expect }), null, 1);
      const feedback = h("div", { class: "small text-danger", id: "test-editor-error", role: "alert" });
      async function save() {
        let parsed;
        try { parsed = JSON.parse(document.getElementById("test-editor-script").value); } catch (error) { feedback.textContent = "Not valid JSON: " + error.message; return; }
        const expect = parsed.expect === undefined ? [] : parsed.expect;
        const script = Object.assign({}, parsed);
        delete script.expect;
        const body = { name: document.getElementById("test-editor-name").value, description: document.getElementById("test-editor-description").value, script: script, expect: expect };
        const response = editing.id ? await app.api("PUT", urls.scenarios + editing.id + "/", body) : await app.api("POST", urls.scenarios, body);
        if (!response.ok) { feedback.textContent = app.errorMessage(response); return; }
        editing = null;
        loadScenarios();
      }
      return h("div", { class: "card card-body p-2 mb-2", "data-testid": "test-editor" }, [
        h("label", { class: "form-label small", for: "test-editor-name", text: "Name" }),
        h("input", { class: "form-control form-control-sm mb-1", id: "test-editor-name", value: editing.name }),
        h("label", { class: "form-label small", for: "test-editor-description", text: "Description" }),
        h("input", { class: "form-control form-control-sm mb-1", id: "test-editor-description", value: editing.description }),
        h("label", { class: "form-label small", for: "test-editor-script", text: "Script and expectations (itinera play JSON with \"expect\")" }),
        (() => { const area = h("textarea", { class: "form-control form-control-sm code mb-1", id: "test-editor-script", rows: 10 }); area.value = documentText; return area; })(),
        h("div", { class: "form-text mb-1", text: 'Expectations: [{"step": 1, "open": {"Task": 1}}, {"state": "completed", "log": {...}, "data": {...}}]; without "step" the last step.' }),
        feedback,
        h("div", { class: "d-flex gap-1" }, [
          h("button", { type: "button", class: "btn btn-sm btn-primary", onclick: save, text: "Save the test" }),
          h("button", { type: "button", class: "btn btn-sm btn-outline-secondary", onclick: () => { editing = null; renderTests(); }, text: "Cancel" }),
        ]),
      ]);
    }

    async function remove(scenario) {
      if (!window.confirm("Delete the test “" + scenario.name + "”?")) return;
      const response = await app.api("DELETE", urls.scenarios + scenario.id + "/");
      if (!response.ok) { renderTests(app.errorMessage(response)); return; }
      delete results[scenario.id];
      loadScenarios();
    }

    idle();
    loadScenarios();
    return { paint: paint };
  };
})();
