/* Inside an embedded web form: tell the page around the frame how tall the form is, so that its embed script
   (webforms-embed.js) can size the frame without a scroll bar. Only the height and the form's key are sent. */
(function () {
  "use strict";
  if (window.parent === window) return;
  var key = document.body.getAttribute("data-form-key");
  var last = 0;
  function report() {
    var height = Math.ceil(document.documentElement.scrollHeight);
    if (height === last) return;
    last = height;
    window.parent.postMessage({ type: "peyvand-form-height", key: key, height: height }, "*");
  }
  document.addEventListener("DOMContentLoaded", report);
  window.addEventListener("load", report);
  window.addEventListener("resize", report);
  if (window.ResizeObserver) new ResizeObserver(report).observe(document.documentElement);
})();
