/* The web form builder (webforms/form_edit.html): add, remove and reorder field rows, and show the choices box
   only for choice fields. Rows are posted in the order the page holds them, which is the fields' order. */
(function () {
  "use strict";

  function sync(row) {
    var type = row.querySelector("[data-field-type]").value;
    row.querySelectorAll("[data-for-type]").forEach(function (el) {
      el.hidden = el.getAttribute("data-for-type") !== type;
    });
  }

  function init(form) {
    var editor = form.querySelector("[data-field-editor]");
    var rows = editor.querySelector("[data-field-rows]");
    var template = editor.querySelector("template[data-field-template]");
    var next = parseInt(editor.getAttribute("data-next-index") || "0", 10);

    rows.querySelectorAll("[data-field-row]").forEach(sync);
    rows.addEventListener("change", function (event) {
      var row = event.target.closest("[data-field-row]");
      if (row) sync(row);
    });
    rows.addEventListener("click", function (event) {
      var row = event.target.closest("[data-field-row]");
      if (!row) return;
      if (event.target.closest("[data-field-remove]")) row.remove();
      else if (event.target.closest("[data-field-up]") && row.previousElementSibling) rows.insertBefore(row, row.previousElementSibling);
      else if (event.target.closest("[data-field-down]") && row.nextElementSibling) rows.insertBefore(row.nextElementSibling, row);
    });
    editor.querySelector("[data-field-add]").addEventListener("click", function () {
      var holder = document.createElement("div");
      holder.innerHTML = template.innerHTML.replace(/__index__/g, String(next));
      next += 1;
      var row = holder.querySelector("[data-field-row]");
      rows.appendChild(row);
      sync(row);
      row.querySelector("input").focus();
    });
    if (!rows.querySelector("[data-field-row]")) editor.querySelector("[data-field-add]").click();
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-form-builder]").forEach(init);
  });
})();
