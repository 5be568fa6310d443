/* Stills during the theory exam, when the session asks for them: one when the attempt starts and
   one every N minutes (the server says when the next is due). A refused or missing camera is
   reported once and never blocks answering: saves do not depend on this script. */
(function () {
  var box = document.getElementById("exam-camera");
  if (!box) return;
  var url = box.dataset.url, csrf = box.dataset.csrf;
  var video = document.getElementById("exam-camera-video");
  var msg = document.getElementById("exam-camera-msg");
  var timer = null, waits = 0;
  function say(text) { if (msg) msg.textContent = text; }
  function post(form) {
    return fetch(url, { method: "POST", body: form, credentials: "same-origin", headers: { "X-CSRFToken": csrf } })
      .then(function (r) { return r.json().catch(function () { return {}; }); });
  }
  function schedule(seconds) {
    if (timer) clearTimeout(timer);
    timer = null;
    if (seconds === null || seconds === undefined || isNaN(seconds)) return;
    timer = setTimeout(take, Math.max(0, seconds) * 1000);
  }
  function refused() {
    box.classList.add("refused");
    say(box.dataset.msgNocamera);
    var form = new FormData();
    form.append("camera", "refused");
    post(form).catch(function () {});
  }
  function take() {
    if (!video.videoWidth) { if (++waits < 30) schedule(1); return; }  // the picture is not there yet
    var canvas = document.createElement("canvas");
    canvas.width = video.videoWidth; canvas.height = video.videoHeight;
    canvas.getContext("2d").drawImage(video, 0, 0);
    canvas.toBlob(function (blob) {
      var form = new FormData();
      form.append("still", blob, "still.jpg");
      post(form).then(function (data) {
        if (data.status === "ok") {
          say(box.dataset.msgTaken + " " + new Date().toLocaleTimeString("zh-CN", { hour12: false }));
          schedule(data.next_in);
        } else {
          schedule(60);  // refused for now (too soon after another page's still): try again later
        }
      }).catch(function () { schedule(60); });
    }, "image/jpeg", 0.85);
  }
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) { refused(); return; }
  navigator.mediaDevices.getUserMedia({ video: { facingMode: "user" }, audio: false }).then(function (stream) {
    video.srcObject = stream;
    schedule(parseInt(box.dataset.due, 10));
  }).catch(refused);
})();
