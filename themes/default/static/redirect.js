/* keyguide: the /latest/... redirect pages. A meta refresh alone would drop the #fragment, so
   this sends the reader to data-target (the same page in the latest version) plus the current
   fragment. Loaded from a file, with no inline script, so `script-src 'self'` holds. */
(function () {
  "use strict";
  // Read at the script's start: document.currentScript is only set while this file runs.
  var script = document.currentScript;
  var target = script && script.dataset ? script.dataset.target : null;
  if (!target) {
    return; // the meta refresh and the visible link still work
  }
  var url;
  try {
    url = new URL(target, location.href);
  } catch (e) {
    return;
  }
  if (url.origin !== location.origin) {
    return; // only ever redirect within this site
  }
  url.hash = "";
  location.replace(url.href + location.hash);
})();
