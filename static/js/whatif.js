// The what-if page: two scenarios of a journey version run as simulations (POST
// /api/simulation/run), their progress followed over the live socket (simulation events), and
// their results compared side by side with Chart.js. Without a socket the page asks for the run
// until it is done.
(function () {
  "use strict";
  const root = document.getElementById("whatif");
  const form = document.getElementById("whatif-form");
  if (!root || !form) return;
  const versions = JSON.parse(document.getElementById("whatif-versions").textContent);
  const sides = ["A", "B"];
  const runs = { A: null, B: null };
  const waiting = {};
  const charts = {};
  const colours = { A: "#6ea8fe", B: "#f0ad4e" };

  function csrfToken() {
    try { return JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"]; } catch (e) { return ""; }
  }

  function hours(seconds) { return seconds == null ? null : Math.round(seconds / 36) / 100; }

  const duration = window.ItineraFormat.duration;

  function card(side) { return form.querySelector('[data-scenario="' + side + '"]'); }

  function fillVersion(side) {
    const box = card(side);
    const version = versions[Number(box.querySelector('[name="version"]').value)];
    const roles = box.querySelector("[data-role-inputs]");
    roles.replaceChildren(...version.roles.map((role) => {
      const column = document.createElement("div");
      column.className = "col-6 col-md-4";
      const id = "people-" + side + "-" + role;
      column.innerHTML = '<label class="form-label small" for="' + id + '"></label>' +
        '<input class="form-control form-control-sm" type="number" min="1" max="10000" data-role="">';
      column.querySelector("label").textContent = role;
      const input = column.querySelector("input");
      input.id = id;
      input.dataset.role = role;
      input.value = (version.people && version.people[role]) || 1;
      return column;
    }));
    const steps = box.querySelector('[name="step"]');
    steps.replaceChildren(new Option("(no change)", ""), ...version.steps.map((step) => new Option(step.name, step.id)));
  }

  function scenario(side) {
    const box = card(side);
    const value = (name) => box.querySelector('[name="' + name + '"]').value;
    const version = versions[Number(value("version"))];
    const body = {
      name: value("name"),
      instances: Number(value("instances")),
      replications: Number(value("replications")),
      seed: 1,
      staffing: {},
    };
    if (value("sla").trim() !== "") body.sla = value("sla").trim();
    if (value("rate") !== "") body.arrivals = { kind: "poisson", rate_per_hour: Number(value("rate")) };
    box.querySelectorAll("[data-role]").forEach((input) => { body.staffing[input.dataset.role] = Number(input.value); });
    if (value("step") && Number(value("factor")) !== 1) {
      body.durations = {};
      body.durations[value("step")] = { factor: Number(value("factor")) };
    }
    return { journey: version.journey, version: version.version, scenario: body };
  }

  function showProgress(side, status, progress) {
    const bar = form.querySelector('[data-progress="' + side + '"]');
    bar.style.width = Math.round((progress || 0) * 100) + "%";
    bar.parentElement.setAttribute("aria-valuenow", String(Math.round((progress || 0) * 100)));
    form.querySelector('[data-status="' + side + '"]').textContent = status;
  }

  async function fetchRun(id) {
    const response = await fetch(root.dataset.runsUrl + "/" + id, { credentials: "same-origin", headers: { Accept: "application/json" } });
    return response.ok ? response.json() : null;
  }

  function settle(side, run) {
    runs[side] = run;
    showProgress(side, run.status === "done" ? "done" : run.status === "failed" ? "failed: " + run.error : run.status, run.progress);
    if (run.status === "done" || run.status === "failed") {
      delete waiting[run.id];
      if (runs.A && runs.B && runs.A.status === "done" && runs.B.status === "done") compare();
      else if (run.status === "done") compare();
    }
  }

  async function follow(side, id) {
    // Ask again while the socket is silent (no socket, or a worker elsewhere).
    for (let attempt = 0; attempt < 600 && waiting[id]; attempt++) {
      await new Promise((resolve) => window.setTimeout(resolve, 1000));
      if (!waiting[id]) return;
      const run = await fetchRun(id);
      if (run) settle(side, run);
    }
  }

  async function start(side) {
    const box = card(side);
    const error = box.querySelector("[data-error]");
    error.textContent = "";
    box.querySelectorAll(".is-invalid").forEach((input) => input.classList.remove("is-invalid"));
    showProgress(side, "asking…", 0);
    const response = await fetch(root.dataset.runUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken(), Accept: "application/json" },
      body: JSON.stringify(scenario(side)),
    });
    const body = await response.json();
    if (!response.ok) {
      const problem = body.error || {};
      error.textContent = (problem.message || "The scenario was refused.") + (problem.field ? " (" + problem.field + ")" : "");
      showProgress(side, "refused", 0);
      return;
    }
    waiting[body.id] = side;
    settle(side, body);
    if (waiting[body.id]) follow(side, body.id);
  }

  function row(label, values) {
    const tr = document.createElement("tr");
    const th = document.createElement("th");
    th.scope = "row";
    th.className = "fw-normal";
    th.textContent = label;
    tr.appendChild(th);
    values.forEach((value) => {
      const td = document.createElement("td");
      td.className = "text-end whatif-number";
      td.textContent = value;
      tr.appendChild(td);
    });
    return tr;
  }

  function withInterval(figure, format) {
    if (!figure || figure.mean == null) return "—";
    const text = format(figure.mean);
    return figure.half_width == null ? text : text + " ± " + format(figure.half_width);
  }

  function chart(id, config) {
    if (!window.Chart) return;
    if (charts[id]) charts[id].destroy();
    charts[id] = new window.Chart(document.getElementById(id), config);
  }

  function compare() {
    const done = sides.filter((side) => runs[side] && runs[side].status === "done");
    if (!done.length) return;
    document.getElementById("comparison").classList.remove("d-none");
    const results = sides.map((side) => (runs[side] && runs[side].status === "done" ? runs[side].result : null));
    document.querySelectorAll("#comparison-table thead [data-name]").forEach((th) => {
      const run = runs[th.dataset.name];
      th.textContent = run ? run.name : "Scenario " + th.dataset.name;
    });
    const pick = (getter, format) => results.map((result) => (result ? format(getter(result)) : "—"));
    const body = document.querySelector("#comparison-table tbody");
    const rows = [
      row("Median cycle time (p50)", pick((r) => r.cycle_time.p50, (f) => withInterval(f, duration))),
      row("p95", pick((r) => r.cycle_time.p95, (f) => withInterval(f, duration))),
      row("p99", pick((r) => r.cycle_time.p99, (f) => withInterval(f, duration))),
      row("SLA compliance", pick((r) => r.sla && r.sla.compliance, (f) => (f ? withInterval(f, (v) => v.toFixed(1) + "%") : "no SLA"))),
      row("Completed per day", pick((r) => r.throughput_per_day, (f) => withInterval(f, (v) => v.toFixed(1)))),
    ];
    const roles = new Set();
    results.forEach((result) => result && result.roles.forEach((role) => roles.add(role.role)));
    roles.forEach((role) => {
      rows.push(row("Utilisation, " + (role || "no role"), pick((r) => (r.roles.find((x) => x.role === role) || {}).utilisation, (f) => withInterval(f, (v) => v.toFixed(1) + "%"))));
      rows.push(row("Mean wait, " + (role || "no role"), pick((r) => (r.roles.find((x) => x.role === role) || {}).wait, (f) => withInterval(f, duration))));
    });
    body.replaceChildren(...rows);

    // Cycle-time histogram on common bins (hours).
    const highest = Math.max(...results.filter(Boolean).map((r) => r.cycle_time.histogram.edges.slice(-1)[0] || 0), 1);
    const bins = 24;
    const labels = Array.from({ length: bins }, (_, i) => (hours((highest / bins) * (i + 0.5))).toFixed(1));
    const datasets = [];
    sides.forEach((side, index) => {
      const result = results[index];
      if (!result) return;
      const counts = new Array(bins).fill(0);
      const edges = result.cycle_time.histogram.edges;
      result.cycle_time.histogram.counts.forEach((count, i) => {
        const middle = (edges[i] + edges[i + 1]) / 2;
        counts[Math.min(bins - 1, Math.floor((middle / highest) * bins))] += count;
      });
      const total = counts.reduce((a, b) => a + b, 0) || 1;
      datasets.push({ label: runs[side].name, data: counts.map((c) => Math.round((c / total) * 1000) / 10), backgroundColor: colours[side] });
    });
    chart("histogram-chart", {
      type: "bar",
      data: { labels, datasets },
      options: { maintainAspectRatio: false, animation: false, scales: { y: { title: { display: true, text: "% of instances" }, beginAtZero: true }, x: { title: { display: true, text: "hours" } } } },
    });
    const roleList = Array.from(roles);
    chart("utilisation-chart", {
      type: "bar",
      data: {
        labels: roleList,
        datasets: sides.map((side, index) => results[index] && {
          label: runs[side].name,
          data: roleList.map((role) => ((results[index].roles.find((x) => x.role === role) || {}).utilisation || {}).mean ?? null),
          backgroundColor: colours[side],
        }).filter(Boolean),
      },
      options: { maintainAspectRatio: false, animation: false, scales: { y: { beginAtZero: true, suggestedMax: 100 } } },
    });
    chart("sla-chart", {
      type: "bar",
      data: {
        labels: sides.filter((side, index) => results[index]).map((side) => runs[side].name),
        datasets: [{
          label: "SLA met (%)",
          data: results.filter(Boolean).map((r) => (r.sla && r.sla.compliance ? r.sla.compliance.mean : null)),
          backgroundColor: sides.filter((side, index) => results[index]).map((side) => colours[side]),
        }],
      },
      options: { maintainAspectRatio: false, animation: false, plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, max: 100 } } },
    });
    sides.forEach((side, index) => {
      const result = results[index];
      const table = document.querySelector('[data-bottlenecks="' + side + '"] tbody');
      const notes = document.querySelector('[data-warnings="' + side + '"]');
      if (!result) return;
      table.replaceChildren(...(result.bottlenecks.length ? result.bottlenecks : [{ name: "Nobody waits", role: "", wait: null, waiting_share: null }]).map((b) => {
        const tr = document.createElement("tr");
        [b.name, b.role || "—", duration(b.wait), b.waiting_share == null ? "—" : b.waiting_share + "%"].forEach((value, i) => {
          const td = document.createElement("td");
          td.textContent = value;
          if (i > 1) td.className = "text-end";
          tr.appendChild(td);
        });
        return tr;
      }));
      const warnings = [...(runs[side].assumptions.warnings || []), ...(result.warnings || [])];
      notes.replaceChildren(...warnings.map((text) => { const li = document.createElement("li"); li.textContent = text; return li; }));
    });
    root.dataset.compared = String(done.length);
  }

  function connect(delay) {
    if (!("WebSocket" in window)) return;
    const scheme = window.location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(scheme + "://" + window.location.host + "/ws/live/");
    socket.addEventListener("open", () => { delay = 1000; root.dataset.live = "on"; });
    socket.addEventListener("message", async (message) => {
      const data = JSON.parse(message.data);
      if (data.type !== "event" || !data.event || data.event.kind !== "simulation") return;
      const side = waiting[data.event.run];
      if (!side) return;
      showProgress(side, data.event.status, data.event.progress);
      if (data.event.status === "done" || data.event.status === "failed") {
        const run = await fetchRun(data.event.run);
        if (run) settle(side, run);
      }
    });
    socket.addEventListener("close", () => {
      root.dataset.live = "off";
      window.setTimeout(() => connect(Math.min(delay * 2, 30000)), delay);
    });
  }

  sides.forEach((side) => {
    card(side).querySelector('[name="version"]').addEventListener("change", () => fillVersion(side));
    fillVersion(side);
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = document.getElementById("run-both");
    button.disabled = true;
    try {
      runs.A = runs.B = null;
      await start("A");
      await start("B");
    } finally {
      button.disabled = false;
    }
  });
  connect(1000);
})();
