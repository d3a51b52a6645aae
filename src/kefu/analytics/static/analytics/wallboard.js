/* The wallboard updates itself: every data-refresh seconds it asks its JSON endpoint and writes the
   figures into the elements marked data-wb="key" (dotted keys reach nested values) and the queue
   table. Text only (textContent), never HTML. A failed poll keeps the last figures and says so. */
(function () {
  "use strict";
  function pick(data, path) {
    return path.split(".").reduce(function (v, k) { return v === null || v === undefined ? v : v[k]; }, data);
  }
  function cell(row, text, cls) {
    var td = document.createElement("td");
    td.className = "text-end" + (cls ? " " + cls : "");
    td.textContent = text === null || text === undefined ? "—" : String(text);
    row.appendChild(td);
  }
  function queues(body, list) {
    var rows = list.map(function (q) {
      var tr = document.createElement("tr");
      tr.setAttribute("data-testid", "wb-queue");
      var th = document.createElement("th");
      th.scope = "row";
      var a = document.createElement("a");
      a.href = q.url;
      a.textContent = q.team;
      th.appendChild(a);
      tr.appendChild(th);
      cell(tr, q.waiting, "fw-bold");
      cell(tr, q.unassigned);
      cell(tr, q.longest_wait);
      cell(tr, q.agents_online);
      cell(tr, q.sla_at_risk, q.sla_at_risk ? "text-orange fw-bold" : "");
      cell(tr, q.sla_breached, q.sla_breached ? "text-red fw-bold" : "");
      return tr;
    });
    body.replaceChildren.apply(body, rows);
  }
  function start(board) {
    var url = board.getAttribute("data-wallboard");
    var every = Math.max(2, parseInt(board.getAttribute("data-refresh"), 10) || 5) * 1000;
    var offline = document.querySelector("[data-wb-offline]");
    function apply(data) {
      document.querySelectorAll("[data-wb]").forEach(function (el) {
        var value = pick(data, el.getAttribute("data-wb"));
        var text = value === null || value === undefined ? "—" : String(value);
        if (el.textContent !== text) {
          el.textContent = text;
          el.classList.add("kefu-changed");
          setTimeout(function () { el.classList.remove("kefu-changed"); }, 1500);
        }
      });
      var body = board.querySelector("[data-wb-queues]");
      if (body) queues(body, data.queues || []);
    }
    function poll() {
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin", cache: "no-store" })
        .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
        .then(function (data) { if (offline) offline.hidden = true; apply(data); })
        .catch(function () { if (offline) offline.hidden = false; })
        .then(function () { setTimeout(poll, every); });
    }
    setTimeout(poll, every);
  }
  document.addEventListener("DOMContentLoaded", function () {
    var board = document.querySelector("[data-wallboard]");
    if (board) start(board);
  });
})();
