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
    if (data.check_due) openCheck();
    if (data.course_done) window.location.reload();
  }

  /* Identity check: when the study rule wants one, show the camera, take a still on request and send
     it; the server compares it with the verified portrait and says whether time counts again. */
  var check = document.getElementById("face-check"), stream = null;
  function checkMsg(text) { var m = document.getElementById("face-msg"); if (m) m.textContent = text; }
  var consentBox = document.getElementById("face-consent");
  function openCheck() {
    if (!check || !check.hidden) return;
    check.hidden = false;
    startCamera();
  }
  /* Separate consent before the first camera use: the camera opens only after the learner agrees. */
  var consentOk = document.getElementById("face-consent-ok");
  if (consentOk) consentOk.addEventListener("click", function () {
    fetch(consentBox.dataset.url, { method: "POST", credentials: "same-origin", headers: { "X-CSRFToken": csrf } })
      .then(function (r) { if (r.ok) { consentBox.remove(); consentBox = null; startCamera(); } })
      .catch(function () {});
  });
  function startCamera() {
    if (consentBox) return;
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) { checkMsg(check.dataset.msgNocamera); return; }
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "user" }, audio: false }).then(function (s) {
      stream = s; document.getElementById("face-video").srcObject = s;
    }).catch(function () { checkMsg(check.dataset.msgNocamera); });
  }
  function closeCheck() {
    if (stream) { stream.getTracks().forEach(function (t) { t.stop(); }); stream = null; }
    if (check) check.hidden = true;
  }
  var take = document.getElementById("face-take");
  if (take) take.addEventListener("click", function () {
    var video = document.getElementById("face-video");
    if (!video || !video.videoWidth) { checkMsg(check.dataset.msgNocamera); return; }
    var canvas = document.createElement("canvas");
    canvas.width = video.videoWidth; canvas.height = video.videoHeight;
    canvas.getContext("2d").drawImage(video, 0, 0);
    checkMsg(check.dataset.msgSending);
    canvas.toBlob(function (blob) {
      var form = new FormData();
      form.append("token", token); form.append("still", blob, "still.jpg");
      fetch(check.dataset.url, { method: "POST", body: form, credentials: "same-origin", headers: { "X-CSRFToken": csrf } })
        .then(function (r) { return r.json(); })
        .then(function (data) {
          checkMsg(data.message || data.error || "");
          if (data.status === "passed" || data.status === "pending") setTimeout(closeCheck, 2500);
          /* a failed check takes time back: show the new total and reason now, not at the next beat */
          if (data.status) beat();
        }).catch(function () {});
    }, "image/jpeg", 0.9);
  });
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
