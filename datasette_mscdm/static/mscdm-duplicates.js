// Keys for the duplicate queue (/<db>/-/duplicates): d duplicate, n not
// duplicates, s (or j) skip to the next pair, k the previous one, ? the keys.
// Without this file the buttons work alone (skip excepted).
(function () {
  "use strict";
  var pairs = Array.prototype.slice.call(document.querySelectorAll("section.mscdm-pair"));
  var help = document.getElementById("mscdm-help");
  var helpButton = document.querySelector(".mscdm-help-button");
  var current = 0;

  function focus(index) {
    if (!pairs.length) return;
    current = Math.max(0, Math.min(pairs.length - 1, index));
    pairs.forEach(function (p, i) { p.classList.toggle("mscdm-focused", i === current); });
    pairs[current].focus({preventScroll: true});
    pairs[current].scrollIntoView({block: "start", behavior: "auto"});
  }

  function toggleHelp() {
    if (!help) return;
    help.hidden = !help.hidden;
    if (helpButton) helpButton.setAttribute("aria-expanded", help.hidden ? "false" : "true");
  }

  function answer(value) {
    var form = pairs[current] && pairs[current].querySelector("form.mscdm-answer");
    if (!form) return;
    var button = form.querySelector('button[value="' + value + '"]');
    if (!button) return;
    pairs[current].classList.add("mscdm-answering");
    if (form.requestSubmit) form.requestSubmit(button); else button.click();
  }

  if (helpButton) helpButton.addEventListener("click", toggleHelp);
  pairs.forEach(function (p, i) {
    p.addEventListener("click", function () { current = i; });
    var skip = p.querySelector(".mscdm-skip");
    if (skip) skip.addEventListener("click", function () { focus(i + 1); });
  });

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" ||
                   target.tagName === "SELECT")) {
      if (event.key === "Escape") target.blur();
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === "?") { event.preventDefault(); toggleHelp(); return; }
    if (!pairs.length) return;
    var key = event.key.toLowerCase();
    if (key === "d") { event.preventDefault(); answer("duplicate"); return; }
    if (key === "n") { event.preventDefault(); answer("not_duplicates"); return; }
    if (key === "s" || key === "j") { event.preventDefault(); focus(current + 1); return; }
    if (key === "k") { event.preventDefault(); focus(current - 1); }
  });

  // After an answer the page comes back with the pair in focus answered:
  // the next one has its place.
  var start = parseInt(new URLSearchParams(window.location.search).get("focus") || "0", 10);
  focus(isNaN(start) ? 0 : start);
})();
