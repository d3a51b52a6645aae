/* Dashboards: charts drawn with the vendored ECharts from JSON the page carries in
   <script type="application/json"> (no inline script: CSP). <div data-analytics-chart="ID"> reads
   {kind, unit, x, series: [{name, data, urls}], target, target_label}. Every point opens the ticket
   list behind it: a click, or from the keyboard (the chart is focusable: ←/→ move between points,
   ↑/↓ between series, Enter opens). The same numbers, with the same links, are in the table under it. */
(function () {
  "use strict";
  var PALETTE = ["#206bc4", "#2fb344", "#f76707", "#ae3ec9", "#d63939", "#17a2b8", "#f59f00", "#74b816"];

  function lang() { return (document.documentElement.lang || "zh-hans").toLowerCase(); }

  function fmt(value, unit) {
    if (value === null || value === undefined || value === "-") return "—";
    var n = Math.round(value * 10) / 10;
    return n.toLocaleString(lang().indexOf("zh") === 0 ? "zh-CN" : "en") + (unit === "%" ? "%" : unit ? " " + unit : "");
  }

  function draw(el) {
    var source = document.getElementById(el.getAttribute("data-analytics-chart"));
    if (!source || !window.echarts) return;
    var spec = JSON.parse(source.textContent);
    var horizontal = spec.kind === "hbar";
    var chart = window.echarts.init(el, null, { renderer: "svg", locale: lang().indexOf("zh") === 0 ? "ZH" : "EN" });
    var series = spec.series.map(function (s, i) {
      var out = {
        name: s.name,
        type: spec.kind === "line" ? "line" : "bar",
        data: s.data,
        connectNulls: true,
        symbolSize: 7,
        cursor: "pointer",
        itemStyle: { color: PALETTE[i % PALETTE.length] },
        emphasis: { focus: "series" },
      };
      if (spec.kind === "stack") out.stack = "all";
      return out;
    });
    if (spec.target !== null && spec.target !== undefined && series.length) {
      series[0].markLine = {
        silent: true,
        symbol: "none",
        lineStyle: { type: "dashed", color: "#d63939" },
        label: { formatter: spec.target_label + " " + fmt(spec.target, spec.unit), position: "insideEndTop" },
        data: [{ yAxis: spec.target }],
      };
    }
    var category = { type: "category", data: spec.x, axisLabel: { hideOverlap: true } };
    var value = { type: "value", axisLabel: { formatter: function (v) { return fmt(v, spec.unit); } } };
    if (horizontal) category.inverse = true;
    chart.setOption({
      animation: false,
      aria: { enabled: true },
      color: PALETTE,
      tooltip: {
        trigger: horizontal ? "item" : "axis",
        valueFormatter: function (v) { return fmt(v, spec.unit); },
      },
      legend: spec.series.length > 1 ? { top: 0, type: "scroll" } : { show: false },
      grid: { left: 8, right: 28, top: spec.series.length > 1 ? 32 : 12, bottom: 8, containLabel: true },
      xAxis: horizontal ? value : category,
      yAxis: horizontal ? category : value,
      series: series,
    });
    function open(seriesIndex, dataIndex) {
      var s = spec.series[seriesIndex];
      var url = s && s.urls && s.urls[dataIndex];
      if (url) window.location.href = url;
    }
    chart.on("click", function (p) { if (p.componentType === "series") open(p.seriesIndex, p.dataIndex); });

    // Keyboard: a focused chart walks its points with the arrow keys and opens one with Enter.
    var at = { s: 0, i: -1 };
    function show() {
      chart.dispatchAction({ type: "downplay" });
      chart.dispatchAction({ type: "highlight", seriesIndex: at.s, dataIndex: at.i });
      chart.dispatchAction({ type: "showTip", seriesIndex: at.s, dataIndex: at.i });
    }
    el.addEventListener("keydown", function (event) {
      var n = spec.x.length, m = spec.series.length;
      if (!n || !m) return;
      var key = event.key;
      if (horizontal) key = { ArrowDown: "ArrowRight", ArrowUp: "ArrowLeft" }[key] || key;
      if (key === "ArrowRight") at.i = Math.min(n - 1, at.i + 1);
      else if (key === "ArrowLeft") at.i = Math.max(0, at.i - 1);
      else if (key === "ArrowDown" && !horizontal) at.s = (at.s + 1) % m;
      else if (key === "ArrowUp" && !horizontal) at.s = (at.s + m - 1) % m;
      else if (key === "Home") at.i = 0;
      else if (key === "End") at.i = n - 1;
      else if (key === "Enter" && at.i >= 0) { open(at.s, at.i); return; }
      else return;
      if (at.i < 0) at.i = 0;
      event.preventDefault();
      show();
    });
    el.addEventListener("blur", function () { chart.dispatchAction({ type: "hideTip" }); chart.dispatchAction({ type: "downplay" }); });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  // "Dates…" in the period select: the date fields count; a preset: they are ignored.
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el.matches && el.matches("[data-analytics-period]") && el.value !== "custom" && el.form) el.form.requestSubmit();
  });
  document.addEventListener("input", function (event) {
    var el = event.target;
    if (el.type === "date" && el.form) {
      var period = el.form.querySelector("[data-analytics-period]");
      if (period) period.value = "custom";
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("[data-analytics-chart]"), draw);
  });
})();
