/* The deal board: move a deal by dragging its card to another column (native HTML5 drag and drop) or with the
   card's "Move to…" control; a lost column first asks for the reason. Every move goes to the server with the
   card's version; whatever the answer, the columns are then read again so that cards, counts and sums show
   what is stored. Without this script the "Move to…" forms still work as plain form posts. */
(function () {
  "use strict";

  var board = document.getElementById("deal-board");
  if (!board) return;
  var statusBox = document.getElementById("board-status");
  var dialog = document.getElementById("lost-dialog");
  var lostForm = document.getElementById("lost-form");
  var dragged = null;
  var pending = null; // the move waiting for its lost reason: {card, stageId, origin, fromKeyboard}

  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function say(text, ok) {
    statusBox.innerHTML = "";
    var box = document.createElement("div");
    box.className = "alert d-flex gap-2 align-items-start py-2 mb-3 " + (ok ? "alert-success" : "alert-danger");
    box.setAttribute("role", ok ? "status" : "alert");
    var icon = document.createElement("i");
    icon.className = "bi " + (ok ? "bi-check-circle" : "bi-exclamation-triangle-fill");
    icon.setAttribute("aria-hidden", "true");
    var body = document.createElement("div");
    body.className = "pv-board-message";
    body.textContent = text;
    box.appendChild(icon);
    box.appendChild(body);
    statusBox.appendChild(box);
  }

  function cardOf(id) {
    return board.querySelector('.pv-deal-card[data-deal-id="' + id + '"]');
  }

  function refresh(focusId) {
    return fetch(board.getAttribute("data-board-url"), {
      headers: { "X-Board-Fragment": "columns" },
      credentials: "same-origin"
    })
      .then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.text();
      })
      .then(function (html) {
        board.innerHTML = html;
        board.setAttribute("data-refreshed", String(Date.now()));
        var card = focusId && cardOf(focusId);
        var control = card && card.querySelector("select[name=stage_id]");
        if (control) control.focus();
      });
  }

  function putBack(card, origin) {
    if (origin && origin.parent) origin.parent.insertBefore(card, origin.next);
    var select = card.querySelector("select[name=stage_id]");
    if (select) select.value = card.getAttribute("data-stage-id");
  }

  function send(card, stageId, extra, fromKeyboard) {
    var id = card.getAttribute("data-deal-id");
    var body = new FormData();
    body.append("csrfmiddlewaretoken", csrfToken());
    body.append("version", card.getAttribute("data-version"));
    body.append("stage_id", stageId);
    Object.keys(extra || {}).forEach(function (key) { body.append(key, extra[key]); });
    card.classList.add("pv-card-busy");
    var failed = board.getAttribute("data-error-text");
    return fetch(card.getAttribute("data-move-url"), {
      method: "POST",
      body: body,
      headers: { "Accept": "application/json", "X-CSRFToken": csrfToken() },
      credentials: "same-origin"
    })
      .then(function (response) {
        return response.json()
          .catch(function () { return { message: failed }; })
          .then(function (answer) { say(answer.message || failed, response.ok); });
      })
      .catch(function () { say(failed, false); })
      .then(function () { return refresh(fromKeyboard ? id : null); })
      .catch(function () { window.location.reload(); });
  }

  function move(card, stageId, origin, fromKeyboard) {
    if (String(stageId) === card.getAttribute("data-stage-id")) {
      putBack(card, origin);
      return;
    }
    var column = board.querySelector('.pv-column[data-stage-id="' + stageId + '"]');
    if (column && column.getAttribute("data-outcome") === "lost") {
      pending = { card: card, stageId: stageId, origin: origin, fromKeyboard: fromKeyboard };
      lostForm.reset();
      lostForm.elements.lost_reason.classList.remove("is-invalid");
      dialog.showModal();
      lostForm.elements.lost_reason.focus();
      return;
    }
    send(card, stageId, null, fromKeyboard);
  }

  function cancelLost() {
    var waiting = pending;
    pending = null;
    if (dialog.open) dialog.close();
    if (!waiting) return;
    putBack(waiting.card, waiting.origin);
    var select = waiting.card.querySelector("select[name=stage_id]");
    if (waiting.fromKeyboard && select) select.focus();
  }

  lostForm.addEventListener("submit", function (event) {
    event.preventDefault();
    var reason = lostForm.elements.lost_reason;
    if (!reason.value.trim()) {
      reason.classList.add("is-invalid");
      reason.focus();
      return;
    }
    var waiting = pending;
    pending = null;
    dialog.close();
    if (!waiting) return;
    var extra = { lost_reason: reason.value.trim() };
    if (lostForm.elements.lost_to_id.value) extra.lost_to_id = lostForm.elements.lost_to_id.value;
    send(waiting.card, waiting.stageId, extra, waiting.fromKeyboard);
  });
  lostForm.querySelector("[data-lost-cancel]").addEventListener("click", cancelLost);
  // Escape closes a modal dialog: it is a cancel like the button.
  dialog.addEventListener("cancel", function (event) {
    event.preventDefault();
    cancelLost();
  });

  // The "Move to…" control of each card (keyboard and screen readers; also a plain form without this script).
  board.addEventListener("submit", function (event) {
    var form = event.target.closest(".pv-move-form");
    if (!form) return;
    event.preventDefault();
    var card = form.closest(".pv-deal-card");
    move(card, form.elements.stage_id.value, null, true);
  });

  function clearTargets() {
    board.querySelectorAll(".pv-drop-target").forEach(function (el) { el.classList.remove("pv-drop-target"); });
  }

  board.addEventListener("dragstart", function (event) {
    var card = event.target.closest && event.target.closest(".pv-deal-card");
    if (!card || card.classList.contains("pv-card-busy")) return;
    dragged = card;
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.getAttribute("data-deal-id"));
    card.classList.add("pv-dragging");
  });

  board.addEventListener("dragover", function (event) {
    if (!dragged) return;
    var column = event.target.closest && event.target.closest(".pv-column");
    if (!column) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    if (!column.classList.contains("pv-drop-target")) {
      clearTargets();
      column.classList.add("pv-drop-target");
    }
  });

  board.addEventListener("drop", function (event) {
    var column = event.target.closest && event.target.closest(".pv-column");
    var card = dragged;
    clearTargets();
    if (!column || !card) return;
    event.preventDefault();
    var origin = { parent: card.parentNode, next: card.nextSibling };
    var list = column.querySelector(".pv-column-cards");
    var empty = list.querySelector(".pv-column-empty");
    if (empty) empty.remove();
    list.insertBefore(card, list.firstChild);
    move(card, column.getAttribute("data-stage-id"), origin, false);
  });

  board.addEventListener("dragend", function () {
    if (dragged) dragged.classList.remove("pv-dragging");
    dragged = null;
    clearTargets();
  });
})();
