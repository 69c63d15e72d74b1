// A page of sections worked through by keyboard (the conflicts page, the
// duplicate queue): one section in focus, j/k (and whatever the page adds)
// move it, ? shows the keys, and keys typed into a field stay in the field
// (Escape leaves it). Each page's own script calls
//   mscdmKeyedList(selector, onKey) -> {focus(index), current()}
// with onKey(key, section) returning true for a key it handled.
window.mscdmKeyedList = function (selector, onKey) {
  "use strict";
  var sections = Array.prototype.slice.call(document.querySelectorAll(selector));
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
    if (key === "j") { event.preventDefault(); focus(current + 1); return; }
    if (key === "k") { event.preventDefault(); focus(current - 1); return; }
    if (onKey(key, sections[current])) event.preventDefault();
  });

  return {focus: focus, current: function () { return current; }, sections: sections};
};

// Press the form's button of this value, as a click would (the page's own
// submit handlers and the browser's validation run).
window.mscdmPress = function (form, value) {
  "use strict";
  var button = form && form.querySelector('button[value="' + value + '"]');
  if (!button) return false;
  if (form.requestSubmit) form.requestSubmit(button); else button.click();
  return true;
};
