// The managers' dashboard: charts (Chart.js) and the slowest steps on the journey's diagram
// (bpmn-js), filled from the monitoring API; everything refreshes when the live socket says the
// figures changed (tiles and charts from the API, the tables through their htmx partials).
(function () {
  "use strict";
  const root = document.getElementById("dashboard");
  if (!root) return;
  const query = root.dataset.query ? "?" + root.dataset.query : "";
  const liveStatus = document.getElementById("live-status");
  const charts = {};

  const duration = window.ItineraFormat.duration;

  function lookup(data, path) {
    return path.split(".").reduce((value, key) => (value == null ? value : value[key]), data);
  }

  function chart(id, config) {
    const canvas = document.getElementById(id);
    if (!canvas || !window.Chart) return;
    if (charts[id]) {
      charts[id].data = config.data;
      charts[id].update("none");
    } else {
      charts[id] = new window.Chart(canvas, config);
    }
  }

  function paintFigures(data) {
    document.querySelectorAll("[data-metric]").forEach((element) => {
      const value = lookup(data, element.dataset.metric);
      element.textContent = element.dataset.format === "duration" ? duration(value) : (value ?? "—");
    });
    chart("throughput-chart", {
      type: "bar",
      data: {
        labels: data.throughput.map((row) => row.date),
        datasets: [
          { label: "Started", data: data.throughput.map((row) => row.started), backgroundColor: "#6ea8fe" },
          { label: "Completed", data: data.throughput.map((row) => row.completed), backgroundColor: "#20c997" },
        ],
      },
      options: { maintainAspectRatio: false, animation: false, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
    });
    const roles = data.workload.roles;
    chart("roles-chart", {
      type: "bar",
      data: {
        labels: roles.map((row) => row.name),
        datasets: [
          { label: "On time", data: roles.map((row) => row.open - row.at_risk - row.breached), backgroundColor: "#75b798" },
          { label: "At risk", data: roles.map((row) => row.at_risk), backgroundColor: "#ffc107" },
          { label: "Breached", data: roles.map((row) => row.breached), backgroundColor: "#dc3545" },
        ],
      },
      options: {
        indexAxis: "y", maintainAspectRatio: false, animation: false,
        scales: { x: { stacked: true, beginAtZero: true, ticks: { precision: 0 } }, y: { stacked: true } },
      },
    });
    const people = document.querySelector("#people-table tbody");
    if (people) {
      people.replaceChildren(...data.workload.users.map((row) => {
        const tr = document.createElement("tr");
        [row.name, row.open, row.started, row.at_risk, row.breached].forEach((value, index) => {
          const td = document.createElement("td");
          td.textContent = value;
          if (index) td.className = "text-end";
          tr.appendChild(td);
        });
        return tr;
      }));
      if (!data.workload.users.length) {
        people.innerHTML = '<tr><td colspan="5" class="text-body-secondary">Nothing open.</td></tr>';
      }
    }
  }

  async function refreshFigures() {
    const response = await fetch(root.dataset.metrics + query, { credentials: "same-origin" });
    if (!response.ok) return;
    paintFigures(await response.json());
    if (liveStatus) liveStatus.textContent = "updated " + new Date().toLocaleTimeString();
  }

  // --- The slowest steps on the diagram ---------------------------------------------------------
  const heatContainer = document.getElementById("heatmap");
  const heatSelect = document.getElementById("heat-journey");
  const heatStatus = document.getElementById("heat-status");
  const viewer = heatContainer && window.BpmnJS ? new window.BpmnJS({ container: heatContainer }) : null;
  let shownXml = null;
  let marked = [];
  let overlays = [];

  function heatQuery(journey) {
    const params = new URLSearchParams(root.dataset.query || "");
    params.set("journey", journey);
    return "?" + params.toString();
  }

  async function refreshHeatmap() {
    if (!viewer || !heatSelect || !heatSelect.value) {
      if (heatStatus) heatStatus.textContent = "No journey to show.";
      return;
    }
    const response = await fetch(root.dataset.bottlenecks + heatQuery(heatSelect.value), { credentials: "same-origin" });
    if (!response.ok) { if (heatStatus) heatStatus.textContent = "The diagram could not be loaded."; return; }
    const data = await response.json();
    if (data.bpmn_xml !== shownXml) {
      await viewer.importXML(data.bpmn_xml);
      viewer.get("canvas").zoom("fit-viewport");
      shownXml = data.bpmn_xml;
      marked = [];
      overlays = [];
    }
    const canvas = viewer.get("canvas");
    const registry = viewer.get("elementRegistry");
    const overlayService = viewer.get("overlays");
    marked.forEach(([id, css]) => canvas.removeMarker(id, css));
    overlays.forEach((id) => overlayService.remove(id));
    marked = [];
    overlays = [];
    const slowest = Math.max(0, ...data.elements.map((row) => row.p50 || 0));
    const body = document.querySelector("#heat-table tbody");
    const rows = [];
    data.elements.forEach((row) => {
      const tr = document.createElement("tr");
      tr.dataset.element = row.element_id;
      [row.name || row.element_id, row.count, duration(row.p50), duration(row.p95), row.open].forEach((value, index) => {
        const td = document.createElement("td");
        td.textContent = value;
        if (index) td.className = "text-end";
        tr.appendChild(td);
      });
      rows.push(tr);
      if (!registry.get(row.element_id)) return;
      if (row.p50 !== null && slowest > 0) {
        const level = Math.min(4, Math.floor((row.p50 / slowest) * 4.999));
        canvas.addMarker(row.element_id, "heat-" + level);
        marked.push([row.element_id, "heat-" + level]);
      }
      overlays.push(overlayService.add(row.element_id, {
        position: { bottom: 8, left: 0 },
        html: '<span class="heat-label" data-heat="' + row.element_id + '">' +
          (row.p50 === null ? "no data" : "median " + duration(row.p50)) +
          (row.open ? " · " + row.open + " open" : "") + "</span>",
      }));
    });
    if (body) body.replaceChildren(...rows);
    if (heatStatus) heatStatus.textContent = data.elements.length ? "" : "No task of this journey in the period.";
  }

  if (heatSelect) heatSelect.addEventListener("change", () => { shownXml = null; refreshHeatmap(); });

  // --- Live updates -------------------------------------------------------------------------------
  let pending = null;
  function changed() {
    if (pending) return;
    pending = window.setTimeout(() => {
      pending = null;
      refreshFigures();
      refreshHeatmap();
      if (window.htmx) window.htmx.trigger(document.body, "dashboard-changed");
    }, 500);
  }

  function connect(delay) {
    const scheme = window.location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(scheme + "://" + window.location.host + "/ws/live/");
    socket.addEventListener("open", () => {
      delay = 1000;
      socket.send(JSON.stringify({ type: "dashboard" }));
    });
    socket.addEventListener("message", (message) => {
      const data = JSON.parse(message.data);
      if (data.type === "dashboard") root.dataset.live = "on";
      if (data.type === "event" && data.event && data.event.kind === "dashboard") changed();
    });
    socket.addEventListener("close", () => {
      root.dataset.live = "off";
      window.setTimeout(() => connect(Math.min(delay * 2, 30000)), delay);
    });
  }

  refreshFigures();
  refreshHeatmap();
  if ("WebSocket" in window) connect(1000);
})();
