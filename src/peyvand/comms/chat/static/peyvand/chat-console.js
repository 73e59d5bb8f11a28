/* The agents' live chat console (/comms/chat/): the list of chats and one open chat, kept live over the
 * staff socket ws/chat/agent/. The server sends only the chats this agent may see; this page draws them. */
(function () {
  "use strict";

  var root = document.querySelector("[data-pv-chat-console]");
  if (!root) return;
  var t = function (name) { return root.getAttribute("data-text-" + name) || name; };
  var list = root.querySelector("[data-pv-chat-list]");
  var empty = root.querySelector("[data-pv-chat-empty]");
  var pane = root.querySelector("[data-pv-chat-pane]");
  var placeholder = root.querySelector("[data-pv-chat-placeholder]");
  var title = root.querySelector("[data-pv-chat-title]");
  var who = root.querySelector("[data-pv-chat-who]");
  var log = root.querySelector("[data-pv-chat-messages]");
  var form = root.querySelector("[data-pv-chat-form]");
  var input = root.querySelector("[data-pv-chat-input]");
  var errorLine = root.querySelector("[data-pv-chat-error]");
  var takeButton = root.querySelector("[data-pv-chat-take]");
  var closeButton = root.querySelector("[data-pv-chat-close]");
  var transcriptLink = root.querySelector("[data-pv-chat-transcript]");
  var stateBadge = document.querySelector("[data-pv-chat-state]");
  var transcriptUrl = root.getAttribute("data-transcript-url");
  var persian = (document.body.getAttribute("data-lang") || "fa") === "fa";

  var sessions = {};   // id -> session payload with .messages
  var current = null;
  var socket = null;
  var retryDelay = 1000;
  var seq = 0;

  function digits(text) {
    return persian ? String(text).replace(/[0-9]/g, function (d) { return "۰۱۲۳۴۵۶۷۸۹"[d]; }) : String(text);
  }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function label(session) {
    return session.customer_name || session.name || session.email || t("anonymous");
  }

  function drawList() {
    var ids = Object.keys(sessions).map(Number).filter(function (id) { return sessions[id].status !== "closed" || id === current; });
    ids.sort(function (a, b) { return a - b; });
    list.querySelectorAll("[data-session-id]").forEach(function (node) { node.remove(); });
    empty.hidden = ids.length > 0;
    ids.forEach(function (id) {
      var s = sessions[id];
      var item = el("button", "list-group-item list-group-item-action d-flex justify-content-between align-items-start gap-2" + (id === current ? " active" : ""));
      item.type = "button";
      item.setAttribute("data-session-id", String(id));
      var body = el("div", "text-truncate");
      body.appendChild(el("div", "fw-semibold text-truncate", label(s)));
      var last = s.messages && s.messages.length ? s.messages[s.messages.length - 1].text : "";
      body.appendChild(el("div", "small text-truncate opacity-75", last));
      item.appendChild(body);
      var badge = el("span", "badge rounded-pill " + (s.status === "waiting" ? "text-bg-warning" : s.status === "active" ? "text-bg-success" : "text-bg-secondary"), t(s.status));
      item.appendChild(badge);
      if (s.unread && id !== current) item.appendChild(el("span", "badge rounded-pill text-bg-danger", digits(s.unread)));
      item.addEventListener("click", function () { open(id); });
      list.appendChild(item);
    });
  }

  function drawMessage(message) {
    var mine = message.author === "agent";
    var row = el("div", "d-flex mb-2 " + (message.author === "system" ? "justify-content-center" : mine ? "justify-content-end" : "justify-content-start"));
    var bubble = el("div", "px-3 py-2 rounded-3 " + (message.author === "system" ? "small text-body-secondary" : mine ? "bg-primary text-white" : "bg-body-secondary"));
    bubble.style.maxWidth = "80%";
    bubble.style.whiteSpace = "pre-wrap";
    bubble.setAttribute("data-message-id", String(message.id));
    if (message.author !== "system") {
      var name = message.author === "agent" ? message.agent_name : (sessions[message.session] ? label(sessions[message.session]) : t("visitor"));
      bubble.appendChild(el("div", "small opacity-75", name + " · " + digits(message.clock || "")));
    }
    bubble.appendChild(document.createTextNode(message.text));
    row.appendChild(bubble);
    log.appendChild(row);
  }

  function drawPane() {
    var s = current !== null ? sessions[current] : null;
    pane.hidden = !s;
    placeholder.hidden = !!s;
    if (!s) return;
    title.textContent = label(s) + " · " + t(s.status);
    who.textContent = "";
    if (s.customer_url) {
      var link = el("a", "", t("customer") + ": " + s.customer_name);
      link.href = s.customer_url;
      who.appendChild(link);
    } else {
      who.appendChild(document.createTextNode(t("not-matched")));
    }
    [s.email, s.phone, s.agent_name ? t("agent") + ": " + s.agent_name : "", s.origin_page ? t("page") + ": " + s.origin_page : ""]
      .filter(Boolean)
      .forEach(function (part) { who.appendChild(document.createTextNode(" · " + part)); });
    log.textContent = "";
    (s.messages || []).forEach(drawMessage);
    log.scrollTop = log.scrollHeight;
    takeButton.hidden = s.status !== "waiting";
    closeButton.hidden = s.status === "closed";
    form.hidden = s.status === "closed";
    transcriptLink.href = transcriptUrl.replace(/0\/$/, s.id + "/");
  }

  function upsert(session) {
    var known = sessions[session.id];
    session.messages = session.messages || (known ? known.messages : []);
    session.unread = known ? known.unread || 0 : 0;
    sessions[session.id] = session;
  }

  function open(id) {
    current = id;
    sessions[id].unread = 0;
    errorLine.textContent = "";
    drawList();
    drawPane();
    send({ type: "open", session: id, id: "open-" + id });
  }

  function send(frame) {
    if (socket && socket.readyState === WebSocket.OPEN) { socket.send(JSON.stringify(frame)); return true; }
    errorLine.textContent = t("offline");
    return false;
  }

  function addMessage(message) {
    var s = sessions[message.session];
    if (!s) return;
    if (s.messages.some(function (m) { return m.id === message.id; })) return;
    s.messages.push(message);
    // A broadcast can arrive after the answer to this console's own request: keep the server's order.
    s.messages.sort(function (a, b) { return a.id - b.id; });
    if (message.session === current) {
      log.textContent = "";
      s.messages.forEach(drawMessage);
      log.scrollTop = log.scrollHeight;
    }
    else if (message.author === "visitor") s.unread = (s.unread || 0) + 1;
    drawList();
  }

  function onFrame(frame) {
    switch (frame.type) {
      case "queue":
        sessions = {};
        frame.sessions.forEach(upsert);
        if (current !== null && !sessions[current]) current = null;
        drawList();
        drawPane();
        break;
      case "session":
        upsert(frame.session);
        drawList();
        if (frame.session.id === current) drawPane();
        break;
      case "transcript":
        upsert(frame.session);
        sessions[frame.session.id].messages = frame.session.messages;
        if (frame.session.id === current) drawPane();
        break;
      case "message":
        addMessage(frame.message);
        break;
      case "ack":
        addMessage(frame.message);
        break;
      case "error":
        errorLine.textContent = frame.message;
        break;
      default:
        break;
    }
  }

  function setState(online) {
    if (!stateBadge) return;
    stateBadge.textContent = online ? t("online") : t("offline");
    stateBadge.className = "badge rounded-pill pv-chat-state " + (online ? "text-bg-success" : "text-bg-secondary");
  }

  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + window.location.host + root.getAttribute("data-socket-path"));
    socket.addEventListener("open", function () { retryDelay = 1000; setState(true); });
    socket.addEventListener("message", function (event) {
      var frame;
      try { frame = JSON.parse(event.data); } catch (e) { return; }
      onFrame(frame);
    });
    socket.addEventListener("close", function () {
      setState(false);
      window.setTimeout(connect, retryDelay);
      retryDelay = Math.min(retryDelay * 2, 15000);
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text || current === null) return;
    seq += 1;
    var frame = { type: "reply", session: current, id: "r" + Date.now().toString(36) + seq, text: text };
    if (chosenArticle !== null) frame.kb_article = chosenArticle;
    if (send(frame)) {
      input.value = "";
      errorLine.textContent = "";
      chosenArticle = null;
      hidePicker();
    }
  });
  input.addEventListener("keydown", function (event) {
    if (slashMode && pickerOpen()) {
      if (pickerKeys(event)) return;
      // "/word" is a search, not a message: Escape closes the picker to send it as it is.
      if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); return; }
    }
    if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); form.requestSubmit(); }
  });
  takeButton.addEventListener("click", function () { if (current !== null) send({ type: "take", session: current }); });
  closeButton.addEventListener("click", function () { if (current !== null) send({ type: "close", session: current }); });

  // --- canned answers: "/" at the start of the reply box, or the button, opens the picker; the chosen saved
  // reply or article goes into the box as plain text, to edit before sending.
  var picker = root.querySelector("[data-pv-canned]");
  var pickerToggle = root.querySelector("[data-pv-canned-toggle]");
  var pickerQuery = root.querySelector("[data-pv-canned-q]");
  var pickerResults = root.querySelector("[data-pv-canned-results]");
  var cannedUrl = root.getAttribute("data-canned-url");
  var pickerItems = [];
  var pickerActive = -1;
  var pickerTimer = null;
  var pickerSeq = 0;
  var slashMode = false;
  var chosenArticle = null;  // sent with the answer, so the article's use is counted

  function pickerOpen() { return picker && !picker.hidden; }

  function showPicker(fromSlash) {
    slashMode = fromSlash;
    picker.hidden = false;
    pickerToggle.setAttribute("aria-expanded", "true");
    if (!fromSlash) { pickerQuery.focus(); }
  }

  function hidePicker() {
    if (!picker) return;
    picker.hidden = true;
    slashMode = false;
    pickerActive = -1;
    pickerToggle.setAttribute("aria-expanded", "false");
  }

  function markActive() {
    pickerItems.forEach(function (entry, index) {
      entry.node.classList.toggle("active", index === pickerActive);
      entry.node.setAttribute("aria-selected", index === pickerActive ? "true" : "false");
    });
    if (pickerActive >= 0) pickerItems[pickerActive].node.scrollIntoView({ block: "nearest" });
  }

  function choose(item) {
    var text = item.text || "";
    if (item.kind === "article") chosenArticle = item.id;
    if (slashMode || !input.value.trim()) input.value = text;
    else input.value = input.value.replace(/\s*$/, "") + "\n\n" + text;
    hidePicker();
    input.focus();
    input.setSelectionRange(input.value.length, input.value.length);
  }

  function drawPicker(data) {
    pickerResults.textContent = "";
    pickerItems = [];
    pickerActive = -1;
    [["replies", t("replies")], ["articles", t("articles")]].forEach(function (group) {
      var items = (data && data[group[0]]) || [];
      if (!items.length) return;
      pickerResults.appendChild(el("div", "list-group-item small fw-semibold text-body-secondary bg-body-tertiary", group[1]));
      items.forEach(function (item) {
        var node = el("button", "list-group-item list-group-item-action");
        node.type = "button";
        node.setAttribute("role", "option");
        node.setAttribute("data-kind", item.kind);
        var head = el("div", "fw-semibold", item.title);
        if (item.team) head.appendChild(el("span", "badge rounded-pill text-bg-light border ms-2", item.team));
        node.appendChild(head);
        node.appendChild(el("div", "text-body-secondary text-truncate", item.text));
        if (item.language === "en") { node.setAttribute("dir", "ltr"); node.setAttribute("lang", "en"); }
        node.addEventListener("mousedown", function (event) { event.preventDefault(); });
        node.addEventListener("click", function () { choose(item); });
        pickerItems.push({ node: node, item: item });
        pickerResults.appendChild(node);
      });
    });
    if (!pickerItems.length) pickerResults.appendChild(el("div", "list-group-item text-body-secondary", t("nothing")));
    else if (slashMode) { pickerActive = 0; markActive(); }
  }

  function searchCanned(query) {
    clearTimeout(pickerTimer);
    pickerTimer = setTimeout(function () {
      pickerSeq += 1;
      var mine = pickerSeq;
      fetch(cannedUrl + "?q=" + encodeURIComponent(query.trim()), { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : {}; })
        .then(function (data) { if (mine === pickerSeq && pickerOpen()) drawPicker(data); })
        .catch(function () { if (mine === pickerSeq) drawPicker({}); });
    }, 200);
  }

  function pickerKeys(event) {
    if (!pickerOpen()) return false;
    if (event.key === "Escape") { hidePicker(); event.preventDefault(); input.focus(); return true; }
    if (!pickerItems.length) return false;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      var step = event.key === "ArrowDown" ? 1 : -1;
      pickerActive = (pickerActive + step + pickerItems.length) % pickerItems.length;
      markActive();
      event.preventDefault();
      return true;
    }
    if (event.key === "Enter" && pickerActive >= 0) {
      event.preventDefault();
      choose(pickerItems[pickerActive].item);
      return true;
    }
    return false;
  }

  if (picker && pickerToggle && pickerQuery && pickerResults && cannedUrl) {
    pickerToggle.addEventListener("click", function () {
      if (pickerOpen()) { hidePicker(); return; }
      showPicker(false);
      searchCanned(pickerQuery.value);
    });
    pickerQuery.addEventListener("input", function () { searchCanned(pickerQuery.value); });
    pickerQuery.addEventListener("keydown", function (event) { pickerKeys(event); });
    input.addEventListener("input", function () {
      var value = input.value;
      if (value.charAt(0) === "/" && value.indexOf("\n") < 0) {
        if (!pickerOpen() || !slashMode) showPicker(true);
        searchCanned(value.slice(1));
      } else if (slashMode) {
        hidePicker();
      }
    });
  }

  // The server counts this console as online while it hears from it.
  window.setInterval(function () { if (socket && socket.readyState === WebSocket.OPEN) socket.send('{"type":"ping"}'); }, 30000);
  connect();
})();
