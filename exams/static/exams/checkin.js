/* 考场签到: the room's camera in the proctor's browser. "拍照并比对" draws the video frame on a canvas
   and submits it in the upload form (source: camera); without a camera the form takes a file. */
(function () {
  var box = document.getElementById("checkin-camera");
  if (!box) return;
  var video = document.getElementById("checkin-video"), open = document.getElementById("checkin-open");
  var take = document.getElementById("checkin-take"), msg = document.getElementById("checkin-msg");
  var form = document.getElementById("checkin-form");
  open.addEventListener("click", function () {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) { msg.textContent = box.dataset.msgNocamera; return; }
    navigator.mediaDevices.getUserMedia({ video: true, audio: false }).then(function (stream) {
      video.srcObject = stream; video.hidden = false; take.hidden = false; open.hidden = true;
    }).catch(function () { msg.textContent = box.dataset.msgNocamera; });
  });
  take.addEventListener("click", function () {
    if (!video.videoWidth) { msg.textContent = box.dataset.msgNocamera; return; }
    var canvas = document.createElement("canvas");
    canvas.width = video.videoWidth; canvas.height = video.videoHeight;
    canvas.getContext("2d").drawImage(video, 0, 0);
    canvas.toBlob(function (blob) {
      var data = new FormData(form);
      data.set("still", blob, "still.jpg"); data.set("source", "camera");
      fetch(form.action || window.location.href, { method: "POST", body: data, credentials: "same-origin" })
        .then(function () { window.location.reload(); });
    }, "image/jpeg", 0.9);
  });
})();
