/* The caller pop-up: one WebSocket to /ws/telephony/ per staff page; each message describes a call as this user
   may see it (ringing, answered, ended) and updates that call's card. Built with textContent only: the text
   comes from customers' records and must never be read as markup. */
(function () {
  "use strict";

  var box = document.getElementById("pv-call-popups");
  var tpl = document.getElementById("pv-call-popup-card");
  if (!box || !tpl || !window.WebSocket || !box.getAttribute("data-ws-path")) return;
  var label = function (name) { return box.getAttribute("data-label-" + name) || ""; };
  var persian = box.getAttribute("data-lang") === "fa";
  var cards = {};
  var retry = 1000;

  function digits(text) {
    if (!persian) return String(text);
    return String(text).replace(/[0-9]/g, function (d) { return "۰۱۲۳۴۵۶۷۸۹"[d]; });
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function link(href, text, className) {
    var a = el("a", className || "", text);
    if (/^\/[^\/]/.test(href)) a.href = href; // only our own paths
    return a;
  }

  function when(iso) {
    try {
      return new Date(iso).toLocaleString(persian ? "fa-IR" : "en-GB", { dateStyle: "short", timeStyle: "short" });
    } catch (e) { return iso; }
  }

  function customerBlock(c) {
    var part = el("div", "pv-call-customer mb-2");
    part.setAttribute("data-customer-id", c.id);
    part.appendChild(link(c.url, c.name, "fw-semibold fs-6 d-block pv-call-customer-name"));
    var facts = el("div", "text-body-secondary");
    var bits = [];
    if (c.tier) bits.push(label("tier") + ": " + c.tier);
    if (c.owner) bits.push(label("owner") + ": " + c.owner);
    if (c.team) bits.push(label("team") + ": " + c.team);
    facts.textContent = bits.join(" · ");
    part.appendChild(facts);
    part.appendChild(el("div", "fw-semibold mt-2", label("tickets")));
    if (c.tickets.length) {
      var list = el("ul", "list-unstyled mb-0 pv-call-tickets");
      c.tickets.forEach(function (t) {
        var li = el("li");
        li.appendChild(link(t.url, digits(t.number) + " — " + t.subject));
        li.appendChild(el("span", "badge text-bg-light border ms-1", t.status));
        list.appendChild(li);
      });
      part.appendChild(list);
    } else {
      part.appendChild(el("div", "text-body-secondary", label("no-tickets")));
    }
    if (c.interactions.length) {
      part.appendChild(el("div", "fw-semibold mt-2", label("interactions")));
      var recent = el("ul", "list-unstyled mb-0 pv-call-interactions");
      c.interactions.forEach(function (i) {
        recent.appendChild(el("li", "", digits(when(i.at)) + " · " + i.channel + " · " + i.subject));
      });
      part.appendChild(recent);
    }
    return part;
  }

  function render(call) {
    var card = cards[call.call_id];
    // Only a ring opens a card: news of a call this page never saw ringing (taken elsewhere) is not shown.
    if (!card && call.kind !== "ringing") return;
    if (!card) {
      card = tpl.content.firstElementChild.cloneNode(true);
      card.setAttribute("data-call-id", call.call_id);
      card.querySelector(".pv-call-close").addEventListener("click", function () {
        card.remove();
        delete cards[call.call_id];
      });
      cards[call.call_id] = card;
      box.prepend(card);
    }
    card.setAttribute("data-kind", call.kind);
    card.querySelector(".pv-call-title").textContent = call.direction === "out" ? label("outgoing") : label("incoming");
    card.querySelector(".pv-call-status").textContent =
      call.kind === "ended" ? label("ended") : call.kind === "answered" ? label("answered") : call.status_label;
    card.querySelector(".pv-call-number").textContent = digits(call.number || label("unknown"));
    var body = card.querySelector(".pv-call-body");
    body.textContent = "";
    call.customers.forEach(function (c) { body.appendChild(customerBlock(c)); });
    if (call.not_yours) {
      body.appendChild(el("div", "alert alert-warning py-1 px-2 mb-2 pv-call-not-yours", label("not-yours")));
    } else if (call.create_url) {
      var create = link(call.create_url, label("create"), "btn btn-sm btn-primary pv-call-create");
      body.appendChild(create);
    }
    if (call.log_url) body.appendChild(link(call.log_url, label("log"), "d-block mt-2 small"));
    if (call.kind === "ended") {
      // A finished call's card stays a while for notes, then goes.
      setTimeout(function () {
        if (cards[call.call_id] === card) { card.remove(); delete cards[call.call_id]; }
      }, 60000);
    }
  }

  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + location.host + box.getAttribute("data-ws-path"));
    var ping;
    socket.addEventListener("open", function () {
      retry = 1000;
      box.setAttribute("data-connected", "1");
      ping = setInterval(function () { socket.send(JSON.stringify({ type: "ping" })); }, 30000);
    });
    socket.addEventListener("message", function (ev) {
      var data;
      try { data = JSON.parse(ev.data); } catch (e) { return; }
      if (data && data.call_id) render(data);
    });
    socket.addEventListener("close", function (ev) {
      box.removeAttribute("data-connected");
      clearInterval(ping);
      if (ev.code === 4401) return; // logged out: nothing to reconnect for
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 30000);
    });
  }

  connect();
})();
