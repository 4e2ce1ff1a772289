// Small behaviours shared by every page (no inline scripts: the CSP forbids them).
document.querySelectorAll("[data-submit-on-change]").forEach(function (el) {
  el.addEventListener("change", function () { el.form.submit(); });
});
