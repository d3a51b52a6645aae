/* Agent workspace shortcuts of the tickets app: "c" opens a new ticket for a customer (新建工单).
   The other shortcuts live in kefu/kefu.js; "?" lists them all. No inline script (CSP). */
(function () {
  "use strict";
  function isTyping(el) {
    return !!el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  }
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) return;
    if (event.key !== "c" || isTyping(event.target)) return;
    var link = document.querySelector("[data-kefu-new-ticket]");
    if (!link) return;
    event.preventDefault();
    window.location.href = link.getAttribute("href");
  });
})();
