// Keys for the conflicts page (/<db>/-/conflicts): move between records with
// j/k and resolve the one in focus. Without this file the forms work alone.
(function () {
  "use strict";
  var sections = Array.prototype.slice.call(document.querySelectorAll("section.mscdm-conflict"));
  var help = document.getElementById("mscdm-help");
  var helpButton = document.querySelector(".mscdm-help-button");
  var current = 0;

  function focus(index) {
    if (!sections.length) return;
    current = Math.max(0, Math.min(sections.length - 1, index));
    sections.forEach(function (s, i) { s.classList.toggle("mscdm-focused", i === current); });
    sections[current].focus({preventScroll: true});
    sections[current].scrollIntoView({block: "start", behavior: "auto"});
  }

  function toggleHelp() {
    if (!help) return;
    help.hidden = !help.hidden;
    if (helpButton) helpButton.setAttribute("aria-expanded", help.hidden ? "false" : "true");
  }

  function submit(form, decision) {
    var button = form.querySelector('button[value="' + decision + '"]');
    if (!button) return;
    if (form.requestSubmit) form.requestSubmit(button); else button.click();
  }

  if (helpButton) helpButton.addEventListener("click", toggleHelp);
  sections.forEach(function (s, i) { s.addEventListener("click", function () { current = i; }); });

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" ||
                   target.tagName === "SELECT")) {
      if (event.key === "Escape") target.blur();
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === "?") { event.preventDefault(); toggleHelp(); return; }
    if (!sections.length) return;
    var key = event.key.toLowerCase();
    var form = sections[current].querySelector("form.mscdm-resolve");
    if (key === "j") { event.preventDefault(); focus(current + 1); return; }
    if (key === "k") { event.preventDefault(); focus(current - 1); return; }
    if (key === "i" || key === "m" || key === "o") {
      event.preventDefault();
      submit(form, {i: "include", m: "maybe", o: "reopen"}[key]);
      return;
    }
    if (key === "e") {
      event.preventDefault();
      if (form.elements.reason.value) submit(form, "exclude"); else form.elements.reason.focus();
      return;
    }
    if (/^[1-9]$/.test(key)) {
      var option = form.querySelector('option[data-key="' + key + '"]');
      if (option) {
        event.preventDefault();
        form.elements.reason.value = option.value;
        submit(form, "exclude");
      }
    }
  });

  focus(0);
})();
