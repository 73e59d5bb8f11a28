// The ticket page's knowledge-base picker: search the published articles, and insert the chosen one's text
// into the reply (its id goes with the reply, so the article's use is counted).
(function () {
  "use strict";
  function ready(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }
  ready(function () {
    var picker = document.getElementById("kb-picker");
    var input = document.getElementById("kb-picker-q");
    var results = document.getElementById("kb-picker-results");
    var form = document.getElementById("reply-form");
    if (!picker || !input || !results || !form) return;
    var body = form.querySelector("textarea[name=body]");
    var chosen = document.getElementById("reply-kb-article");
    var timer = null;

    function show(items) {
      results.textContent = "";
      if (!items.length) {
        var empty = document.createElement("div");
        empty.className = "text-body-secondary";
        empty.textContent = results.dataset.empty || "";
        results.appendChild(empty);
        return;
      }
      items.forEach(function (item) {
        var button = document.createElement("button");
        button.type = "button";
        button.className = "list-group-item list-group-item-action";
        button.textContent = item.title;
        button.addEventListener("click", function () {
          var text = item.body || "";
          body.value = body.value ? body.value.replace(/\s*$/, "") + "\n\n" + text : text;
          chosen.value = item.id;
          body.focus();
        });
        results.appendChild(button);
      });
    }

    function search() {
      var url = picker.dataset.url + "?status=published&q=" + encodeURIComponent(input.value.trim());
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : { items: [] }; })
        .then(function (data) { show((data && data.items) || []); })
        .catch(function () { show([]); });
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(search, 300);
    });
    picker.addEventListener("shown.bs.collapse", search);
  });
})();
