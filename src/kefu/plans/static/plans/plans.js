/* Goal charts of a plan: the daily values so far, the fitted trend over the whole period and the
   target, drawn with the vendored ECharts from JSON the page carries (no inline script: CSP). */
(function () {
  "use strict";
  function draw(el) {
    var source = document.getElementById(el.getAttribute("data-plans-chart"));
    if (!source || !window.echarts) return;
    var spec = JSON.parse(source.textContent);
    var zh = (document.documentElement.lang || "zh-hans").toLowerCase().indexOf("zh") === 0;
    var chart = window.echarts.init(el, null, { renderer: "svg", locale: zh ? "ZH" : "EN" });
    chart.setOption({
      animation: false,
      grid: { left: 40, right: 10, top: 10, bottom: 20 },
      tooltip: { trigger: "axis" },
      xAxis: { type: "category", data: spec.x, axisLabel: { show: false } },
      yAxis: { type: "value", scale: true,
               min: function (v) { return Math.floor(spec.target == null ? v.min : Math.min(v.min, spec.target)); },
               max: function (v) { return Math.ceil(spec.target == null ? v.max : Math.max(v.max, spec.target)); } },
      series: [
        { name: spec.labels.value, type: "line", data: spec.values, connectNulls: true, symbolSize: 4,
          itemStyle: { color: "#206bc4" } },
        { name: spec.labels.trend, type: "line", data: spec.trend, symbol: "none",
          lineStyle: { type: "dashed" }, itemStyle: { color: "#f76707" },
          markLine: spec.target == null ? undefined :
                    { silent: true, symbol: "none", data: [{ yAxis: spec.target, name: spec.labels.target }],
                      lineStyle: { color: "#2fb344" } } }
      ]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }
  function init() {
    document.querySelectorAll("[data-plans-chart]").forEach(function (el) {
      try { draw(el); } catch (err) { if (window.console) console.error(err); }  // one bad chart spares the rest
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init); else init();
})();
