/* Peyvand page behaviour: toasts, the Jalali date picker, repeated form rows, confirmations, search box.
   Loaded with `defer` after Bootstrap, htmx and the date picker; no inline scripts (the CSP forbids them). */
(function () {
  "use strict";

  function showToasts(root) {
    if (!window.bootstrap) return;
    root.querySelectorAll(".toast").forEach(function (el) {
      window.bootstrap.Toast.getOrCreateInstance(el).show();
    });
  }

  function startDatePicker() {
    if (!window.jalaliDatepicker) return;
    window.jalaliDatepicker.startWatch({
      persianDigits: true,
      autoShow: true,
      autoHide: true,
      hideAfterChange: true,
      showTodayBtn: true,
      showEmptyBtn: true,
      zIndex: 1090,
      // Birth dates are decades back: open the year list wide enough.
      minDate: { year: 1300, month: 1, day: 1 },
      maxDate: "today"
    });
  }

  // Repeated rows (phones, e-mails, addresses): a <template> inside each [data-rows] container holds a
  // blank row with "__i__" where the row index goes; indices only grow, so posted names never collide.
  function addRow(name) {
    var box = document.querySelector('[data-rows="' + name + '"]');
    if (!box) return;
    var tpl = box.querySelector("template");
    var next = parseInt(box.getAttribute("data-next") || "0", 10);
    var html = tpl.innerHTML.split("__i__").join(String(next));
    box.setAttribute("data-next", String(next + 1));
    tpl.insertAdjacentHTML("beforebegin", html);
    var rows = box.querySelectorAll("[data-row]");
    var added = rows[rows.length - 1];
    var first = added && added.querySelector("input:not([type=radio]), select");
    if (first) first.focus();
  }

  document.addEventListener("click", function (event) {
    var add = event.target.closest("[data-add-row]");
    if (add) {
      event.preventDefault();
      addRow(add.getAttribute("data-add-row"));
      return;
    }
    var remove = event.target.closest("[data-remove-row]");
    if (remove) {
      event.preventDefault();
      var row = remove.closest("[data-row]");
      var box = row && row.parentElement;
      if (!row || !box) return;
      if (box.querySelectorAll("[data-row]").length > 1) {
        row.remove();
      } else {
        row.querySelectorAll("input:not([type=radio])").forEach(function (input) { input.value = ""; });
      }
    }
    // Close the live search results when clicking elsewhere.
    var results = document.getElementById("global-search-results");
    if (results && !event.target.closest(".pv-search")) results.innerHTML = "";
  });

  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    var message = (button && button.getAttribute("data-confirm")) || event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) event.preventDefault();
  });

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      var results = document.getElementById("global-search-results");
      if (results) results.innerHTML = "";
    }
    // "/" focuses the global search, as in most web apps, unless the user is typing somewhere.
    if (event.key === "/" && !/^(INPUT|TEXTAREA|SELECT)$/.test(document.activeElement.tagName)) {
      var box = document.getElementById("global-search");
      if (box) { event.preventDefault(); box.focus(); }
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    showToasts(document);
    startDatePicker();
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    showToasts(event.target);
  });
})();
