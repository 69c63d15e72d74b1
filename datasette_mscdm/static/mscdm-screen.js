// Keyboard shortcuts and no-reload screening for /<db>/-/screen.
// Without this file the page is plain HTML forms that work on their own.
// Record cards come from the server already escaped (mscdm_screen_card.html);
// this script never builds HTML from record text: messages go in with
// textContent.
(function () {
  "use strict";
  var card = document.getElementById("mscdm-card");
  if (!card) return;
  var errorBox = document.getElementById("mscdm-error");
  var toast = document.getElementById("mscdm-toast");
  var help = document.getElementById("mscdm-help");
  var helpButton = document.querySelector(".mscdm-help-button");
  var progress = document.getElementById("mscdm-progress");
  // The criteria panel stays open or closed as this reviewer left it.
  var rememberKey = "mscdm-criteria-open:" + (card.dataset.remember || "");
  var busy = false;
  // Keys pressed within this long of a new record appearing are ignored: a
  // double press must not decide a record nobody has read.
  var SETTLE_MS = 300;
  var shownAt = 0;

  function showError(message) {
    errorBox.textContent = message || "";
    errorBox.hidden = !message;
  }

  function showNotice(message) {
    toast.textContent = message || "";
    toast.hidden = !message;
  }

  function storedCriteriaOpen() {
    try { return window.localStorage.getItem(rememberKey); } catch (e) { return null; }
  }

  function applyCriteriaState() {
    var panel = document.getElementById("mscdm-criteria");
    if (!panel) return;
    var stored = storedCriteriaOpen();
    if (stored !== null) panel.open = stored === "1";
    panel.addEventListener("toggle", function () {
      try { window.localStorage.setItem(rememberKey, panel.open ? "1" : "0"); } catch (e) {}
    });
  }

  function toggleHelp(show) {
    if (!help) return;
    help.hidden = show === undefined ? !help.hidden : !show;
    if (helpButton) helpButton.setAttribute("aria-expanded", help.hidden ? "false" : "true");
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
    shownAt = Date.now();
    var article = card.querySelector("article[data-record-id]");
    var url = new URL(window.location.href);
    ["decided", "undone", "skipped"].forEach(function (key) { url.searchParams.delete(key); });
    if (article) {
      url.searchParams.set("record", article.dataset.recordId);
    } else {
      url.searchParams.delete("record");
    }
    window.history.replaceState(null, "", url.toString());
    applyCriteriaState();
    markNarrow();
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
    if (busy || !form) return;
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
      showNotice(data.notice);
      refreshProgress();
    }).catch(function (error) { showNotice(""); showError(error.message); });
  }

  function skip(form) {
    if (busy || !form) return;
    if (form.elements.note && form.elements.note.value.trim()) {
      // A skip records nothing: the note would be lost with it.
      showError("You wrote a note: decide on this record to keep it, or clear the note to skip.");
      return;
    }
    post(card.dataset.skipUrl, {record_id: parseInt(form.elements.record_id.value, 10),
                                stage: form.elements.stage.value})
      .then(function (data) {
        showCard(data.next.html);
        showNotice(data.notice);
      })
      .catch(function (error) { showNotice(""); showError(error.message); });
  }

  function undo(form) {
    if (busy || !form) return;
    post(card.dataset.undoUrl, {stage: form.elements.stage.value,
                                request_id: form.elements.request_id.value})
      .then(function (data) {
        showCard(data.html);
        showNotice("");
        refreshProgress();
      })
      .catch(function (error) { showNotice(""); showError(error.message); });
  }

  function reasonChosen(form) {
    return !form.querySelector("input[name=reason]") ||
      !!form.querySelector("input[name=reason]:checked");
  }

  // Buttons: the clicked button's value is the decision (or skip).
  card.addEventListener("submit", function (event) {
    var form = event.target;
    event.preventDefault();
    if (form.classList.contains("mscdm-undo")) {
      undo(form);
    } else if (form.classList.contains("mscdm-decide")) {
      var button = event.submitter;
      if (button && button.classList.contains("mscdm-skip")) {
        skip(form);
      } else if (button && button.value === "exclude" && !reasonChosen(form) &&
                 form.classList.contains("mscdm-narrow")) {
        // On a phone the reasons are far below: bring them up to choose one.
        form.querySelector(".mscdm-reasons").classList.add("mscdm-picking");
        form.querySelector(".mscdm-reasons").scrollIntoView({block: "center"});
      } else {
        decide(form, button ? button.value : "include");
      }
    }
  });

  // On a phone, tapping a reason while choosing one excludes with it.
  card.addEventListener("change", function (event) {
    var radio = event.target;
    var reasons = radio.closest && radio.closest(".mscdm-reasons.mscdm-picking");
    if (reasons && radio.name === "reason") {
      reasons.classList.remove("mscdm-picking");
      decide(radio.form, "exclude", radio.value);
    }
  });

  function markNarrow() {
    var narrow = window.matchMedia("(max-width: 700px)").matches;
    card.querySelectorAll("form.mscdm-decide").forEach(function (form) {
      form.classList.toggle("mscdm-narrow", narrow);
    });
  }

  if (helpButton) helpButton.addEventListener("click", function () { toggleHelp(); });

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    var typing = target && (target.tagName === "TEXTAREA" || target.tagName === "INPUT" &&
                            target.type !== "radio" && target.type !== "checkbox" ||
                            target.tagName === "SELECT");
    if (typing) {
      if (event.key === "Escape") target.blur();
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    // A held key repeats: never let it sweep through records.
    if (event.repeat) { event.preventDefault(); return; }
    var key = event.key;
    if (key === "?") {
      event.preventDefault();
      toggleHelp();
      return;
    }
    if (key === "Escape") {
      toggleHelp(false);
      return;
    }
    key = key.toLowerCase();
    var form = card.querySelector("form.mscdm-decide");
    if (key === "u") {
      event.preventDefault();
      undo(card.querySelector("form.mscdm-undo"));
      return;
    }
    if (key === "c") {
      var panel = document.getElementById("mscdm-criteria");
      if (panel) {
        event.preventDefault();
        panel.open = !panel.open;
      }
      return;
    }
    if (!form) return;
    if (Date.now() - shownAt < SETTLE_MS && /^[iemrs1-9]$/.test(key)) {
      event.preventDefault();
      return;
    }
    if (key === "n" && form.elements.note) {
      event.preventDefault();
      form.elements.note.focus();
      return;
    }
    if (key === "s") {
      event.preventDefault();
      skip(form);
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
    if (button && !button.classList.contains("mscdm-skip")) {
      event.preventDefault();
      decide(form, button.value);
    }
  });

  applyCriteriaState();
  markNarrow();
})();
