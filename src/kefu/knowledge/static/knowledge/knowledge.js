// Knowledge base: "insert answer" from a suggested article into the agent's reply box.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-kb-insert]");
    if (!button) return;
    event.preventDefault();
    var box = document.getElementById("reply-body");
    if (!box) return;
    var text = button.getAttribute("data-kb-insert") || "";
    var start = box.selectionStart || box.value.length;
    var end = box.selectionEnd || box.value.length;
    var before = box.value.slice(0, start);
    var glue = before && !/\n$/.test(before) ? "\n" : "";
    box.value = before + glue + text + box.value.slice(end);
    box.focus();
    var caret = (before + glue + text).length;
    box.setSelectionRange(caret, caret);
    box.dispatchEvent(new Event("input", { bubbles: true }));
  });
})();
