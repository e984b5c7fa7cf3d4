// Accessibility: when a page comes back with problems, move the keyboard
// focus (and a screen reader's attention) to the summary of problems at
// its top, whose links lead to each field. Without script the summary is
// still the first thing in the main content.
"use strict";

(function () {
  function focusSummary() {
    var summary = document.getElementById("error-summary");
    if (summary && !summary.hidden) {
      summary.focus();
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", focusSummary);
  } else {
    focusSummary();
  }
})();
