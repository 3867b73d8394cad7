// Behaviour every page may use, declared with data- attributes: the Content-Security-Policy
// runs no inline script and no on*= attribute.
(function () {
  "use strict";

  // <form data-confirm="确定…？"> or <button type="submit" data-confirm="…">: ask before
  // submitting (a button's question applies to that button only).
  document.addEventListener("submit", function (event) {
    var submitter = event.submitter;
    var message =
      (submitter && submitter.getAttribute("data-confirm")) ||
      event.target.getAttribute("data-confirm");
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

  // <button data-nav-toggle aria-controls="site-menu">: on a narrow screen the menu is folded
  // away (static/css/app.css); the button opens and closes it.
  document.addEventListener("click", function (event) {
    var toggle = event.target.closest("[data-nav-toggle]");
    if (!toggle) return;
    var menu = document.getElementById(toggle.getAttribute("aria-controls"));
    if (!menu) return;
    var open = menu.classList.toggle("open");
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
  });
})();
