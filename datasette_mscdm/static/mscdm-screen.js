// Keyboard shortcuts and no-reload screening for /<db>/-/screen.
// Without this file the page is plain HTML forms that work on their own.
// Record cards come from the server already escaped (mscdm_screen_card.html);
// this script never builds HTML from record text.
(function () {
  "use strict";
  var card = document.getElementById("mscdm-card");
  if (!card) return;
  var errorBox = document.getElementById("mscdm-error");
  var progress = document.getElementById("mscdm-progress");
  var busy = false;

  function showError(message) {
    errorBox.textContent = message || "";
    errorBox.hidden = !message;
  }

  function refreshProgress() {
    if (!progress) return;
    fetch(progress.dataset.url, {credentials: "same-origin"})
      .then(function (r) { return r.json(); })
      .then(function (data) {
        progress.querySelectorAll("[data-field]").forEach(function (el) {
          if (data[el.dataset.field] !== undefined) el.textContent = data[el.dataset.field];
        });
      })
      .catch(function () { /* progress is a nicety; the decision is stored */ });
  }

  function showCard(html) {
    card.innerHTML = html;
    var article = card.querySelector("article[data-record-id]");
    var url = new URL(window.location.href);
    if (article) {
      url.searchParams.set("record", article.dataset.recordId);
    } else {
      url.searchParams.delete("record");
    }
    window.history.replaceState(null, "", url.toString());
    window.scrollTo(0, 0);
  }

  function post(url, body) {
    busy = true;
    showError("");
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {"Content-Type": "application/json", "Accept": "application/json"},
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().then(function (data) {
        if (!response.ok || !data.ok) throw new Error(data.error || response.statusText);
        return data;
      });
    }).finally(function () { busy = false; });
  }

  function decide(form, decision, reason) {
    if (busy) return;
    var body = {
      record_id: parseInt(form.elements.record_id.value, 10),
      stage: form.elements.stage.value,
      request_id: form.elements.request_id.value,
      decision: decision,
      note: form.elements.note ? form.elements.note.value : ""
    };
    if (decision === "exclude") {
      var checked = form.querySelector("input[name=reason]:checked");
      body.reason = reason || (checked ? checked.value : null);
    }
    post(card.dataset.decideUrl, body).then(function (data) {
      showCard(data.next.html);
      refreshProgress();
    }).catch(function (error) { showError(error.message); });
  }

  function undo(form) {
    if (busy) return;
    post(card.dataset.undoUrl, {stage: form.elements.stage.value,
                                request_id: form.elements.request_id.value})
      .then(function (data) {
        showCard(data.html);
        refreshProgress();
      })
      .catch(function (error) { showError(error.message); });
  }

  // Buttons: the clicked button's value is the decision.
  card.addEventListener("submit", function (event) {
    var form = event.target;
    event.preventDefault();
    if (form.classList.contains("mscdm-undo")) {
      undo(form);
    } else if (form.classList.contains("mscdm-decide")) {
      var button = event.submitter;
      decide(form, button ? button.value : "include");
    }
  });

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    var typing = target && (target.tagName === "TEXTAREA" || target.tagName === "INPUT" &&
                            target.type !== "radio" || target.tagName === "SELECT");
    if (typing) {
      if (event.key === "Escape") target.blur();
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    var form = card.querySelector("form.mscdm-decide");
    var key = event.key.toLowerCase();
    if (key === "u") {
      event.preventDefault();
      undo(card.querySelector("form.mscdm-undo"));
      return;
    }
    if (!form) return;
    if (key === "n" && form.elements.note) {
      event.preventDefault();
      form.elements.note.focus();
      return;
    }
    if (/^[1-9]$/.test(key)) {
      var radio = form.querySelector('input[name=reason][data-key="' + key + '"]');
      if (radio) {
        event.preventDefault();
        radio.checked = true;
        decide(form, "exclude", radio.value);
      }
      return;
    }
    var button = form.querySelector('button[data-key="' + key + '"]');
    if (button) {
      event.preventDefault();
      decide(form, button.value);
    }
  });
})();
