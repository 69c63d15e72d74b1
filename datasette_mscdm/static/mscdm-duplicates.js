// Keys for the duplicate queue (/<db>/-/duplicates): d duplicate, n not
// duplicates, s (or j) skip to the next pair, k the previous one, ? the keys
// (mscdm-keyed-list.js). Without these files the buttons work alone (skip
// excepted).
(function () {
  "use strict";
  var list = window.mscdmKeyedList("section.mscdm-pair", function (key, pair) {
    if (key === "d" || key === "n") {
      var form = pair.querySelector("form.mscdm-answer");
      if (window.mscdmPress(form, key === "d" ? "duplicate" : "not_duplicates")) {
        pair.classList.add("mscdm-answering");
      }
      return true;
    }
    if (key === "s") { list.focus(list.current() + 1); return true; }
    return false;
  });

  list.sections.forEach(function (pair, i) {
    var skip = pair.querySelector(".mscdm-skip");
    if (skip) skip.addEventListener("click", function () { list.focus(i + 1); });
  });

  // After an answer the page comes back with the pair in focus answered:
  // the next one has its place.
  var start = parseInt(new URLSearchParams(window.location.search).get("focus") || "0", 10);
  list.focus(isNaN(start) ? 0 : start);
})();
