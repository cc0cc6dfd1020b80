// Qadam's own behaviour, kept out of templates so the Content-Security-Policy can forbid inline
// scripts. Pages work without it; it only enhances.
(function () {
  "use strict";
  // A select marked data-autosubmit submits its form when changed (language switcher, filters).
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el.matches && el.matches("[data-autosubmit]") && el.form) { el.form.requestSubmit(); }
  });
})();
