// The live screen's connection indicator. htmx's websocket extension does
// the rest (connect, reconnect with jittered backoff, out-of-band swaps);
// this only shows whether the screen is live.
(function () {
  "use strict";
  function set(state) {
    var el = document.getElementById("connection");
    if (!el) return;
    el.setAttribute("data-state", state);
    var text = el.getAttribute("data-text-" + state);
    var span = el.querySelector(".connection-text");
    if (text && span) span.textContent = text;
  }
  document.addEventListener("htmx:wsOpen", function () { set("open"); });
  document.addEventListener("htmx:wsClose", function () { set("closed"); });
  document.addEventListener("htmx:wsError", function () { set("closed"); });
})();
