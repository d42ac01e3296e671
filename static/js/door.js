// door.js: the door page (views/templates/pages/admin-door.html), for a
// host with a phone at the door. The page works without it — every action
// is a form. With it:
//
//   - a tap sends its form with fetch, as htmx would (HX-Request and the
//     CSRF header), and the answer (the "door-answer" fragment: result,
//     count, the person's row) is swapped in by id, focus kept on the row;
//   - every tap gets a key of its own and the time it was made, and is
//     kept in localStorage until the server has answered. Taps made while
//     the venue's wi-fi is down wait there, survive a reload, and are sent
//     in order when it returns; the store takes each key once, so a send
//     retried, or two doors scanning the same person, count once;
//   - the camera button reads check-in QR codes: with BarcodeDetector
//     where the browser has one, else with the vendored jsQR
//     (static/vendor/jsqr).
//
// Words come from the page (#door's data-msg-*), never from here.
(() => {
  "use strict";
  const door = document.getElementById("door");
  if (!door) return;
  const $ = (id) => document.getElementById(id);
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const retryAfter = 4000; // ms between attempts while something waits

  // msg is a catalog string from the page with {n} and {name} filled in.
  const msg = (name, vars = {}) =>
    Object.entries(vars).reduce((s, [k, v]) => s.replace("{" + k + "}", v), door.dataset["msg" + name] || "");

  // ---- The queue: what the host did that the server has not answered.

  const queueKey = "torg.door.queue." + door.dataset.slug;
  const storage = (() => {
    try {
      localStorage.setItem(queueKey + ".probe", "1");
      localStorage.removeItem(queueKey + ".probe");
      return localStorage;
    } catch {
      return null; // private mode, or storage turned off: keep it in memory
    }
  })();
  let memory = [];
  const pending = () => (storage ? JSON.parse(storage.getItem(queueKey) || "[]") : memory);
  const save = (items) => (storage ? storage.setItem(queueKey, JSON.stringify(items)) : (memory = items));
  // Read, change and write at once, so two tabs of one browser do not
  // undo each other's changes.
  const enqueue = (item) => save([...pending(), item]);
  const drop = (key) => save(pending().filter((i) => i.fields.key !== key));

  const newKey = () =>
    Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");

  let offline = !navigator.onLine; // the last send could not reach the server
  let refused = false; // the server answered, but not yet (signed out, overloaded)
  let sending = false;
  let retryTimer = 0;
  let lastTap = null;

  // tap keeps an action and sends what waits.
  function tap(item) {
    item.fields.key = newKey();
    item.fields.at = new Date().toISOString();
    lastTap = item;
    enqueue(item);
    showPending();
    flush();
  }

  // flush sends what waits, oldest first, and stops at the first that
  // cannot be sent, to try again later: a check-in and its undo must
  // arrive in the order they were made.
  async function flush() {
    if (sending) return;
    sending = true;
    clearTimeout(retryTimer);
    try {
      for (let item; (item = pending()[0]); ) {
        let resp;
        try {
          resp = await fetch(item.url, {
            method: "POST",
            credentials: "same-origin",
            headers: { "HX-Request": "true", "X-CSRF-Token": csrf, "Content-Type": "application/x-www-form-urlencoded" },
            body: new URLSearchParams(item.fields),
          });
        } catch {
          offline = true;
          break;
        }
        offline = false;
        // 403 (signed out, an old token), 408, 429 and 5xx may pass:
        // keep the item. Any other answer is final.
        if (resp.status === 403 || resp.status === 408 || resp.status === 429 || resp.status >= 500) {
          refused = true;
          break;
        }
        refused = false;
        drop(item.fields.key);
        if (resp.status === 200 || resp.status === 422) {
          apply(await resp.text(), item);
          if (item.scan) feedback(resp.status === 200);
        }
      }
    } finally {
      sending = false;
    }
    const left = pending();
    if (lastTap && left.some((i) => i.fields.key === lastTap.fields.key)) showQueued(lastTap);
    lastTap = null;
    showPending();
    if (left.length) retryTimer = setTimeout(flush, retryAfter);
  }

  // apply swaps the answer's elements in by id: the result, the count,
  // the person's row (a new walk-in's at the top of the list), the
  // walk-in form. Focus stays where the host was.
  function apply(html, item) {
    const t = document.createElement("template");
    t.innerHTML = html;
    const active = document.activeElement;
    let refocus = null;
    for (const el of Array.from(t.content.children)) {
      const old = el.id && $(el.id);
      el.removeAttribute("data-hx-swap-oob");
      if (old && el.getAttribute("role") === "status") {
        // A live region is changed in place, so screen readers announce it.
        old.className = el.className;
        old.dataset.result = el.dataset.result || "";
        old.replaceChildren(...el.childNodes);
      } else if (old) {
        if (active && old.contains(active)) refocus = el;
        old.replaceWith(el);
      } else if (el.hasAttribute("data-door-new")) {
        const list = $("door-entries");
        if (list) list.prepend(el);
      }
    }
    if (!refocus) return;
    const summary = refocus.querySelector("#error-summary");
    const target =
      summary ||
      (item.focus && refocus.querySelector("#" + CSS.escape(item.focus))) ||
      refocus.querySelector("button, input:not([type=hidden])");
    if (target) target.focus();
  }

  // showQueued says in the result box that a tap waits on this device.
  function showQueued(item) {
    const box = $("door-result");
    if (!box) return;
    const name = document.createElement("p");
    name.className = "door-result-name";
    name.textContent = item.label;
    const text = document.createElement("p");
    text.className = "door-result-text";
    text.textContent = msg("Queued");
    box.className = "door-result door-result--queued";
    box.dataset.result = "queued";
    box.replaceChildren(name, text);
    if (item.action === "walkin") $("walkin-form")?.reset();
    if (item.scan) feedback(true);
  }

  // showPending shows what waits: the banner, the list of it, and
  // "waiting to be sent" on each row it concerns.
  function showPending() {
    const items = pending();
    const n = items.length;
    const banner = $("door-offline");
    banner.hidden = n === 0 && !offline;
    banner.textContent = msg(offline ? "Offline" : refused ? "Retry" : "Sending", { n });
    banner.classList.toggle("door-offline--down", offline || refused);
    const list = $("door-pending");
    list.hidden = n === 0;
    list.replaceChildren(
      ...items.map((i) => {
        const li = document.createElement("li");
        li.textContent = msg("Pending" + i.action[0].toUpperCase() + i.action.slice(1), { name: i.label });
        return li;
      }),
    );
    for (const row of document.querySelectorAll(".door-entry")) {
      const waiting = items.some((i) => i.row === row.id);
      row.classList.toggle("door-entry--pending", waiting);
      const note = row.querySelector(".door-pending-note");
      if (note) note.hidden = !waiting;
    }
  }

  // Every door form (check in, undo, walk-in) goes through the queue.
  document.addEventListener("submit", (ev) => {
    const form = ev.target;
    if (!(form instanceof HTMLFormElement) || !form.dataset.doorAction) return;
    ev.preventDefault();
    const fields = {};
    for (const [k, v] of new FormData(form)) if (k !== "csrf" && k !== "q") fields[k] = v;
    const action = form.dataset.doorAction;
    tap({
      url: form.action,
      fields,
      action,
      row: form.dataset.doorRow || "",
      label: action === "walkin" ? String(fields.name || "").trim() : form.dataset.doorLabel || "",
      focus: ev.submitter ? ev.submitter.id : "",
    });
  });

  addEventListener("online", () => {
    offline = false;
    showPending();
    flush();
  });
  addEventListener("offline", () => {
    offline = true;
    showPending();
  });
  addEventListener("storage", (ev) => ev.key === queueKey && showPending());
  // The search swaps the list: mark its rows again.
  document.body.addEventListener("htmx:afterSwap", showPending);

  showPending();
  flush();

  // ---- Scanning.

  const start = $("door-scan-start");
  const stop = $("door-scan-stop");
  const camera = $("door-camera");
  const video = $("door-video");
  let stream = null;
  let scanning = false;
  let audio = null;
  let last = { code: "", at: 0 };

  let jsQRLoading = null;
  // loadJsQR loads the decoder once (and early, on a browser without
  // BarcodeDetector, so that scanning works after the wi-fi drops).
  function loadJsQR() {
    jsQRLoading ??= new Promise((resolve, reject) => {
      if (window.jsQR) return resolve();
      const s = document.createElement("script");
      s.src = door.dataset.jsqrSrc;
      s.onload = resolve;
      s.onerror = () => {
        jsQRLoading = null;
        reject(new Error("jsQR did not load"));
      };
      document.head.append(s);
    });
    return jsQRLoading;
  }

  // decoder picks how to read a video frame: BarcodeDetector when the
  // browser has one that reads QR codes, else jsQR on a canvas.
  async function decoder() {
    if ("BarcodeDetector" in window) {
      try {
        if ((await BarcodeDetector.getSupportedFormats()).includes("qr_code")) {
          const detector = new BarcodeDetector({ formats: ["qr_code"] });
          return { name: "barcode-detector", read: async (v) => (await detector.detect(v))[0]?.rawValue || "" };
        }
      } catch {
        // fall back to jsQR
      }
    }
    await loadJsQR();
    const canvas = document.createElement("canvas");
    const ctx = canvas.getContext("2d", { willReadFrequently: true });
    return {
      name: "jsqr",
      read: async (v) => {
        if (!v.videoWidth) return "";
        // jsQR's time grows with the pixels: a QR code held up fills
        // enough of 640 to read.
        const scale = Math.min(1, 640 / Math.max(v.videoWidth, v.videoHeight));
        canvas.width = Math.round(v.videoWidth * scale);
        canvas.height = Math.round(v.videoHeight * scale);
        ctx.drawImage(v, 0, 0, canvas.width, canvas.height);
        const img = ctx.getImageData(0, 0, canvas.width, canvas.height);
        return window.jsQR(img.data, img.width, img.height, { inversionAttempts: "dontInvert" })?.data || "";
      },
    };
  }

  // feedback: a short beep and buzz for a check-in, a low double one for
  // a refusal, where the browser allows them.
  function feedback(ok) {
    if (navigator.vibrate && navigator.userActivation?.hasBeenActive) navigator.vibrate(ok ? 80 : [80, 60, 80]);
    if (!audio) return;
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.frequency.value = ok ? 880 : 220;
    gain.gain.value = 0.15;
    osc.connect(gain).connect(audio.destination);
    osc.start();
    osc.stop(audio.currentTime + (ok ? 0.12 : 0.35));
  }

  function scanned(raw) {
    const code = raw.trim().toUpperCase().replace(/[\s-]/g, "");
    const now = Date.now();
    // The same code still in view is read once: again only after it has
    // been out of view for a few seconds.
    const seen = code === last.code && now - last.at < 3000;
    last = { code, at: now };
    if (!code || seen) return;
    const row = Array.from(document.querySelectorAll(".door-entry[data-code]")).find((r) => r.dataset.code === code);
    tap({
      url: door.dataset.checkins,
      fields: { code },
      action: "in",
      row: row ? row.id : "",
      label: row ? row.querySelector(".door-name").firstChild.textContent.trim() : code,
      scan: true,
    });
  }

  async function startScan() {
    try {
      audio ??= new AudioContext(); // made on the tap, so the browser lets it play
    } catch {
      audio = null;
    }
    let read;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
      video.srcObject = stream;
      camera.hidden = false;
      start.hidden = true;
      await video.play();
      read = await decoder();
    } catch {
      stopScan();
      const box = $("door-result");
      box.className = "door-result door-result--refused";
      box.dataset.result = "camera";
      box.textContent = msg("CameraFailed");
      return;
    }
    door.dataset.decoder = read.name;
    scanning = true;
    stop.focus();
    while (scanning) {
      try {
        if (video.readyState >= 2) {
          const code = await read.read(video);
          if (code && scanning) scanned(code);
        }
      } catch {
        // a frame that could not be read: try the next
      }
      await new Promise((r) => setTimeout(r, 150));
    }
  }

  function stopScan() {
    const wasScanning = scanning;
    scanning = false;
    stream?.getTracks().forEach((t) => t.stop());
    stream = null;
    video.srcObject = null;
    camera.hidden = true;
    start.hidden = false;
    if (wasScanning) start.focus();
  }

  if (navigator.mediaDevices?.getUserMedia) {
    start.hidden = false;
    start.addEventListener("click", startScan);
    stop.addEventListener("click", stopScan);
    if (!("BarcodeDetector" in window)) loadJsQR().catch(() => {});
  } else if (!window.isSecureContext) {
    $("door-scan-insecure").hidden = false; // the camera needs https (or localhost)
  }
})();
