// The workbench charts: each <div data-chart="name"> is drawn by ECharts from the page's
// <script type="application/json" id="workbench-charts"> (reporting/workbench_charts.py).
// Numbers arrive as strings rounded on the server; the table beside each chart holds the
// same figures for printing and screen readers.
(function () {
  "use strict";

  var MUTED = "#6b7785";
  var NARROW = 520;

  function number(value) {
    return value === null || value === undefined ? null : Number(value);
  }

  function isEmpty(spec) {
    if (!spec.categories.length) return true;
    return spec.series.every(function (series) {
      return series.data.every(function (value) {
        return value === null || Number(value) === 0;
      });
    });
  }

  function suffix(spec) {
    return spec.unit === "%" ? "%" : "";
  }

  function valueFormatter(spec) {
    return function (value) {
      if (value === null || value === undefined || Number.isNaN(value)) return "—";
      return spec.unit === "%" ? value.toFixed(2) + "%" : value + " " + spec.unit;
    };
  }

  function seriesData(series) {
    return series.data.map(function (value, index) {
      var shown = number(value);
      if (!series.colors) return shown;
      return { value: shown, itemStyle: { color: series.colors[index] } };
    });
  }

  function barOption(spec, width) {
    var narrow = width < NARROW;
    var labelWidth = narrow ? 84 : 150;
    var legend = spec.series.length > 1;
    var category = {
      type: "category",
      data: spec.categories,
      axisLabel: spec.horizontal
        ? { width: labelWidth, overflow: "truncate" }
        : { interval: 0, width: narrow ? 56 : 96, overflow: "truncate", fontSize: narrow ? 10 : 12 },
      axisTick: { alignWithLabel: true }
    };
    if (spec.horizontal) category.inverse = true;
    var value = {
      type: "value",
      axisLabel: { formatter: "{value}" + suffix(spec) },
      minInterval: spec.unit === "%" ? 0 : 1
    };
    var series = spec.series.map(function (s) {
      var item = {
        name: s.name,
        type: "bar",
        data: seriesData(s),
        barMaxWidth: 28
      };
      if (s.color) item.itemStyle = { color: s.color };
      if (spec.stack) item.stack = "total";
      return item;
    });
    if (spec.markLine && series.length) {
      var at = number(spec.markLine.value);
      var line = spec.horizontal ? { xAxis: at } : { yAxis: at };
      series[0].markLine = {
        symbol: "none",
        silent: true,
        lineStyle: { color: "#111111", type: "dashed", width: 2 },
        // The category axis of horizontal bars runs top-down, so the line's start is its top.
        label: {
          formatter: spec.markLine.name + " " + spec.markLine.value + suffix(spec),
          position: spec.horizontal ? "start" : "end",
          align: spec.horizontal ? "right" : "center"
        },
        data: [line]
      };
    }
    return {
      animation: false,
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, valueFormatter: valueFormatter(spec), confine: true },
      legend: legend ? { type: "scroll", top: 0 } : undefined,
      grid: { left: 8, right: 24, top: legend || spec.markLine ? 36 : 24, bottom: 8, containLabel: true },
      xAxis: spec.horizontal ? value : category,
      yAxis: spec.horizontal ? category : value,
      series: series
    };
  }

  function lineOption(spec, width) {
    return {
      animation: false,
      tooltip: { trigger: "axis", valueFormatter: valueFormatter(spec), confine: true },
      legend: { type: "scroll", top: 0 },
      grid: { left: 8, right: 16, top: 40, bottom: 8, containLabel: true },
      xAxis: { type: "category", data: spec.categories, boundaryGap: false },
      yAxis: { type: "value", axisLabel: { formatter: "{value}" + suffix(spec) } },
      series: spec.series.map(function (s) {
        var item = {
          name: s.name,
          type: "line",
          data: s.data.map(number),
          connectNulls: true,
          symbolSize: width < NARROW ? 4 : 6
        };
        if (s.color) item.itemStyle = { color: s.color };
        if (s.dashed) item.lineStyle = { type: "dashed", color: s.color };
        return item;
      })
    };
  }

  function emptyOption() {
    return {
      animation: false,
      title: { text: "暂无数据", left: "center", top: "middle", textStyle: { color: MUTED, fontSize: 14, fontWeight: "normal" } }
    };
  }

  function option(spec, width) {
    if (isEmpty(spec)) return emptyOption();
    return spec.kind === "line" ? lineOption(spec, width) : barOption(spec, width);
  }

  function draw() {
    var source = document.getElementById("workbench-charts");
    if (!source || !window.echarts) return;
    var specs = JSON.parse(source.textContent);
    var drawn = [];
    document.querySelectorAll("[data-chart]").forEach(function (box) {
      var spec = specs[box.getAttribute("data-chart")];
      if (!spec) return;
      // An empty chart says so in a short box, not in a tall blank one.
      if (isEmpty(spec)) box.style.height = "120px";
      var chart = window.echarts.init(box, null, { renderer: "canvas" });
      chart.setOption(option(spec, box.clientWidth));
      box.setAttribute("data-drawn", "true");
      drawn.push({ chart: chart, spec: spec, box: box, narrow: box.clientWidth < NARROW });
    });

    // Charts follow their box: a window resize, a menu opening, printing.
    function resize() {
      drawn.forEach(function (item) {
        var narrow = item.box.clientWidth < NARROW;
        if (narrow !== item.narrow) {
          item.narrow = narrow;
          item.chart.setOption(option(item.spec, item.box.clientWidth), true);
        }
        item.chart.resize();
      });
    }
    var pending = null;
    function later() {
      if (pending) window.cancelAnimationFrame(pending);
      pending = window.requestAnimationFrame(resize);
    }
    window.addEventListener("resize", later);
    window.addEventListener("beforeprint", resize);
    if (window.ResizeObserver) {
      var observer = new window.ResizeObserver(later);
      drawn.forEach(function (item) {
        observer.observe(item.box);
      });
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
