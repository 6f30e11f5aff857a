// unspin review page: the keyboard and the action bar over a page that works without script.
// Only text, attributes and properties change here; no markup is built from strings. The words
// come translated in the page's JSON block (#review-data), so the script holds no text of its own.
//
// Every action becomes one or a few decisions (unspin.review.model.Decision) posted as JSON to
// the page's own route, which records them under the signed-in reviewer's name and answers with
// the new review and the page's items; the page is drawn again from those. Actions run one after
// the other, each on the state the one before left.
(function () {
  "use strict";
  var source = document.getElementById("review-data");
  if (!source) { return; }
  var data = JSON.parse(source.textContent);
  var messages = data.messages;
  var text = data.text;
  var paragraphs = data.paragraphs;
  var items = data.items;
  var review = data.review;
  var layer = data.layer;
  var currentId = null;
  var lastStart = -1;  // where the current span was, to go on from there when it disappears
  var renamed = {};  // an added span's id after its edges or technique changed
  var chain = Promise.resolve();
  var live = document.getElementById("review-live");
  var line = document.getElementById("review-current");
  var textBox = document.getElementById("review-text");
  var layerSelect = document.getElementById("review-layer");
  var picker = document.getElementById("technique-picker");
  var filter = document.getElementById("technique-filter");
  var pickerTitle = document.getElementById("picker-title");
  var pickerCount = document.getElementById("technique-count");
  var options = Array.prototype.slice.call(document.querySelectorAll("#technique-options [role=option]"));
  var help = document.getElementById("review-help");
  var language = document.documentElement.lang || "en";
  var percentFormat = new Intl.NumberFormat(language, { style: "percent" });
  var choose = null;  // what the technique list does with the technique picked
  var selecting = null;  // the words chosen with the keyboard: {first, last} indexes into words

  // A message with each %(name)s filled in; %% is a percent sign.
  function say(key, values) {
    return messages[key].replace(/%(?:\((\w+)\))?([sd%])/g, function (whole, name, kind) {
      return kind === "%" ? "%" : String(values[name]);
    });
  }

  function announce(message) {
    live.textContent = message;
  }

  function nameOf(label) {
    return data.techniques[label] ? data.techniques[label].name : label;
  }

  function quote(start, end) {
    var words = text.slice(start, end).replace(/\s+/g, " ").trim();
    return words.length > 80 ? words.slice(0, 79) + "…" : words;
  }

  // -------------------------------------------------------------------- words, for edges and selections

  var words = [];
  (function () {
    var pattern = /[\p{L}\p{N}\p{M}_]+(?:['’\-][\p{L}\p{N}\p{M}_]+)*/gu;
    var found;
    while ((found = pattern.exec(text)) !== null) {
      words.push({ start: found.index, end: found.index + found[0].length });
    }
  }());

  function paragraphAt(offset) {
    for (var i = 0; i < paragraphs.length; i++) {
      if (paragraphs[i].start <= offset && offset < paragraphs[i].end) { return paragraphs[i]; }
    }
    return null;
  }

  function wordsOf(paragraph) {
    return words.filter(function (w) { return w.start >= paragraph.start && w.end <= paragraph.end; });
  }

  // -------------------------------------------------------------------- the layers

  function entries() {
    var shown = [];
    items.forEach(function (item) {
      var model = item.model;
      if (layer === "model") {
        if (model) { shown.push({ id: item.id, start: model.start, end: model.end, technique: model.technique, look: "model" }); }
      } else if (item.state === "accepted") {
        shown.push({
          id: item.id, start: item.start, end: item.end, technique: item.technique,
          look: item.origin === "reviewer" ? "added" : "accepted"
        });
      } else if (layer === "both" && model) {
        shown.push({ id: item.id, start: model.start, end: model.end, technique: model.technique, look: item.state });
      }
    });
    shown.sort(function (a, b) { return a.start - b.start || a.end - b.end || (a.id < b.id ? -1 : 1); });
    return shown;
  }

  var PRIORITY = { pending: 0, added: 1, accepted: 2, model: 3, rejected: 4 };

  function draw() {
    var shown = entries();
    paragraphs.forEach(function (paragraph) {
      var element = document.getElementById("p-" + paragraph.number);
      var inside = shown.filter(function (e) { return e.start < paragraph.end && e.end > paragraph.start; });
      var cuts = [paragraph.start, paragraph.end];
      inside.forEach(function (e) {
        [e.start, e.end].forEach(function (c) { if (c > paragraph.start && c < paragraph.end) { cuts.push(c); } });
      });
      cuts = cuts.sort(function (a, b) { return a - b; }).filter(function (c, i, all) { return i === 0 || c !== all[i - 1]; });
      var pieces = document.createDocumentFragment();
      for (var i = 0; i + 1 < cuts.length; i++) {
        var a = cuts[i], b = cuts[i + 1];
        var covering = inside.filter(function (e) { return e.start < b && e.end > a; });
        if (!covering.length) {
          pieces.appendChild(document.createTextNode(text.slice(a, b)));
          continue;
        }
        var top = covering.slice().sort(function (x, y) {
          return PRIORITY[x.look] - PRIORITY[y.look] || (x.end - x.start) - (y.end - y.start);
        })[0];
        var mark = document.createElement("mark");
        var category = data.techniques[top.technique] ? data.techniques[top.technique].category : "";
        var starts = covering.some(function (e) { return e.look === "added" && e.start === a; });
        mark.className = "rv rv-" + top.look + " cat-" + category + (starts ? " rv-add-start" : "");
        mark.setAttribute("data-items", covering.map(function (e) { return e.id; }).join(" "));
        mark.title = covering.map(function (e) { return nameOf(e.technique); }).filter(function (n, j, all) {
          return all.indexOf(n) === j;
        }).join(", ");
        mark.textContent = text.slice(a, b);
        pieces.appendChild(mark);
      }
      element.replaceChildren(pieces);
    });
    textBox.className = textBox.className.replace(/\blayer-\w+/, "layer-" + layer);
    showCurrent(false);
  }

  // -------------------------------------------------------------------- the current span

  function itemById(id) {
    while (renamed[id]) { id = renamed[id]; }
    for (var i = 0; i < items.length; i++) { if (items[i].id === id) { return items[i]; } }
    return null;
  }

  function currentIndex(shown) {
    for (var i = 0; i < shown.length; i++) { if (shown[i].id === currentId) { return i; } }
    return -1;
  }

  // The span shown where the current one was, when it has gone (removed, or not in this layer).
  function settle(shown) {
    if (currentId === null || currentIndex(shown) !== -1) { return; }
    var target = itemById(currentId);
    if (target) { currentId = target.id; }
    if (currentIndex(shown) !== -1) { return; }
    var next = shown.filter(function (e) { return e.start >= lastStart; })[0];
    currentId = next ? next.id : null;
  }

  function marksOf(id) {
    return Array.prototype.filter.call(textBox.querySelectorAll("mark.rv"), function (mark) {
      return mark.getAttribute("data-items").split(" ").indexOf(id) !== -1;
    });
  }

  function describe(entry, shown) {
    var item = itemById(entry.id);
    var state = entry.look === "added" ? messages.added : messages[item.state] || messages.accepted;
    if (item.model && item.state === "accepted" && item.technique !== item.model.technique && layer !== "model") {
      state += " (" + say("was", { technique: nameOf(item.model.technique) }) + ")";
    }
    var technique = nameOf(entry.technique);
    if (item.model && (entry.look === "pending" || entry.look === "model" || entry.look === "rejected")) {
      technique += " " + percentFormat.format(item.model.confidence);
    }
    return say("current", {
      n: currentIndex(shown) + 1, total: shown.length, technique: technique, state: state,
      quote: quote(entry.start, entry.end)
    });
  }

  function showCurrent(focus) {
    var shown = entries();
    settle(shown);
    Array.prototype.forEach.call(textBox.querySelectorAll("mark.current, mark[tabindex]"), function (mark) {
      mark.classList.remove("current");
      mark.removeAttribute("tabindex");
    });
    var index = currentIndex(shown);
    if (index === -1) {
      line.textContent = shown.length ? say("no_current", {}) : messages.none;
      return "";
    }
    var entry = shown[index];
    lastStart = entry.start;
    var marks = marksOf(entry.id);
    marks.forEach(function (mark) { mark.classList.add("current"); });
    var description = describe(entry, shown);
    line.textContent = description;
    if (marks.length) {
      marks[0].setAttribute("tabindex", "-1");
      if (focus || textBox.contains(document.activeElement) || document.activeElement === document.body) {
        marks[0].scrollIntoView({ block: "nearest" });
        marks[0].focus({ preventScroll: true });
      }
    }
    return description;
  }

  function step(direction) {
    clearSelecting();
    var shown = entries();
    if (!shown.length) { announce(messages.none); return; }
    settle(shown);
    var index = currentIndex(shown);
    index = index === -1 ? (direction > 0 ? 0 : shown.length - 1) : Math.min(Math.max(index + direction, 0), shown.length - 1);
    currentId = shown[index].id;
    announce(showCurrent(true));
  }

  function current(quiet) {
    var shown = entries();
    settle(shown);
    var index = currentIndex(shown);
    if (index === -1) {
      if (!quiet) { announce(messages.no_current); }
      return null;
    }
    return itemById(shown[index].id);
  }

  // -------------------------------------------------------------------- sending decisions

  function ref(span) {
    return { start: span.start, end: span.end, technique: span.technique };
  }

  function same(a, b) {
    return a.start === b.start && a.end === b.end && a.technique === b.technique;
  }

  function post(decisions) {
    return fetch(data.post, {
      method: "POST",
      credentials: "same-origin",
      redirect: "manual",  // a sign-in page is not an answer
      cache: "no-store",
      headers: { "Content-Type": "application/json", "Accept-Language": language },
      body: JSON.stringify({ decisions: decisions })
    }).then(function (response) {
      if (response.type === "opaqueredirect" || response.status === 401) { throw new Error(messages.signed_out); }
      return response.json().then(function (body) {
        if (!response.ok) { throw new Error(say("failed", { error: body.detail })); }
        return body;
      });
    });
  }

  // Queue an action: ``build`` makes its decisions from the state the actions before it left
  // (or returns a message to say instead); ``after`` says what happened, from the new state.
  function perform(build, after) {
    chain = chain.then(function () {
      var planned = build();
      if (!planned) { return null; }
      if (typeof planned === "string") { announce(planned); return null; }
      return post(planned.decisions).then(function (view) {
        review = view.review;
        items = view.items;
        if (planned.renames) { renamed[planned.renames[0]] = planned.renames[1]; }
        draw();
        drawLabels();
        announce(after(planned));
      });
    }).catch(function (error) {
      announce(error.message);
    });
  }

  function onCurrent(make, message) {
    var target = current();
    if (!target) { return; }
    var id = target.id;
    perform(function () {
      var item = itemById(id);
      return item ? make(item) : messages.no_current;
    }, function (planned) {
      showCurrent(false);
      var item = itemById(planned.id || id);
      var span = item || planned.span;
      return say(message, { technique: nameOf(span.technique), quote: quote(span.start, span.end) });
    });
  }

  function already(item) {
    return say("already", { state: messages[item.state] });
  }

  function accept() {
    onCurrent(function (item) {
      if (!item.model || item.state === "accepted") { return already(item); }
      return { decisions: [{ kind: "accept", span: ref(item.model), model_confidence: item.model.confidence }] };
    }, "did_accept");
  }

  function reject() {
    var target = current(true);
    if (!target) { announce(messages.no_current); return; }
    var removing = !target.model;
    onCurrent(function (item) {
      if (!item.model) { return { decisions: [{ kind: "remove", span: ref(item) }], span: ref(item) }; }
      if (item.state === "rejected") { return already(item); }
      var decisions = [];
      if (item.state === "accepted" && !same(item, item.model)) { decisions.push({ kind: "remove", span: ref(item) }); }
      decisions.push({ kind: "reject", span: ref(item.model) });
      return { decisions: decisions };
    }, removing ? "did_remove" : "did_reject");
  }

  function renames(item, start, end, technique) {
    return item.model ? null : [item.id, "r-" + start + "-" + end + "-" + technique];
  }

  function relabel() {
    var target = current();
    if (!target) { return; }
    var id = target.id;
    openPicker(messages.relabel_title, function (label) {
      onCurrentId(id, function (item) {
        if (label === item.technique && item.state === "accepted") { return already(item); }
        if (item.state !== "accepted") {
          return { decisions: [{ kind: "relabel", span: ref(item.model), technique: label, model_confidence: item.model.confidence }] };
        }
        return {
          decisions: [{ kind: "relabel", span: ref(item), technique: label }],
          renames: renames(item, item.start, item.end, label)
        };
      }, "did_relabel");
    });
  }

  function onCurrentId(id, make, message) {
    currentId = id;
    onCurrent(make, message);
  }

  function moveEdge(which, direction) {
    onCurrent(function (item) {
      var paragraph = paragraphAt(item.start);
      var start = item.start, end = item.end;
      var near = paragraph ? wordsOf(paragraph) : [];
      var word;
      if (which === "start" && direction < 0) {
        word = near.filter(function (w) { return w.start < start; }).pop();
        if (word) { start = word.start; }
      } else if (which === "start") {
        word = near.filter(function (w) { return w.start > start && w.start < end; })[0];
        if (word) { start = word.start; }
      } else if (direction < 0) {
        word = near.filter(function (w) { return w.end < end && w.end > start; }).pop();
        if (word) { end = word.end; }
      } else {
        word = near.filter(function (w) { return w.end > end; })[0];
        if (word) { end = word.end; }
      }
      if (!word) { return messages.edge; }
      if (item.state !== "accepted") {
        return {
          decisions: [
            { kind: "accept", span: ref(item.model), model_confidence: item.model.confidence },
            { kind: "adjust", span: ref(item.model), start: start, end: end }
          ]
        };
      }
      return {
        decisions: [{ kind: "adjust", span: ref(item), start: start, end: end }],
        renames: renames(item, start, end, item.technique)
      };
    }, "did_adjust");
  }

  // -------------------------------------------------------------------- adding a span

  // The character offset of a point of the DOM inside a paragraph of the text, or -1.
  function offsetOf(node, offset) {
    var element = (node.nodeType === 1 ? node : node.parentNode);
    var paragraph = element && element.closest ? element.closest("p.text[data-start]") : null;
    if (!paragraph || !textBox.contains(paragraph)) { return -1; }
    var range = document.createRange();
    range.setStart(paragraph, 0);
    range.setEnd(node, offset);
    return Number(paragraph.getAttribute("data-start")) + range.toString().length;
  }

  // The text node and offset where a character offset of the text lies.
  function pointOf(offset) {
    var paragraph = paragraphAt(offset) || paragraphAt(offset - 1);
    var element = document.getElementById("p-" + paragraph.number);
    var walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
    var at = paragraph.start;
    var node, last = null;
    while ((node = walker.nextNode()) !== null) {
      if (offset <= at + node.data.length) { return { node: node, offset: offset - at }; }
      at += node.data.length;
      last = node;
    }
    return { node: last || element, offset: last ? last.data.length : 0 };
  }

  // The words a selection of the page covers, snapped outwards to whole words, in one paragraph.
  function selectedWords() {
    if (selecting) {
      return { start: words[selecting.first].start, end: words[selecting.last].end };
    }
    var selection = window.getSelection();
    if (!selection || selection.isCollapsed || !selection.rangeCount) {
      // A tap on the bar may clear the selection on a touch screen just before the button acts.
      return remembered && Date.now() - remembered.lost < 1500 ? remembered.span : null;
    }
    return wordsOfRange(selection.getRangeAt(0));
  }

  function wordsOfRange(range) {
    var start = offsetOf(range.startContainer, range.startOffset);
    var end = offsetOf(range.endContainer, range.endOffset);
    if (start === -1) { return null; }
    var paragraph = paragraphAt(start);
    if (!paragraph) { return null; }
    if (end === -1 || end > paragraph.end) { end = paragraph.end; }
    var inside = wordsOf(paragraph).filter(function (w) { return w.end > start && w.start < end; });
    if (!inside.length) { return null; }
    return { start: inside[0].start, end: inside[inside.length - 1].end };
  }

  var remembered = null;  // the last words selected in the text, and when the selection went
  document.addEventListener("selectionchange", function () {
    var selection = window.getSelection();
    if (selection && !selection.isCollapsed && selection.rangeCount && textBox.contains(selection.anchorNode)) {
      var span = wordsOfRange(selection.getRangeAt(0));
      remembered = span ? { span: span, lost: Infinity } : null;
    } else if (remembered && remembered.lost === Infinity) {
      remembered.lost = Date.now();
    }
  });

  function showSelecting() {
    var first = pointOf(words[selecting.first].start);
    var last = pointOf(words[selecting.last].end);
    window.getSelection().setBaseAndExtent(first.node, first.offset, last.node, last.offset);
    var element = first.node.nodeType === 3 ? first.node.parentNode : first.node;
    element.scrollIntoView({ block: "nearest" });
    announce(say("selecting", { quote: quote(words[selecting.first].start, words[selecting.last].end) }));
  }

  function startSelecting() {
    if (!words.length) { return; }
    var item = current(true);
    var from = 0;
    if (item) {
      var after = words.findIndex(function (w) { return w.start >= item.end; });
      var paragraph = paragraphAt(item.start);
      from = after !== -1 && paragraph && words[after].end <= paragraph.end ? after : words.findIndex(function (w) {
        return w.end > item.start;
      });
    }
    selecting = { first: Math.max(from, 0), last: Math.max(from, 0) };
    showSelecting();
  }

  function clearSelecting() {
    if (selecting) {
      selecting = null;
      window.getSelection().removeAllRanges();
      remembered = null;
    }
  }

  function moveSelecting(key, shift) {
    var paragraph = paragraphAt(words[selecting.first].start);
    var last = selecting.last + (key === "ArrowRight" ? 1 : -1);
    if (shift) {
      if (last < selecting.first || last >= words.length || words[last].end > paragraph.end) { announce(messages.edge); return; }
      selecting.last = last;
    } else {
      var first = selecting.first + (key === "ArrowRight" ? 1 : -1);
      if (first < 0 || first >= words.length) { announce(messages.edge); return; }
      selecting = { first: first, last: first };
    }
    showSelecting();
  }

  function add() {
    var span = selectedWords();
    if (!span) { announce(messages.no_selection); return; }
    remembered = null;
    openPicker(messages.add_title, function (label) {
      clearSelecting();
      window.getSelection().removeAllRanges();
      var id = "r-" + span.start + "-" + span.end + "-" + label;
      perform(function () {
        return { decisions: [{ kind: "add", span: { start: span.start, end: span.end, technique: label } }], id: id };
      }, function () {
        currentId = id;
        showCurrent(true);
        return say("did_add", { technique: nameOf(label), quote: quote(span.start, span.end) });
      });
    }, clearSelecting);
  }

  // -------------------------------------------------------------------- the technique list

  function fold(value) {
    return value.toLowerCase().normalize("NFD").replace(/\p{M}/gu, "");
  }

  var active = null;

  function activate(option) {
    if (active) { active.setAttribute("aria-selected", "false"); }
    active = option;
    if (option) {
      option.setAttribute("aria-selected", "true");
      filter.setAttribute("aria-activedescendant", option.id);
      option.scrollIntoView({ block: "nearest" });
    } else {
      filter.removeAttribute("aria-activedescendant");
    }
  }

  function visibleOptions() {
    return options.filter(function (option) { return !option.hidden; });
  }

  function applyFilter() {
    var terms = fold(filter.value).split(/\s+/).filter(Boolean);
    var shown = options.filter(function (option) {
      var haystack = fold(option.getAttribute("data-search"));
      var fits = terms.every(function (term) { return haystack.indexOf(term) !== -1; });
      option.hidden = !fits;
      return fits;
    });
    activate(shown[0] || null);
    pickerCount.textContent = say("matches", { count: shown.length });
  }

  var cancelPicking = null;

  function openPicker(title, picked, cancelled) {
    choose = picked;
    cancelPicking = cancelled || null;
    pickerTitle.textContent = title;
    filter.value = "";
    applyFilter();
    picker.showModal();
    filter.focus();
  }

  function pick(option) {
    if (!option || !choose) { return; }
    var picked = choose;
    choose = null;
    cancelPicking = null;
    picker.close();
    picked(option.getAttribute("data-label"));
  }

  filter.addEventListener("input", applyFilter);
  filter.addEventListener("keydown", function (event) {
    var shown = visibleOptions();
    var index = shown.indexOf(active);
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      if (!shown.length) { return; }
      index = event.key === "ArrowDown" ? Math.min(index + 1, shown.length - 1) : Math.max(index - 1, 0);
      activate(shown[index]);
    } else if (event.key === "Enter") {
      event.preventDefault();
      pick(active);
    }
  });
  options.forEach(function (option) {
    option.addEventListener("click", function () { pick(option); });
  });
  picker.querySelector("[data-close]").addEventListener("click", function () { picker.close(); });
  picker.addEventListener("close", function () {
    if (choose) {  // closed without a pick
      choose = null;
      if (cancelPicking) { cancelPicking(); }
      announce(messages.cancelled);
    }
    showCurrent(true);
  });

  // -------------------------------------------------------------------- paragraph techniques, frames, genre, status

  function checkedValues(form, name) {
    return Array.prototype.filter.call(form.elements, function (field) {
      return field.name === name && field.checked;
    }).map(function (field) { return field.value; });
  }

  function listed(labels, names) {
    return labels.map(function (label) { return names[label] || label; }).join(", ") || messages.mine_none;
  }

  function drawLabels() {
    var mine = review || { paragraphs: {}, frames: null, genre: null, status: "unreviewed" };
    Array.prototype.forEach.call(document.querySelectorAll(".mine-labels[data-paragraph]"), function (element) {
      var chosen = mine.paragraphs[element.getAttribute("data-paragraph")];
      element.textContent = chosen ? chosen.map(nameOf).join(", ") || messages.mine_none : messages.not_set;
    });
    document.getElementById("frames-mine").textContent = mine.frames ? listed(mine.frames, data.frames) : messages.not_set;
    document.getElementById("genre-mine").textContent = mine.genre ? data.genres[mine.genre] || mine.genre : messages.not_set;
    document.getElementById("review-status").textContent = data.statuses[mine.status] || mine.status;
    document.getElementById("review-done").hidden = mine.status === "done";
    document.getElementById("review-reopen").hidden = mine.status !== "done";
    var counts = { pending: 0, accepted: 0, rejected: 0, added: 0 };
    items.forEach(function (item) { counts[item.origin === "reviewer" ? "added" : item.state] += 1; });
    document.getElementById("review-counts").textContent = say("counts", counts);
  }

  Array.prototype.forEach.call(document.querySelectorAll("form[data-decision]"), function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var kind = form.getAttribute("data-decision");
      var decision = { kind: kind };
      var message = "did_" + kind;
      var values = {};
      if (kind === "paragraph") {
        decision.paragraph = Number(form.elements.paragraph.value);
        decision.techniques = checkedValues(form, "techniques");
        values.number = decision.paragraph;
      } else if (kind === "frames") {
        decision.frames = checkedValues(form, "frames");
      } else if (kind === "genre") {
        var genre = checkedValues(form, "genre")[0];
        if (!genre) { return; }
        decision.genre = genre;
      } else if (kind === "status") {
        decision.status = event.submitter ? event.submitter.value : "done";
        message = decision.status === "done" ? "did_done" : "did_reopen";
      }
      perform(function () { return { decisions: [decision] }; }, function () { return say(message, values); });
    });
  });

  function done() {
    perform(function () {
      if (review && review.status === "done") { return say("already", { state: data.statuses.done }); }
      return { decisions: [{ kind: "status", status: "done" }] };
    }, function () { return messages.did_done; });
  }

  function openLabels() {
    var item = current();
    if (!item) { return; }
    var paragraph = paragraphAt(item.start);
    var details = paragraph && document.getElementById("labels-" + paragraph.number);
    if (!details) { return; }
    details.open = true;
    details.scrollIntoView({ block: "nearest" });
    details.querySelector("input[type=checkbox]").focus();
  }

  function setLayer(value) {
    layer = value;
    layerSelect.value = value;
    var url = new URL(window.location.href);
    url.searchParams.set("layer", value);
    window.history.replaceState(null, "", url.toString());
    draw();
    announce(say("layer", { layer: data.layers[value] }));
  }

  layerSelect.addEventListener("change", function () { setLayer(layerSelect.value); });

  function cycleLayer() {
    var order = ["both", "model", "review"];
    setLayer(order[(order.indexOf(layer) + 1) % order.length]);
  }

  // -------------------------------------------------------------------- the bar, the mouse and the keys

  var actions = {
    prev: function () { step(-1); },
    next: function () { step(1); },
    accept: accept,
    reject: reject,
    relabel: relabel,
    add: add,
    "start-left": function () { moveEdge("start", -1); },
    "start-right": function () { moveEdge("start", 1); },
    "end-left": function () { moveEdge("end", -1); },
    "end-right": function () { moveEdge("end", 1); },
    done: done,
    help: function () { help.showModal(); }
  };
  Array.prototype.forEach.call(document.querySelectorAll(".review-bar [data-action]"), function (button) {
    // A tap on a button must not take away the words selected in the text.
    button.addEventListener("mousedown", function (event) { event.preventDefault(); });
    button.addEventListener("click", function () { actions[button.getAttribute("data-action")](); });
  });

  // A click on a span makes it the current one (a second click on overlapping spans goes to the next).
  textBox.addEventListener("click", function (event) {
    var mark = event.target.closest ? event.target.closest("mark.rv") : null;
    var selection = window.getSelection();
    if (!mark || (selection && !selection.isCollapsed)) { return; }
    clearSelecting();
    var ids = mark.getAttribute("data-items").split(" ");
    var at = ids.indexOf(currentId);
    currentId = ids[(at + 1) % ids.length];
    announce(showCurrent(true));
  });

  var keys = {
    j: actions.next, k: actions.prev, a: accept, r: reject, l: relabel, n: add, d: done, p: openLabels, t: cycleLayer,
    v: startSelecting, "?": actions.help,
    "[": actions["start-left"], "]": actions["start-right"], "{": actions["end-left"], "}": actions["end-right"]
  };

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) { return; }
    if (document.querySelector("dialog[open]")) { return; }
    var target = event.target;
    if (target.closest && target.closest("input, select, textarea, [contenteditable], .language-switcher")) { return; }
    if (selecting) {
      if (event.key === "ArrowLeft" || event.key === "ArrowRight") {
        event.preventDefault();
        moveSelecting(event.key, event.shiftKey);
        return;
      }
      if (event.key === "Enter") {
        event.preventDefault();
        add();
        return;
      }
      if (event.key === "Escape") {
        event.preventDefault();
        clearSelecting();
        announce(messages.cancelled);
        return;
      }
    }
    var action = keys[event.key];
    if (!action) { return; }
    if (event.key !== "n" && event.key !== "v") { clearSelecting(); }
    event.preventDefault();
    action();
  });

  // Back from another page, the browser may show this one as it was: start from the stored state.
  drawLabels();
  draw();
}());
