/* On a site that embeds a Peyvand web form: size each form frame (iframe[data-peyvand-form]) to its content.
   The frame reports its height (webforms-frame.js); a message is believed only from the frame's own window and
   the origin its address names. */
(function () {
  "use strict";
  function originOf(url) {
    var a = document.createElement("a");
    a.href = url;
    return a.protocol + "//" + a.host;
  }
  window.addEventListener("message", function (event) {
    var data = event.data;
    if (!data || data.type !== "peyvand-form-height" || typeof data.height !== "number") return;
    var frames = document.querySelectorAll("iframe[data-peyvand-form]");
    for (var i = 0; i < frames.length; i++) {
      var frame = frames[i];
      if (frame.contentWindow !== event.source || originOf(frame.src) !== event.origin) continue;
      frame.style.height = Math.max(120, Math.min(data.height + 8, 10000)) + "px";
    }
  });
})();
