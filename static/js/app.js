// Behaviour every page may use, declared with data- attributes: the Content-Security-Policy
// runs no inline script and no on*= attribute.
(function () {
  "use strict";

  // <form data-confirm="确定…？">: ask before submitting.
  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) event.preventDefault();
  });

  // <select data-autosubmit>: choosing an option submits its form.
  document.addEventListener("change", function (event) {
    var select = event.target.closest("select[data-autosubmit]");
    if (select && select.form) select.form.submit();
  });

  // <button data-print>: print the page.
  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-print]")) window.print();
  });
})();
