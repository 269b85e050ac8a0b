// keyguide serve: reload the page after each good rebuild; show the diagnostics of a failed
// one in an overlay (as text). Served only by `keyguide serve`, never part of a built site.
(function () {
  "use strict";
  var seen = null;
  var overlay = null;

  function show(errors) {
    if (!overlay) {
      overlay = document.createElement("div");
      overlay.id = "kg-live-overlay";
      overlay.setAttribute("role", "alert");
      var s = overlay.style; // CSSOM, allowed under a strict CSP
      s.position = "fixed";
      s.inset = "0";
      s.zIndex = "2147483647";
      s.overflow = "auto";
      s.margin = "0";
      s.padding = "1.5rem";
      s.background = "rgba(20, 20, 20, 0.94)";
      s.color = "#ffdede";
      s.font = "14px/1.5 ui-monospace, Menlo, Consolas, monospace";
      s.whiteSpace = "pre-wrap";
      document.body.appendChild(overlay);
    }
    overlay.textContent = "keyguide: the last save did not build; still showing the last good version.\n\n" + errors;
  }

  var events = new EventSource("/__keyguide/events");
  events.onmessage = function (message) {
    var status = JSON.parse(message.data);
    if (status.errors) {
      show(status.errors);
    } else if (seen !== null && status.generation !== seen) {
      location.reload();
      return;
    } else if (overlay) {
      overlay.remove();
      overlay = null;
    }
    seen = status.generation;
  };
})();
