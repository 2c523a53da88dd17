// Keeps the caseload current without reloading the page: when the server says a row changed,
// fetch the rows again (same filters) and swap the table body. Without JavaScript the page
// still works; it only does not update by itself.
(function () {
  "use strict";
  var script = document.currentScript;
  var table = document.getElementById("caseload");
  var status = document.getElementById("live-status");
  if (!table || !window.EventSource) { return; }
  var query = new URLSearchParams(window.location.search);
  query.set("osa", "rivit");
  var refreshing = false;

  function refresh() {
    if (refreshing) { return; }
    refreshing = true;
    fetch("/?" + query.toString(), { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (html !== null) {
          table.tBodies[0].innerHTML = html;
          status.textContent = script.dataset.updated;
        }
      })
      .finally(function () { refreshing = false; });
  }

  var source = new EventSource("/caseload/stream");
  source.addEventListener("changed", refresh);
  source.addEventListener("removed", refresh);
})();
