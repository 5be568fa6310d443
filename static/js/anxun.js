/* The site's small behaviours, kept out of the HTML so that the Content-Security-Policy can refuse
   every inline script and event handler. Loaded (deferred) by base.html on every page; listeners
   are delegated from the document, so parts swapped in by htmx (the exam console's rows) work too. */
(function () {
  "use strict";

  /* Exam timer (exams/_timer.html): counts down from the server's remaining seconds, turns urgent
     in the last five minutes and reloads the page at zero (the server then closes the attempt). */
  function startTimer(box) {
    var out = document.getElementById("exam-timer-value");
    var end = Date.now() + parseInt(box.dataset.seconds, 10) * 1000;
    function tick() {
      var s = Math.max(0, Math.round((end - Date.now()) / 1000));
      var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
      out.textContent = (h ? h + ":" : "") + String(m).padStart(2, "0") + ":" + String(r).padStart(2, "0");
      if (s <= 300) { box.classList.add("urgent"); }
      if (s === 0) { window.location.reload(); return; }
      setTimeout(tick, 1000);
    }
    tick();
  }

  /* <input type="checkbox" data-select-all="ids">: ticks or clears every checkbox named "ids". */
  document.addEventListener("click", function (event) {
    var box = event.target.closest ? event.target.closest("input[data-select-all]") : null;
    if (!box) { return; }
    document.querySelectorAll('input[name="' + box.dataset.selectAll + '"]').forEach(function (c) {
      c.checked = box.checked;
    });
  });

  /* <form data-confirm="question">: asks before the form is sent; "cancel" sends nothing. */
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.dataset && form.dataset.confirm !== undefined && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  });

  /* <div hx-trigger="every 10s" data-hold-while-typing>: the periodic refresh waits while the user is
     typing into a form inside (a field has focus or unsent text), so a reason being written is not
     wiped by the next swap. */
  document.addEventListener("htmx:beforeRequest", function (event) {
    var box = event.target;
    if (!box.hasAttribute || !box.hasAttribute("data-hold-while-typing")) { return; }
    var busy = Array.prototype.some.call(box.querySelectorAll("input[type=text], input:not([type]), textarea"), function (f) {
      return f === document.activeElement || f.value.trim() !== "";
    });
    if (busy) { event.preventDefault(); }
  });

  /* Tables on phones: each cell learns its column's heading (data-label), and the stylesheet shows
     every row as a card of "heading: value" lines below 640 px. A table that must stay a grid says
     data-keep-grid. Runs again on parts htmx swaps in. */
  function labelTables(root) {
    (root || document).querySelectorAll("table.table:not([data-keep-grid]):not(.stack)").forEach(function (table) {
      var heads = Array.prototype.map.call(table.querySelectorAll("thead th"), function (th) {
        return th.textContent.trim();
      });
      if (!heads.length) { return; }
      table.querySelectorAll("tbody tr").forEach(function (row) {
        var col = 0;
        Array.prototype.forEach.call(row.children, function (cell) {
          if (!cell.hasAttribute("data-label") && heads[col]) { cell.setAttribute("data-label", heads[col]); }
          col += cell.colSpan || 1;
        });
      });
      table.classList.add("stack");
    });
  }
  document.addEventListener("htmx:afterSwap", function (event) { labelTables(event.target); });

  function init() {
    var timer = document.getElementById("exam-timer");
    if (timer) { startTimer(timer); }
    labelTables(document);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
