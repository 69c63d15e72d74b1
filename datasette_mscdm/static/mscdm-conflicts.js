// Keys for the conflicts page (/<db>/-/conflicts): move between records with
// j/k (mscdm-keyed-list.js) and resolve the one in focus: i include, e exclude
// (the chosen reason, else pick one), 1-9 exclude with that reason, m send to
// full text, o reopen. Without these files the forms work alone.
(function () {
  "use strict";
  var list = window.mscdmKeyedList("section.mscdm-conflict", function (key, section) {
    var form = section.querySelector("form.mscdm-resolve");
    if (key === "i" || key === "m" || key === "o") {
      window.mscdmPress(form, {i: "include", m: "maybe", o: "reopen"}[key]);
      return true;
    }
    if (key === "e") {
      if (form.elements.reason.value) window.mscdmPress(form, "exclude");
      else form.elements.reason.focus();
      return true;
    }
    if (/^[1-9]$/.test(key)) {
      var option = form.querySelector('option[data-key="' + key + '"]');
      if (!option) return false;
      form.elements.reason.value = option.value;
      window.mscdmPress(form, "exclude");
      return true;
    }
    return false;
  });
  list.focus(0);
})();
