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
  var again = false;  // a change came while fetching: the fetched rows may predate it

  function refresh(announce) {
    if (refreshing) { again = true; return; }
    refreshing = true;
    fetch("/?" + query.toString(), { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (html !== null) {
          table.tBodies[0].innerHTML = html;
          if (announce) { status.textContent = script.dataset.updated; }
        }
      })
      .finally(function () {
        refreshing = false;
        if (again) { again = false; refresh(true); }
      });
  }

  var source = new EventSource("/asiakkaat/muutokset");
  // "ready" comes when the stream starts watching (again, after a reconnect): a row that
  // changed between rendering the page and that moment would otherwise never be announced.
  source.addEventListener("ready", function () { refresh(false); });
  source.addEventListener("changed", function () { refresh(true); });
  source.addEventListener("removed", function () { refresh(true); });
})();
