// How the monitoring pages write things: a duration in seconds as "3 h 20 min".
window.ItineraFormat = (function () {
  "use strict";

  function duration(seconds) {
    if (seconds === null || seconds === undefined) return "—";
    const total = Math.round(seconds);
    if (total < 60) return total + " s";
    let minutes = Math.floor(total / 60);
    if (minutes < 60) return minutes + " min";
    let hours = Math.floor(minutes / 60);
    minutes = minutes % 60;
    if (hours < 24) return hours + " h" + (minutes ? " " + minutes + " min" : "");
    const days = Math.floor(hours / 24);
    hours = hours % 24;
    return days + " d" + (hours ? " " + hours + " h" : "");
  }

  return { duration: duration };
})();
