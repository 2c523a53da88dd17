// Nothing typed to the counselor is lost on a weak connection (decision 0041; progressive
// enhancement: without JavaScript the form posts as usual).
//
// What is typed is kept on this device (localStorage) with the form's submission id. Sending
// goes through fetch: when no answer comes at all (offline, or the connection cut mid-send),
// the page says "Ei yhteyttä — tekstisi on tallessa" and sends again when the connection
// returns (the browser's "online" event, and a retry from 1 s doubling to 30 s). The same
// submission id makes a message that did arrive before the cut one message, not two. Any
// answer but the redirect of a sent message is left to the server's own page: the form is
// posted the ordinary way and the page it returns says why (path ended, text refused).
// Its own file beside drafts.js, which keeps task answers as server-side drafts.
(function () {
  var script = document.currentScript;
  if (!script || !window.fetch || !window.FormData || !window.URLSearchParams) { return; }
  var key = "digipolku-message:" + window.location.pathname;
  var storage = null;
  try { storage = window.localStorage; } catch (e) { storage = null; }  // blocked by the user

  function forget() {
    if (storage) { storage.removeItem(key); }
  }

  if (script.dataset.sent) { forget(); }  // the server has the message this device kept
  var form = document.getElementById("viestilomake");
  var box = document.getElementById("viesti");
  var status = document.getElementById("viesti-tila");
  if (!form || !box) { return; }  // an ended path: nothing can be sent, the copy stays
  var submission = form.querySelector("input[name=submission_id]");
  var csrf = document.querySelector("meta[name=csrf-token]");

  var FIRST_RETRY = 1000;
  var LAST_RETRY = 30000;
  var delay = FIRST_RETRY;
  var retry = null;
  var sending = false;
  var pending = false;

  function keep() {
    if (!storage) { return; }
    var copy = {text: box.value, submission: submission ? submission.value : "", pending: pending};
    try { storage.setItem(key, JSON.stringify(copy)); } catch (e) { /* full: the box has it */ }
  }

  function kept() {
    if (!storage) { return null; }
    try { return JSON.parse(storage.getItem(key) || "null"); } catch (e) { return null; }
  }

  function tell(message) {
    if (status) { status.textContent = message || ""; }
  }

  function send() {
    clearTimeout(retry);
    if (sending) { return; }
    sending = true;
    tell(script.dataset.sending);
    fetch(form.action, {
      method: "POST", credentials: "same-origin",
      headers: {"X-CSRF-Token": csrf ? csrf.content : ""},
      body: new URLSearchParams(new FormData(form))
    }).then(function (response) {
      sending = false;
      if (response.ok && response.redirected) {
        pending = false;
        forget();
        window.location.assign(response.url + "#viestit");
        return;
      }
      // Refused or failed with an answer: the ordinary post shows the server's page (the
      // same submission id records nothing twice), and the copy stays until it is sent.
      pending = false;
      keep();
      form.submit();
    }, function () {
      sending = false;
      later();  // no answer at all: offline, or the connection was cut
    });
  }

  function later() {
    tell(script.dataset.offline);
    clearTimeout(retry);
    retry = setTimeout(send, delay);
    delay = Math.min(delay * 2, LAST_RETRY);
  }

  var earlier = kept();
  if (earlier && earlier.text && !box.value) {
    // Typed here before the connection went (or the page was closed): it comes back.
    box.value = earlier.text;
    if (submission && earlier.submission) { submission.value = earlier.submission; }
    if (earlier.pending) {
      pending = true;
      later();
    }
  }

  box.addEventListener("input", keep);
  form.addEventListener("submit", function (event) {
    if (!box.value.trim()) { return; }  // the browser's own "required" speaks first
    event.preventDefault();
    pending = true;
    delay = FIRST_RETRY;
    keep();
    send();
  });
  window.addEventListener("online", function () {
    if (pending) { delay = FIRST_RETRY; send(); }
  });
})();
