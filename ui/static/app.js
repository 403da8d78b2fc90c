// BetterStack's only script, and only an enhancement: every page works
// without it. It (1) refreshes regions marked data-refresh="URL" every
// data-every seconds by fetching a server-rendered fragment, and (2) asks
// before submitting forms marked data-confirm="question".
(function () {
  "use strict";
  function refresh(el) {
    var url = el.getAttribute("data-refresh");
    var every = parseInt(el.getAttribute("data-every") || "15", 10) * 1000;
    function tick() {
      if (document.hidden) { return setTimeout(tick, every); }
      fetch(url + (url.indexOf("?") < 0 ? "?" : "&") + "fragment=1", { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.text(); })
        .then(function (html) { el.innerHTML = html; el.setAttribute("data-refreshed", new Date().toISOString()); })
        .catch(function () { /* keep the last good content; try again later */ })
        .then(function () { setTimeout(tick, every); });
    }
    setTimeout(tick, every);
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-refresh]").forEach(refresh);
  });
  document.addEventListener("submit", function (ev) {
    var q = ev.target.getAttribute && ev.target.getAttribute("data-confirm");
    if (q && !window.confirm(q)) { ev.preventDefault(); }
  });
})();
