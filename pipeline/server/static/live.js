// Live updates: every two seconds, fetch the server-rendered live part of the
// page (?fragment=1) and put it in place. No build step, no framework.
(function () {
  "use strict";
  var live = document.getElementById("live");
  if (!live) { return; }
  var src = live.getAttribute("data-src");
  function tick() {
    fetch(src, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        // Leave the page alone while a button or field in it has the focus (a Retry being pressed).
        if (html !== null && !live.contains(document.activeElement)) { live.innerHTML = html; }
      })
      .catch(function () {})
      .then(function () { setTimeout(tick, 2000); });
  }
  setTimeout(tick, 2000);
})();
