// Refreshes a live table (an element with data-live="SECONDS") by fetching
// the page again and swapping in the same element of the answer, while
// the tab is visible. Without JavaScript the page's refresh link does it.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var el = document.querySelector("[data-live]");
  if (!el || !window.fetch || !window.DOMParser) { return; }
  var every = Math.max(5, parseInt(el.dataset.live, 10) || 10) * 1000;
  var refresh = function () {
    if (document.hidden) { return; }
    fetch(location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) {
        var next = new DOMParser().parseFromString(html, "text/html").getElementById(el.id);
        if (next) { el.innerHTML = next.innerHTML; el.dataset.refreshed = String(Date.now()); }
      })
      .catch(function () { /* keep what is shown; the next tick tries again */ });
  };
  setInterval(refresh, every);
});
