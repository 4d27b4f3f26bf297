// An instance's diagram: bpmn-js draws the version, markers show where the case is; the markers
// follow the case live (the page subscribes to the instance over the WebSocket).
(function () {
  "use strict";
  const container = document.getElementById("diagram");
  if (!container || !window.BpmnJS) return;
  const status = document.getElementById("diagram-status");
  const viewer = new window.BpmnJS({ container: container, height: 420 });
  let marked = [];
  let overlays = [];
  let loaded = false;

  function paint(state) {
    const canvas = viewer.get("canvas");
    const overlayService = viewer.get("overlays");
    const registry = viewer.get("elementRegistry");
    marked.forEach(([id, css]) => canvas.removeMarker(id, css));
    overlays.forEach((id) => overlayService.remove(id));
    marked = [];
    overlays = [];
    function mark(id, css) {
      if (registry.get(id)) { canvas.addMarker(id, css); marked.push([id, css]); }
    }
    Object.keys(state.completed || {}).forEach((id) => mark(id, "itn-done"));
    (state.path || []).forEach((id) => mark(id, "itn-path"));
    Object.entries(state.active || {}).forEach(([id, count]) => {
      mark(id, "itn-active");
      if (registry.get(id)) {
        overlays.push(overlayService.add(id, {
          position: { top: -10, right: 10 },
          html: '<span class="itn-token" title="tokens">' + count + "</span>",
        }));
      }
    });
    (state.incidents || []).forEach((id) => mark(id, "itn-incident"));
    const badge = document.getElementById("instance-status");
    if (badge && state.status) badge.textContent = state.status;
  }

  async function refresh() {
    const response = await fetch(container.dataset.source, { credentials: "same-origin" });
    if (!response.ok) { if (status) status.textContent = "The diagram could not be loaded."; return; }
    const state = await response.json();
    if (!loaded) {
      await viewer.importXML(state.bpmn_xml);
      viewer.get("canvas").zoom("fit-viewport");
      loaded = true;
    }
    paint(state);
    if (status) status.textContent = "Updated " + new Date().toLocaleTimeString();
  }

  function connect(delay) {
    const scheme = window.location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(scheme + "://" + window.location.host + "/ws/live/");
    socket.addEventListener("open", () => {
      delay = 1000;
      socket.send(JSON.stringify({ type: "subscribe", instance: Number(container.dataset.instance) }));
    });
    socket.addEventListener("message", (message) => {
      const data = JSON.parse(message.data);
      if (data.type === "event" && data.event && data.event.instance === Number(container.dataset.instance)) refresh();
    });
    socket.addEventListener("close", () => window.setTimeout(() => connect(Math.min(delay * 2, 30000)), delay));
  }

  refresh().then(() => { if ("WebSocket" in window) connect(1000); });
})();
