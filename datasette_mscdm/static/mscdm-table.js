// The records table of a review (the team's work list): the facets fold into
// one "Facets" panel, so the rows start near the top of the page. The panel
// stays as the visitor left it. Without this file every facet shows, open.
// Loaded in the page's head: it waits for the document.
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  if (!document.querySelector(".mscdm-worklist-bar")) return;  // not a review's records table
  var facets = document.querySelector(".facet-results");
  if (!facets || facets.closest("details")) return;
  var key = "mscdm-facets-open";
  var panel = document.createElement("details");
  panel.className = "mscdm-facets";
  var summary = document.createElement("summary");
  var count = facets.querySelectorAll(".facet-info").length;
  var chosen = facets.querySelectorAll(".facet-info li.selected, .facet-info a[href*='✖']").length;
  summary.textContent = "Facets (" + count + ")" + (chosen ? ": filtering" : "");
  panel.appendChild(summary);
  facets.parentNode.insertBefore(panel, facets);
  panel.appendChild(facets);
  var stored = null;
  try { stored = window.localStorage.getItem(key); } catch (e) {}
  // Closed unless the visitor left it open: the rows come first.
  panel.open = stored === "1";
  panel.addEventListener("toggle", function () {
    try { window.localStorage.setItem(key, panel.open ? "1" : "0"); } catch (e) {}
  });
});
