/* kefu automation: the rule editor's rows (conditions and actions).
   Without this file the form still works (one empty row per list, saved rows reappear); with it,
   rows are added and removed in place, operators follow the chosen field, and the value box offers
   the values that fit. Loaded as an external file: no inline scripts (CSP). */
(function () {
  "use strict";
  if (window.kefuRuleEditor) return;
  window.kefuRuleEditor = true;

  function selected(select) {
    return select && select.options[select.selectedIndex];
  }

  function fieldChanged(row) {
    var field = row.querySelector("[data-kefu-field]");
    var op = row.querySelector("[data-kefu-op]");
    var value = row.querySelector("[data-kefu-value]");
    var chosen = selected(field);
    var allowed = chosen && chosen.getAttribute("data-ops") ? chosen.getAttribute("data-ops").split(" ") : null;
    if (op && allowed) {
      var firstAllowed = null;
      Array.prototype.forEach.call(op.options, function (option) {
        var ok = allowed.indexOf(option.value) >= 0;
        option.disabled = !ok;
        option.hidden = !ok;
        if (ok && firstAllowed === null) firstAllowed = option;
      });
      if (selected(op) && selected(op).disabled && firstAllowed) firstAllowed.selected = true;
    }
    setList(value, chosen ? chosen.getAttribute("data-list") : "");
    opChanged(row);
  }

  function opChanged(row) {
    var op = selected(row.querySelector("[data-kefu-op]"));
    var value = row.querySelector("[data-kefu-value]");
    if (!op || !value) return;
    var none = op.value === "is_empty" || op.value === "is_not_empty";
    value.disabled = false;  // disabled inputs are not posted: keep the rows aligned, just mark it
    value.readOnly = none;
    if (none) value.value = "";
  }

  function actionChanged(row) {
    var chosen = selected(row.querySelector("[data-kefu-action]"));
    var valueBox = row.querySelector("[data-kefu-value-box]");
    var textBox = row.querySelector("[data-kefu-text-box]");
    var any = !chosen || !chosen.value;
    if (valueBox) valueBox.hidden = !(any || chosen.getAttribute("data-value") === "1");
    if (textBox) textBox.hidden = !(any || chosen.getAttribute("data-text") === "1");
    setList(row.querySelector("[data-kefu-value]"), chosen ? chosen.getAttribute("data-list") : "");
  }

  function setList(input, id) {
    if (!input) return;
    if (id) input.setAttribute("list", id);
    else input.removeAttribute("list");
  }

  function addRow(group) {
    var template = group.querySelector("template[data-kefu-row-template]");
    var list = group.querySelector("[data-kefu-row-list]");
    if (!template || !list) return;
    var row = template.content.firstElementChild.cloneNode(true);
    list.appendChild(row);
    var first = row.querySelector("select, input, textarea");
    if (first) first.focus();
  }

  function removeRow(button) {
    var row = button.closest("[data-kefu-row]");
    var group = button.closest("[data-kefu-rows]");
    if (!row || !group) return;
    var rows = Array.prototype.slice.call(group.querySelectorAll("[data-kefu-row-list] > [data-kefu-row]"));
    var index = rows.indexOf(row);
    row.remove();
    rows.splice(index, 1);
    var next = rows[Math.min(index, rows.length - 1)];
    var target = next ? next.querySelector("select") : group.querySelector("[data-kefu-add-row]");
    if (target) target.focus();
  }

  function init(root) {
    Array.prototype.forEach.call(root.querySelectorAll("[data-kefu-rows]"), function (group) {
      var add = group.querySelector("[data-kefu-add-row]");
      if (add) add.hidden = false;
      Array.prototype.forEach.call(group.querySelectorAll("[data-kefu-row-list] > [data-kefu-row]"), function (row) {
        if (row.querySelector("[data-kefu-field]")) fieldChanged(row);
        if (row.querySelector("[data-kefu-action]")) actionChanged(row);
      });
    });
  }

  document.addEventListener("change", function (event) {
    var row = event.target.closest && event.target.closest("[data-kefu-row]");
    if (!row) return;
    if (event.target.matches("[data-kefu-field]")) fieldChanged(row);
    else if (event.target.matches("[data-kefu-op]")) opChanged(row);
    else if (event.target.matches("[data-kefu-action]")) actionChanged(row);
  });

  document.addEventListener("click", function (event) {
    var add = event.target.closest("[data-kefu-add-row]");
    if (add) { event.preventDefault(); addRow(add.closest("[data-kefu-rows]")); return; }
    var remove = event.target.closest("[data-kefu-remove-row]");
    if (remove) { event.preventDefault(); removeRow(remove); }
  });

  document.addEventListener("keydown", function (event) {
    // Alt+N in a row list: add a row to that list (conditions or actions) and focus it.
    if (event.altKey && (event.key === "n" || event.key === "N")) {
      var group = event.target.closest && event.target.closest("[data-kefu-rows]");
      if (group) { event.preventDefault(); addRow(group); }
    }
  });

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", function () { init(document); });
  else init(document);
})();
