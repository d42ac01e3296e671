// The live screen's connection indicator, and its way back after a clean
// close. htmx's websocket extension does the rest (connect, out-of-band
// swaps, and reconnecting with jittered backoff after an abnormal close);
// this shows whether the screen is live.
(function () {
  "use strict";
  // Close codes after which the extension reconnects by itself.
  var RETRIED = [1006, 1011, 1012, 1013];
  var attempts = 0, timer = 0, leaving = false;

  function set(state) {
    var el = document.getElementById("connection");
    if (!el) return;
    el.setAttribute("data-state", state);
    var text = el.getAttribute("data-text-" + state);
    var span = el.querySelector(".connection-text");
    if (text && span) span.textContent = text;
  }

  window.addEventListener("pagehide", function () { leaving = true; });
  document.addEventListener("htmx:wsOpen", function () { set("open"); });
  // The feed is live once a message came through (the snapshot first):
  // only then does the backoff start again from the beginning.
  document.addEventListener("htmx:wsAfterMessage", function () { attempts = 0; });
  document.addEventListener("htmx:wsError", function () { set("closed"); });
  document.addEventListener("htmx:wsClose", function (e) {
    set("closed");
    var detail = e.detail || {};
    var code = detail.event ? detail.event.code : 0;
    var socket = detail.socketWrapper;
    // A server that shuts down cleanly closes with 1001 (going away), and
    // the extension gives up for good on any code but those above. A
    // screen on a wall has nobody to reload it: it tries again, with the
    // same kind of jittered, growing delay, until the server is back.
    if (leaving || !socket || RETRIED.indexOf(code) >= 0 || !document.body.contains(e.target)) return;
    var delay = Math.min(30000, 1000 * Math.pow(2, attempts)) * (0.5 + Math.random() / 2);
    attempts++;
    clearTimeout(timer);
    timer = setTimeout(function () { socket.reconnect(); }, delay);
  });
})();
