// unspin corpus dashboard: draws the charts from the page's JSON with Apache ECharts, keeps the tables in step,
// and lists the articles behind a clicked value. Corpus text (titles, sources) reaches the page only as text
// nodes, attributes or canvas text (the charts' tooltips are canvas "richText" too): never as markup.
(function () {
  "use strict";
  var root = document.getElementById("dashboard");
  if (!root || typeof echarts === "undefined") { return; }
  document.documentElement.classList.add("js");

  var offline = root.getAttribute("data-mode") === "offline";
  var api = root.getAttribute("data-api");
  var articleBase = root.getAttribute("data-article-base");
  var labels = readJson("dashboard-labels");
  var data = readJson("dashboard-data");
  var messages = readJson("dashboard-messages");  // the page's words, translated (unspin.render.dashboard)
  var language = document.documentElement.lang || "en";
  var plurals = new Intl.PluralRules(language);
  var form = document.getElementById("filters");
  var status = document.getElementById("dashboard-status");
  var panel = document.getElementById("articles");
  var LISTED = 25;  // articles listed at once
  // Five steps of ColorBrewer Blues and Oranges for values above 0; a 0 is never coloured, so it never passes for a
  // small value, and a cell without articles is not drawn at all. The last two steps take white text.
  var HEAT = ["#c6dbef", "#9ecae1", "#6baed6", "#3182bd", "#08519c"];
  var SHARE = ["#fdd0a2", "#fdae6b", "#fd8d3c", "#e6550d", "#a63603"];
  var COLUMN = 30, ROW_LABELS = 140;  // a heat-map column's least width, and the row names' (longer ones are cut)
  var charts = {};
  var request = 0;

  function readJson(id) { return JSON.parse(document.getElementById(id).textContent); }

  // A message with each %(name)s filled in (%% is a percent sign). A message with a count holds a form
  // per plural category of the page's language; ``values.count`` picks one.
  function say(key, values) {
    var message = messages[key];
    if (typeof message !== "string") { message = message[plurals.select(Number(values.count))] || message.other; }
    return message.replace(/%(?:\((\w+)\))?([sd%])/g, function (whole, name, kind) {
      return kind === "%" ? "%" : String(values[name]);
    });
  }
  function count(unit, n) { return say("n_" + unit, { count: n }); }
  function andMore(listed, more) { return more > 0 ? say("and_more", { list: listed, count: more }) : listed; }
  // "a, b and c" as the page's language writes a list.
  function list(items) {
    return typeof Intl.ListFormat === "function" ? new Intl.ListFormat(language, { type: "conjunction" }).format(items)
      : items.join(", ");
  }

  // What each value lists when clicked (in a chart or in its table).
  function techniqueCell(source, label) {
    return { title: say("technique_in_source", { technique: techniqueName(label), source: source }), source: source, technique: label };
  }
  function frameCell(source, label) {
    return { title: say("frame_in_source", { frame: frameName(label), source: source }), source: source, frame: label };
  }
  function narrativeCell(item) { return { title: say("narrative", { narrative: item.label }), narrative: item.id }; }
  function narrativePoint(narratives, item, i) {
    return { title: say("narrative_period", { narrative: item.label, start: narratives.periods[i], end: narratives.ends[i] }),
             narrative: item.id, date_from: narratives.periods[i], date_to: narratives.ends[i] };
  }
  function trendPoint(trends, line, i) {
    return { title: say("technique_period", { technique: techniqueName(line.label), start: trends.periods[i], end: trends.ends[i] }),
             technique: line.label, date_from: trends.periods[i], date_to: trends.ends[i] };
  }

  function techniqueName(label) { var t = labels.techniques[label]; return t ? t.name : label; }
  function frameName(label) { return labels.frames[label] || label; }
  function colour(name) { return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || "#333"; }
  function fixed(value, digits) { return Number(value).toFixed(digits); }
  function percent(value) { return Math.round(value * 100) + "%"; }

  function element(tag, text, className) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    if (className) { node.className = className; }
    return node;
  }

  // ------------------------------------------------------------------ what is shown

  function boxes(name) { return Array.prototype.slice.call(form.querySelectorAll("input[type=checkbox][name=" + name + "]")); }
  function chosen(name) {
    return boxes(name).filter(function (box) { return box.checked; }).map(function (box) { return box.value; });
  }

  // Above each checkbox list, what is chosen in it, so a choice far down a long list stays in sight; each chip takes
  // its choice off again.
  function showChosen() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-chosen]"), function (line) {
      var ticked = boxes(line.getAttribute("data-chosen")).filter(function (box) { return box.checked; });
      if (!ticked.length) { line.replaceChildren(say("all_chosen", {})); return; }
      var parts = [element("span", say("chosen", {}), "chosen-label")];
      ticked.forEach(function (box) {
        var name = box.parentNode.textContent.trim();
        var chip = element("button", name + " ×", "chip");
        chip.type = "button";
        chip.dir = "auto";
        chip.setAttribute("aria-label", say("remove_choice", { name: name }));
        chip.addEventListener("click", function () {
          box.checked = false;
          box.dispatchEvent(new Event("change", { bubbles: true }));
        });
        parts.push(" ", chip);
      });
      line.replaceChildren.apply(line, parts);
    });
  }

  // Offline, the filters hide and show; on the server they have already made the data.
  function shown() {
    if (!offline) { return data; }
    var sources = chosen("source"), languages = chosen("language"), techniques = chosen("technique");
    var sourceOk = function (source) {
      if (sources.length && sources.indexOf(source) < 0) { return false; }
      var spoken = data.options.source_languages[source] || [];
      return !languages.length || spoken.some(function (l) { return languages.indexOf(l) >= 0; });
    };
    var techniqueOk = function (label) { return !techniques.length || techniques.indexOf(label) >= 0; };
    var any = function () { return true; };
    return Object.assign({}, data, {
      heatmap: restrict(data.heatmap, sourceOk, techniqueOk),
      frames: restrict(data.frames, sourceOk, any),
      trends: Object.assign({}, data.trends, { lines: data.trends.lines.filter(function (l) { return techniqueOk(l.label); }) }),
      narratives: Object.assign({}, data.narratives, { items: data.narratives.items.filter(function (item) {
        return item.sources.some(function (s) { return sourceOk(s.source); });
      }) }),
      selection: { sources: sources, languages: languages, techniques: techniques, sourceOk: sourceOk }
    });
  }

  function restrict(matrix, rowOk, columnOk) {
    var rows = indexes(matrix.rows, rowOk), columns = indexes(matrix.columns, columnOk);
    var pick = function (grid) { return rows.map(function (i) { return columns.map(function (j) { return grid[i][j]; }); }); };
    return Object.assign({}, matrix, {
      rows: rows.map(function (i) { return matrix.rows[i]; }),
      columns: columns.map(function (j) { return matrix.columns[j]; }),
      values: pick(matrix.values), counts: pick(matrix.counts),
      articles: rows.map(function (i) { return matrix.articles[i]; })
    });
  }

  function indexes(list, ok) {
    return list.map(function (item, i) { return ok(item) ? i : -1; }).filter(function (i) { return i >= 0; });
  }

  // ------------------------------------------------------------------ charts

  // A chart with nothing to draw is hidden; its table says why.
  function chart(key, visible) {
    var box = document.getElementById("chart-" + key);
    box.parentNode.hidden = !visible;  // the box's scroll container
    if (!visible) { box.closest("section").querySelector("details.chart-table").open = true; }
    if (!charts[key]) {
      charts[key] = echarts.init(box, null, { renderer: "canvas" });
      charts[key].on("click", function (event) { if (event.data && event.data.list) { listArticles(event.data.list, true); } });
    }
    charts[key].resize();
    return charts[key];
  }

  // ``description``: what a screen reader says of the chart; the table under it holds every value.
  function base(description) {
    var text = colour("--fg");
    return {
      aria: { enabled: true, label: { description: say("chart_description", { description: description }) } },
      animation: false,
      backgroundColor: "transparent",
      textStyle: { color: text },
      tooltip: { renderMode: "richText", confine: true }
    };
  }

  // Equal steps from 0 to the highest value: [low, high] of each colour of the palette.
  function steps(top, palette) {
    return palette.map(function (colour, k) { return { low: top * k / palette.length, high: top * (k + 1) / palette.length, colour: colour }; });
  }

  function drawMatrix(key, matrix, name, format, palette, unit, criteria) {
    var box = document.getElementById("chart-" + key);
    box.style.height = Math.max(200, 170 + 34 * matrix.rows.length) + "px";  // CSSOM, which the CSP allows
    // Each column gets room for its value; on a narrow screen the chart scrolls sideways in its box instead of
    // laying values and names over each other.
    box.style.minWidth = (ROW_LABELS + 40 + COLUMN * matrix.columns.length) + "px";
    var top = 0;
    matrix.values.forEach(function (row) { row.forEach(function (v) { if (v !== null && v > top) { top = v; } }); });
    var bins = steps(top || 1, palette);
    var cells = [], best = null;
    matrix.rows.forEach(function (row, i) {
      matrix.columns.forEach(function (column, j) {
        var value = matrix.values[i][j], none = value === null || value === undefined;
        var zero = !none && !matrix.counts[i][j];
        var bin = zero || none ? -1 : Math.min(palette.length - 1, Math.floor(value / (top || 1) * palette.length));
        var cell = {
          value: [j, i, none ? "-" : value],
          tip: row + "\n" + name(column) + ": " + (none ? say("legend_empty", {}) : format(value)) + "\n" +
            say("counted_in", { counted: count(unit, matrix.counts[i][j]), articles: count("articles", matrix.articles[i]) }),
          list: criteria(row, column),
          zero: zero,
          itemStyle: { color: bin < 0 ? "rgba(0,0,0,0)" : palette[bin], borderColor: colour("--line"), borderWidth: 1 },
          label: { color: bin < 0 ? colour("--muted") : bin >= palette.length - 2 ? "#ffffff" : "#000000" }
        };
        cells.push(cell);
        if (!zero && !none && (!best || value > best.value[2])) { best = cell; }
      });
    });
    var summary = say("matrix_summary", { sources: count("sources", matrix.rows.length), labels: count("labels", matrix.columns.length) }) +
      (best ? " " + say("highest_value", { value: best.tip.split("\n").slice(0, 2).join(", ") }) : "");
    var axisText = { color: colour("--fg"), width: ROW_LABELS, overflow: "truncate" };
    var option = Object.assign(base(say("titled", { title: document.getElementById("h-" + key).textContent, text: summary })), {
      grid: { left: 8, right: 16, top: 8, bottom: 8, containLabel: true },
      xAxis: { type: "category", data: matrix.columns.map(name), position: "top",
               axisLabel: { rotate: 40, interval: 0, width: 120, overflow: "truncate", color: colour("--fg") },
               splitArea: { show: false } },
      yAxis: { type: "category", data: matrix.rows, inverse: true, axisLabel: axisText },
      series: [{ type: "heatmap", name: key, data: cells, emphasis: { itemStyle: { borderColor: colour("--fg"), borderWidth: 2 } },
                 label: { show: cells.length <= 400, fontSize: 10,
                          formatter: function (p) { return p.data.zero ? "0" : format(p.value[2]); } },
                 labelLayout: { hideOverlap: true },
                 tooltip: { formatter: function (p) { return p.data.tip; } } }]
    });
    chart(key, cells.length > 0).setOption(option, true);
    drawLegend(key, bins, format, cells.some(function (c) { return c.value[2] === "-"; }));
  }

  // The colours' key, under the chart: a swatch per step with its range, then 0 (and no articles, when some cell has none).
  function drawLegend(key, bins, format, empty) {
    var legend = document.getElementById("legend-" + key);
    if (!legend) { return; }
    var items = [element("span", say("legend_of", { what: document.getElementById("h-" + key).textContent }), "legend-title")];
    var swatch = function (colour, text, className) {
      var item = element("span", null, "legend-item" + (className ? " " + className : ""));
      var mark = item.appendChild(element("span", null, "swatch"));
      if (colour) { mark.style.background = colour; }  // CSSOM, which the CSP allows
      item.appendChild(element("span", text));
      return item;
    };
    items.push(swatch(null, say("legend_zero", {}), "legend-zero"));
    bins.forEach(function (bin) { items.push(swatch(bin.colour, format(bin.low) + "–" + format(bin.high))); });
    if (empty) { items.push(swatch(null, say("legend_empty", {}), "legend-empty")); }
    legend.replaceChildren.apply(legend, items);
    legend.hidden = false;
  }

  function drawTrends(trends) {
    var series = trends.lines.map(function (line) {
      return {
        type: "line", name: techniqueName(line.label), showSymbol: true, symbolSize: 7,
        data: line.values.map(function (value, i) {
          return { value: value, count: line.counts[i], list: trendPoint(trends, line, i) };
        }),
        markPoint: { symbol: "diamond", symbolSize: 14, label: { show: false },
                     data: line.change_points.map(function (day) {
                       var i = trends.periods.indexOf(day);
                       return { coord: [i, line.values[i]], name: say("change_point", {}) };
                     }).filter(function (p) { return p.coord[0] >= 0; }) }
      };
    });
    var shifts = trends.lines.filter(function (l) { return l.change_points.length; }).map(function (l) {
      return say("shifts_at", { technique: techniqueName(l.label), dates: list(l.change_points) });
    });
    var description = say("trends_description", {
      techniques: list(trends.lines.map(function (l) { return techniqueName(l.label); })),
      by_period: say("by_" + trends.period, {}), start: trends.periods[0], end: trends.periods[trends.periods.length - 1]
    }) + " " + (shifts.length ? shifts.join("; ") + "." : say("no_change_points", {}));
    var option = Object.assign(base(description), {
      grid: { left: 8, right: 16, top: 60, bottom: 8, containLabel: true },
      legend: { type: "scroll", top: 0, textStyle: { color: colour("--fg") } },
      tooltip: { renderMode: "richText", confine: true, trigger: "item",
                 formatter: function (p) {
                   return p.componentType === "markPoint" ? say("level_shifts", { technique: p.seriesName })
                     : p.seriesName + "\n" + trends.periods[p.dataIndex] + ": " + say("per_1000", { value: fixed(p.value, 2) }) +
                       "\n" + count("paragraphs", p.data.count);
                 } },
      xAxis: { type: "category", data: trends.periods, axisLabel: { color: colour("--fg") } },
      yAxis: { type: "value", name: say("per_1000_axis", {}), nameTextStyle: { align: "left" }, axisLabel: { color: colour("--fg") } },
      series: series
    });
    chart("trends", trends.lines.length > 0 && trends.periods.length > 0).setOption(option, true);
  }

  function drawNarratives(narratives) {
    var description = say("narratives_description", { narratives: narratives.items.map(function (item) {
      return say("narrative_size", { narrative: item.label, articles: count("articles", item.size) });
    }).join("; ") });
    var option = Object.assign(base(description), {
      grid: { left: 8, right: 16, top: 60, bottom: 8, containLabel: true },
      legend: { type: "scroll", top: 0, textStyle: { color: colour("--fg") } },
      tooltip: { renderMode: "richText", confine: true, trigger: "item",
                 formatter: function (p) { return p.seriesName + "\n" + narratives.periods[p.dataIndex] + ": " + count("articles", p.value); } },
      xAxis: { type: "category", data: narratives.periods, axisLabel: { color: colour("--fg") } },
      yAxis: { type: "value", name: say("articles_axis", {}), minInterval: 1, axisLabel: { color: colour("--fg") } },
      series: narratives.items.map(function (item) {
        return { type: "line", name: item.label, showSymbol: true, symbolSize: 7,
                 data: item.timeline.map(function (point, i) { return { value: point.articles, list: narrativePoint(narratives, item, i) }; }) };
      })
    });
    chart("narratives", narratives.items.length > 0).setOption(option, true);
  }

  function draw() {
    var view = shown();
    drawMatrix("heatmap", view.heatmap, techniqueName, function (v) { return fixed(v, 1); }, HEAT, "paragraphs", techniqueCell);
    drawTrends(view.trends);
    drawMatrix("frames", view.frames, frameName, percent, SHARE, "articles", frameCell);
    drawNarratives(view.narratives);
    fillTables(view);
    fillSummary(view.overview);
  }

  // ------------------------------------------------------------------ tables (for screen readers and the keyboard)

  function fillTables(view) {
    var heat = view.heatmap, frames = view.frames, trends = view.trends;
    // A zero is written "0" and styled apart from the values, and lists nothing; a missing value would be "–".
    var cell = function (value, counted, text, title, list) {
      if (value === null || value === undefined) { return { text: "–", title: title, kind: "empty" }; }
      return counted ? { text: text, title: title, list: list } : { text: "0", title: title, kind: "zero" };
    };
    fillTable("heatmap", heat.columns.map(techniqueName), heat.rows.map(function (source, i) {
      return [source, heat.columns.map(function (label, j) {
        return cell(heat.values[i][j], heat.counts[i][j], fixed(heat.values[i][j], 2), count("paragraphs", heat.counts[i][j]),
                    techniqueCell(source, label));
      })];
    }));
    fillTable("trends", trends.lines.map(function (l) { return techniqueName(l.label); }), trends.periods.map(function (start, i) {
      return [start, trends.lines.map(function (line) {
        return cell(line.values[i], line.counts[i], fixed(line.values[i], 2), count("paragraphs", line.counts[i]),
                    trendPoint(trends, line, i));
      })];
    }));
    fillTable("frames", frames.columns.map(frameName), frames.rows.map(function (source, i) {
      return [source, frames.columns.map(function (label, j) {
        return cell(frames.values[i][j], frames.counts[i][j], percent(frames.values[i][j]), count("articles", frames.counts[i][j]),
                    frameCell(source, label));
      })];
    }));
    var columns = [say("column_articles", {}), say("column_sources", {}), say("column_first_seen", {})];
    fillTable("narratives", columns, view.narratives.items.map(function (item) {
      var sources = andMore(item.sources.slice(0, 3).map(function (s) { return s.source + " (" + s.articles + ")"; }).join(", "),
                            item.sources.length - 3);
      var first = item.first ? say("first_seen", { date: item.first.date, source: item.first.source,
                                                   title: item.first.title || say("untitled", {}) }) : say("undated", {});
      var criteria = narrativeCell(item);
      return [item.label, [{ text: String(item.size), title: say("title_articles", {}), list: criteria },
                           { text: sources, title: say("title_per_source", {}), list: criteria },
                           { text: first, title: say("title_earliest", {}), list: criteria }]];
    }), false);
  }

  // Each value is a button that lists its articles: the charts' clicks, for the keyboard.
  function fillTable(key, columns, rows, numeric) {
    var table = document.getElementById("table-" + key);
    var align = numeric === false ? "" : "num";
    var head = element("tr");
    head.appendChild(element("th", table.tHead.rows[0].cells[0].textContent)).scope = "col";
    columns.forEach(function (column) { head.appendChild(element("th", column, align)).scope = "col"; });
    table.tHead.replaceChildren(head);
    var body = rows.map(function (row) {
      var tr = element("tr");
      var header = tr.appendChild(element("th", row[0]));
      header.scope = "row";
      header.dir = "auto";
      row[1].forEach(function (cell) {
        var td = tr.appendChild(element("td", null, [align, cell.kind].filter(Boolean).join(" ")));
        if (!cell.list) { td.textContent = cell.text; td.title = cell.title; return; }  // nothing behind it to list
        var button = element("button", cell.text, "cell-button");
        button.type = "button";
        button.title = cell.title;
        button.dir = "auto";
        button.addEventListener("click", function () { listArticles(cell.list, true); });
        td.appendChild(button);
      });
      return tr;
    });
    if (!body.length) {
      body = [element("tr")];
      body[0].appendChild(element("td", table.getAttribute("data-empty"), "none")).colSpan = columns.length + 1;
    }
    table.tBodies[0].replaceChildren.apply(table.tBodies[0], body);
  }

  function fillSummary(overview) {
    var values = { articles: overview.articles.toLocaleString("en"), words: overview.words.toLocaleString("en"),
                   dates: say("date_range", { start: overview.first_date || say("none", {}), end: overview.last_date || say("none", {}) }),
                   model: overview.model };
    Array.prototype.forEach.call(document.querySelectorAll("[data-summary]"), function (node) {
      node.textContent = values[node.getAttribute("data-summary")];
    });
  }

  // ------------------------------------------------------------------ the articles behind a value

  // ``focus``: a person asked for the list, so take them to it.
  function listArticles(criteria, focus) {
    if (offline) { showArticles(criteria.title, fromIndex(criteria), focus); return; }
    var query = filterQuery(data.filters, criteria);
    query.set("limit", String(LISTED));
    fetchJson(api + "/articles?" + query.toString()).then(function (rows) {
      showArticles(criteria.title, { rows: rows, note: rows.length === LISTED ? say("newest_listed", { count: LISTED }) : "" },
                   focus);
    }, function (problem) { status.textContent = say("could_not_list", { problem: problem }); });
  }

  // The current filters, narrowed to a chart's value (its source, technique, frame and dates).
  function filterQuery(filters, criteria) {
    var query = new URLSearchParams();
    var add = function (name, values) { values.forEach(function (v) { query.append(name, v); }); };
    add("source", criteria.source !== undefined ? [criteria.source] : filters.sources);
    add("language", filters.languages);
    add("technique", criteria.technique ? [criteria.technique] : filters.techniques);
    var from = later(filters.date_from, criteria.date_from), to = earlier(filters.date_to, criteria.date_to);
    if (from) { query.set("date_from", from); }
    if (to) { query.set("date_to", to); }
    if (filters.model) { query.set("model", filters.model); }
    if (criteria.frame) { query.set("frame", criteria.frame); }
    if (criteria.narrative) { query.set("narrative", String(criteria.narrative)); }
    return query;
  }

  function later(a, b) { return !a ? b : !b ? a : (a > b ? a : b); }
  function earlier(a, b) { return !a ? b : !b ? a : (a < b ? a : b); }

  function fromIndex(criteria) {
    var view = shown(), selection = view.selection;
    var index = data.articles ? data.articles.articles : [];
    var rows = index.filter(function (a) {
      return (criteria.source === undefined ? selection.sourceOk(a.source) : a.source === criteria.source) &&
        (!selection.languages.length || selection.languages.indexOf(a.language) >= 0) &&
        (criteria.technique ? a.techniques.indexOf(criteria.technique) >= 0
          : !selection.techniques.length || a.techniques.some(function (t) { return selection.techniques.indexOf(t) >= 0; })) &&
        (!criteria.frame || a.frames.indexOf(criteria.frame) >= 0) &&
        (!criteria.narrative || a.narratives.indexOf(criteria.narrative) >= 0) &&
        (!criteria.date_from || (a.date && a.date >= criteria.date_from)) &&
        (!criteria.date_to || (a.date && a.date <= criteria.date_to));
    });
    var notes = [];
    if (rows.length > LISTED) { notes.push(say("newest_of", { listed: LISTED, count: rows.length })); }
    if (data.articles && data.articles.capped) { notes.push(say("capped", { count: index.length })); }
    return { rows: rows.slice(0, LISTED), note: notes.join(" ") };
  }

  function showArticles(title, found, focus) {
    document.getElementById("articles-heading").textContent = title ? say("articles_of", { what: title }) : say("newest_articles", {});
    document.getElementById("articles-note").textContent = [found.rows.length ? "" : say("no_articles", {}), found.note]
      .filter(Boolean).join(" ");
    var list = document.getElementById("articles-list");
    list.replaceChildren.apply(list, found.rows.map(articleItem));
    if (focus) {
      panel.focus({ preventScroll: true });
      panel.scrollIntoView({ block: "nearest" });
    }
  }

  function articleItem(row) {
    var item = element("li");
    var title = row.title || row.doc_id || say("article_number", { number: row.id });
    var href = offline ? webAddress(row.url) : articleBase + encodeURIComponent(row.id);
    var link = item.appendChild(element(href ? "a" : "span", title));
    link.dir = "auto";
    if (row.title && row.language) { link.lang = row.language; }  // the article's language, not the page's
    if (href) { link.href = href; }
    if (href && offline) { link.rel = "noopener noreferrer"; }
    var meta = [row.source, row.date, row.language].filter(Boolean);
    if (row.techniques && row.techniques.length) {
      meta.push(andMore(row.techniques.slice(0, 3).map(techniqueName).join(", "), row.techniques.length - 3));
    }
    item.appendChild(element("span", " " + meta.join(" · "), "article-meta"));
    return item;
  }

  // Only http(s) links leave the file: never javascript: or data:.
  function webAddress(url) {
    try { return url && /^https?:$/.test(new URL(url).protocol) ? url : null; } catch (error) { return null; }
  }

  // ------------------------------------------------------------------ filters

  function fetchJson(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(function (response) {
      if (response.ok) { return response.json(); }
      return response.json().then(function (problem) { throw problem.detail || response.statusText; },
                                  function () { throw response.statusText; });
    });
  }

  function formQuery() {
    var query = new URLSearchParams();
    new FormData(form).forEach(function (value, name) { if (value) { query.append(name, value); } });
    return query;
  }

  function refresh() {
    if (offline) { draw(); listArticles({}); return; }
    var query = formQuery(), ticket = ++request;
    status.textContent = say("updating", {});
    fetchJson(api + "/dashboard?" + query.toString()).then(function (fresh) {
      if (ticket !== request) { return; }  // a later change is on its way
      data = fresh;
      history.replaceState(null, "", "?" + query.toString());
      draw();
      status.textContent = say("showing_articles", { count: data.overview.articles });
      listArticles({});
    }, function (problem) { if (ticket === request) { status.textContent = say("could_not_update", { problem: problem }); } });
  }

  var timer = 0;
  form.addEventListener("change", function () { showChosen(); window.clearTimeout(timer); timer = window.setTimeout(refresh, 300); });
  form.addEventListener("submit", function (event) { event.preventDefault(); window.clearTimeout(timer); refresh(); });
  form.addEventListener("reset", function () { window.setTimeout(function () { showChosen(); refresh(); }, 0); });
  window.addEventListener("resize", function () { Object.keys(charts).forEach(function (k) { charts[k].resize(); }); });

  // The tables are open for pages without script; with it, the charts come first.
  Array.prototype.forEach.call(document.querySelectorAll("details.chart-table"), function (d) { d.open = false; });
  showChosen();
  draw();
  if (offline) { listArticles({}); }
}());
