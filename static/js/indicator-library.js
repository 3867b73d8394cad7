// The indicator library (指标库) of the targets page: an entry fills the add form, and the
// value preview then refreshes as if the value had been typed.
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-fill]");
    if (!button) return;
    ["level1", "level2", "name", "value"].forEach(function (field) {
      var input = document.getElementById("new-" + field);
      if (input) input.value = button.dataset[field] || "";
    });
    var value = document.getElementById("new-value");
    if (window.htmx && value) window.htmx.trigger(value, "keyup");
    if (value) value.focus();
  });
})();
