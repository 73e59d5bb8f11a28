/* Peyvand live chat widget: one script tag on any site of a widget's allowed origins.
 *   <script src="https://crm.example.ir/static/peyvand/chat-widget.js" data-widget="KEY" async></script>
 *   <script src="https://crm.example.ir/comms/chat/widget/KEY.js" async></script>
 * Optional: data-lang="fa|en" (else the page's <html lang>). Everything is drawn in its own shadow root, so the
 * host page's CSS cannot reach it and its CSS cannot reach the page. Messages travel over a WebSocket to the
 * CRM; each has an id made here, and a message stays queued (also across reloads) until the server has
 * acknowledged it, so a dropped connection or a "too fast" answer delays a message but never loses it. */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script || !script.src) return;
  var src = new URL(script.src, window.location.href);
  var match = src.pathname.match(/\/widget\/([^/]+)\.js$/);
  var key = script.getAttribute("data-widget") || (match ? decodeURIComponent(match[1]) : "");
  if (!key || document.getElementById("peyvand-chat-" + key)) return;
  var socketUrl = (src.protocol === "https:" ? "wss://" : "ws://") + src.host + "/ws/chat/visitor/" + encodeURIComponent(key) + "/";
  var pageLang = (script.getAttribute("data-lang") || document.documentElement.lang || "fa").slice(0, 2).toLowerCase();
  var lang = pageLang === "en" ? "en" : "fa";
  var rtl = lang === "fa";

  var TEXT = {
    fa: {
      open: "گفتگو با ما", title: "گفتگوی آنلاین", close: "بستن", name: "نام (اختیاری)", email: "ایمیل (اختیاری)",
      phone: "تلفن", message: "پیام خود را بنویسید…", send: "ارسال", end: "پایان گفتگو",
      offlineTitle: "الان کسی آنلاین نیست. پیام بگذارید تا پاسخ دهیم.", offlineEmail: "ایمیل", offlineSend: "ثبت پیام",
      connecting: "در حال اتصال…", reconnecting: "اتصال قطع شد؛ دوباره وصل می‌شویم…", sending: "در حال ارسال…",
      failed: "ارسال نشد", you: "شما", agent: "پشتیبان", waiting: "پیام شما رسید؛ به‌زودی پاسخ می‌دهیم.",
      newChat: "گفتگوی تازه"
    },
    en: {
      open: "Chat with us", title: "Live chat", close: "Close", name: "Name (optional)", email: "E-mail (optional)",
      phone: "Phone", message: "Write your message…", send: "Send", end: "End chat",
      offlineTitle: "Nobody is online right now. Leave a message and we will answer you.", offlineEmail: "E-mail",
      offlineSend: "Leave message", connecting: "Connecting…", reconnecting: "Disconnected; reconnecting…",
      sending: "Sending…", failed: "Not sent", you: "You", agent: "Support",
      waiting: "Your message arrived; we will answer shortly.", newChat: "New chat"
    }
  }[lang];

  // --- storage: the visitor's id and the messages not yet acknowledged survive a reload ---
  var memory = {};
  function load(name, fallback) {
    try {
      var raw = window.localStorage.getItem("peyvand-chat:" + key + ":" + name);
      return raw === null ? fallback : JSON.parse(raw);
    } catch (e) {
      return name in memory ? memory[name] : fallback;
    }
  }
  function save(name, value) {
    memory[name] = value;
    try { window.localStorage.setItem("peyvand-chat:" + key + ":" + name, JSON.stringify(value)); } catch (e) { /* private mode */ }
  }
  function randomId(length) {
    var bytes = new Uint8Array(length);
    window.crypto.getRandomValues(bytes);
    var alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    var out = "";
    for (var i = 0; i < bytes.length; i++) out += alphabet[bytes[i] % 64];
    return out;
  }
  var visitorId = load("visitor", null);
  if (!visitorId) { visitorId = randomId(24); save("visitor", visitorId); }
  var pending = load("pending", []);
  var identity = load("identity", {});

  // --- the box, in its own shadow root ---
  var host = document.createElement("div");
  host.id = "peyvand-chat-" + key;
  var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
  var side = rtl ? "left" : "right";
  var style = document.createElement("style");
  style.textContent = [
    ":host{all:initial}",
    "*{box-sizing:border-box;font-family:Vazirmatn,Tahoma,'Segoe UI',sans-serif}",
    ".launcher{position:fixed;bottom:20px;" + side + ":20px;z-index:2147483000;border:0;border-radius:28px;padding:14px 20px;background:#0d6efd;color:#fff;font-size:15px;cursor:pointer;box-shadow:0 4px 16px rgba(0,0,0,.25)}",
    ".panel{position:fixed;bottom:84px;" + side + ":20px;z-index:2147483000;width:340px;max-width:calc(100vw - 40px);height:480px;max-height:calc(100vh - 110px);display:flex;flex-direction:column;background:#fff;color:#212529;border-radius:14px;box-shadow:0 8px 32px rgba(0,0,0,.25);overflow:hidden;font-size:14px;line-height:1.6}",
    ".panel[hidden]{display:none}",
    ".head{display:flex;justify-content:space-between;align-items:center;padding:10px 14px;background:#0d6efd;color:#fff}",
    ".head b{font-size:15px}",
    ".x{background:transparent;border:0;color:#fff;font-size:20px;cursor:pointer;line-height:1}",
    ".status{font-size:12px;padding:4px 14px;background:#fff3cd;color:#664d03}",
    ".status:empty{display:none}",
    ".log{flex:1;overflow-y:auto;padding:12px;display:flex;flex-direction:column;gap:8px;background:#f8f9fa}",
    ".msg{max-width:85%;padding:7px 11px;border-radius:12px;white-space:pre-wrap;word-wrap:break-word}",
    ".msg small{display:block;font-size:11px;opacity:.7}",
    ".visitor{align-self:flex-end;background:#0d6efd;color:#fff}",
    ".agent{align-self:flex-start;background:#fff;border:1px solid #dee2e6}",
    ".system{align-self:center;background:transparent;color:#6c757d;font-size:12px}",
    ".pending{opacity:.6}",
    ".failed{background:#f8d7da;color:#842029}",
    "form{display:flex;flex-direction:column;gap:6px;padding:10px;border-top:1px solid #dee2e6;background:#fff}",
    "form[hidden]{display:none}",
    "input,textarea{width:100%;border:1px solid #ced4da;border-radius:8px;padding:7px 9px;font-size:14px;color:#212529;background:#fff}",
    "textarea{resize:none;height:58px}",
    ".row{display:flex;gap:6px}",
    ".send{border:0;border-radius:8px;padding:8px 14px;background:#0d6efd;color:#fff;cursor:pointer;font-size:14px}",
    ".link{background:none;border:0;color:#6c757d;font-size:12px;cursor:pointer;text-decoration:underline;align-self:center}",
    ".note{padding:8px 12px;font-size:13px;color:#495057}",
    ".ltr{direction:ltr;text-align:left}"
  ].join("\n");
  root.appendChild(style);

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) { node.setAttribute(name, attrs[name]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  var launcher = el("button", { type: "button", "class": "launcher", part: "launcher" }, TEXT.open);
  var panel = el("div", { "class": "panel", dir: rtl ? "rtl" : "ltr", lang: lang, role: "dialog", "aria-label": TEXT.title, hidden: "" });
  var head = el("div", { "class": "head" });
  head.appendChild(el("b", {}, TEXT.title));
  var closeButton = el("button", { type: "button", "class": "x", "aria-label": TEXT.close }, "×");
  head.appendChild(closeButton);
  var statusLine = el("div", { "class": "status", role: "status" });
  var log = el("div", { "class": "log", "aria-live": "polite" });

  var chatForm = el("form", { "class": "chat" });
  var nameInput = el("input", { name: "name", placeholder: TEXT.name, maxlength: "120", autocomplete: "name" });
  var emailInput = el("input", { name: "email", type: "email", placeholder: TEXT.email, maxlength: "254", autocomplete: "email", "class": "ltr" });
  var identityRow = el("div", { "class": "row" });
  identityRow.appendChild(nameInput);
  identityRow.appendChild(emailInput);
  var textInput = el("textarea", { name: "text", placeholder: TEXT.message, maxlength: "2000" });
  var sendRow = el("div", { "class": "row" });
  sendRow.appendChild(textInput);
  sendRow.appendChild(el("button", { type: "submit", "class": "send" }, TEXT.send));
  var endButton = el("button", { type: "button", "class": "link", hidden: "" }, TEXT.end);
  chatForm.appendChild(identityRow);
  chatForm.appendChild(sendRow);
  chatForm.appendChild(endButton);

  var offlineForm = el("form", { "class": "offline", hidden: "" });
  offlineForm.appendChild(el("div", { "class": "note" }, TEXT.offlineTitle));
  var offName = el("input", { name: "name", placeholder: TEXT.name, maxlength: "120" });
  var offEmail = el("input", { name: "email", type: "email", placeholder: TEXT.offlineEmail, maxlength: "254", "class": "ltr" });
  var offPhone = el("input", { name: "phone", type: "tel", placeholder: TEXT.phone, maxlength: "20", "class": "ltr" });
  var offText = el("textarea", { name: "text", placeholder: TEXT.message, maxlength: "2000" });
  [offName, offEmail, offPhone, offText].forEach(function (n) { offlineForm.appendChild(n); });
  offlineForm.appendChild(el("button", { type: "submit", "class": "send" }, TEXT.offlineSend));

  panel.appendChild(head);
  panel.appendChild(statusLine);
  panel.appendChild(log);
  panel.appendChild(chatForm);
  panel.appendChild(offlineForm);
  root.appendChild(launcher);
  root.appendChild(panel);
  (document.body || document.documentElement).appendChild(host);

  // --- the conversation ---
  var shown = {};        // server message id -> bubble
  var bubbles = {};      // client id -> bubble of a message not yet acknowledged
  var socket = null;
  var retryDelay = 1000;
  var flushTimer = null;
  var maxLength = 2000;
  var hasSession = load("active", false);

  function scrollDown() { log.scrollTop = log.scrollHeight; }

  function bubble(author, text, who, extraClass) {
    var node = el("div", { "class": "msg " + author + (extraClass ? " " + extraClass : "") });
    if (who) node.appendChild(el("small", {}, who));
    node.appendChild(document.createTextNode(text));
    log.appendChild(node);
    scrollDown();
    return node;
  }

  function showMessage(message) {
    if (shown[message.id]) return;
    var local = message.client_id && bubbles[message.client_id];
    if (local) {
      local.classList.remove("pending");
      shown[message.id] = local;
      delete bubbles[message.client_id];
      return;
    }
    var who = message.author === "agent" ? (message.agent_name || TEXT.agent) : "";
    shown[message.id] = bubble(message.author, message.text, who);
  }

  function setStatus(text) { statusLine.textContent = text || ""; }

  function setIdentityKnown(known) {
    if (known) identityRow.setAttribute("hidden", "");
    else identityRow.removeAttribute("hidden");
  }

  function sendFrame(frame) {
    if (socket && socket.readyState === WebSocket.OPEN) { socket.send(JSON.stringify(frame)); return true; }
    return false;
  }

  function flush() {
    flushTimer = null;
    pending.forEach(function (item) { sendFrame(item); });
  }

  function scheduleFlush(seconds) {
    if (flushTimer) return;
    flushTimer = window.setTimeout(flush, Math.max(1, seconds || 1) * 1000);
  }

  function queueMessage(text) {
    var frame = { type: "message", id: randomId(16), text: text };
    if (!identity.sent) {
      if (nameInput.value.trim()) frame.name = nameInput.value.trim();
      if (emailInput.value.trim()) frame.email = emailInput.value.trim();
    }
    pending.push(frame);
    save("pending", pending);
    bubbles[frame.id] = bubble("visitor", text, "", "pending");
    if (!sendFrame(frame)) connect();
  }

  function forget(clientId) {
    pending = pending.filter(function (item) { return item.id !== clientId; });
    save("pending", pending);
  }

  function onFrame(frame) {
    switch (frame.type) {
      case "hello":
        maxLength = frame.max_length || maxLength;
        textInput.setAttribute("maxlength", String(maxLength));
        log.textContent = "";
        shown = {};
        bubbles = {};
        if (frame.greeting) bubble("system", frame.greeting);
        (frame.messages || []).forEach(showMessage);
        hasSession = !!frame.session;
        save("active", hasSession);
        if (frame.session && (frame.session.name || frame.session.email)) { identity.sent = true; save("identity", identity); }
        setIdentityKnown(!!identity.sent);
        endButton.hidden = !hasSession;
        if (!frame.online && !hasSession && frame.offline_form && !pending.length) {
          chatForm.setAttribute("hidden", "");
          offlineForm.removeAttribute("hidden");
        } else {
          offlineForm.setAttribute("hidden", "");
          chatForm.removeAttribute("hidden");
        }
        // What was typed before the page was left or the connection dropped is drawn again and resent.
        pending.forEach(function (item) { if (!bubbles[item.id]) bubbles[item.id] = bubble("visitor", item.text, "", "pending"); });
        flush();
        break;
      case "ack":
        forget(frame.id);
        if (bubbles[frame.id]) { bubbles[frame.id].classList.remove("pending"); shown[frame.message.id] = bubbles[frame.id]; delete bubbles[frame.id]; }
        else showMessage(frame.message);
        if (frame.session) {
          hasSession = true; save("active", true); endButton.hidden = false;
          if (frame.session.name || frame.session.email) { identity.sent = true; save("identity", identity); setIdentityKnown(true); }
        }
        setStatus("");
        break;
      case "message":
        showMessage(frame.message);
        break;
      case "error":
        if (frame.code === "rate_limited") {
          setStatus(frame.message);
          scheduleFlush(frame.retry_after);
        } else if (frame.id && bubbles[frame.id]) {
          // Refused for good (too long, empty): it will not go, so it is not kept.
          forget(frame.id);
          bubbles[frame.id].classList.remove("pending");
          bubbles[frame.id].classList.add("failed");
          bubbles[frame.id].appendChild(el("small", {}, TEXT.failed + ": " + frame.message));
          delete bubbles[frame.id];
        } else {
          setStatus(frame.message);
        }
        break;
      case "offline_received":
        offlineForm.setAttribute("hidden", "");
        bubble("system", frame.message);
        break;
      case "closed":
        bubble("system", frame.message);
        hasSession = false;
        save("active", false);
        endButton.hidden = true;
        break;
      default:
        break;
    }
  }

  function connect() {
    if (socket && (socket.readyState === WebSocket.OPEN || socket.readyState === WebSocket.CONNECTING)) return;
    setStatus(TEXT.connecting);
    var url = socketUrl + "?v=" + encodeURIComponent(visitorId) + "&lang=" + lang + "&page=" + encodeURIComponent(window.location.href.slice(0, 500));
    socket = new WebSocket(url);
    socket.addEventListener("open", function () { retryDelay = 1000; setStatus(""); });
    socket.addEventListener("message", function (event) {
      var frame;
      try { frame = JSON.parse(event.data); } catch (e) { return; }
      onFrame(frame);
    });
    socket.addEventListener("close", function () {
      socket = null;
      setStatus(TEXT.reconnecting);
      window.setTimeout(connect, retryDelay);
      retryDelay = Math.min(retryDelay * 2, 15000);
    });
  }

  window.setInterval(function () { sendFrame({ type: "ping" }); }, 25000);

  launcher.addEventListener("click", function () {
    if (panel.hasAttribute("hidden")) {
      panel.removeAttribute("hidden");
      connect();
      textInput.focus();
    } else {
      panel.setAttribute("hidden", "");
    }
  });
  closeButton.addEventListener("click", function () { panel.setAttribute("hidden", ""); });

  chatForm.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = textInput.value.trim();
    if (!text) return;
    textInput.value = "";
    queueMessage(text);
  });
  textInput.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); chatForm.requestSubmit(); }
  });
  endButton.addEventListener("click", function () { sendFrame({ type: "close" }); });

  offlineForm.addEventListener("submit", function (event) {
    event.preventDefault();
    sendFrame({ type: "offline", id: randomId(16), name: offName.value.trim(), email: offEmail.value.trim(), phone: offPhone.value.trim(), text: offText.value.trim() });
  });

  // A visitor with a chat under way (or messages still to send) hears the answers without opening the box.
  if (hasSession || pending.length) connect();
})();
