// A page that follows a job of the worker (templates/portal/import_job.html,
// export_job.html): it asks for the job's progress every second and reloads itself when the
// job is finished. The box names the status URL and the label of its row count.
(function () {
  "use strict";
  var box = document.querySelector("[data-status-url]");
  if (!box) { return; }
  var url = box.getAttribute("data-status-url");
  var label = box.getAttribute("data-rows-label");
  var rows = box.querySelector(".job-rows");
  var bar = box.querySelector(".job-bar");
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
