// The print view's 打印 button (app/templates/portal/print.html): the browser's print dialog.
// A file of its own: the CSP forbids inline scripts.
document.addEventListener("DOMContentLoaded", function () {
  var button = document.getElementById("portal-print-now");
  if (button) {
    button.addEventListener("click", function () { window.print(); });
  }
});
