/* Routing rules: keywords typed as tags, and the rules reordered by dragging their rows. Without this
   script the keywords are a comma-separated text and the arrows move a rule up or down. */
(function () {
  "use strict";

  var SPLIT = /[,،;؛\n\r]+/;

  function keywordTags(textarea) {
    var box = document.createElement("div");
    box.className = "form-control d-flex flex-wrap gap-1 align-items-center pv-tag-input";
    var input = document.createElement("input");
    input.type = "text";
    input.className = "border-0 flex-grow-1";
    input.style.outline = "none";
    input.style.minWidth = "8rem";
    input.setAttribute("aria-label", textarea.labels && textarea.labels[0] ? textarea.labels[0].textContent : "");
    var words = textarea.value.split(SPLIT).map(function (w) { return w.trim(); }).filter(Boolean);

    function sync() {
      textarea.value = words.join("\n");
    }
    function render() {
      box.querySelectorAll(".pv-tag").forEach(function (tag) { tag.remove(); });
      words.forEach(function (word, index) {
        var tag = document.createElement("span");
        tag.className = "badge rounded-pill text-bg-primary pv-tag";
        tag.textContent = word + " ";
        var remove = document.createElement("button");
        remove.type = "button";
        remove.className = "btn-close btn-close-white btn-sm";
        remove.setAttribute("aria-label", "×");
        remove.addEventListener("click", function () {
          words.splice(index, 1);
          sync();
          render();
        });
        tag.appendChild(remove);
        box.insertBefore(tag, input);
      });
    }
    function add() {
      input.value.split(SPLIT).forEach(function (w) {
        w = w.trim();
        if (w && words.indexOf(w) < 0) words.push(w);
      });
      input.value = "";
      sync();
      render();
    }
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter" || event.key === "," || event.key === "،") {
        event.preventDefault();
        add();
      } else if (event.key === "Backspace" && !input.value && words.length) {
        words.pop();
        sync();
        render();
      }
    });
    input.addEventListener("blur", add);
    box.appendChild(input);
    box.addEventListener("click", function () { input.focus(); });
    textarea.classList.add("d-none");
    textarea.parentNode.insertBefore(box, textarea.nextSibling);
    textarea.form.addEventListener("submit", add);
    render();
  }

  function dragRows(table) {
    var form = document.getElementById("pv-routing-order");
    var body = table.querySelector("tbody");
    if (!form || !body) return;
    var dragged = null;
    body.addEventListener("dragstart", function (event) {
      dragged = event.target.closest("tr");
      if (event.dataTransfer) event.dataTransfer.effectAllowed = "move";
    });
    body.addEventListener("dragover", function (event) {
      var row = event.target.closest("tr");
      if (!dragged || !row || row === dragged) return;
      event.preventDefault();
      var box = row.getBoundingClientRect();
      body.insertBefore(dragged, event.clientY > box.top + box.height / 2 ? row.nextSibling : row);
    });
    body.addEventListener("drop", function (event) {
      event.preventDefault();
    });
    body.addEventListener("dragend", function () {
      if (!dragged) return;
      dragged = null;
      var ids = Array.prototype.map.call(body.querySelectorAll("tr[data-rule-id]"), function (row) {
        return row.getAttribute("data-rule-id");
      });
      form.querySelector("input[name=ids]").value = ids.join(",");
      form.submit();
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("textarea[data-pv-tags]").forEach(keywordTags);
    document.querySelectorAll("table[data-pv-order-url]").forEach(dragRows);
  });
})();
