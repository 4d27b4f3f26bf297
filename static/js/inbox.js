// The inbox: keyboard navigation and live updates over the Itinera WebSocket (no polling).
(function () {
  "use strict";
  let selected = -1;

  function rows() {
    return Array.from(document.querySelectorAll("#inbox-table .inbox-row"));
  }

  function select(index) {
    const all = rows();
    if (!all.length) return;
    selected = Math.max(0, Math.min(index, all.length - 1));
    all.forEach((row, i) => row.classList.toggle("table-active", i === selected));
    all[selected].focus();
  }

  function reload() {
    const url = window.location.pathname + window.location.search;
    if (window.htmx) {
      window.htmx.ajax("GET", url, { target: "#inbox-table", swap: "outerHTML" });
    }
  }

  document.addEventListener("keydown", (event) => {
    const tag = (event.target.tagName || "").toLowerCase();
    if (["input", "textarea", "select"].includes(tag) || event.ctrlKey || event.metaKey || event.altKey) return;
    const all = rows();
    if (event.key === "j") { select(selected + 1); event.preventDefault(); }
    else if (event.key === "k") { select(selected - 1); event.preventDefault(); }
    else if (event.key === "Enter" && selected >= 0 && all[selected]) { window.location.href = all[selected].dataset.href; }
    else if (event.key === "c" && selected >= 0 && all[selected]) {
      const box = all[selected].querySelector("input[type=checkbox]");
      if (box) { box.checked = true; document.getElementById("bulk-claim").submit(); }
    }
  });

  document.body.addEventListener("htmx:afterSwap", () => { selected = -1; });

  // Saving a filter keeps what the filter form shows now (it changes without a reload).
  const saveForm = document.getElementById("save-filter");
  const filterForm = document.getElementById("inbox-filter");
  if (saveForm && filterForm) {
    saveForm.addEventListener("submit", () => {
      const query = new URLSearchParams(new FormData(filterForm));
      for (const [key, value] of Array.from(query.entries())) if (!value) query.delete(key);
      document.getElementById("save-filter-query").value = query.toString();
    });
  }

  const status = document.getElementById("live-status");
  function connect(delay) {
    const scheme = window.location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(scheme + "://" + window.location.host + "/ws/live/");
    socket.addEventListener("open", () => { if (status) status.textContent = "Live"; delay = 1000; });
    socket.addEventListener("message", (message) => {
      const data = JSON.parse(message.data);
      if (data.type === "event" && data.event && data.event.kind === "task") reload();
    });
    socket.addEventListener("close", () => {
      if (status) status.textContent = "Reconnecting…";
      window.setTimeout(() => connect(Math.min(delay * 2, 30000)), delay);
    });
  }
  if ("WebSocket" in window) connect(1000);
})();
