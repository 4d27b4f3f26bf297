// The designer: bpmn-js Modeler on a journey's draft. Saving with conflict detection, validation
// findings as markers and a list, import and export (.bpmn, SVG), versions, and publishing after a
// diff against the previous version. The properties panel and the dry run live in their own files.
(function () {
  "use strict";
  const I = window.Itinera;
  const config = JSON.parse(document.getElementById("designer-config").textContent);
  const sourceXml = JSON.parse(document.getElementById("designer-source").textContent);
  const headers = JSON.parse(document.body.getAttribute("hx-headers") || "{}");

  // bpmn-js rebuilds each plane's DI from what it draws when it saves, so the DI of elements it
  // cannot draw (a process no pool refers to, on a collaboration's plane) would be lost: keep it.
  function KeepUndrawnDi(eventBus, elementRegistry, bpmnjs) {
    let kept = [];
    eventBus.on("import.done", () => {
      kept = [];
      const definitions = bpmnjs.getDefinitions();
      ((definitions && definitions.diagrams) || []).forEach((diagram) => {
        const plane = diagram.plane;
        if (!plane) return;
        const undrawn = (plane.planeElement || []).filter((di) => !di.bpmnElement || !elementRegistry.get(di.bpmnElement.id));
        if (undrawn.length) kept.push([plane, undrawn]);
      });
    });
    eventBus.on("saveXML.start", 500, () => {
      kept.forEach(([plane, undrawn]) => {
        const current = plane.get("planeElement");
        undrawn.forEach((di) => { if (!current.includes(di)) current.push(di); });
      });
    });
  }
  KeepUndrawnDi.$inject = ["eventBus", "elementRegistry", "bpmnjs"];

  const modeler = new window.BpmnJS({
    container: "#canvas",
    additionalModules: [I.paletteModule, { __init__: ["keepUndrawnDi"], keepUndrawnDi: ["type", KeepUndrawnDi] }],
    moddleExtensions: { itn: I.moddle },
  });
  const canvas = modeler.get("canvas");
  const registry = modeler.get("elementRegistry");
  const eventBus = modeler.get("eventBus");
  const commandStack = modeler.get("commandStack");
  const overlays = modeler.get("overlays");
  const selection = modeler.get("selection");

  const status = document.getElementById("save-status");
  const badge = document.getElementById("version-badge");
  const problemsBadge = document.getElementById("problems-badge");
  const alerts = document.getElementById("designer-alerts");

  const app = {
    config: config,
    modeler: modeler,
    lockVersion: config.lock_version,
    number: config.number,
    status: config.status,
    dirty: false,
    findings: [],
    errors: 0,
  };
  I.app = app;

  // --- helpers -----------------------------------------------------------------------------
  app.api = async function (method, url, body) {
    const options = { method: method, credentials: "same-origin", headers: Object.assign({ Accept: "application/json" }, headers) };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    const response = await fetch(url, options);
    let data = null;
    if (response.status !== 204) data = await response.json().catch(() => null);
    return { ok: response.ok, status: response.status, data: data };
  };

  app.errorMessage = function (response) {
    const error = response.data && response.data.error;
    return error ? error.message : "The server answered " + response.status + ".";
  };

  app.alert = function (kind, message, extra) {
    const box = document.createElement("div");
    box.className = "alert alert-" + kind + " alert-dismissible py-2 small mb-2";
    box.setAttribute("role", kind === "danger" ? "alert" : "status");
    box.dataset.testid = "designer-alert";
    const text = document.createElement("span");
    text.textContent = message;
    box.append(text);
    (extra || []).forEach((node) => box.append(" ", node));
    const close = document.createElement("button");
    close.type = "button";
    close.className = "btn-close";
    close.setAttribute("data-bs-dismiss", "alert");
    close.setAttribute("aria-label", "Close");
    box.append(close);
    alerts.replaceChildren(box);
    return box;
  };

  app.xml = async function () {
    const result = await modeler.saveXML({ format: true });
    return result.xml;
  };

  app.focus = function (elementId) {
    const element = elementId && registry.get(elementId);
    const tab = document.getElementById("tab-properties-button");
    if (element && element !== canvas.getRootElement()) {
      selection.select(element);
      canvas.scrollToElement(element);
    } else {
      selection.select([]);
    }
    window.bootstrap.Tab.getOrCreateInstance(tab).show();
  };

  function download(name, text, type) {
    const link = document.createElement("a");
    link.href = URL.createObjectURL(new Blob([text], { type: type }));
    link.download = name;
    document.body.append(link);
    link.click();
    link.remove();
    window.setTimeout(() => URL.revokeObjectURL(link.href), 1000);
  }

  function setStatus(text) { status.textContent = text; }

  function showVersion() {
    if (app.lockVersion !== null && app.lockVersion !== undefined) {
      badge.textContent = "Draft v" + app.number;
      badge.className = "badge text-bg-warning";
    } else if (app.number) {
      badge.textContent = "v" + app.number + " " + app.status + " · changes start a new draft";
      badge.className = "badge text-bg-secondary";
    } else {
      badge.textContent = "New";
    }
  }

  function markDirty(value) {
    app.dirty = value;
    if (value) setStatus("Unsaved changes");
  }

  function toggleEmptyHint() {
    const root = canvas.getRootElement();
    const empty = !root || !(root.children || []).length;
    document.getElementById("empty-hint").classList.toggle("d-none", !empty);
  }

  // --- validation --------------------------------------------------------------------------
  let findingMarks = [];
  let findingOverlays = [];
  let validateTimer = null;
  let validatePending = false;
  let validateRound = 0;

  function drawFindings() {
    findingMarks.forEach(([id, css]) => { if (registry.get(id)) canvas.removeMarker(id, css); });
    findingOverlays.forEach((id) => overlays.remove(id));
    findingMarks = [];
    findingOverlays = [];
    const seen = {};
    app.findings.forEach((finding) => {
      const element = finding.element_id && registry.get(finding.element_id);
      if (!element || element === canvas.getRootElement()) return;
      const css = "itn-finding-" + finding.severity;
      if (seen[element.id] === "error") return;
      if (seen[element.id]) canvas.removeMarker(element.id, "itn-finding-" + seen[element.id]);
      seen[element.id] = finding.severity;
      canvas.addMarker(element.id, css);
      findingMarks.push([element.id, css]);
    });
    Object.entries(seen).forEach(([id, severity]) => {
      const element = registry.get(id);
      const badgeNode = document.createElement("span");
      badgeNode.className = "itn-finding-badge " + severity;
      badgeNode.textContent = "!";
      badgeNode.title = app.findings.filter((f) => f.element_id === id).map((f) => f.message).join("\n");
      badgeNode.dataset.element = id;
      badgeNode.addEventListener("click", () => app.focus(id));
      const position = element.waypoints ? { top: -8, left: -8 } : { top: -8, right: 8 };
      findingOverlays.push(overlays.add(id, "itn-finding", { position: position, html: badgeNode }));
    });
  }

  function renderProblems() {
    const list = document.getElementById("problems-list");
    list.replaceChildren();
    if (!app.findings.length) {
      const item = document.createElement("li");
      item.className = "list-group-item text-success";
      item.textContent = "No problems: the process can be published.";
      list.append(item);
    }
    app.findings.forEach((finding) => {
      const item = document.createElement("li");
      item.className = "list-group-item list-group-item-action problem-item";
      item.tabIndex = 0;
      item.dataset.element = finding.element_id || "";
      item.dataset.severity = finding.severity;
      const label = document.createElement("span");
      label.className = "badge me-1 " + (finding.severity === "error" ? "text-bg-danger" : "text-bg-warning");
      label.textContent = finding.severity;
      const where = document.createElement("code");
      where.className = "me-1";
      where.textContent = finding.element_id || "process";
      item.append(label, where, document.createTextNode(finding.message));
      const go = () => app.focus(finding.element_id);
      item.addEventListener("click", go);
      item.addEventListener("keydown", (event) => { if (event.key === "Enter") go(); });
      list.append(item);
    });
    list.dataset.codes = app.findings.map((f) => f.code).join(" ");
    const errors = app.findings.filter((f) => f.severity === "error").length;
    const warnings = app.findings.length - errors;
    app.errors = errors;
    problemsBadge.dataset.errors = String(errors);
    problemsBadge.dataset.warnings = String(warnings);
    if (errors) {
      problemsBadge.className = "badge text-bg-danger";
      problemsBadge.textContent = errors + (errors === 1 ? " error" : " errors") + (warnings ? ", " + warnings + " warning" + (warnings === 1 ? "" : "s") : "");
    } else if (warnings) {
      problemsBadge.className = "badge text-bg-warning";
      problemsBadge.textContent = warnings + (warnings === 1 ? " warning" : " warnings");
    } else {
      problemsBadge.className = "badge text-bg-success";
      problemsBadge.textContent = "Valid";
    }
    document.getElementById("tab-problems-button").textContent = "Problems" + (app.findings.length ? " (" + app.findings.length + ")" : "");
  }

  app.validate = async function () {
    validatePending = false;
    const round = ++validateRound;
    const xml = (await modeler.saveXML({ format: false })).xml;
    const response = await app.api("POST", config.urls.validate, { bpmn_xml: xml });
    if (round !== validateRound) return;
    if (response.ok) {
      app.findings = response.data.findings;
    } else {
      app.findings = [{ severity: "error", element_id: null, code: "invalid", message: app.errorMessage(response) }];
    }
    drawFindings();
    renderProblems();
    // Settled: no newer check is running or waiting to run.
    if (!validatePending) {
      problemsBadge.dataset.round = String(round);
      problemsBadge.classList.remove("opacity-50");
      problemsBadge.title = "";
    }
  };

  function scheduleValidate() {
    validatePending = true;
    problemsBadge.dataset.round = "";
    problemsBadge.classList.add("opacity-50");
    problemsBadge.title = "Checking the changes…";
    window.clearTimeout(validateTimer);
    validateTimer = window.setTimeout(app.validate, 400);
  }

  // --- loading, saving ---------------------------------------------------------------------
  async function load(xml) {
    try {
      const result = await modeler.importXML(xml);
      canvas.zoom("fit-viewport", "auto");
      if ((canvas.getRootElement().children || []).length === 0) canvas.zoom(1);
      toggleEmptyHint();
      scheduleValidate();
      return result.warnings || [];
    } catch (error) {
      app.alert("danger", "The diagram could not be opened: " + error.message);
      throw error;
    }
  }

  app.save = async function () {
    const xml = await app.xml();
    setStatus("Saving…");
    const response = await app.api("PUT", config.urls.draft, { bpmn_xml: xml, lock_version: app.lockVersion });
    if (response.ok) {
      app.lockVersion = response.data.lock_version;
      app.number = response.data.number;
      app.status = response.data.status;
      markDirty(false);
      setStatus("Saved at " + new Date().toLocaleTimeString());
      showVersion();
      refreshVersions();
      return true;
    }
    if (response.status === 409) {
      setStatus("Not saved");
      const reload = document.createElement("button");
      reload.type = "button";
      reload.className = "btn btn-sm btn-outline-danger";
      reload.textContent = "Load the saved draft (drop my changes)";
      reload.addEventListener("click", reloadDraft);
      const keep = document.createElement("button");
      keep.type = "button";
      keep.className = "btn btn-sm btn-outline-secondary";
      keep.textContent = "Download my version";
      keep.addEventListener("click", async () => download(config.journey.key + "-mine.bpmn", await app.xml(), "application/xml"));
      app.alert("danger", "Conflict: " + app.errorMessage(response), [reload, keep]).dataset.testid = "conflict-alert";
      return false;
    }
    setStatus("Not saved");
    app.alert("danger", "Not saved: " + app.errorMessage(response));
    return false;
  };

  async function reloadDraft() {
    const response = await app.api("GET", config.urls.draft);
    if (!response.ok) { app.alert("danger", app.errorMessage(response)); return; }
    await load(response.data.bpmn_xml);
    app.lockVersion = response.data.lock_version;
    app.number = response.data.number;
    app.status = response.data.status;
    markDirty(false);
    setStatus("Loaded the draft saved by someone else");
    showVersion();
    alerts.replaceChildren();
  }

  // --- versions ----------------------------------------------------------------------------
  async function versionSvg(number) {
    const response = await fetch(config.urls.version_bpmn.replace("{number}", number), { credentials: "same-origin" });
    if (!response.ok) { app.alert("danger", "The version could not be loaded."); return; }
    const holder = document.createElement("div");
    holder.style.cssText = "position:absolute;left:-10000px;top:0;width:1000px;height:800px";
    document.body.append(holder);
    const viewer = new window.BpmnJS({ container: holder, moddleExtensions: { itn: I.moddle } });
    try {
      await viewer.importXML(await response.text());
      const { svg } = await viewer.saveSVG();
      download(config.journey.key + "-v" + number + ".svg", svg, "image/svg+xml");
    } finally {
      viewer.destroy();
      holder.remove();
    }
  }

  async function openVersion(number) {
    if (app.dirty && !window.confirm("Replace your unsaved changes with version " + number + "?")) return;
    const response = await fetch(config.urls.version_bpmn.replace("{number}", number), { credentials: "same-origin" });
    if (!response.ok) { app.alert("danger", "The version could not be loaded."); return; }
    await load(await response.text());
    markDirty(true);
    setStatus("Opened version " + number + " in the editor; save to make it the draft");
  }

  async function refreshVersions() {
    const response = await app.api("GET", config.urls.versions + "?limit=200");
    const list = document.getElementById("versions-list");
    if (!response.ok) return;
    list.replaceChildren();
    response.data.results.forEach((version) => {
      const item = document.createElement("li");
      item.className = "list-group-item";
      item.dataset.version = version.number;
      item.dataset.status = version.status;
      const title = document.createElement("div");
      const strong = document.createElement("strong");
      strong.textContent = "v" + version.number;
      const state = document.createElement("span");
      state.className = "badge ms-1 " + (version.status === "published" ? "text-bg-success" : version.status === "draft" ? "text-bg-warning" : "text-bg-secondary");
      state.textContent = version.status;
      const when = document.createElement("div");
      when.className = "text-body-secondary";
      const at = version.published_at || version.updated_at;
      const by = version.published_by || version.created_by;
      when.textContent = new Date(at).toLocaleString() + (by ? " · " + by.username : "");
      title.append(strong, state);
      const actions = document.createElement("div");
      actions.className = "d-flex gap-1 mt-1";
      const bpmnLink = document.createElement("a");
      bpmnLink.className = "btn btn-sm btn-outline-secondary py-0";
      bpmnLink.textContent = ".bpmn";
      bpmnLink.href = version.status === "draft" ? config.urls.draft + "bpmn" : config.urls.version_bpmn.replace("{number}", version.number);
      const svg = document.createElement("button");
      svg.type = "button";
      svg.className = "btn btn-sm btn-outline-secondary py-0";
      svg.textContent = "SVG";
      svg.addEventListener("click", () => versionSvg(version.number));
      actions.append(bpmnLink, svg);
      if (version.status !== "draft") {
        const open = document.createElement("button");
        open.type = "button";
        open.className = "btn btn-sm btn-outline-primary py-0";
        open.textContent = "Open in the editor";
        open.addEventListener("click", () => openVersion(version.number));
        actions.append(open);
      }
      item.append(title, when, actions);
      list.append(item);
    });
    if (!response.data.results.length) list.textContent = "No versions yet.";
  }

  // --- publishing --------------------------------------------------------------------------
  const publishModal = new window.bootstrap.Modal(document.getElementById("publish-modal"));
  const publishBody = document.getElementById("publish-body");

  function diffList(title, rows, css, describe) {
    const block = document.createElement("section");
    block.className = "mb-3";
    block.dataset.diff = css;
    const heading = document.createElement("h3");
    heading.className = "h6";
    heading.textContent = title + " (" + rows.length + ")";
    block.append(heading);
    const list = document.createElement("ul");
    list.className = "small diff-list mb-0";
    rows.forEach((row) => {
      const item = document.createElement("li");
      item.dataset.element = row.id;
      const code = document.createElement("code");
      code.textContent = row.id;
      item.append(code, document.createTextNode(" " + row.type + (row.name ? " “" + row.name + "”" : "")));
      if (describe && row.changes) item.append(document.createTextNode(": " + row.changes.join("; ")));
      list.append(item);
    });
    if (!rows.length) {
      const none = document.createElement("li");
      none.className = "text-body-secondary";
      none.textContent = "none";
      list.append(none);
    }
    block.append(list);
    return block;
  }

  async function openPublish() {
    if (validateTimer) { window.clearTimeout(validateTimer); await app.validate(); }
    if (app.errors) {
      app.alert("danger", "The process has " + app.errors + (app.errors === 1 ? " error" : " errors") + "; publishing is refused until they are fixed.");
      window.bootstrap.Tab.getOrCreateInstance(document.getElementById("tab-problems-button")).show();
      return;
    }
    if (app.lockVersion === null && !app.dirty) {
      app.alert("info", "Nothing to publish: this is version " + app.number + " as published. Change the diagram to start a draft.");
      return;
    }
    if (app.dirty && !(await app.save())) return;
    const response = await app.api("GET", config.urls.diff + "?version=draft");
    if (!response.ok) { app.alert("danger", app.errorMessage(response)); return; }
    const diff = response.data;
    const intro = document.createElement("p");
    intro.textContent = diff.previous
      ? "Version " + diff.version + " compared with version " + diff.previous + ". Instances already running stay on their version."
      : "Version " + diff.version + " is the first version of this journey.";
    publishBody.replaceChildren(intro, diffList("Added", diff.added, "added"), diffList("Removed", diff.removed, "removed"), diffList("Changed", diff.changed, "changed", true));
    if (diff.previous) {
      const layout = document.createElement("p");
      layout.className = "small text-body-secondary mb-0";
      layout.textContent = diff.layout_changed ? "The layout of the diagram changed too." : "The layout is unchanged.";
      publishBody.append(layout);
    }
    document.getElementById("publish-title").textContent = "Publish version " + diff.version;
    publishModal.show();
  }

  async function confirmPublish() {
    const button = document.getElementById("btn-publish-confirm");
    button.disabled = true;
    try {
      const response = await app.api("POST", config.urls.publish);
      if (!response.ok) {
        const failure = document.createElement("div");
        failure.className = "alert alert-danger small";
        failure.setAttribute("role", "alert");
        failure.textContent = app.errorMessage(response);
        publishBody.prepend(failure);
        if (response.data && response.data.error && response.data.error.details && response.data.error.details.findings) {
          app.findings = response.data.error.details.findings;
          drawFindings();
          renderProblems();
        }
        return;
      }
      publishModal.hide();
      app.lockVersion = null;
      app.number = response.data.number;
      app.status = response.data.status;
      showVersion();
      setStatus("Published version " + response.data.number);
      const start = document.createElement("a");
      start.href = config.urls.start;
      start.className = "alert-link";
      start.textContent = "Start an instance";
      app.alert("success", "Version " + response.data.number + " is published; new instances start on it.", [start]).dataset.testid = "published-alert";
      refreshVersions();
    } finally {
      button.disabled = false;
    }
  }

  // --- wiring ------------------------------------------------------------------------------
  document.getElementById("btn-undo").addEventListener("click", () => commandStack.undo());
  document.getElementById("btn-redo").addEventListener("click", () => commandStack.redo());
  document.getElementById("btn-zoom-in").addEventListener("click", () => canvas.zoom(canvas.zoom() * 1.2));
  document.getElementById("btn-zoom-out").addEventListener("click", () => canvas.zoom(canvas.zoom() / 1.2));
  document.getElementById("btn-zoom-fit").addEventListener("click", () => canvas.zoom("fit-viewport", "auto"));
  document.getElementById("btn-save").addEventListener("click", () => app.save());
  document.getElementById("btn-publish").addEventListener("click", openPublish);
  document.getElementById("btn-publish-confirm").addEventListener("click", confirmPublish);
  document.getElementById("btn-export-bpmn").addEventListener("click", async () => download(config.journey.key + (app.lockVersion !== null ? "-draft" : "-v" + app.number) + ".bpmn", await app.xml(), "application/xml"));
  document.getElementById("btn-export-svg").addEventListener("click", async () => {
    const { svg } = await modeler.saveSVG();
    download(config.journey.key + ".svg", svg, "image/svg+xml");
  });
  document.getElementById("import-file").addEventListener("change", async (event) => {
    const file = event.target.files && event.target.files[0];
    event.target.value = "";
    if (!file) return;
    if (app.dirty && !window.confirm("Replace your unsaved changes with " + file.name + "?")) return;
    const text = await file.text();
    let warnings;
    try { warnings = await load(text); } catch (error) { return; }
    markDirty(true);
    setStatus("Opened " + file.name + "; save to make it the draft");
    app.alert("info", "Opened " + file.name + (warnings.length ? " with " + warnings.length + " import warning(s)" : "") + ". Save the draft to keep it.");
  });
  document.addEventListener("keydown", (event) => {
    if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "s") {
      event.preventDefault();
      app.save();
    }
  });
  window.addEventListener("beforeunload", (event) => {
    if (app.dirty) { event.preventDefault(); event.returnValue = ""; }
  });
  eventBus.on("commandStack.changed", (event) => {
    if (event.trigger === "clear") return;
    markDirty(true);
    toggleEmptyHint();
    scheduleValidate();
  });

  app.panel = I.panel(app);
  app.simulation = I.simulation(app);
  showVersion();
  load(sourceXml).then(() => {
    app.panel.render();
    refreshVersions();
    document.getElementById("designer").dataset.ready = "true";
  });
})();
