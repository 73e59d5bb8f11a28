/* The forecast page's two charts (Apache ECharts): the weighted pipeline per Jalali month of expected close,
   and the monthly revenue with its forecast, the prediction interval as a band, and what the model predicted
   for the held-back months. The figures come from the page itself (a JSON data block, never code); the
   tables beside the charts hold the same figures for those who do not see them. Right to left in Persian:
   the months run from the right, the amounts' axis stands on the right, digits are Persian. */
(function () {
  "use strict";

  function ready(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }

  ready(function () {
    var source = document.getElementById("forecast-chart-data");
    if (!source || !window.echarts) return;
    var data = JSON.parse(source.textContent);
    var root = document.documentElement;
    var rtl = root.dir === "rtl";
    var locale = (root.lang || "fa").indexOf("fa") === 0 ? "fa-IR" : "en-US";
    var perUnit = data.rials_per_unit || 1;
    var whole = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
    var compact = new Intl.NumberFormat(locale, { notation: "compact", maximumFractionDigits: 1 });
    var font = window.getComputedStyle(document.body).fontFamily;
    var text = data.text;
    var charts = [];

    // Amounts arrive in Rials and are shown in the site's unit (Toman: a tenth), rounded down as the tables do.
    function inUnit(rial) {
      return rial === null || rial === undefined ? null : Math.floor(rial / perUnit);
    }
    function money(value) {
      return value === null || value === undefined || value === "-" ? "—" : whole.format(value) + " " + data.unit;
    }
    function axisMoney(value) {
      return compact.format(value);
    }

    function base() {
      return {
        textStyle: { fontFamily: font },
        grid: { left: rtl ? 16 : 64, right: rtl ? 64 : 16, top: 40, bottom: 36, containLabel: false },
        // The chart boxes are laid out left to right (dir="ltr": ECharts places text itself); Persian reads from
        // the right, so the legend starts there and the tooltip's text runs right to left.
        legend: rtl ? { top: 0, right: 8, textStyle: { fontFamily: font } } : { top: 0, left: 8, textStyle: { fontFamily: font } },
        tooltip: {
          trigger: "axis",
          textStyle: { fontFamily: font },
          valueFormatter: money,
          extraCssText: rtl ? "direction: rtl; text-align: right;" : "",
        },
      };
    }

    function categoryAxis(labels) {
      return { type: "category", data: labels, inverse: rtl, axisLabel: { hideOverlap: true } };
    }

    function valueAxis() {
      return { type: "value", position: rtl ? "right" : "left", axisLabel: { formatter: axisMoney } };
    }

    function empty(element) {
      var note = document.createElement("p");
      note.className = "text-body-secondary text-center pt-5";
      note.textContent = text.empty;
      element.style.height = "auto";
      element.appendChild(note);
    }

    function draw(id, option) {
      var element = document.getElementById(id);
      if (!element) return;
      if (!option) return empty(element);
      var chart = window.echarts.init(element, null, { renderer: "svg" });
      chart.setOption(option);
      charts.push(chart);
    }

    // --- weighted pipeline ---------------------------------------------------------------------------------
    var months = data.pipeline;
    draw(
      "pipeline-chart",
      months.length
        ? Object.assign(base(), {
            xAxis: categoryAxis(months.map(function (m) { return m.label; })),
            yAxis: valueAxis(),
            series: [
              {
                name: text.total,
                type: "bar",
                barGap: "-100%",
                itemStyle: { color: "#cfd8f6" },
                data: months.map(function (m) { return inUnit(m.total); }),
              },
              {
                name: text.weighted,
                type: "bar",
                barWidth: "45%",
                data: months.map(function (m) {
                  // A month already over that still holds open deals: amber, as in the table.
                  return { value: inUnit(m.weighted), itemStyle: { color: m.is_past ? "#f0ad4e" : "#3d5af1" } };
                }),
              },
            ],
          })
        : null
    );

    // --- revenue history and forecast ----------------------------------------------------------------------
    var revenue = data.revenue;
    var history = revenue.history;
    var ahead = revenue.forecast;
    if (!history.length && !revenue.current_month.revenue) {
      draw("revenue-chart", null);
    } else {
      var labels = history.map(function (m) { return m.label; }).concat(ahead.map(function (m) { return m.label; }));
      var n = history.length;
      var blanks = function (count) { return new Array(count).fill(null); };
      var actual = history.map(function (m) { return inUnit(m.revenue); }).concat(blanks(ahead.length));
      // The forecast line starts from the last actual month so the two lines join.
      var predicted = blanks(Math.max(n - 1, 0))
        .concat(n ? [inUnit(history[n - 1].revenue)] : [])
        .concat(ahead.map(function (m) { return inUnit(m.revenue); }));
      var lower = blanks(n).concat(ahead.map(function (m) { return inUnit(m.lower); }));
      var band = blanks(n).concat(ahead.map(function (m) { return inUnit(m.upper) - inUnit(m.lower); }));
      var heldBack = blanks(n);
      var firstHeld = n - revenue.holdout.points.length;
      revenue.holdout.points.forEach(function (point, i) { heldBack[firstHeld + i] = inUnit(point.predicted); });
      heldBack = heldBack.concat(blanks(ahead.length));
      var soFar = blanks(n).concat([inUnit(revenue.current_month.revenue)]).concat(blanks(ahead.length - 1));
      var option = Object.assign(base(), {
        xAxis: Object.assign(categoryAxis(labels), { boundaryGap: false }),
        yAxis: valueAxis(),
        series: [
          { name: "lower", type: "line", data: lower, stack: "band", lineStyle: { opacity: 0 }, symbol: "none",
            silent: true, tooltip: { show: false } },
          { name: text.interval, type: "line", data: band, stack: "band", lineStyle: { opacity: 0 }, symbol: "none",
            areaStyle: { color: "rgba(61, 90, 241, 0.15)" }, itemStyle: { color: "rgba(61, 90, 241, 0.35)" },
            tooltip: { show: false } },
          { name: text.actual, type: "line", data: actual, symbolSize: 5, itemStyle: { color: "#1f2937" } },
          { name: text.forecast, type: "line", data: predicted, symbolSize: 6,
            itemStyle: { color: "#3d5af1" }, lineStyle: { type: "dashed", width: 2 } },
          { name: text.held_back, type: "line", data: heldBack, symbol: "diamond", symbolSize: 7,
            itemStyle: { color: "#d9480f" }, lineStyle: { type: "dotted", width: 2 } },
          { name: text.month_to_date, type: "scatter", data: soFar, symbol: "circle", symbolSize: 9,
            itemStyle: { color: "#2b8a3e" } },
        ],
      });
      option.legend.data = [text.actual, text.forecast, text.interval, text.held_back, text.month_to_date];
      // One line per figure of the month under the pointer; the forecast with its interval beside it.
      option.tooltip.formatter = function (points) {
        var index = points.length ? points[0].dataIndex : 0;
        var rows = [labels[index]];
        function row(name, value) {
          if (value !== null && value !== undefined) rows.push(name + ": " + money(value));
        }
        row(text.actual, actual[index]);
        row(text.month_to_date, soFar[index]);
        row(text.held_back, heldBack[index]);
        if (index >= n) {
          row(text.forecast, predicted[index]);
          rows.push(text.interval + ": " + money(lower[index]) + " – " + money(lower[index] + band[index]));
        }
        return rows.map(function (line) {
          var div = document.createElement("div");
          div.textContent = line;
          return div.outerHTML;
        }).join("");
      };
      if (labels.length > 36) {
        // Long histories open on the last three years; the slider reaches back to the first month.
        var start = labels.length - 36;
        option.dataZoom = [
          { type: "inside", startValue: start, endValue: labels.length - 1 },
          { type: "slider", startValue: start, endValue: labels.length - 1, height: 18, bottom: 4 },
        ];
        option.grid.bottom = 56;
      }
      draw("revenue-chart", option);
    }

    window.addEventListener("resize", function () {
      charts.forEach(function (chart) { chart.resize(); });
    });
  });
})();
