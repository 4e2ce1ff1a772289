// Small behaviours shared by every page (no inline scripts: the CSP forbids them).
document.querySelectorAll("[data-submit-on-change]").forEach(function (el) {
  el.addEventListener("change", function () { el.form.submit(); });
});

// A choice among more than a few dozen rows (units, places, people, grids) gets a search box:
// what is typed narrows the list to the options whose text holds it, and the first match is
// chosen. The list is rebuilt rather than options hidden (phones' pickers ignore "hidden").
(function () {
  var MANY = 40, SHOWN = 60;
  var placeholder = document.body.dataset.searchHint || "";
  document.querySelectorAll("select:not([multiple])").forEach(function (select) {
    if (select.options.length <= MANY) { return; }
    var all = Array.prototype.slice.call(select.options);
    var box = document.createElement("input");
    box.type = "search";
    box.className = "select-search";
    box.placeholder = placeholder;
    box.setAttribute("aria-label", placeholder);
    box.autocomplete = "off";
    select.parentNode.insertBefore(box, select);
    box.addEventListener("input", function () {
      var text = box.value.trim().toLowerCase();
      var chosen = select.value;
      var matches = all.filter(function (o) { return o.value === "" || !text || o.text.toLowerCase().indexOf(text) >= 0; });
      var first = matches.filter(function (o) { return o.value !== ""; })[0];
      select.replaceChildren.apply(select, text ? matches.slice(0, SHOWN) : all);
      select.value = text && first ? first.value : chosen;
      select.dispatchEvent(new Event("change", { bubbles: true }));
    });
  });
})();
