// The rules editor: condition rules and decision tables edited in place, every problem shown
// under the cell or field it is about (checked by the server as you type), a "try it" box
// that evaluates the draft on sample data and marks the rows that matched.
(function () {
  "use strict";

  const root = document.getElementById("rule-editor");
  const dataNode = document.getElementById("rule-data");
  if (!root || !dataNode) return;
  const state = JSON.parse(dataNode.textContent);
  let definition = state.definition;
  let lockVersion = state.lock_version;
  const api = "/api/rules/" + state.id;
  const statusNode = document.getElementById("editor-status");
  const TYPES = ["any", "string", "number", "boolean"];
  const HIT_POLICIES = ["unique", "first", "priority", "any", "collect", "rule_order", "output_order"];
  const AGGREGATIONS = ["", "sum", "min", "max", "count"];
  const OPERATORS = ["eq", "ne", "lt", "lte", "gt", "gte", "in", "not_in", "contains", "between", "is_empty"];
  const PLACEHOLDERS = { number: ">= 620, [1..10), -", string: '"gold","silver", not("x")', boolean: "true, false, -", any: "-" };

  function csrfToken() {
    try { return JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"]; } catch (e) { return ""; }
  }

  async function call(method, path, body, base) {
    const response = await fetch((base || api) + path, {
      method: method,
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken(), Accept: "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
    });
    let payload = null;
    try { payload = await response.json(); } catch (e) { payload = null; }
    return { ok: response.ok, status: response.status, body: payload };
  }

  function el(tag, attributes, children) {
    const node = document.createElement(tag);
    Object.entries(attributes || {}).forEach(([key, value]) => {
      if (key === "text") node.textContent = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else if (value !== null && value !== undefined && value !== false) node.setAttribute(key, value === true ? "" : value);
    });
    (children || []).forEach((child) => child && node.appendChild(child));
    return node;
  }

  function say(message, kind) {
    statusNode.textContent = message;
    statusNode.className = "small mt-2 text-" + (kind || "body-secondary");
  }

  function select(options, value, attributes, onchange) {
    const node = el("select", Object.assign({ class: "form-select form-select-sm" }, attributes));
    options.forEach((option) => {
      const item = el("option", { value: option, text: option || "(none)" });
      if (option === (value || "")) item.selected = true;
      node.appendChild(item);
    });
    node.addEventListener("change", () => { onchange(node.value); changed(true); });
    if (!state.can_edit) node.disabled = true;
    return node;
  }

  function textInput(value, attributes, oninput) {
    const node = el("input", Object.assign({ class: "form-control form-control-sm", value: value === null || value === undefined ? "" : value }, attributes));
    node.addEventListener("input", () => { oninput(node.value); changed(false); });
    if (!state.can_edit) node.readOnly = true;
    return node;
  }

  function cellText(value) {
    if (value === null || value === undefined) return "";
    return typeof value === "string" ? value : JSON.stringify(value);
  }

  // Every field that can have a problem carries data-path, the path the server reports.
  function field(node, path) {
    node.dataset.path = path;
    const wrapper = el("div", { class: "rule-field" }, [node, el("div", { class: "invalid-feedback", "data-feedback-for": path })]);
    return wrapper;
  }

  // -- Decision tables --------------------------------------------------------------------------
  function renderTable() {
    const table = definition;
    const settings = el("div", { class: "d-flex flex-wrap gap-3 mb-2 align-items-end" }, [
      el("div", {}, [el("label", { class: "form-label small mb-0", for: "hit-policy", text: "Hit policy" }),
        field(select(HIT_POLICIES, table.hit_policy, { id: "hit-policy" }, (v) => { table.hit_policy = v; render(); }), "hit_policy")]),
      table.hit_policy === "collect" ? el("div", {}, [el("label", { class: "form-label small mb-0", for: "aggregation", text: "Aggregation" }),
        field(select(AGGREGATIONS, table.aggregation, { id: "aggregation" }, (v) => { table.aggregation = v || null; }), "aggregation")]) : null,
    ]);
    const head = el("tr", {}, [el("th", { scope: "col", text: "#" })]);
    table.inputs.forEach((column, index) => {
      head.appendChild(el("th", { scope: "col", class: "rule-input-head" }, [
        el("div", { class: "small text-body-secondary", text: "When" }),
        field(textInput(column.label, { "aria-label": "Input " + (index + 1) + " label", placeholder: "label" }, (v) => { column.label = v; }), "inputs[" + index + "].label"),
        field(textInput(column.expression, { "aria-label": "Input " + (index + 1) + " expression", class: "form-control form-control-sm font-monospace", placeholder: "credit_score" }, (v) => { column.expression = v; }), "inputs[" + index + "].expression"),
        field(select(TYPES, column.type || "any", { "aria-label": "Input " + (index + 1) + " type" }, (v) => { column.type = v; render(); }), "inputs[" + index + "].type"),
        state.can_edit && table.inputs.length > 1 ? el("button", { type: "button", class: "btn btn-link btn-sm p-0", text: "remove column",
          onclick: () => { table.inputs.splice(index, 1); table.rules.forEach((row) => row.inputs.splice(index, 1)); changed(true); render(); } }) : null,
      ]));
    });
    table.outputs.forEach((column, index) => {
      head.appendChild(el("th", { scope: "col", class: "rule-output-head" }, [
        el("div", { class: "small text-body-secondary", text: "Then" }),
        field(textInput(column.name, { "aria-label": "Output " + (index + 1) + " name", class: "form-control form-control-sm font-monospace", placeholder: "decision" }, (v) => { column.name = v; }), "outputs[" + index + "].name"),
        field(select(TYPES, column.type || "any", { "aria-label": "Output " + (index + 1) + " type" }, (v) => { column.type = v; render(); }), "outputs[" + index + "].type"),
        state.can_edit && table.outputs.length > 1 ? el("button", { type: "button", class: "btn btn-link btn-sm p-0", text: "remove column",
          onclick: () => { table.outputs.splice(index, 1); table.rules.forEach((row) => row.outputs.splice(index, 1)); changed(true); render(); } }) : null,
      ]));
    });
    head.appendChild(el("th", { scope: "col", text: "Description" }));
    head.appendChild(el("th", { scope: "col" }, [el("span", { class: "visually-hidden", text: "Row actions" })]));
    const body = el("tbody");
    table.rules.forEach((row, rowIndex) => {
      const line = el("tr", { "data-row": rowIndex }, [el("th", { scope: "row", text: String(rowIndex + 1) })]);
      table.inputs.forEach((column, index) => {
        const path = "rules[" + rowIndex + "].inputs[" + index + "]";
        line.appendChild(el("td", { class: "cell-" + (column.type || "any") }, [field(textInput(cellText(row.inputs[index]), {
          class: "form-control form-control-sm font-monospace", "aria-label": "Row " + (rowIndex + 1) + " " + (column.label || column.expression),
          placeholder: PLACEHOLDERS[column.type || "any"], "data-cell": path }, (v) => { row.inputs[index] = v; }), path)]));
      });
      table.outputs.forEach((column, index) => {
        const path = "rules[" + rowIndex + "].outputs[" + index + "]";
        line.appendChild(el("td", { class: "cell-" + (column.type || "any") }, [field(textInput(cellText(row.outputs[index]), {
          class: "form-control form-control-sm font-monospace", "aria-label": "Row " + (rowIndex + 1) + " " + column.name,
          placeholder: column.type === "string" ? '"text"' : column.type === "number" ? "0" : column.type === "boolean" ? "true" : "value", "data-cell": path }, (v) => { row.outputs[index] = v; }), path)]));
      });
      line.appendChild(el("td", {}, [field(textInput(row.description || "", { "aria-label": "Row " + (rowIndex + 1) + " description" }, (v) => { row.description = v; }), "rules[" + rowIndex + "].description")]));
      line.appendChild(el("td", {}, [state.can_edit ? el("button", { type: "button", class: "btn btn-outline-danger btn-sm", "aria-label": "Remove row " + (rowIndex + 1), text: "×",
        onclick: () => { table.rules.splice(rowIndex, 1); changed(true); render(); } }) : null]));
      body.appendChild(line);
    });
    const actions = state.can_edit ? el("div", { class: "d-flex gap-2 mt-2" }, [
      el("button", { type: "button", class: "btn btn-outline-secondary btn-sm", id: "add-row", text: "+ Row",
        onclick: () => { table.rules.push({ inputs: table.inputs.map(() => "-"), outputs: table.outputs.map(() => ""), description: "" }); changed(true); render(); } }),
      el("button", { type: "button", class: "btn btn-outline-secondary btn-sm", id: "add-input", text: "+ Input column",
        onclick: () => { table.inputs.push({ label: "", expression: "", type: "any" }); table.rules.forEach((row) => row.inputs.push("-")); changed(true); render(); } }),
      el("button", { type: "button", class: "btn btn-outline-secondary btn-sm", id: "add-output", text: "+ Output column",
        onclick: () => { table.outputs.push({ name: "output" + (table.outputs.length + 1), label: "", type: "any" }); table.rules.forEach((row) => row.outputs.push("")); changed(true); render(); } }),
    ]) : null;
    return el("div", {}, [settings, el("div", { class: "table-responsive" }, [
      el("table", { class: "table table-sm table-bordered align-top rule-table", "data-testid": "decision-table" }, [el("thead", {}, [head]), body])]), actions]);
  }

  // -- Condition rules --------------------------------------------------------------------------
  function valueText(value) {
    if (Array.isArray(value)) return value.map((item) => JSON.stringify(item)).join(", ");
    if (value === null || value === undefined) return "";
    return typeof value === "string" ? value : JSON.stringify(value);
  }

  function parseValue(text, operator) {
    const one = (part) => {
      const trimmed = part.trim();
      try { return JSON.parse(trimmed); } catch (e) { return trimmed; }
    };
    if (["in", "not_in", "between"].includes(operator)) return text.trim() === "" ? [] : text.split(",").map(one);
    if (operator === "is_empty") return text.trim() !== "false";
    return one(text);
  }

  function renderConditions() {
    const rule = definition;
    const usesExpression = typeof rule.expression === "string" && !rule.conditions;
    const mode = select(["conditions", "expression"], usesExpression ? "expression" : "conditions", { id: "condition-mode", "aria-label": "Written as" }, (v) => {
      if (v === "expression") { rule.expression = rule.expression || ""; delete rule.conditions; }
      else { rule.conditions = rule.conditions || [{ field: "", operator: "eq", value: "" }]; rule.combine = rule.combine || "all"; delete rule.expression; }
      render();
    });
    if (usesExpression) {
      const area = el("textarea", { class: "form-control font-monospace", rows: 3, id: "condition-expression", "aria-label": "Expression" });
      area.value = rule.expression;
      area.addEventListener("input", () => { rule.expression = area.value; changed(false); });
      if (!state.can_edit) area.readOnly = true;
      return el("div", {}, [mode, el("div", { class: "mt-2" }, [field(area, "expression")])]);
    }
    const list = el("tbody");
    rule.conditions.forEach((condition, index) => {
      const path = "conditions[" + index + "]";
      if (condition.expression !== undefined) {
        list.appendChild(el("tr", { "data-row": index }, [el("th", { scope: "row", text: String(index + 1) }),
          el("td", { colspan: 3 }, [field(textInput(condition.expression, { class: "form-control form-control-sm font-monospace", "aria-label": "Condition " + (index + 1) + " expression" }, (v) => { condition.expression = v; }), path + ".expression")]),
          el("td")]));
        return;
      }
      list.appendChild(el("tr", { "data-row": index }, [
        el("th", { scope: "row", text: String(index + 1) }),
        el("td", {}, [field(textInput(condition.field, { class: "form-control form-control-sm font-monospace", "aria-label": "Condition " + (index + 1) + " field", placeholder: "credit_score" }, (v) => { condition.field = v; }), path + ".field")]),
        el("td", {}, [field(select(OPERATORS, condition.operator, { "aria-label": "Condition " + (index + 1) + " operator" }, (v) => { condition.operator = v; condition.value = parseValue(valueText(condition.value), v); render(); }), path + ".operator")]),
        el("td", {}, [field(textInput(valueText(condition.value), { class: "form-control form-control-sm font-monospace", "aria-label": "Condition " + (index + 1) + " value",
          placeholder: ["in", "not_in"].includes(condition.operator) ? '"gold", "silver"' : condition.operator === "between" ? "600, 700" : condition.operator === "is_empty" ? "true" : "620" },
          (v) => { condition.value = parseValue(v, condition.operator); }), path + ".value")]),
        el("td", {}, [state.can_edit ? el("button", { type: "button", class: "btn btn-outline-danger btn-sm", "aria-label": "Remove condition " + (index + 1), text: "×",
          onclick: () => { rule.conditions.splice(index, 1); changed(true); render(); } }) : null]),
      ]));
    });
    return el("div", {}, [
      el("div", { class: "d-flex gap-3 align-items-end mb-2" }, [
        el("div", {}, [el("label", { class: "form-label small mb-0", for: "condition-mode", text: "Written as" }), mode]),
        el("div", {}, [el("label", { class: "form-label small mb-0", for: "combine", text: "Holds when" }),
          field(select(["all", "any"], rule.combine || "all", { id: "combine" }, (v) => { rule.combine = v; }), "combine")]),
      ]),
      el("table", { class: "table table-sm align-top", "data-testid": "conditions" }, [
        el("thead", {}, [el("tr", {}, [el("th", { scope: "col", text: "#" }), el("th", { scope: "col", text: "Field" }), el("th", { scope: "col", text: "Operator" }), el("th", { scope: "col", text: "Value" }), el("th", { scope: "col" }, [el("span", { class: "visually-hidden", text: "Actions" })])])]),
        list]),
      state.can_edit ? el("div", { class: "d-flex gap-2" }, [
        el("button", { type: "button", class: "btn btn-outline-secondary btn-sm", id: "add-condition", text: "+ Condition",
          onclick: () => { rule.conditions.push({ field: "", operator: "eq", value: "" }); changed(true); render(); } }),
        el("button", { type: "button", class: "btn btn-outline-secondary btn-sm", text: "+ Expression",
          onclick: () => { rule.conditions.push({ expression: "" }); changed(true); render(); } }),
      ]) : null,
    ]);
  }

  // -- Problems, saving, publishing ---------------------------------------------------------------
  let lastProblems = [];
  function showProblems(problems) {
    lastProblems = problems || [];
    root.querySelectorAll(".is-invalid").forEach((node) => node.classList.remove("is-invalid"));
    root.querySelectorAll(".invalid-feedback").forEach((node) => { node.textContent = ""; });
    let unplaced = [];
    lastProblems.forEach((problem) => {
      const path = problem.path.replace(/^definition\.?/, "");
      const target = root.querySelector('[data-path="' + CSS.escape(path) + '"]');
      const feedback = root.querySelector('[data-feedback-for="' + CSS.escape(path) + '"]');
      const where = problem.offset === null || problem.offset === undefined ? "" : " (at character " + (problem.offset + 1) + ")";
      if (target && feedback) {
        target.classList.add("is-invalid");
        feedback.textContent = feedback.textContent ? feedback.textContent + " " + problem.message + where : problem.message + where;
      } else {
        unplaced.push((path ? path + ": " : "") + problem.message);
      }
    });
    if (lastProblems.length) say(lastProblems.length + " problem(s) in the draft" + (unplaced.length ? ": " + unplaced.join("; ") : "") + ".", "danger");
    else say(dirty ? "No problems; not saved yet." : "No problems.", "success");
  }

  let checkTimer = null;
  let dirty = false;
  // Each check and save takes the next number; an answer that comes back after a later request
  // was sent says nothing (a slow check must not write over "Draft saved.").
  let latestRequest = 0;
  function changed(now) {
    dirty = true;
    clearTimeout(checkTimer);
    checkTimer = setTimeout(check, now ? 0 : 400);
  }

  async function check() {
    const mine = ++latestRequest;
    const response = await call("POST", "/check", { definition: definition });
    if (mine !== latestRequest) return;
    if (response.ok) showProblems(response.body.problems);
    else if (response.body && response.body.error) say(response.body.error.message, "danger");
  }

  async function save() {
    clearTimeout(checkTimer);
    latestRequest += 1;
    const response = await call("PUT", "/draft/", { definition: definition, lock_version: lockVersion });
    if (response.ok) {
      lockVersion = response.body.lock_version;
      dirty = false;
      say("Draft saved.", "success");
      return true;
    }
    const error = (response.body && response.body.error) || { message: "The draft was not saved." };
    if (error.details && error.details.problems) showProblems(error.details.problems);
    say("Not saved: " + error.message, "danger");
    return false;
  }

  async function publish() {
    if (dirty && state.can_edit && !(await save())) return;
    const note = document.getElementById("publish-note");
    const response = await call("POST", "/publish", { note: note ? note.value : "" });
    if (response.ok) {
      say("Published as version " + response.body.number + ". Reloading…", "success");
      window.location.reload();
      return;
    }
    const error = response.body && response.body.error;
    if (error && error.details && error.details.problems) showProblems(error.details.problems);
    say("Not published: " + (error ? error.message : "error " + response.status), "danger");
  }

  // -- Try it ---------------------------------------------------------------------------------
  const tryData = document.getElementById("try-data");
  const tryResult = document.getElementById("try-result");
  if (tryData) {
    const sample = {};
    (state.inputs || []).forEach((name) => { sample[name] = null; });
    tryData.value = JSON.stringify(sample, null, 2);
  }

  function markRows(matched, selected) {
    root.querySelectorAll("tr[data-row]").forEach((line) => {
      const index = Number(line.dataset.row);
      line.classList.toggle("table-success", selected.includes(index));
      line.classList.toggle("table-info", matched.includes(index) && !selected.includes(index));
      line.classList.toggle("rule-selected", selected.includes(index));
      line.classList.toggle("rule-matched", matched.includes(index));
    });
  }

  async function tryIt() {
    let data;
    try { data = JSON.parse(tryData.value || "{}"); } catch (e) {
      tryResult.innerHTML = "";
      tryResult.appendChild(el("div", { class: "alert alert-danger py-1 mb-0", text: "The sample data is not JSON: " + e.message }));
      return;
    }
    // The page's own endpoint: a rule that fails on the sample is an outcome to show, not an error.
    const response = await call("POST", "try/", { data: data, definition: definition }, "/rules/" + state.id + "/");
    tryResult.innerHTML = "";
    if (!response.ok || (response.body && response.body.error)) {
      const error = (response.body && response.body.error) || { message: "error " + response.status };
      markRows((error.details && error.details.rows) || [], []);
      if (error.details && error.details.problems) showProblems(error.details.problems);
      tryResult.appendChild(el("div", { class: "alert alert-danger py-1 mb-0", "data-testid": "try-error", text: error.message }));
      return;
    }
    const result = response.body;
    markRows(result.matched, result.selected);
    const rows = definition.kind === "decision_table"
      ? (result.matched.length ? "Matched row" + (result.matched.length > 1 ? "s " : " ") + result.matched.map((row) => (row + 1) + (result.selected.includes(row) ? " (used)" : "")).join(", ") : "No row matched.")
      : (result.matched.length ? "Conditions that held: " + result.matched.map((row) => row + 1).join(", ") : "No condition held.");
    tryResult.appendChild(el("div", { class: "alert alert-success py-1 mb-1", "data-testid": "try-rows", text: rows }));
    tryResult.appendChild(el("pre", { class: "bg-body-tertiary p-2 mb-0", "data-testid": "try-output", text: "Result: " + JSON.stringify(result.result, null, 2) }));
  }

  function render() {
    root.innerHTML = "";
    root.appendChild(definition.kind === "decision_table" ? renderTable() : renderConditions());
    showProblems(lastProblems);
  }

  const saveButton = document.getElementById("save-draft");
  if (saveButton) saveButton.addEventListener("click", save);
  const publishButton = document.getElementById("publish");
  if (publishButton) publishButton.addEventListener("click", publish);
  const tryButton = document.getElementById("try-it");
  if (tryButton) tryButton.addEventListener("click", tryIt);
  render();
  check();
})();
