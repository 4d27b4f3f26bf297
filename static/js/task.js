// The task page: shows who else has this task open ("Ana is working on this"), live over the socket.
(function () {
  "use strict";
  const box = document.getElementById("presence");
  if (!box || !("WebSocket" in window)) return;
  const taskId = Number(box.dataset.task);
  const others = new Map(); // socket -> name

  function render() {
    const names = Array.from(new Set(others.values()));
    if (!names.length) {
      box.hidden = true;
      box.textContent = "";
      return;
    }
    const who = names.length === 1 ? names[0]
      : names.slice(0, -1).join(", ") + " and " + names[names.length - 1];
    box.textContent = who + (names.length === 1 ? " is" : " are") + " working on this";
    box.hidden = false;
  }

  function connect(delay) {
    const scheme = window.location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(scheme + "://" + window.location.host + "/ws/live/");
    socket.addEventListener("open", () => {
      delay = 1000;
      socket.send(JSON.stringify({ type: "presence", task: taskId }));
    });
    socket.addEventListener("message", (message) => {
      const data = JSON.parse(message.data);
      if (data.type !== "presence" || data.task !== taskId) return;
      if (data.state === "here") others.set(data.socket, data.name);
      else others.delete(data.socket);
      render();
    });
    socket.addEventListener("close", () => {
      others.clear();
      render();
      window.setTimeout(() => connect(Math.min(delay * 2, 30000)), delay);
    });
  }
  connect(1000);
})();
