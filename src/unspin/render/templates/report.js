// unspin report: filters and tooltips. Only classes, attributes and positions change here;
// no markup is built from strings, so no article text is ever parsed as HTML.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  var slider = document.getElementById("min-confidence");
  var output = document.getElementById("min-confidence-value");
  var status = document.getElementById("shown-spans");
  var article = document.getElementById("article");
  var tipLayer = document.getElementById("tips");
  var toggles = Array.prototype.slice.call(document.querySelectorAll("input[name=category]"));
  var marks = Array.prototype.slice.call(document.querySelectorAll("mark.hl"));
  // Everything that carries a category and a confidence: tooltip entries and margin notes.
  var items = Array.prototype.slice.call(document.querySelectorAll("[data-category][data-confidence]"));
  var open = null;
  var hideTimer = 0;
  // The page's words, translated when it was made (unspin.render.html.report_messages).
  var messages = JSON.parse(document.querySelector(".controls[data-messages]").getAttribute("data-messages"));

  // A message with each %(name)s filled in; %% is a percent sign.
  function say(key, values) {
    return messages[key].replace(/%(?:\((\w+)\))?([sd%])/g, function (whole, name, kind) {
      return kind === "%" ? "%" : String(values[name]);
    });
  }

  function tipOf(mark) {
    return document.getElementById(mark.getAttribute("data-tip"));
  }

  function percent(value) {
    return Math.round(value * 1000) / 10 + "%";
  }

  // A mark is highlighted while one of its spans passes the filters; it then takes the
  // colour of its most confident passing span (tooltip entries are sorted that way).
  function applyFilters() {
    var minimum = Number(slider.value);
    var enabled = {};
    toggles.forEach(function (box) { enabled[box.value] = box.checked; });
    items.forEach(function (item) {
      var passes = enabled[item.getAttribute("data-category")] === true &&
        Number(item.getAttribute("data-confidence")) >= minimum;
      item.classList.toggle("filtered", !passes);
    });
    var shownSpans = {};
    var shownCount = 0;
    marks.forEach(function (mark) {
      var category = null;
      var ends = "";
      Array.prototype.forEach.call(tipOf(mark).querySelectorAll("li"), function (entry) {
        if (entry.classList.contains("filtered")) { return; }
        category = category || entry.getAttribute("data-category");
        if (entry.hasAttribute("data-ends-here")) { ends += entry.getAttribute("data-code"); }
        var span = entry.getAttribute("data-span");
        if (!shownSpans[span]) { shownSpans[span] = true; shownCount += 1; }
      });
      setHighlight(mark, category, ends);
    });
    output.value = percent(minimum);
    slider.setAttribute("aria-valuetext", percent(minimum));
    status.textContent = say("shown_spans", { shown: shownCount, total: status.getAttribute("data-total") });
  }

  function setHighlight(mark, category, ends) {
    if (category) {
      mark.setAttribute("data-show", category);
      mark.setAttribute("tabindex", "0");
      mark.setAttribute("aria-describedby", mark.getAttribute("data-tip"));
    } else {
      if (mark === open) { hideTip(); }
      mark.removeAttribute("data-show");
      mark.removeAttribute("tabindex");
      mark.removeAttribute("aria-describedby");
    }
    if (category && ends) { mark.setAttribute("data-end", ends); } else { mark.removeAttribute("data-end"); }
  }

  function showTip(mark) {
    if (!mark.hasAttribute("data-show")) { return; }
    window.clearTimeout(hideTimer);
    if (open && open !== mark) { tipOf(open).hidden = true; }
    open = mark;
    var tip = tipOf(mark);
    tip.hidden = false;
    place(tip, mark);
  }

  function hideTip() {
    window.clearTimeout(hideTimer);
    if (open) { tipOf(open).hidden = true; }
    open = null;
  }

  function hideSoon() {
    window.clearTimeout(hideTimer);
    hideTimer = window.setTimeout(hideTip, 250);
  }

  // Below the first line of the highlight, or above it when there is no room below;
  // always inside the viewport horizontally (phones).
  function place(tip, mark) {
    var box = mark.getClientRects()[0] || mark.getBoundingClientRect();
    var margin = 8;
    var gap = 6;
    var viewportWidth = document.documentElement.clientWidth;
    tip.style.left = "0px";  // measure at the page's left edge, where its width is not squeezed
    tip.style.top = "0px";
    var left = Math.max(margin, Math.min(box.left, viewportWidth - tip.offsetWidth - margin));
    var top = box.bottom + gap;
    if (top + tip.offsetHeight > window.innerHeight && box.top - gap - tip.offsetHeight > 0) {
      top = box.top - gap - tip.offsetHeight;
    }
    tip.style.left = left + window.scrollX + "px";
    tip.style.top = top + window.scrollY + "px";
  }

  function markOf(event) {
    return event.target instanceof Element ? event.target.closest("mark.hl") : null;
  }

  article.addEventListener("mouseover", function (event) {
    var mark = markOf(event);
    if (mark) { showTip(mark); }
  });
  article.addEventListener("mouseout", function (event) {
    var mark = markOf(event);
    if (mark && mark === open && !mark.contains(event.relatedTarget)) { hideSoon(); }
  });
  article.addEventListener("focusin", function (event) {
    var mark = markOf(event);
    if (mark) { showTip(mark); }
  });
  article.addEventListener("focusout", function (event) {
    if (markOf(event) === open) { hideTip(); }
  });
  // A tooltip stays open while the pointer is on it, so its text can be read and selected.
  tipLayer.addEventListener("mouseover", function () { window.clearTimeout(hideTimer); });
  tipLayer.addEventListener("mouseout", function (event) {
    if (!tipLayer.contains(event.relatedTarget)) { hideSoon(); }
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { hideTip(); }
  });
  window.addEventListener("resize", function () {
    if (open) { place(tipOf(open), open); }
  });
  // A margin label without a span outlines its evidence sentence while it has the focus or
  // the pointer. Without script, following its link does the same (the sentence is the target).
  function lightEvidence(on) {
    return function (event) {
      var note = event.target instanceof Element ? event.target.closest(".notes li[data-evidence]") : null;
      var sentence = note && document.getElementById(note.getAttribute("data-evidence"));
      if (sentence) { sentence.classList.toggle("lit", on); }
    };
  }
  document.addEventListener("focusin", lightEvidence(true));
  document.addEventListener("focusout", lightEvidence(false));
  document.addEventListener("mouseover", lightEvidence(true));
  document.addEventListener("mouseout", lightEvidence(false));
  // The charts are folded on screen; a printed report shows them.
  window.addEventListener("beforeprint", function () {
    Array.prototype.forEach.call(document.querySelectorAll("details.overview-more"), function (details) {
      details.open = true;
    });
  });
  slider.addEventListener("input", applyFilters);
  toggles.forEach(function (box) { box.addEventListener("change", applyFilters); });
  // Browsers restore form state on back/forward: make the page match it.
  applyFilters();
}());
