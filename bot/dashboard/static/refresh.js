// Reloads the page content every few seconds while the tab is visible; no library needed.
(function () {
  "use strict";
  var seconds = Number(document.body.dataset.refresh || 0);
  if (!seconds) { return; }
  function refresh() {
    if (document.hidden) { return; }
    fetch(window.location.href, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (!html) { return; }
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("content");
        var current = document.getElementById("content");
        if (fresh && current) { current.innerHTML = fresh.innerHTML; }
      })
      .catch(function () { /* offline for a moment: the next round tries again */ });
  }
  window.setInterval(refresh, seconds * 1000);
})();
