// Draws every <canvas data-chart="ID"> from the JSON in <script type="application/json" id="ID"> (Django's
// json_script). The JSON is a whole Chart.js configuration built on the server from the figures the page may show:
// for a funder, only protected values (a suppressed one is null, a gap). Every chart has a table with the same data.
(function () {
  "use strict";
  function draw() {
    if (typeof Chart === "undefined") { return; }
    document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var source = document.getElementById(canvas.dataset.chart);
      if (!source) { return; }
      var config = JSON.parse(source.textContent);
      config.options = config.options || {};
      config.options.animation = false;
      config.options.maintainAspectRatio = false;
      new Chart(canvas, config);
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
