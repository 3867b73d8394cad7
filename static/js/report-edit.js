// The report form: a light that turns non-green opens the row's deviation fields, which are
// now required.
(function () {
  "use strict";

  document.body.addEventListener("htmx:afterSwap", function (event) {
    var light = event.detail.target.querySelector(".light");
    var row = event.detail.target.closest("tr.line");
    var deviation = row && document.getElementById(row.id.replace("line-", "deviation-"));
    if (light && deviation && !light.classList.contains("green")) {
      deviation.querySelector("details").open = true;
    }
  });
})();
