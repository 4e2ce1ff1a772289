// A case class's extra questions (templates/cases/_questions.html): show only the chosen
// class's group, and disable the others so their fields are not sent. Without this script
// every group shows, titled with its class, and the server reads only the chosen one.
(function () {
  document.querySelectorAll("[data-class-questions]").forEach(function (box) {
    var form = box.closest("form");
    var select = form && form.querySelector("[name=case_class]");
    if (!select) { return; }
    var show = function () {
      box.querySelectorAll("fieldset[data-class]").forEach(function (group) {
        var chosen = group.dataset.class === select.value;
        group.hidden = !chosen;
        group.disabled = !chosen;
      });
    };
    select.addEventListener("change", show);
    show();
  });
})();
