// Process analytics of one journey: tables filled from the analytics API, and waiting time,
// working time and rework drawn on the journey's diagram (bpmn-js overlays and markers).
(function () {
  "use strict";
  const root = document.getElementById("analytics");
  if (!root || !root.dataset.journey) return;
  const params = new URLSearchParams(root.dataset.query || "");
  params.set("journey", root.dataset.journey);
  const query = "?" + params.toString();

  const duration = window.ItineraFormat.duration;

  async function load(url) {
    const response = await fetch(url + query, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (!response.ok) throw new Error(url + " answered " + response.status);
    return response.json();
  }

  function fill(id, rows, empty, columns) {
    const body = document.querySelector("#" + id + " tbody");
    if (!body) return;
    if (!rows.length) {
      body.innerHTML = '<tr><td class="text-body-secondary"></td></tr>';
      body.querySelector("td").colSpan = columns;
      body.querySelector("td").textContent = empty;
      return;
    }
    body.replaceChildren(...rows.map((cells) => {
      const tr = document.createElement("tr");
      cells.forEach((cell, index) => {
        const td = document.createElement("td");
        if (cell instanceof Node) td.appendChild(cell); else td.textContent = cell;
        if (typeof cell === "number" || (index > 0 && /^[\d—]/.test(String(cell)) && !(cell instanceof Node))) td.className = "text-end";
        tr.appendChild(td);
      });
      return tr;
    }));
  }

  function link(instance, label) {
    const a = document.createElement("a");
    a.href = "/processes/" + instance + "/";
    a.textContent = label || String(instance);
    return a;
  }

  async function variants() {
    const data = await load(root.dataset.variants);
    fill("variants-table", data.variants.map((row) => [row.rank, row.path.join(" → ") || "(no step)", row.count, row.share + "%", duration(row.median_duration)]), "No instance finished in the period.", 5);
  }

  async function conformance() {
    const data = await load(root.dataset.conformance);
    const summary = document.getElementById("conformance-summary");
    summary.textContent = data.checked
      ? data.fitting + " of " + data.checked + " instances fit their version; " + data.deviating + " do not (" + data.explained + " explained by an operator's action or a migration, " + data.unexplained + " not)."
      : "No instance in the period.";
    fill("conformance-table", data.instances.map((row) => [
      link(row.instance, row.business_key || String(row.instance)),
      row.trace.join(" → "),
      row.deviations.map((d) => d.element_id + " " + d.kind.replace("_", " ")).join("; "),
      row.interventions.length ? row.interventions.map((i) => i.kind.replace("_", " ")).join(", ") : "nothing in its history",
    ]), "Every instance followed its model.", 4);
  }

  async function handovers() {
    const data = await load(root.dataset.handovers);
    fill("handovers-table", data.handovers.slice(0, 15).map((row) => [row.from, row.to, row.count, duration(row.median_delay)]), "No work passed between roles.", 4);
  }

  const container = document.getElementById("analytics-diagram");
  const viewer = container && window.BpmnJS ? new window.BpmnJS({ container }) : null;

  async function steps() {
    const data = await load(root.dataset.steps);
    fill("steps-table", data.steps.map((row) => [row.name || row.element_id, row.count, duration(row.wait_median), duration(row.work_median), row.waiting_share == null ? "—" : row.waiting_share + "%"]), "No step completed in the period.", 5);
    fill("rework-table", data.rework.map((row) => [row.element_id, row.cases, row.extra_executions]), "No step was done twice.", 3);
    const status = document.getElementById("diagram-status");
    if (!viewer || !data.bpmn_xml) { if (status) status.textContent = "No diagram to draw on."; return; }
    await viewer.importXML(data.bpmn_xml);
    viewer.get("canvas").zoom("fit-viewport");
    const canvas = viewer.get("canvas");
    const registry = viewer.get("elementRegistry");
    const overlays = viewer.get("overlays");
    const longest = Math.max(0, ...data.steps.map((row) => row.wait_median || 0));
    data.steps.forEach((row) => {
      if (!registry.get(row.element_id)) return;
      if (longest > 0) canvas.addMarker(row.element_id, "wait-" + Math.min(4, Math.floor(((row.wait_median || 0) / longest) * 4.999)));
      overlays.add(row.element_id, {
        position: { bottom: 8, left: 0 },
        html: '<span class="flow-label" data-step="' + row.element_id + '">waits ' + duration(row.wait_median) + " · works " + duration(row.work_median) + "</span>",
      });
    });
    data.rework.forEach((row) => {
      if (!registry.get(row.element_id)) return;
      overlays.add(row.element_id, { position: { top: -12, right: 10 }, html: '<span class="rework-label" data-rework="' + row.element_id + '">↻ ' + row.extra_executions + "</span>" });
    });
    if (status) status.textContent = "Version " + data.version + " · " + data.instances + " instances started in the period; colour: median waiting time.";
    root.dataset.drawn = "yes";
  }

  Promise.all([variants(), conformance(), handovers(), steps()]).catch((error) => {
    const status = document.getElementById("diagram-status");
    if (status) status.textContent = "The analytics could not be loaded: " + error.message;
  });
})();
