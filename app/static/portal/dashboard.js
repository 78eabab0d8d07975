/* The dashboard's charts, drawn with Apache ECharts (/static/vendor/echarts/echarts.min.js,
 * built by `make assets`; docs/third-party.md). The page carries its data as JSON, never as
 * inline script (the CSP allows scripts from the portal only):
 *
 *   <script type="application/json" id="dashboard-data">{{ data|tojson }}</script>
 *   <div class="portal-chart" data-widget="by_channel"></div>
 *   <script src="{{ url_for('static', filename='vendor/echarts/echarts.min.js') }}"></script>
 *   <script src="{{ url_for('static', filename='portal/dashboard.js') }}"></script>
 *
 * data = {lang: "zh"|"en", widgets: [{key, chart: "bar"|"hbar"|"line"|"pie", title, unit,
 * labels, values (null = no value), previous (or null), previous_label, current_label,
 * links (or null): where a click on the n-th bar/point/slice goes}]}. Each .portal-chart gets
 * data-drawn="1" once drawn (data-empty="1" too when it shows "暂无数据" instead of a chart). */
(function () {
  "use strict";

  // Bootstrap 3's primary, success, warning, info and danger, then three quieter colours.
  const PALETTE = ["#337ab7", "#5cb85c", "#f0ad4e", "#5bc0de", "#d9534f", "#8e6bb8",
    "#20a39e", "#a67c52"];
  const PREVIOUS_COLOUR = "#b4bcc5";
  const FONT = '"Helvetica Neue", Helvetica, Arial, "PingFang SC", "Hiragino Sans GB", ' +
    '"Microsoft YaHei", "WenQuanYi Micro Hei", sans-serif';
  const FONT_SIZE = 12;
  const ANIMATION_MS = 300;
  const NARROW = 480;  // px: a phone's chart gets smaller margins and a smaller ring
  const WORDS = {
    zh: {empty: "暂无数据", current: "本期", previous: "上期"},
    en: {empty: "No data", current: "Current", previous: "Previous"},
  };

  let measureContext = null;

  function textWidth(text) {
    if (!measureContext) {
      measureContext = document.createElement("canvas").getContext("2d");
      measureContext.font = FONT_SIZE + "px " + FONT;
    }
    return measureContext.measureText(String(text)).width;
  }

  function isValue(v) {
    return typeof v === "number" && isFinite(v);
  }

  /* A number with at most one decimal and the locale's thousands separator. */
  function number(v, lang) {
    return (Math.round(v * 10) / 10).toLocaleString(lang === "en" ? "en-US" : "zh-CN",
      {maximumFractionDigits: 1});
  }

  function withUnit(v, widget, lang) {
    if (!isValue(v)) { return "—"; }
    return number(v, lang) + (widget.unit || "");
  }

  /* Value-axis ticks: 1.2万 / 1.2k instead of 12,000 so that they stay narrow. */
  function tick(v, widget, lang) {
    const big = Math.abs(v);
    let text;
    if (lang === "en") {
      text = big >= 1e6 ? number(v / 1e6, lang) + "M" :
        big >= 1e4 ? number(v / 1e3, lang) + "k" : number(v, lang);
    } else {
      text = big >= 1e8 ? number(v / 1e8, lang) + "亿" :
        big >= 1e4 ? number(v / 1e4, lang) + "万" : number(v, lang);
    }
    return widget.unit === "%" ? text + "%" : text;
  }

  function values(list, length) {
    const out = [];
    for (let i = 0; i < length; i++) {
      const v = list ? list[i] : null;
      out.push(isValue(v) ? v : null);  // null: a gap in a line, no bar
    }
    return out;
  }

  function isEmpty(widget) {
    const labels = widget.labels || [];
    return !labels.length || !values(widget.values, labels.length).some((v) => v);
  }

  /* Only the portal's own pages: a path, never another site or a javascript: URL. */
  function safeLink(link) {
    return typeof link === "string" && /^\/(?![\/\\])/.test(link) ? link : null;
  }

  /* A label on two lines of about equal width: at the space nearest the middle, else
     (Chinese) after half of its characters. */
  function twoLines(label) {
    const text = String(label);
    const middle = text.length / 2;
    let cut = -1;
    for (let i = 0; i < text.length; i++) {
      if (text[i] === " " && (cut < 0 || Math.abs(i - middle) < Math.abs(cut - middle))) {
        cut = i;
      }
    }
    return cut > 0 ? [text.slice(0, cut), text.slice(cut + 1)] :
      [text.slice(0, Math.ceil(middle)), text.slice(Math.ceil(middle))];
  }

  /* Category labels under vertical bars: flat when they fit their slot, else on two balanced
     lines when that fits, else slanted and cut with an ellipsis (the tooltip names them). */
  function categoryLabels(labels, width) {
    const slot = Math.max(1, (width - 56) / labels.length) - 6;
    const longest = Math.max.apply(null, labels.map(textWidth));
    // Every key each time: a redraw for a new width merges into the previous option.
    const flat = {interval: 0, rotate: 0, width: null, overflow: "none", formatter: null};
    if (longest <= slot) {
      return flat;
    }
    const fitsTwo = (label) => twoLines(label).every((line) => textWidth(line) <= slot);
    if (labels.every(fitsTwo)) {
      return Object.assign(flat, {formatter: (label) =>
        (textWidth(label) <= slot ? label : twoLines(label).join("\n"))});
    }
    return {interval: slot >= FONT_SIZE + 2 ? 0 : "auto", rotate: 40,
      width: width < NARROW ? 64 : 112, overflow: "truncate", formatter: null};
  }

  function valueAxis(widget, lang) {
    const axis = {
      type: "value",
      axisLabel: {formatter: (v) => tick(v, widget, lang), color: "#777"},
      splitLine: {lineStyle: {color: "#eee"}},
    };
    const all = values(widget.values, widget.labels.length)
      .concat(values(widget.previous, widget.labels.length));
    if (all.every((v) => v === null || Number.isInteger(v))) {
      axis.minInterval = 1;  // counts: no 0.5 ticks
    }
    return axis;
  }

  function categoryAxis(labels, axisLabel) {
    return {
      type: "category",
      data: labels,
      axisTick: {alignWithLabel: true},
      axisLine: {lineStyle: {color: "#ccc"}},
      axisLabel: Object.assign({color: "#555", hideOverlap: true, lineHeight: 14}, axisLabel),
    };
  }

  function seriesList(widget, lang, make) {
    const words = WORDS[lang];
    const n = widget.labels.length;
    const current = make(values(widget.values, n), PALETTE[0], false);
    current.id = "current";
    if (!widget.previous) {
      current.name = widget.title || words.current;
      return [current];
    }
    current.name = widget.current_label || words.current;
    const previous = make(values(widget.previous, n), PREVIOUS_COLOUR, true);
    previous.id = "previous";
    previous.name = widget.previous_label || words.previous;
    previous.cursor = "default";
    return [previous, current];  // earlier period first: left bar, drawn under the line
  }

  function base(widget, lang, twoSeries) {
    return {
      color: PALETTE,
      textStyle: {fontFamily: FONT, fontSize: FONT_SIZE},
      animationDuration: ANIMATION_MS,
      animationDurationUpdate: ANIMATION_MS,
      legend: {
        show: twoSeries,
        top: 0,
        itemWidth: 16,
        itemHeight: 10,
        data: twoSeries ? [widget.current_label || WORDS[lang].current,
          widget.previous_label || WORDS[lang].previous] : [],
      },
      tooltip: {
        className: "portal-chart-tooltip",
        confine: true,  // stays inside the chart on a phone
        order: "seriesDesc",  // the current period first, like the legend
        valueFormatter: (v) => withUnit(v, widget, lang),
      },
    };
  }

  function grid(twoSeries, right) {
    return {left: 8, right: right, top: twoSeries ? 36 : 16, bottom: 8, containLabel: true};
  }

  function barOption(widget, lang, width) {
    const twoSeries = !!widget.previous;
    const labels = widget.labels;
    const showValues = !twoSeries && (width - 56) / labels.length >= 28;
    const option = base(widget, lang, twoSeries);
    option.tooltip.trigger = "axis";
    option.tooltip.axisPointer = {type: "shadow"};
    option.xAxis = categoryAxis(labels, categoryLabels(labels, width));
    option.grid = grid(twoSeries, 16);
    if (option.xAxis.axisLabel.rotate) {
      // The first slanted label reaches left past the value axis' labels (about 24 px) and
      // half a slot; ECharts' containLabel does not always make room for it.
      const reach = option.xAxis.axisLabel.width * Math.cos(Math.PI * 40 / 180) + 6;
      option.grid.left = Math.max(8, Math.round(reach - 24 - (width - 56) / labels.length / 2));
    }
    option.yAxis = valueAxis(widget, lang);
    option.series = seriesList(widget, lang, (data, colour) => ({
      type: "bar",
      data: data,
      itemStyle: {color: colour},
      barMaxWidth: 36,
      label: {show: showValues, position: "top", color: "#555",
        formatter: (p) => (isValue(p.value) ? number(p.value, lang) : "")},
    }));
    return option;
  }

  /* Top-N and per-handler lists: bars left to right, the first item on top, names at their
     full length up to 45 % of the chart, the value at the end of each bar. */
  function hbarOption(widget, lang, width) {
    const labels = widget.labels;
    const longest = Math.max.apply(null, labels.map(textWidth));
    const twoSeries = !!widget.previous;
    const option = base(widget, lang, twoSeries);
    option.tooltip.trigger = "axis";
    option.tooltip.axisPointer = {type: "shadow"};
    option.grid = grid(twoSeries, 40);
    option.yAxis = categoryAxis(labels, {interval: 0, overflow: "truncate",
      width: Math.ceil(Math.min(longest + 2, Math.max(72, width * 0.45)))});
    option.yAxis.inverse = true;
    option.xAxis = valueAxis(widget, lang);
    option.xAxis.splitNumber = width < NARROW ? 3 : 5;
    option.series = seriesList(widget, lang, (data, colour) => ({
      type: "bar",
      data: data,
      itemStyle: {color: colour},
      barMaxWidth: 22,
      label: {show: !twoSeries, position: "right", color: "#555",
        formatter: (p) => (isValue(p.value) ? number(p.value, lang) : "")},
    }));
    return option;
  }

  /* A time series (days, weeks, months): the earlier period as a dashed grey line; a null
     is a gap, not a zero. Dates are skipped evenly rather than slanted. */
  function lineOption(widget, lang) {
    const twoSeries = !!widget.previous;
    // Every point marked when there are few or each one is a link; else only on hover.
    const marked = widget.labels.length <= 16 || Array.isArray(widget.links);
    const option = base(widget, lang, twoSeries);
    option.tooltip.trigger = "axis";
    option.grid = grid(twoSeries, 24);
    option.xAxis = categoryAxis(widget.labels, {interval: "auto", rotate: 0});
    option.xAxis.boundaryGap = false;
    option.yAxis = valueAxis(widget, lang);
    option.series = seriesList(widget, lang, (data, colour, earlier) => ({
      type: "line",
      data: data,
      connectNulls: false,
      symbol: "circle",
      symbolSize: earlier ? 4 : 6,
      showSymbol: marked,
      showAllSymbol: true,
      itemStyle: {color: colour},
      lineStyle: {color: colour, width: 2, type: earlier ? "dashed" : "solid"},
      z: earlier ? 1 : 2,
    }));
    return option;
  }

  /* A ring: each slice labelled with its value and share; empty slices left out. */
  function pieOption(widget, lang, width) {
    const option = base(widget, lang, false);
    const narrow = width < NARROW;
    const data = [];
    values(widget.values, widget.labels.length).forEach((v, i) => {
      if (v > 0) { data.push({name: String(widget.labels[i]), value: v, index: i}); }
    });
    option.tooltip.trigger = "item";
    option.tooltip.valueFormatter = undefined;
    option.tooltip.formatter = (p) => p.marker + echarts.format.encodeHTML(p.name) +
      "&nbsp;&nbsp;<b>" + echarts.format.encodeHTML(withUnit(p.value, widget, lang)) +
      "</b> (" + number(p.percent, lang) + "%)";
    option.series = [{
      id: "current",
      type: "pie",
      name: widget.title || "",
      radius: narrow ? ["28%", "46%"] : ["40%", "64%"],
      center: ["50%", "52%"],
      percentPrecision: 1,
      data: data,
      itemStyle: {borderColor: "#fff", borderWidth: 1},
      label: {color: "#555", fontSize: narrow ? 11 : FONT_SIZE, lineHeight: narrow ? 14 : 15,
        formatter: (p) => p.name + "\n" +
        withUnit(p.value, widget, lang) + " (" + number(p.percent, lang) + "%)"},
      labelLine: {length: narrow ? 6 : 12, length2: narrow ? 6 : 12},
      labelLayout: {hideOverlap: true},
    }];
    return option;
  }

  const BUILDERS = {bar: barOption, hbar: hbarOption, line: lineOption, pie: pieOption};

  function showEmpty(el, lang) {
    const text = document.createElement("div");
    text.className = "portal-chart-empty";
    text.textContent = WORDS[lang].empty;
    el.textContent = "";
    el.appendChild(text);
    el.setAttribute("data-empty", "1");
    el.setAttribute("data-drawn", "1");
  }

  function draw(el, widget, lang) {
    if (!widget || isEmpty(widget)) {
      showEmpty(el, lang);
      return null;
    }
    const build = BUILDERS[widget.chart] || barOption;
    const links = Array.isArray(widget.links) ? widget.links.map(safeLink) : null;
    const option = () => {  // for the chart's current width
      const o = build(widget, lang, el.clientWidth);
      if (!links) {
        // Nothing to click: no hand cursor (a line's hover dot ignores `cursor`; the axis
        // tooltip needs no mouse events from the series).
        o.series.forEach((s) => { s.cursor = "default"; s.silent = s.type === "line"; });
      }
      return o;
    };
    const chart = echarts.init(el, null, {renderer: "canvas", locale: lang === "en" ? "EN" : "ZH"});
    chart.on("finished", function mark() {
      el.setAttribute("data-drawn", "1");
      chart.off("finished", mark);
    });
    chart.setOption(option());
    if (links) {
      chart.on("click", (params) => {
        if (params.seriesId !== "current") { return; }
        const index = params.data && params.data.index !== undefined ?
          params.data.index : params.dataIndex;
        const link = links[index];
        if (link) { window.location.assign(link); }
      });
    }
    if (widget.title) {
      el.setAttribute("role", "img");
      el.setAttribute("aria-label", widget.title);
    }
    return {chart: chart, option: option};
  }

  function debounce(fn, ms) {
    let timer = null;
    return function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(fn, ms);
    };
  }

  function start() {
    const source = document.getElementById("dashboard-data");
    const elements = document.querySelectorAll(".portal-chart[data-widget]");
    if (!source || !elements.length) { return; }
    let data;
    try {
      data = JSON.parse(source.textContent);
    } catch (e) {
      console.error("dashboard-data is not valid JSON", e);
      return;
    }
    const lang = data.lang === "en" ? "en" : "zh";
    const byKey = {};
    (data.widgets || []).forEach((w) => { byKey[w.key] = w; });
    if (typeof echarts === "undefined") {
      console.error("ECharts is missing: run `make assets` (docs/third-party.md)");
      return;
    }
    const drawn = [];
    elements.forEach((el) => {
      const key = el.getAttribute("data-widget");
      if (!byKey[key]) { console.warn("dashboard: no widget " + key); }
      const done = draw(el, byKey[key], lang);
      if (done) { drawn.push(done); }
    });
    window.addEventListener("resize", debounce(() => {
      drawn.forEach((d) => {
        d.chart.resize();
        d.chart.setOption(d.option());  // labels laid out for the new width
      });
    }, 150));
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
