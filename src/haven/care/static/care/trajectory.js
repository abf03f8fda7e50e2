// Draws each child's chart, <canvas data-trajectory="ID">, from the JSON in <script type="application/json" id="ID">
// (Django's json_script): the scores by date, the cut-off as a dashed line with the clinical range above it shaded,
// and, where it is another number, the threshold of recovery dotted. Every word comes translated from the server;
// the table beside the chart holds the same figures and is what a page without JavaScript shows.
(function () {
  "use strict";
  var DAY = 86400000;
  var INK = "#1b1f24";
  var CUTOFF = "#a4161a";
  var SERIES = ["#0b4f6c", "#6a3d9a", "#1b6b3a", "#8a4b08"];
  // Each category has its own colour and its own shape, so neither alone carries the meaning.
  var POINTS = {
    baseline: { color: INK, style: "rect" },
    recovered: { color: "#1b6b3a", style: "star" },
    improved: { color: "#0b4f6c", style: "triangle" },
    unchanged: { color: "#4a5360", style: "circle" },
    deteriorated: { color: "#a4161a", style: "crossRot" },
  };

  function look(point) {
    return POINTS[point.baseline ? "baseline" : point.category] || POINTS.unchanged;
  }

  function draw(canvas) {
    var source = document.getElementById(canvas.dataset.trajectory);
    if (!source) { return; }
    var data = JSON.parse(source.textContent);
    var all = [];
    data.series.forEach(function (series) { all = all.concat(series.points); });
    if (!all.length) { return; }
    var start = Math.min.apply(null, all.map(function (p) { return Date.parse(p.date); }));
    var end = Math.max.apply(null, all.map(function (p) { return Date.parse(p.date); }));
    var last = Math.max((end - start) / DAY, 1);
    var pad = Math.max(Math.round(last / 20), 1);
    var lang = document.documentElement.lang || undefined;
    var dates = new Intl.DateTimeFormat(lang, { year: "numeric", month: "short", day: "numeric" });

    var datasets = data.series.map(function (series, index) {
      return {
        label: series.label,
        data: series.points.map(function (p) {
          return { x: (Date.parse(p.date) - start) / DAY, y: p.score, point: p };
        }),
        borderColor: SERIES[index % SERIES.length],
        backgroundColor: SERIES[index % SERIES.length],
        pointBackgroundColor: series.points.map(function (p) { return look(p).color; }),
        pointBorderColor: series.points.map(function (p) { return look(p).color; }),
        pointStyle: series.points.map(function (p) { return look(p).style; }),
        pointRadius: 6,
        pointHoverRadius: 8,
        borderWidth: 2,
        fill: false,
      };
    });
    function level(y) { return [{ x: -pad, y: y }, { x: last + pad, y: y }]; }
    if (data.cutoff !== null) {
      // The cut-off, dashed, filled up to the top of the scale: the clinical range.
      datasets.push({
        label: data.cutoff_label,
        haven: "cutoff",
        data: level(data.cutoff),
        borderColor: CUTOFF,
        borderDash: [6, 4],
        borderWidth: 2,
        pointRadius: 0,
        pointHitRadius: 0,
        fill: "end",
        backgroundColor: "rgba(164, 22, 26, 0.08)",
      });
    }
    if (data.threshold !== null) {
      datasets.push({
        label: data.threshold_label,
        haven: "threshold",
        data: level(data.threshold),
        borderColor: INK,
        borderDash: [2, 3],
        borderWidth: 2,
        pointRadius: 0,
        pointHitRadius: 0,
        fill: false,
      });
    }

    var section = canvas.closest(".trajectory");
    section.querySelectorAll(".trajectory-chart, .trajectory-chart-key").forEach(function (element) {
      element.hidden = false;
    });
    new Chart(canvas, {
      type: "line",
      data: { datasets: datasets },
      options: {
        animation: false,
        maintainAspectRatio: false,
        parsing: false,
        scales: {
          x: {
            type: "linear",
            min: -pad,
            max: last + pad,
            ticks: {
              maxTicksLimit: 6,
              includeBounds: false,
              callback: function (value) { return dates.format(new Date(start + value * DAY)); },
            },
          },
          y: {
            min: data.minimum,
            max: data.maximum,
            title: { display: true, text: data.axis },
          },
        },
        plugins: {
          legend: {
            labels: {
              filter: function (item, chart) { return chart.datasets[item.datasetIndex].data.length > 0; },
            },
          },
          tooltip: {
            filter: function (item) { return Boolean(item.raw && item.raw.point); },
            callbacks: {
              title: function () { return ""; },
              label: function (item) { return item.raw.point.summary; },
            },
          },
        },
      },
    });
  }

  function drawAll() {
    if (typeof Chart === "undefined") { return; }
    document.querySelectorAll("canvas[data-trajectory]").forEach(draw);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
