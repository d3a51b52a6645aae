// SLA timers on the ticket page count down without a reload (CSP-safe: no inline script).
//
// The panel ([data-sla-panel]) says where to fetch itself again (data-sla-refresh-url) and how
// often (data-sla-every, seconds). Every interval the panel is re-fetched through htmx and swapped
// in place: the server computes the time left, because business time (working hours, holidays,
// 调休, the notices a supervisor entered) is known only there, and it writes the texts in the
// user's language with the pause and next-working-day explanations. A minute is the resolution
// of those texts, so one small request a minute per open ticket is all it costs; nothing is
// fetched while the tab is hidden.
(function () {
  "use strict";
  var TICK = 5000; // ms between checks; each panel is fetched only when its own interval is up
  var seen = new WeakMap();

  function every(panel) {
    var seconds = parseInt(panel.getAttribute("data-sla-every"), 10);
    return (isNaN(seconds) || seconds < 30 ? 60 : seconds) * 1000;
  }

  function refresh(panel) {
    var url = panel.getAttribute("data-sla-refresh-url");
    if (!url || !window.htmx) return;
    seen.set(panel, Date.now() + 60000); // no second request while this one is on its way
    var sent = window.htmx.ajax("GET", url, { target: panel, swap: "outerHTML" });
    if (sent && sent.catch) {
      sent.catch(function () {
        seen.set(panel, Date.now()); // try again at the next interval
      });
    }
  }

  function tick() {
    if (document.hidden) return;
    var now = Date.now();
    document.querySelectorAll("[data-sla-panel]").forEach(function (panel) {
      if (!seen.has(panel)) {
        seen.set(panel, now); // a panel just rendered or swapped in: its interval starts now
        return;
      }
      if (now - seen.get(panel) >= every(panel)) refresh(panel);
    });
  }

  if (window.__kefuSlaCountdown) return; // the panel's script tag may come more than once
  window.__kefuSlaCountdown = true;
  document.addEventListener("DOMContentLoaded", tick);
  document.addEventListener("visibilitychange", tick);
  window.setInterval(tick, TICK);
})();
