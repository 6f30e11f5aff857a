// unspin web UI: small comforts on top of pages that work without script.
// Only text, attributes and properties change here; no markup is built from strings.
// Words shown from here come translated in the page (data- attributes, the status endpoint's
// status_text): the script holds no text of its own, whatever the interface language.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  var each = function (selector, action) {
    Array.prototype.forEach.call(document.querySelectorAll(selector), action);
  };

  // A submitted form says it is working, and a second click does not send it twice.
  each("form[data-busy]", function (form) {
    var button = form.querySelector("button[type=submit]");
    var label = button.textContent;
    form.addEventListener("submit", function () {
      window.setTimeout(function () {  // after the submission has taken the form's values
        button.disabled = true;
        button.textContent = form.getAttribute("data-busy");
        form.setAttribute("aria-busy", "true");
      }, 0);
    });
    // Back from the result page (the browser may restore this page as it was left).
    window.addEventListener("pageshow", function () {
      button.disabled = false;
      button.textContent = label;
      form.removeAttribute("aria-busy");
    });
  });

  each("button[data-copy]", function (button) {
    button.addEventListener("click", function () {
      var field = document.getElementById(button.getAttribute("data-copy"));
      field.select();
      var copied = function () { button.textContent = button.getAttribute("data-copied"); };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(field.value).then(copied, function () {});
      } else if (document.execCommand("copy")) {
        copied();
      }
    });
  });

  // The language switcher (a <details>): Escape closes it and gives the focus back to its
  // button; a click or focus elsewhere closes it, as a menu would.
  each("details.language-switcher", function (switcher) {
    var summary = switcher.querySelector("summary");
    switcher.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && switcher.open) {
        switcher.open = false;
        summary.focus();
      }
    });
    var closeOutside = function (event) {
      if (switcher.open && !switcher.contains(event.target)) { switcher.open = false; }
    };
    document.addEventListener("click", closeOutside);
    document.addEventListener("focusin", closeOutside);
  });

  // A running job: follow its progress, and show the finished page when it ends.
  var job = document.getElementById("job");
  if (!job || job.getAttribute("data-active") !== "true") { return; }
  var progress = document.getElementById("job-progress");
  var state = document.getElementById("job-status");

  function show(view) {
    state.textContent = view.status_text;
    state.className = "job-state state-" + view.status;
    if (view.progress === null) { progress.removeAttribute("value"); } else { progress.value = view.progress; }
    progress.textContent = view.percent;
    document.getElementById("job-percent").textContent = view.percent;
    document.getElementById("job-counts").textContent = view.counts;
  }

  function poll() {
    // In the page's language even where no cookie keeps the reader's choice.
    var language = { "Accept-Language": document.documentElement.lang };
    fetch(job.getAttribute("data-status-url"), { credentials: "same-origin", cache: "no-store", headers: language })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (view) {
        if (view) { show(view); }
        if (view && !view.active) { window.location.reload(); } else { window.setTimeout(poll, 1000); }
      }, function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 500);
}());
