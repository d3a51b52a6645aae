/* kefu workspace behaviour: keyboard shortcuts, row selection, compose tabs, presence typing state.
   No inline scripts anywhere (CSP-friendly); everything hooks onto data-* attributes. */
(function () {
  "use strict";

  // htmx: swap 4xx answers too (they carry the error message); 204 means "nothing to do".
  if (window.htmx) {
    window.htmx.config.responseHandling = [
      { code: "204", swap: false },
      { code: "[23]..", swap: true },
      { code: "4..", swap: true, error: true },
      { code: "...", swap: false, error: true },
    ];
  }

  function isTyping(el) {
    if (!el) return false;
    var tag = el.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || el.isContentEditable;
  }

  // ---------------------------------------------------------------- list selection (j / k / Enter)
  var selected = -1;
  function rows() { return Array.prototype.slice.call(document.querySelectorAll("[data-kefu-row]")); }
  function select(index) {
    var all = rows();
    if (!all.length) return;
    index = Math.max(0, Math.min(all.length - 1, index));
    all.forEach(function (row) { row.classList.remove("kefu-selected"); row.removeAttribute("aria-selected"); });
    all[index].classList.add("kefu-selected");
    all[index].setAttribute("aria-selected", "true");
    all[index].scrollIntoView({ block: "nearest" });
    selected = index;
  }
  function openSelected() {
    var all = rows();
    if (selected >= 0 && all[selected]) window.location.href = all[selected].getAttribute("data-href");
  }

  // ---------------------------------------------------------------- compose tabs (reply / note)
  function showPane(name) {
    var tabs = document.querySelectorAll("[data-kefu-tab]");
    if (!tabs.length) return null;
    tabs.forEach(function (tab) { tab.classList.toggle("active", tab.getAttribute("data-kefu-tab") === name); });
    document.querySelectorAll("[data-kefu-pane]").forEach(function (pane) {
      pane.hidden = pane.getAttribute("data-kefu-pane") !== name;
    });
    var pane = document.querySelector('[data-kefu-pane="' + name + '"]');
    return pane ? pane.querySelector("textarea") : null;
  }
  function focusCompose(name) {
    var box = showPane(name);
    if (box) { box.focus(); box.scrollIntoView({ block: "center" }); }
  }

  // ---------------------------------------------------------------- help overlay
  function help(show) {
    var overlay = document.getElementById("kefu-shortcuts");
    if (!overlay) return;
    overlay.hidden = show === undefined ? !overlay.hidden : !show;
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === "Escape") {
      help(false);
      if (isTyping(event.target)) event.target.blur();
      return;
    }
    if (isTyping(event.target)) return;
    var handled = true;
    switch (event.key) {
      case "j": select(selected + 1); break;
      case "k": select(selected - 1); break;
      case "o": openSelected(); break;
      case "Enter":
        // Enter on a focused link or button keeps its own meaning.
        if (event.target !== document.body && event.target.closest("a,button")) { handled = false; break; }
        if (selected < 0) { handled = false; break; }
        openSelected(); break;
      case "r": focusCompose("reply"); break;
      case "n": focusCompose("note"); break;
      case "a": {
        var button = document.querySelector("[data-kefu-assign-me]");
        if (button) button.click(); else handled = false;
        break;
      }
      case "/": {
        var search = document.getElementById("kefu-search");
        if (search) { search.focus(); search.select(); } else handled = false;
        break;
      }
      case "?": help(); break;
      default: handled = false;
    }
    if (handled) event.preventDefault();
  });

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (target.closest("[data-kefu-help]")) { help(true); return; }
    if (target.closest("[data-kefu-help-close]") || target.id === "kefu-shortcuts") { help(false); return; }
    var tab = target.closest("[data-kefu-tab]");
    if (tab) { focusCompose(tab.getAttribute("data-kefu-tab")); return; }
    // A click anywhere on a row opens it (links inside keep working on their own).
    var row = target.closest("[data-kefu-row]");
    if (row && !target.closest("a,button,input,select,textarea")) window.location.href = row.getAttribute("data-href");
  });

  // Selects marked data-autosubmit submit their form on change (filters, language).
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el.matches && el.matches("[data-autosubmit]") && el.form) {
      if (el.form.requestSubmit) el.form.requestSubmit(); else el.form.submit();
    }
  });

  // Destructive forms ask first.
  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute && event.target.getAttribute("data-kefu-confirm");
    if (message && !window.confirm(message)) event.preventDefault();
  });

  // Presence: tell the others "replying" while the reply box has text (sent with the next heartbeat).
  document.addEventListener("input", function (event) {
    if (!event.target.matches || !event.target.matches("[data-kefu-replying]")) return;
    var flag = document.getElementById("presence-replying");
    if (!flag) return;
    var now = event.target.value.trim() ? "1" : "0";
    if (flag.value !== now) {
      flag.value = now;
      document.body.dispatchEvent(new CustomEvent("kefu-presence"));
    }
  });

  // Forms marked data-kefu-reset (the help centre's bot) empty after htmx sent them; the thread
  // they append to scrolls to its newest line.
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt;
    if (form && form.matches && form.matches("form[data-kefu-reset]") && event.detail.successful) {
      form.reset();
      var input = form.querySelector("input[type=text]");
      if (input) input.focus();
    }
    var target = event.detail.target;
    if (target && target.lastElementChild && target.id === "bot-thread") target.lastElementChild.scrollIntoView({ block: "nearest" });
  });

  document.addEventListener("DOMContentLoaded", function () {
    // With JavaScript the compose panes become tabs; without it both stay visible.
    var first = document.querySelector("[data-kefu-tab]");
    if (first) showPane(first.getAttribute("data-kefu-tab"));
  });
})();
