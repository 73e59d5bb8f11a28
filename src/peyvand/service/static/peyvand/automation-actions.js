/* The automation rule editor (service/automation_rule_form.html): add and remove action rows, show in each row
   only the fields its type (and, for "set a field", the field) needs, and the hours only for "no reply". Without
   this script every field shows, and the server reads those the type needs. */
(function () {
  "use strict";

  function sync(row) {
    var type = row.querySelector("[data-action-type]").value;
    var field = row.querySelector("[data-action-field]").value;
    var to = row.querySelector("[data-action-to]").value;
    row.querySelectorAll("[data-for]").forEach(function (el) {
      var show = el.getAttribute("data-for").split(" ").indexOf(type) !== -1;
      var only = el.getAttribute("data-field");
      if (show && only) show = only === field;
      if (show && type === "notify_staff" && el.querySelector('[name$="-user"]')) show = to === "user";
      el.hidden = !show;
    });
  }

  function init(form) {
    var editor = form.querySelector("[data-action-editor]");
    var rows = editor.querySelector("[data-action-rows]");
    var template = editor.querySelector("template[data-action-template]");
    var next = parseInt(editor.getAttribute("data-next-index") || "0", 10);

    rows.querySelectorAll("[data-action-row]").forEach(sync);
    rows.addEventListener("change", function (event) {
      var row = event.target.closest("[data-action-row]");
      if (row) sync(row);
    });
    rows.addEventListener("click", function (event) {
      var button = event.target.closest("[data-action-remove]");
      if (button) button.closest("[data-action-row]").remove();
    });
    editor.querySelector("[data-action-add]").addEventListener("click", function () {
      var holder = document.createElement("div");
      holder.innerHTML = template.innerHTML.replace(/__index__/g, String(next));
      next += 1;
      var row = holder.querySelector("[data-action-row]");
      rows.appendChild(row);
      sync(row);
      row.querySelector("[data-action-type]").focus();
    });
    if (!rows.querySelector("[data-action-row]")) editor.querySelector("[data-action-add]").click();

    var event = form.querySelector('[name="event"]');
    var hours = form.querySelector("[data-hours-field]");
    function syncHours() { hours.hidden = event.value !== form.getAttribute("data-no-reply"); }
    event.addEventListener("change", syncHours);
    syncHours();
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-rule-editor]").forEach(init);
  });
})();
