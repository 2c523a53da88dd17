// Saves the answer as a draft while the client types (progressive enhancement: without
// JavaScript the "save draft" button does the same).
(function () {
  var script = document.currentScript;
  var text = document.getElementById("text");
  var status = document.getElementById("draft-status");
  // The session's CSRF token (chassis/csrf.py): a write with the session cookie needs it.
  var csrf = document.querySelector("meta[name=csrf-token]");
  if (!script || !text || !window.fetch) { return; }
  var timer = null;
  text.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      fetch(script.dataset.url, {
        method: "PUT", credentials: "same-origin",
        headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf ? csrf.content : ""},
        body: JSON.stringify({text: text.value})
      }).then(function (response) {
        if (response.ok) { status.textContent = script.dataset.saved; }
      });
    }, 800);
  });
})();
