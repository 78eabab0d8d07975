// The import page (templates/portal/import_job.html) follows its job: it asks for the
// job's progress every second and reloads itself when the job is finished.
(function () {
  "use strict";
  var box = document.getElementById("import-progress");
  if (!box) { return; }
  var url = box.getAttribute("data-status-url");
  var label = box.getAttribute("data-rows-label");
  var rows = document.getElementById("import-rows");
  var bar = document.getElementById("import-bar");
  function ask() {
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (s) {
        if (!s) { setTimeout(ask, 3000); return; }
        if (s.finished) { window.location.reload(); return; }
        rows.textContent = label.replace("{n}", String(s.rows_done));
        if (s.rows_total) { bar.max = s.rows_total; bar.value = s.rows_done; }
        setTimeout(ask, 1000);
      })
      .catch(function () { setTimeout(ask, 3000); });
  }
  setTimeout(ask, 1000);
}());
