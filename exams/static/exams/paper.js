/* The exam page carries the whole frozen paper; this moves between its questions without page
   loads and keeps the answer sheet, the answered count and the flags in step with what the server
   acknowledged. Every answer is saved by htmx on each click (hx-post on the question's form).
   Without this script every question is its own page: the buttons and links still work. */
(function () {
  "use strict";

  function init() {
    var paper = document.getElementById("paper");
    if (!paper) { return; }
    var prefix = paper.dataset.questionPrefix;
    var titlePattern = paper.dataset.titlePattern || "%(n)s";
    var titleTail = document.title.indexOf(" · ") >= 0 ? document.title.slice(document.title.indexOf(" · ")) : "";
    var nav = document.querySelector(".paper-nav");
    var counter = document.getElementById("answered-count");

    function section(position) { return document.getElementById("q" + position); }
    function current() { return paper.querySelector(".exam-question:not([hidden])"); }
    function navLink(position) { return nav ? nav.querySelector('a[data-position="' + position + '"]') : null; }

    function show(position, focus) {
      var target = section(position);
      var shown = current();
      if (!target || target === shown) { return false; }
      if (shown) {
        shown.hidden = true;
        var old = navLink(shown.dataset.position);
        if (old) { old.classList.remove("current"); old.removeAttribute("aria-current"); }
      }
      target.hidden = false;
      var link = navLink(position);
      if (link) { link.classList.add("current"); link.setAttribute("aria-current", "true"); }
      document.title = titlePattern.replace("%(n)s", position) + titleTail;
      if (window.history && history.replaceState) { history.replaceState(null, "", prefix + position + "/"); }
      if (focus !== false) {
        var heading = target.querySelector("[tabindex='-1']");
        if (heading) { heading.focus({ preventScroll: true }); }
        target.scrollIntoView({ block: "start", behavior: "instant" });
      }
      return true;
    }

    function isAnswered(sec) {
      var text = sec.querySelector("textarea[name=text]");
      if (text) { return text.value.trim() !== ""; }
      return !!sec.querySelector("input[name=choice]:checked");
    }

    function refreshCount() {
      if (!counter || !nav) { return; }
      counter.textContent = nav.querySelectorAll("a.answered").length;
    }

    paper.addEventListener("click", function (ev) {
      var btn = ev.target.closest("button[data-go]");
      if (!btn) { return; }
      if (show(btn.dataset.go)) { ev.preventDefault(); }
    });
    if (nav) {
      nav.addEventListener("click", function (ev) {
        var a = ev.target.closest("a[data-position]");
        if (a && show(a.dataset.position)) { ev.preventDefault(); }
      });
    }

    // After each save: what the server acknowledged goes to the answer sheet.
    document.body.addEventListener("htmx:afterRequest", function (ev) {
      var form = ev.detail.elt;
      if (!form || !form.closest) { return; }
      var sec = form.closest(".exam-question");
      if (!sec) { return; }
      var xhr = ev.detail.xhr;
      var ok = ev.detail.successful && !(xhr && xhr.getResponseHeader("X-Anxun-Status"));
      if (!ok) { return; }
      var link = navLink(sec.dataset.position);
      if (form.classList.contains("flag-form")) {
        var input = form.querySelector("input[name=flag]");
        var on = input.value === "1";
        input.value = on ? "0" : "1";
        var button = form.querySelector("button");
        button.classList.toggle("on", on);
        button.setAttribute("aria-pressed", on ? "true" : "false");
        button.querySelector("span").textContent = on ? button.dataset.unflagLabel : button.dataset.flagLabel;
        if (link) { link.classList.toggle("flagged", on); }
      } else if (link) {
        link.classList.toggle("answered", isAnswered(sec));
        refreshCount();
      }
    });
    // A refused save (time is up, submitted elsewhere) carries its status in a header: reload so
    // the server shows where the paper stands.
    document.body.addEventListener("htmx:afterRequest", function (ev) {
      var xhr = ev.detail.xhr;
      if (xhr && xhr.getResponseHeader("X-Anxun-Status") === "409") {
        setTimeout(function () { window.location.reload(); }, 2500);
      }
    });
    paper.addEventListener("change", function (ev) {
      var label = ev.target.closest("label.option");
      if (!label) { return; }
      var sec = label.closest(".exam-question");
      sec.querySelectorAll("label.option").forEach(function (l) {
        var i = l.querySelector("input");
        l.classList.toggle("chosen", !!(i && i.checked));
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
