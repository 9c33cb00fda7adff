// The operator console's one script (embedded in the binary, served from /console/assets/).
// It keeps the first page of the calls list up to date without a reload, and marks any
// script error and every Content-Security-Policy violation in the page (data-js-errors,
// data-csp-violations on <html>) so problems are visible to tests.
"use strict";
(function () {
  var errors = 0;
  window.addEventListener("error", function () {
    errors += 1;
    document.documentElement.setAttribute("data-js-errors", String(errors));
  });
  window.addEventListener("unhandledrejection", function () {
    errors += 1;
    document.documentElement.setAttribute("data-js-errors", String(errors));
  });
  document.documentElement.setAttribute("data-js-errors", "0");
  // Anything the Content-Security-Policy blocked (a request to another host, inline code).
  var blocked = 0;
  document.addEventListener("securitypolicyviolation", function () {
    blocked += 1;
    document.documentElement.setAttribute("data-csp-violations", String(blocked));
  });
  document.documentElement.setAttribute("data-csp-violations", "0");

  function live(tbody) {
    var url = tbody.getAttribute("data-live");
    var every = Number(tbody.getAttribute("data-interval") || "5000");
    var status = document.getElementById("live-status");
    var busy = false;
    function say(text) { if (status) { status.textContent = text; } }
    function poll() {
      if (busy || document.hidden) { return; }
      busy = true;
      fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (r) {
          if (r.status === 401) {
            say("Signed out: reload the page to sign in again.");
            return null;
          }
          if (!r.ok) { say("Could not update (" + r.status + ")."); return null; }
          return r.text();
        })
        .then(function (html) {
          if (html === null) { return; }
          if (html !== tbody.innerHTML) {
            // Rendered and escaped by the server, same origin: the page's own rows.
            tbody.innerHTML = html;
            var n = tbody.querySelectorAll("tr[data-call]").length;
            say("Updated at " + new Date().toLocaleTimeString() + ": " + n + " calls shown.");
          }
        })
        .catch(function () { say("Could not update: is the server reachable?"); })
        .then(function () { busy = false; });
    }
    window.setInterval(poll, every);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var tbody = document.querySelector("tbody[data-live]");
    if (tbody) { live(tbody); }
  });
}());
