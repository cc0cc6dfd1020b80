// Qadam's own behaviour, kept out of templates so the Content-Security-Policy can forbid inline
// scripts. Pages work without it; it only enhances.
(function () {
  "use strict";
  // A select marked data-autosubmit submits its form when changed (language switcher, filters).
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el.matches && el.matches("[data-autosubmit]") && el.form) { el.form.requestSubmit(); }
  });

  // The attendance grid (templates/participants/attendance_grid.html): the rows whose name has
  // every word typed, and on a phone the one session column picked, without asking the server.
  // Names are compared folded as participants.identity.normalise_name does (the rows carry the
  // folded name in data-name), so "қайрат" finds "Кайрат".
  var KAZAKH_FOLD = { "ё": "е", "й": "и", "ә": "а", "ғ": "г", "қ": "к", "ң": "н", "ө": "о",
    "ұ": "у", "ү": "у", "һ": "х", "і": "и" };

  function foldedWords(text) {
    var folded = (text || "").normalize("NFC").toLowerCase().replace(/[ёйәғқңөұүһі]/g, function (c) {
      return KAZAKH_FOLD[c];
    });
    return folded.replace(/[^\p{L}\p{N}_\s]/gu, " ").split(/\s+/).filter(Boolean);
  }

  function filterGrid(input) {
    var grid = document.getElementById(input.dataset.gridSearch);
    if (!grid) { return; }
    var words = foldedWords(input.value);
    var rows = grid.querySelectorAll("tbody tr[data-name]");
    var shown = 0;
    rows.forEach(function (row) {
      var name = row.dataset.name;
      var match = words.every(function (word) { return name.indexOf(word) !== -1; });
      row.hidden = !match;
      if (match) { shown += 1; }
    });
    var status = document.getElementById("grid-filter-status");
    if (status) {
      status.textContent = words.length ? status.dataset.template
        .replace("__shown__", shown).replace("__total__", status.dataset.total) : "";
    }
    var kept = document.querySelector("#attendance-form [name=view_q]");
    if (kept) { kept.value = input.value.trim(); }
  }

  function showSession(select) {
    var grid = document.getElementById(select.dataset.gridSession);
    if (!grid) { return; }
    grid.querySelectorAll("[data-session]").forEach(function (el) {
      el.classList.toggle("session-other", el.dataset.session !== select.value);
    });
    var kept = document.querySelector("#attendance-form [name=view_session]");
    if (kept) { kept.value = select.value; }
  }

  function applyGridControls() {
    document.querySelectorAll("[data-grid-search]").forEach(filterGrid);
    document.querySelectorAll("[data-grid-session]").forEach(showSession);
  }

  document.addEventListener("input", function (event) {
    var el = event.target;
    if (el.matches && el.matches("[data-grid-search]")) { filterGrid(el); }
  });
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el.matches && el.matches("[data-grid-session]")) { showSession(el); }
  });
  // "All present" brings the whole grid back: filter it again as the controls say.
  document.addEventListener("htmx:afterSettle", applyGridControls);
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", applyGridControls);
  } else {
    applyGridControls();
  }
})();
