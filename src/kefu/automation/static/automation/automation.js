/* kefu automation: the canned-reply picker under the reply box.
   Search is htmx (the results come back already filled in for this ticket); this file inserts the
   chosen text into #reply-body and makes the list keyboard-friendly. No inline scripts (CSP). */
(function () {
  "use strict";
  if (window.kefuAutomation) return;
  window.kefuAutomation = true;

  function csrf() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function insert(button) {
    var box = document.getElementById("reply-body");
    if (!box) return;
    var text = button.getAttribute("data-text") || "";
    var start = box.selectionStart || 0;
    var end = box.selectionEnd || 0;
    var before = box.value.slice(0, start);
    var after = box.value.slice(end);
    box.value = before + text + after;
    var caret = before.length + text.length;
    box.focus();
    box.setSelectionRange(caret, caret);
    box.dispatchEvent(new Event("input", { bubbles: true }));
    var tool = button.closest("[data-kefu-canned]");
    if (tool) {
      var url = tool.getAttribute("data-used-url").replace("/0/", "/" + button.getAttribute("data-id") + "/");
      var body = new URLSearchParams({ ticket: tool.getAttribute("data-ticket") || "" });
      fetch(url, { method: "POST", body: body, credentials: "same-origin", headers: { "X-CSRFToken": csrf() } })
        .catch(function () { /* counting a use is best effort */ });
    }
  }

  function items(tool) {
    return Array.prototype.slice.call(tool.querySelectorAll("[data-kefu-canned-insert]"));
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-kefu-canned-insert]");
    if (button) { event.preventDefault(); insert(button); }
  });

  document.addEventListener("keydown", function (event) {
    // Alt+C: jump to the canned-reply search from anywhere on the ticket page.
    if (event.altKey && (event.key === "c" || event.key === "C")) {
      var search = document.querySelector("[data-kefu-canned-search]");
      if (search) { event.preventDefault(); search.focus(); search.select(); }
      return;
    }
    var tool = event.target.closest && event.target.closest("[data-kefu-canned]");
    if (!tool) return;
    var list = items(tool);
    var index = list.indexOf(event.target);
    if (event.key === "ArrowDown") {
      event.preventDefault();
      if (list.length) list[Math.min(index + 1, list.length - 1)].focus();
    } else if (event.key === "ArrowUp") {
      event.preventDefault();
      if (index > 0) list[index - 1].focus();
      else tool.querySelector("[data-kefu-canned-search]").focus();
    } else if (event.key === "Enter" && event.target.matches("[data-kefu-canned-search]")) {
      event.preventDefault();  // never submit anything from the search box; Enter takes the first hit
      if (list.length) insert(list[0]);
    } else if (event.key === "Escape" && index >= 0) {
      tool.querySelector("[data-kefu-canned-search]").focus();
    }
  });
})();
