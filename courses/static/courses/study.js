/* Study heartbeat. Beats only while the page is visible and was used recently; the server measures
   the time between accepted beats itself and ignores any duration, so this script only says "I am
   here". */
(function () {
  var box = document.getElementById("study");
  if (!box) return;
  var url = box.dataset.url, token = box.dataset.token;
  var interval = parseInt(box.dataset.interval, 10) * 1000;
  var idle = parseInt(box.dataset.idle, 10) * 1000;
  var minSeconds = parseInt(box.dataset.min, 10);
  var csrf = box.dataset.csrf;
  var lastActivity = Date.now();
  var bar = document.getElementById("study-bar"), label = document.getElementById("study-label");
  var note = document.getElementById("study-note");
  function activity() { lastActivity = Date.now(); }
  ["mousemove", "keydown", "scroll", "touchstart", "click", "wheel"].forEach(function (e) {
    window.addEventListener(e, activity, { passive: true });
  });
  document.querySelectorAll("video").forEach(function (v) {
    v.addEventListener("timeupdate", function () { if (!v.paused) activity(); });
  });
  function show(data) {
    var pct = Math.min(100, Math.floor(data.seconds * 100 / minSeconds));
    if (bar) bar.style.width = pct + "%";
    if (label) label.textContent = (data.seconds / 60).toFixed(1) + " / " + Math.round(minSeconds / 60);
    if (note) {
      if (data.status === "taken_over" || data.status === "started") note.textContent = box.dataset.msgStarted;
      else if (data.status === "gap") note.textContent = box.dataset.msgResumed;
      else if (data.reason_label) note.textContent = box.dataset.msgUncredited + data.reason_label;
      else if (data.lesson_done) note.textContent = box.dataset.msgDone;
      else note.textContent = box.dataset.msgCounting;
    }
    if (data.course_done) window.location.reload();
  }
  function beat() {
    if (document.visibilityState !== "visible") return;
    if (Date.now() - lastActivity > idle) { if (note) note.textContent = box.dataset.msgIdle; return; }
    var body = new URLSearchParams({ token: token, visible: "1", active: "1" });
    fetch(url, { method: "POST", body: body, credentials: "same-origin",
                 headers: { "X-CSRFToken": csrf, "Content-Type": "application/x-www-form-urlencoded" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data) show(data); })
      .catch(function () {});
  }
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") { activity(); beat(); }
  });
  window.addEventListener("focus", function () { activity(); beat(); });
  beat();
  setInterval(beat, interval);
})();
