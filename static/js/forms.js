// forms.js: what a form sent with htmx says when the send fails. Without
// it a failed send (no network, a 5xx, a 429) changes nothing on the page
// and the resident cannot tell whether it went through. The page works
// without this file: every form is an ordinary form.
//
//   - The form's button is disabled while its request is in flight
//     (data-hx-disabled-elt on the form, htmx's own), so a double tap
//     sends one POST.
//   - When the send fails, the form's live region (.submit-status, beside
//     the button) says so and what to do; nothing else changes, so what
//     was typed stays. The next send clears it. A 503 or 429 brings its
//     reason (the database full, too many sends): the region says that.
//
// Only requests the form itself sends count: a field checked as it loses
// focus is the field's business. Words come from the page (the region's
// data-msg-*), never from here.
(() => {
  "use strict";

  // statusOf is the live region of the form that sent evt's request, or
  // null when a field (or something else) sent it.
  const statusOf = (evt) => {
    const elt = evt.detail && evt.detail.elt;
    return elt instanceof HTMLFormElement ? elt.querySelector(".submit-status") : null;
  };

  const say = (box, kind, text) => {
    // A live region is announced when its text changes: clear it first,
    // so the same failure twice is said twice.
    box.textContent = "";
    if (kind) requestAnimationFrame(() => (box.textContent = text || box.dataset["msg" + kind] || ""));
  };

  // reasonOf is the reason a refused send comes back with: a 503 (the
  // database cannot take it now) or a 429 answers with the form again
  // and the reason at the top of its error summary, the words a page
  // without JavaScript shows. "" when the answer has none.
  const reasonOf = (xhr) => {
    if (!xhr || (xhr.status !== 503 && xhr.status !== 429)) return "";
    const doc = new DOMParser().parseFromString(xhr.responseText || "", "text/html");
    const title = doc.getElementById("error-summary-title");
    return title ? title.textContent.trim() : "";
  };

  document.addEventListener("htmx:beforeRequest", (evt) => {
    const box = statusOf(evt);
    if (box) say(box, "");
  });
  // No answer at all: offline, the connection dropped, the server is down.
  document.addEventListener("htmx:sendError", (evt) => {
    const box = statusOf(evt);
    if (box) say(box, "Network");
  });
  // An answer the page does not show (the htmx-config meta: 4xx other than
  // 409 and 422, and 5xx): too many requests, or a fault on our side.
  // A 503 or 429 says its own reason, and that what was typed is kept.
  document.addEventListener("htmx:responseError", (evt) => {
    const box = statusOf(evt);
    if (!box) return;
    const xhr = evt.detail.xhr;
    const reason = reasonOf(xhr);
    say(box, xhr && xhr.status === 429 ? "Busy" : "Server", reason && reason + " " + (box.dataset.msgKept || ""));
  });
})();
