// Saves the answer as a draft while the client types (progressive enhancement: without
// JavaScript the "save draft" button does the same).
//
// On a weak connection or while the service is out of reach (decision 0028) nothing typed
// is lost: the text is kept on this device (localStorage) until the server has it, and the
// save is tried again with back-off (1 s doubling to 30 s). A copy kept from an earlier
// visit comes back into the box and is saved once the server answers. The copy is removed
// as soon as the server has stored that text, or once the task is answered.
//
// Sending the answer works the same way (issue 17): the form is first sent with fetch, and if
// the connection drops before the server answers, the answer is kept on this device with its
// submission id, the page says "Ei yhteyttä — tekstisi on tallessa", and it is sent again when
// the browser is back online or after a back-off. Once the server answers, the same form is
// sent as a plain form post to show the server's page: the same submission id makes every
// send after the first that reached the server count as that one (idempotency). Without
// JavaScript the form is a plain form post to begin with.
(function () {
  var script = document.currentScript;
  if (!script || !window.fetch) { return; }
  var key = "digipolku-draft:" + script.dataset.url;
  var storage = null;
  try { storage = window.localStorage; } catch (e) { storage = null; }  // blocked by the user

  if (script.dataset.forget) {
    if (storage) { storage.removeItem(key); storage.removeItem(key + ":submit"); }
    return;
  }
  var text = document.getElementById("text");
  var status = document.getElementById("draft-status");
  // The session's CSRF token (chassis/csrf.py): a write with the session cookie needs it.
  var csrf = document.querySelector("meta[name=csrf-token]");
  if (!text) { return; }

  var FIRST_RETRY = 1000;
  var LAST_RETRY = 30000;
  var typing = null;
  var retry = null;
  var delay = FIRST_RETRY;
  var sending = false;

  function keep(value) {
    if (!storage) { return; }
    try { storage.setItem(key, value); } catch (e) { /* full or blocked: the box still has it */ }
  }

  function kept() {
    return storage ? storage.getItem(key) : null;
  }

  function tell(message) {
    if (status && message) { status.textContent = message; }
  }

  function save() {
    clearTimeout(retry);
    if (sending) { return; }  // the answer to the save under way sends the newest text
    sending = true;
    var value = text.value;
    fetch(script.dataset.url, {
      method: "PUT", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf ? csrf.content : ""},
      body: JSON.stringify({text: value})
    }).then(function (response) {
      sending = false;
      if (response.ok) {
        delay = FIRST_RETRY;
        if (kept() === value) { storage.removeItem(key); }
        if (text.value !== value) { save(); return; }
        tell(script.dataset.saved);
      } else if (response.status >= 500 || response.status === 429) {
        later(response.headers.get("Retry-After"));
      }
      // Any other refusal (signed out, path ended, text refused) will not pass on a retry;
      // the text stays in the box and on this device.
    }, function () {
      sending = false;
      later(null);  // no answer at all: offline, or the connection was cut
    });
  }

  function later(retryAfter) {
    tell(script.dataset.waiting);
    var seconds = parseInt(retryAfter || "", 10);
    var wait = seconds > 0 ? Math.max(seconds * 1000, delay) : delay;
    delay = Math.min(delay * 2, LAST_RETRY);
    clearTimeout(retry);
    retry = setTimeout(save, wait);
  }

  var earlier = kept();
  if (earlier !== null && earlier !== text.value) {
    // Typed here during an outage and never stored: newer than what the server has.
    text.value = earlier;
    save();
  } else if (script.dataset.pending && text.value) {
    // The page came back because the service was out of reach: keep and save the text.
    keep(text.value);
    later(null);
  } else if (earlier !== null && storage) {
    storage.removeItem(key);  // the box holds the server's draft, which is this text
  }

  text.addEventListener("input", function () {
    keep(text.value);
    clearTimeout(typing);
    typing = setTimeout(save, 800);
  });
  window.addEventListener("online", function () { if (kept() !== null) { save(); } });

  var form = text.form;
  var submitKey = key + ":submit";  // {id, text} of an answer sent while offline
  var submitRetry = null;
  var submitDelay = FIRST_RETRY;
  var submitting = false;

  function field(name) { return form ? form.querySelector("[name=" + name + "]") : null; }

  function pendingSubmit() {
    try { return JSON.parse(storage ? storage.getItem(submitKey) || "null" : "null"); }
    catch (e) { return null; }
  }

  function offline() {
    tell(script.dataset.offline);
    if (status) { status.classList.add("message"); }
    submitRetry = setTimeout(submit, submitDelay);
    submitDelay = Math.min(submitDelay * 2, LAST_RETRY);
  }

  // As a plain form post, for the server's own page (a refusal, signing in again...).
  function sendPlainly() {
    var pending = pendingSubmit();
    if (storage) { storage.removeItem(submitKey); }
    if (pending) { field("submission_id").value = pending.id; text.value = pending.text; }
    var action = document.createElement("input");
    action.type = "hidden"; action.name = "action"; action.value = "submit";
    form.appendChild(action);
    HTMLFormElement.prototype.submit.call(form);
  }

  function submit() {
    clearTimeout(submitRetry);
    var pending = pendingSubmit();
    if (submitting || !pending) { return; }
    submitting = true;
    var data = new URLSearchParams(new FormData(form));
    data.set("submission_id", pending.id);
    data.set("text", pending.text);
    data.set("action", "submit");
    // The attribute: the buttons named "action" shadow the form's own `action` property.
    // Redirects are not followed: one to sign in goes to another origin, which the page's
    // Content-Security-Policy does not let a script reach.
    fetch(form.getAttribute("action"), {
      method: "POST", credentials: "same-origin", body: data, redirect: "manual"
    }).then(function (response) {
      submitting = false;
      if (response.status >= 500 || response.status === 429) { offline(); return; }
      // The server has answered (stored, refused, or sent to sign in): the plain form shows
      // its page. The same submission id is answered as the first send was (idempotency),
      // so a stored answer is not stored twice.
      sendPlainly();
    }, function () {
      submitting = false;
      offline();  // no answer at all: the connection dropped
    });
  }

  if (form && window.URLSearchParams && window.FormData && field("submission_id")) {
    form.addEventListener("submit", function (event) {
      var button = event.submitter;
      if (!storage || !button || button.value !== "submit") { return; }
      event.preventDefault();
      if (pendingSubmit()) { return; }  // already on its way: this is a second click
      try {
        storage.setItem(submitKey, JSON.stringify(
          {id: field("submission_id").value, text: text.value}));
      } catch (e) { sendPlainly(); return; }
      submitDelay = FIRST_RETRY;
      submit();
    });
    window.addEventListener("online", function () { submitDelay = FIRST_RETRY; submit(); });
    var waiting = pendingSubmit();
    if (waiting) {  // sent while offline before this page was (re)loaded: send it now
      text.value = waiting.text;
      submit();
    }
  }
})();
