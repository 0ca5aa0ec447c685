// Ferry's UI works without JavaScript; this adds copy buttons, live run status and
// as-you-type checks of tag names.
(function () {
  "use strict";
  // Copy buttons: <button data-copy="#id">.
  document.addEventListener("click", function (e) {
    var b = e.target.closest("[data-copy]");
    if (!b) return;
    var el = document.querySelector(b.getAttribute("data-copy"));
    if (!el || !navigator.clipboard) return;
    navigator.clipboard.writeText(el.textContent.trim()).then(function () {
      b.textContent = "Copied";
    });
  });
  // Live runs: <tr data-run-url="/api/v1/…/runs/7"> with [data-field] cells, polled while
  // the run is queued or running; the page reloads when it ends so every detail is fresh.
  function poll(row) {
    var url = row.getAttribute("data-run-url");
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (run) {
        if (!run) return;
        row.querySelectorAll("[data-field]").forEach(function (c) {
          var v = run[c.getAttribute("data-field")];
          if (v !== undefined && v !== null) c.textContent = v;
        });
        if (run.state === "done") { window.location.reload(); return; }
        setTimeout(function () { poll(row); }, 1000);
      })
      .catch(function () { setTimeout(function () { poll(row); }, 3000); });
  }
  document.querySelectorAll("[data-run-url]").forEach(poll);
  // Tag names: <input data-tag-check> gets the same rules as the API's, as you type.
  var bad = /(^[-.\/])|([.\/]$)|\.\.|\/\/|@\{|[\x00-\x20~^:?*\[\\\x7f]|\.lock(\/|$)|^@$/;
  document.querySelectorAll("input[data-tag-check]").forEach(function (input) {
    var msg = document.getElementById(input.getAttribute("aria-describedby"));
    input.addEventListener("input", function () {
      var v = input.value;
      var wrong = v !== "" && bad.test(v);
      input.setCustomValidity(wrong ? "Not a valid tag name" : "");
      if (msg) msg.textContent = wrong ? "Not a valid Git tag name: no spaces, '..', '~', '^', ':', '?', '*', '[', '\\', or a leading '-' or '/'." : "";
    });
  });
})();
