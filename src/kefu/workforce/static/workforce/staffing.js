/* The staffing chart, drawn with the vendored ECharts from JSON the page carries in
   <script type="application/json" id="staffing-chart-data"> (no inline script, CSP-friendly):
   {"labels": [...half-hours], "series": [{name, type: "bar"|"line", data}]}. Bars (contacts per
   channel) are stacked on the left axis; lines (agents required, on duty) use the right axis. */
(function () {
  "use strict";
  function draw(el) {
    var source = document.getElementById(el.getAttribute("data-staffing-chart"));
    if (!source || !window.echarts) return;
    var spec = JSON.parse(source.textContent);
    var chart = window.echarts.init(el, null, { renderer: "svg" });
    chart.setOption({
      animation: false,
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 40, right: 40, top: 32, bottom: 56 },
      dataZoom: [{ type: "slider", height: 18, bottom: 4 }, { type: "inside" }],
      xAxis: { type: "category", data: spec.labels, axisLabel: { interval: 23, hideOverlap: true } },
      yAxis: [
        { type: "value", name: el.getAttribute("data-left"), minInterval: 1 },
        { type: "value", name: el.getAttribute("data-right"), minInterval: 1, splitLine: { show: false } },
      ],
      series: spec.series.map(function (s) {
        return s.type === "line"
          ? { name: s.name, type: "line", step: "middle", showSymbol: false, yAxisIndex: 1, data: s.data, lineStyle: { width: 2 } }
          : { name: s.name, type: "bar", stack: "contacts", data: s.data, barCategoryGap: "10%" };
      }),
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }
  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("[data-staffing-chart]"), draw);
  });
})();
