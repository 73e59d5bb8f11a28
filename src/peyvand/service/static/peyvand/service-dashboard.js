/* The service dashboard's charts (Apache ECharts): open tickets by status, arrived / resolved / open per team,
   and the monthly trend with the share of SLA targets met; and the staffing page's chart: tickets per day, the
   forecast with its prediction interval, what the model predicted for the held-back days, and the agents needed.
   The figures come from the page itself (a JSON data block, never code); the tables hold the same figures for
   those who do not see the charts. Right to left in Persian: categories run from the right, digits are Persian. */
(function () {
  "use strict";

  function ready(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }

  ready(function () {
    if (!window.echarts) return;
    var root = document.documentElement;
    var rtl = root.dir === "rtl";
    var locale = (root.lang || "fa").indexOf("fa") === 0 ? "fa-IR" : "en-US";
    var number = new Intl.NumberFormat(locale, { maximumFractionDigits: 1 });
    var font = window.getComputedStyle(document.body).fontFamily;
    var charts = [];

    function format(value) {
      return value === null || value === undefined || value === "-" ? "—" : number.format(value);
    }

    function base() {
      return {
        textStyle: { fontFamily: font },
        grid: { left: rtl ? 48 : 56, right: rtl ? 56 : 48, top: 40, bottom: 36, containLabel: false },
        legend: rtl ? { top: 0, right: 8, textStyle: { fontFamily: font } } : { top: 0, left: 8, textStyle: { fontFamily: font } },
        tooltip: {
          trigger: "axis",
          textStyle: { fontFamily: font },
          valueFormatter: format,
          extraCssText: rtl ? "direction: rtl; text-align: right;" : "",
        },
      };
    }

    function categoryAxis(labels) {
      return { type: "category", data: labels, inverse: rtl, axisLabel: { hideOverlap: true } };
    }

    function valueAxis(extra) {
      return Object.assign(
        { type: "value", position: rtl ? "right" : "left", axisLabel: { formatter: format }, minInterval: 1 },
        extra || {}
      );
    }

    function empty(element, text) {
      var note = document.createElement("p");
      note.className = "text-body-secondary text-center pt-5";
      note.textContent = text;
      element.style.height = "auto";
      element.appendChild(note);
    }

    function draw(id, option, emptyText) {
      var element = document.getElementById(id);
      if (!element) return;
      if (!option) return empty(element, emptyText);
      var chart = window.echarts.init(element, null, { renderer: "svg" });
      chart.setOption(option);
      charts.push(chart);
    }

    function pluck(list, key) {
      return list.map(function (item) { return item[key]; });
    }

    // --- the dashboard ----------------------------------------------------------------------------------
    var dashboard = document.getElementById("service-dashboard-data");
    if (dashboard) {
      var data = JSON.parse(dashboard.textContent);
      var text = data.text;
      var open = data.open;
      var anyOpen = open.some(function (s) { return s.count > 0; });
      draw(
        "open-chart",
        anyOpen
          ? Object.assign(base(), {
              legend: { show: false },
              xAxis: categoryAxis(pluck(open, "label")),
              yAxis: valueAxis(),
              series: [{ name: text.open, type: "bar", barWidth: "55%", itemStyle: { color: "#3d5af1" }, data: pluck(open, "count") }],
            })
          : null,
        text.empty
      );
      var teams = data.teams;
      draw(
        "teams-chart",
        teams.length
          ? Object.assign(base(), {
              xAxis: categoryAxis(pluck(teams, "label")),
              yAxis: valueAxis(),
              series: [
                { name: text.created, type: "bar", itemStyle: { color: "#3d5af1" }, data: pluck(teams, "created") },
                { name: text.resolved, type: "bar", itemStyle: { color: "#2b8a3e" }, data: pluck(teams, "resolved") },
                { name: text.open, type: "bar", itemStyle: { color: "#f0ad4e" }, data: pluck(teams, "open") },
              ],
            })
          : null,
        text.empty
      );
      var trend = data.trend;
      var anyTrend = trend.some(function (m) { return m.created || m.resolved; });
      var trendOption = null;
      if (anyTrend) {
        trendOption = Object.assign(base(), {
          xAxis: categoryAxis(pluck(trend, "label")),
          yAxis: [
            valueAxis({ name: text.tickets }),
            { type: "value", position: rtl ? "left" : "right", min: 0, max: 100, name: text.sla,
              axisLabel: { formatter: function (v) { return format(v) + "٪"; } }, splitLine: { show: false } },
          ],
          series: [
            { name: text.created, type: "bar", itemStyle: { color: "#cfd8f6" }, data: pluck(trend, "created") },
            { name: text.resolved, type: "line", itemStyle: { color: "#2b8a3e" }, data: pluck(trend, "resolved") },
            { name: text.sla, type: "line", yAxisIndex: 1, connectNulls: true, itemStyle: { color: "#d9480f" },
              lineStyle: { type: "dashed" }, data: pluck(trend, "sla_percent") },
          ],
        });
      }
      draw("trend-chart", trendOption, text.empty);
    }

    // --- the staffing page ------------------------------------------------------------------------------
    var staffing = document.getElementById("staffing-chart-data");
    if (staffing) {
      var plan = JSON.parse(staffing.textContent);
      var words = plan.text;
      var history = plan.history;
      var ahead = plan.forecast;
      if (!history.length) {
        draw("volume-chart", null, words.empty);
      } else {
        var labels = pluck(history, "label").concat(pluck(ahead, "label"));
        var n = history.length;
        var blanks = function (count) { return new Array(count).fill(null); };
        var actual = pluck(history, "tickets").concat(blanks(ahead.length));
        var predicted = blanks(n - 1).concat([history[n - 1].tickets]).concat(pluck(ahead, "tickets"));
        var lower = blanks(n).concat(pluck(ahead, "lower"));
        var band = blanks(n).concat(ahead.map(function (d) { return d.upper - d.lower; }));
        var heldBack = blanks(n).concat(blanks(ahead.length));
        var byDay = {};
        history.forEach(function (d, i) { byDay[d.day] = i; });
        plan.holdout.points.forEach(function (point) {
          if (point.day in byDay) heldBack[byDay[point.day]] = point.predicted;
        });
        var agents = blanks(n).concat(pluck(plan.agents, "agents"));
        var option = Object.assign(base(), {
          xAxis: Object.assign(categoryAxis(labels), { boundaryGap: false }),
          yAxis: [
            valueAxis({ name: words.actual }),
            { type: "value", position: rtl ? "left" : "right", minInterval: 1, name: words.agents,
              axisLabel: { formatter: format }, splitLine: { show: false } },
          ],
          series: [
            { name: "lower", type: "line", data: lower, stack: "band", lineStyle: { opacity: 0 }, symbol: "none",
              silent: true, tooltip: { show: false } },
            { name: words.interval, type: "line", data: band, stack: "band", lineStyle: { opacity: 0 }, symbol: "none",
              areaStyle: { color: "rgba(61, 90, 241, 0.15)" }, itemStyle: { color: "rgba(61, 90, 241, 0.35)" },
              tooltip: { show: false } },
            { name: words.actual, type: "line", data: actual, symbolSize: 4, itemStyle: { color: "#1f2937" } },
            { name: words.forecast, type: "line", data: predicted, symbolSize: 5, itemStyle: { color: "#3d5af1" },
              lineStyle: { type: "dashed", width: 2 } },
            { name: words.held_back, type: "line", data: heldBack, symbol: "diamond", symbolSize: 6,
              itemStyle: { color: "#d9480f" }, lineStyle: { type: "dotted", width: 2 } },
            { name: words.agents, type: "bar", yAxisIndex: 1, data: agents, barWidth: "40%",
              itemStyle: { color: "rgba(43, 138, 62, 0.55)" } },
          ],
        });
        option.legend.data = [words.actual, words.forecast, words.interval, words.held_back, words.agents];
        draw("volume-chart", option, words.empty);
      }
    }

    window.addEventListener("resize", function () {
      charts.forEach(function (chart) { chart.resize(); });
    });
  });
})();
